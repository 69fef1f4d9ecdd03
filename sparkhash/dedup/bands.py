"""Spark columns of the band join: hex -> words, Hamming distance, band keys.

The planning maths (words, bands, the cost model, `BandPlan`) is in `sparkhash.dedup.plan`
(numpy only); its names are re-exported here for the modules that import them from bands.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sparkhash.dedup.plan import (
    DEFAULT_HOT_BUCKET,
    Band,
    BandPlan,
    _pair_rate,
    _sample_band_distances,
    _sub_bands,
    _volume,
    approx_plan,
    bit_mask,
    exact_plan,
    hash_bits,
    sampled_recall,
    signed,
    single_word,
    split_bits,
    word_columns,
    words_for,
)

__all__ = [
    "_pair_rate",
    "_sample_band_distances",
    "_sub_bands",
    "_volume",
    "approx_plan",
    "Band",
    "band_keys",
    "band_struct_array",
    "BandPlan",
    "bit_mask",
    "DEFAULT_HOT_BUCKET",
    "exact_plan",
    "hamming",
    "hash_bits",
    "hex_to_words",
    "sampled_recall",
    "signed",
    "single_word",
    "split_bits",
    "sub_band_array",
    "word_columns",
    "words_for",
    "words_less",
]


def hex_to_words(hex_col: Column, words: int) -> list[Column]:
    """Signed 64-bit words of a hex column, most significant word first.

    Each word is built from two 32-bit halves (conv to decimal, then to long) so that values
    >= 2^63 never pass through an overflowing cast.
    """
    padded = F.lpad(F.lower(hex_col), words * 16, "0")
    out = []
    for i in range(words):
        hi = F.conv(F.substring(padded, 16 * i + 1, 8), 16, 10).cast("long")
        lo = F.conv(F.substring(padded, 16 * i + 9, 8), 16, 10).cast("long")
        out.append(F.shiftleft(hi, 32).bitwiseOR(lo))
    return out


def hamming(a: list[str], b: list[str], masks: tuple[int, ...] | None = None) -> Column:
    """Hamming distance between word columns `a` and `b` (optionally restricted to masks), in the JVM."""
    terms = []
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if masks is not None and masks[i] == 0:
            continue
        diff = F.col(x).bitwiseXOR(F.col(y))
        if masks is not None and masks[i] != (1 << 64) - 1:
            diff = diff.bitwiseAND(F.lit(signed(masks[i])))
        terms.append(F.bit_count(diff))
    if not terms:
        return F.lit(0)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total.cast("int")


def words_less(a: list[str], b: list[str]) -> Column:
    """Lexicographic (signed) order of two word tuples: a total order on distinct hashes."""
    cond = F.col(a[-1]) < F.col(b[-1])
    for x, y in zip(reversed(a[:-1]), reversed(b[:-1]), strict=True):
        cond = (F.col(x) < F.col(y)) | ((F.col(x) == F.col(y)) & cond)
    return cond


def band_struct_array(plan: BandPlan, probe: bool) -> Column:
    """Literal array of (band, m0.., f0..) structs: one per band variant of the side, i.e. within
    the band's probe radius (probe) or build radius (build: the key alone unless two-sided)."""
    items = []
    for i, band in enumerate(plan.bands):
        radius = plan.probe_radius(i) if probe else plan.build_radius(i)
        flips = plan.probe_flips(band, radius)
        for f in flips:
            fields = [F.lit(i).alias("band"), F.lit(single_word(band)).alias("single")]
            fields += [F.lit(signed(m)).alias(f"m{w}") for w, m in enumerate(band.masks)]
            fields += [F.lit(signed(x)).alias(f"f{w}") for w, x in enumerate(f)]
            items.append(F.struct(*fields))
    return F.array(*items)


def band_keys(
    df: DataFrame, plan: BandPlan, probe: bool, keep: tuple[str, ...] = (), flips: bool = False
) -> DataFrame:
    """One row per (hash, band, variant of the side: see `band_struct_array`) with its bucket `key`.

    key = the masked word (XOR flip) when the band lies in one word — exact, no collisions —
    else xxhash64 of the masked words. Extra `keep` columns are carried along; `flips` adds
    the variant's flip words as bf0.. (the two-sided rule needs them when a band spans words:
    a single-word band's flip is key ^ (word & mask)).
    """
    wcols = word_columns(plan.words)
    exploded = df.select(*wcols, *keep, F.explode(band_struct_array(plan, probe)).alias("b"))
    parts = [F.col(w).bitwiseAND(F.col(f"b.m{i}")).bitwiseXOR(F.col(f"b.f{i}")) for i, w in enumerate(wcols)]
    key = F.xxhash64(*parts)
    for i in reversed(range(plan.words)):
        key = F.when(F.col("b.single") == i, parts[i]).otherwise(key)
    if plan.words == 1:
        key = parts[0]
    extra = [F.col(f"b.f{i}").alias(f"bf{i}") for i in range(plan.words)] if flips else []
    return exploded.select(*wcols, *keep, *extra, F.col("b.band").alias("band"), key.alias("key"))


def sub_band_array(plan: BandPlan) -> Column:
    """Literal array of (band, sub, m0..) structs: the sub-bands of every band."""
    items = []
    for i, subs in enumerate(plan.sub_bands):
        for j, sub in enumerate(subs):
            fields = [F.lit(i).alias("band"), F.lit(j).alias("sub"), F.lit(single_word(sub)).alias("single")]
            fields += [F.lit(signed(m)).alias(f"m{w}") for w, m in enumerate(sub.masks)]
            items.append(F.struct(*fields))
    if not items:
        fields = [F.lit(-1).alias("band"), F.lit(-1).alias("sub"), F.lit(-1).alias("single")]
        fields += [F.lit(0).cast("long").alias(f"m{w}") for w in range(plan.words)]
        return F.filter(F.array(F.struct(*fields)), lambda s: s["band"] >= 0)
    return F.array(*items)
