"""Near-duplicate pairs of one algorithm's hashes: collapse identical hashes, band-join, expand.

Identical hashes are collapsed first: the banded join runs on distinct hashes only, so a
group of identical images (10 % blank images, say) costs one row, not a quadratic bucket.
Pairs of distinct hashes are then expanded to pairs of paths. A group of more than
`expand_limit` identical hashes is written in compact form: one pair (anchor, member) per
member, where the anchor is the group's smallest path, and pairs with other hashes only
from the anchor; the `groups` table lists such groups (path, anchor, algorithm, size).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from sparkhash.core.decode import DecodeOptions
from sparkhash.core.params import HashParams
from sparkhash.dedup.bands import (
    DEFAULT_HOT_BUCKET,
    BandPlan,
    approx_plan,
    exact_plan,
    hash_bits,
    hex_to_words,
    word_columns,
    words_for,
)
from sparkhash.dedup.join import hash_pairs
from sparkhash.errors import UsageError

DEFAULT_EXPAND_LIMIT = 100
SAMPLE_SIZE = 2000
MODES = ("exact", "approx")


class ParamsMismatch(UsageError):
    """Hashes made with different parameters cannot be compared."""


@dataclass
class PairsResult:
    """Output of a pairs run: path pairs (PAIRS_SCHEMA), large identical groups, and the plan."""

    pairs: DataFrame
    groups: DataFrame
    plan: BandPlan


def checked_params(tables: list[DataFrame], algorithm: str) -> HashParams:
    """The parameters of `algorithm` shared by all rows of `tables`; raises ParamsMismatch if they
    differ (its parameters, or the decode options recorded with them: EXIF rotation, reduced)."""
    texts: set[str] = set()
    for table in tables:
        texts |= {r[0] for r in table.select("params").distinct().collect()}
    if not texts:
        return HashParams()
    # The decode options that change the bits (EXIF rotation, reduced decoding) count too.
    by_subset = {
        json.dumps(
            {
                **HashParams.from_json(t).for_algorithm(algorithm),
                **DecodeOptions.from_params(t).params_fields(),
            },
            sort_keys=True,
        ): t
        for t in texts
    }
    if len(by_subset) > 1:
        raise ParamsMismatch(
            f"hashes of {algorithm} were made with different parameters: " + "; ".join(sorted(by_subset))
        )
    return HashParams.from_json(next(iter(by_subset.values())))


def valid_hashes(hashes: DataFrame, algorithm: str, keep_case: bool = False) -> DataFrame:
    """Rows with a hash for `algorithm`: path, hex, pixels, length (errors skipped).

    Hex hashes are lower-cased so that stored upper-case hex joins; `keep_case` keeps the
    value as it is (robust's signature text, which is not hex)."""
    cols = hashes.columns
    pixels = (F.col("width").cast("long") * F.col("height").cast("long")) if "width" in cols else F.lit(None)
    length = F.col("length") if "length" in cols else F.lit(None)
    cond = F.col(algorithm).isNotNull()
    if "error" in cols:
        cond = cond & F.col("error").isNull()
    return hashes.filter(cond).select(
        "path",
        (F.col(algorithm) if keep_case else F.lower(F.col(algorithm))).alias("hex"),
        pixels.cast("long").alias("pixels"),
        length.cast("long").alias("length"),
    )


def hex_width(rows: DataFrame) -> int:
    """The hex length shared by all rows (refusing mixed lengths)."""
    lengths = [r[0] for r in rows.select(F.length("hex")).distinct().collect()]
    if len(lengths) > 1:
        raise ParamsMismatch(f"hashes of different lengths in one join: {sorted(lengths)} hex chars")
    return lengths[0] if lengths else 16


def make_plan(
    distinct: DataFrame,
    nbits: int,
    words: int,
    threshold: int,
    mode: str = "exact",
    target_recall: float = 0.95,
    hot_bucket: int = DEFAULT_HOT_BUCKET,
    count: int | None = None,
) -> BandPlan:
    """Choose bands for `distinct` (word columns) from a sample of it and its size."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    wcols = word_columns(words)
    n = distinct.count() if count is None else count
    fraction = min(1.0, 1.5 * SAMPLE_SIZE / max(n, 1))
    rows = distinct.select(*wcols).sample(False, fraction, seed=17).limit(SAMPLE_SIZE).collect()
    sample = np.array([list(r) for r in rows], dtype=np.int64).reshape(-1, words).view(np.uint64)
    if mode == "exact":
        return exact_plan(nbits, words, threshold, n, sample=sample, hot_bucket=hot_bucket)
    return approx_plan(
        nbits, words, threshold, n, target_recall=target_recall, sample=sample, hot_bucket=hot_bucket
    )


def with_words(rows: DataFrame, words: int) -> DataFrame:
    wcols = word_columns(words)
    return rows.select(
        *rows.columns, *[c.alias(w) for c, w in zip(hex_to_words(F.col("hex"), words), wcols, strict=True)]
    )


def grouped_members(members: DataFrame, words: int, incremental: bool = False) -> DataFrame:
    """Members (path, w.., new?) with their identical-hash group: n, anchor (smallest path), group_new.

    One window over the hash, no join; the rows with path = anchor are the distinct hashes.
    """
    wcols = word_columns(words)
    group = Window.partitionBy(*wcols)
    new = F.col("new") if incremental else F.lit(True)
    return members.select(
        "path",
        *wcols,
        new.alias("new"),
        F.count("*").over(group).alias("n"),
        F.min("path").over(group).alias("anchor"),
        F.max(new).over(group).alias("group_new"),
    ).localCheckpoint(eager=True)


def expand_pairs(
    grouped: DataFrame,
    pairs: DataFrame,
    words: int,
    algorithm: str,
    expand_limit: int,
) -> tuple[DataFrame, DataFrame]:
    """Path pairs and large identical groups from pairs of distinct hashes.

    grouped: grouped_members(); pairs: (a_w.., b_w.., distance). Pairs whose both paths are
    old (incremental runs) are dropped; in a full run every path is new.
    """
    wcols = word_columns(words)
    small = F.col("n") <= expand_limit
    is_anchor = F.col("path") == F.col("anchor")
    # Representatives: every member of a small group; the anchor of a large one (new if its group is).
    reps = grouped.filter(small | is_anchor).select(
        *wcols, "path", F.when(small, F.col("new")).otherwise(F.col("group_new")).alias("new")
    )
    ra = reps.select(
        *[F.col(w).alias(f"a_{w}") for w in wcols], F.col("path").alias("pa"), F.col("new").alias("na")
    )
    rb = reps.select(
        *[F.col(w).alias(f"b_{w}") for w in wcols], F.col("path").alias("pb"), F.col("new").alias("nb")
    )
    cross = (
        pairs.join(ra.hint("merge"), [f"a_{w}" for w in wcols])
        .join(rb.hint("merge"), [f"b_{w}" for w in wcols])
        .filter(F.col("na") | F.col("nb"))
        .select(F.least("pa", "pb").alias("path_a"), F.greatest("pa", "pb").alias("path_b"), "distance")
    )
    dup = grouped.filter((F.col("n") >= 2) & small)
    s1 = dup.select(*wcols, F.col("path").alias("path_a"), F.col("new").alias("na"))
    s2 = dup.select(*wcols, F.col("path").alias("path_b"), F.col("new").alias("nb"))
    within = (
        s1.join(s2.hint("merge"), wcols)
        .filter((F.col("path_a") < F.col("path_b")) & (F.col("na") | F.col("nb")))
        .select("path_a", "path_b", F.lit(0).alias("distance"))
    )
    large = grouped.filter(~small)
    # a group touched by new files gets its whole star again: the anchor may have changed
    star = large.filter(~is_anchor & F.col("group_new")).select(
        F.col("anchor").alias("path_a"), F.col("path").alias("path_b"), F.lit(0).alias("distance")
    )
    out = (
        cross.unionByName(within)
        .unionByName(star)
        .select(
            "path_a",
            "path_b",
            F.lit(algorithm).alias("algorithm"),
            F.col("distance").cast("int").alias("distance"),
            F.lit(None).cast("int").alias("matched_segments"),
            F.lit(None).cast("int").alias("segments_a"),
            F.lit(None).cast("int").alias("segments_b"),
        )
    )
    groups = large.select(
        "path", "anchor", F.lit(algorithm).alias("algorithm"), F.col("n").cast("long").alias("size")
    )
    return out, groups


def find_pairs(
    hashes: DataFrame,
    algorithm: str = "phash",
    threshold: int = 4,
    mode: str = "exact",
    target_recall: float = 0.95,
    expand_limit: int = DEFAULT_EXPAND_LIMIT,
    hot_bucket: int = DEFAULT_HOT_BUCKET,
) -> PairsResult:
    """All pairs of paths whose `algorithm` hashes are within Hamming distance `threshold`.

    exact: every such pair (guaranteed). approx: each pair at distance k found with probability
    >= plan.expected_recall. Refuses hashes made with different parameters.
    """
    # Without a params column (hex hashes stored elsewhere) the hex width gives the bit count.
    params = checked_params([hashes], algorithm) if "params" in hashes.columns else None
    rows = valid_hashes(hashes, algorithm)
    hex_len = hex_width(rows)
    words = words_for(hex_len)
    nbits = 4 * hex_len if params is None else min(hash_bits(algorithm, params), 4 * hex_len)
    grouped = grouped_members(with_words(rows.select("path", "hex"), words), words)
    wcols = word_columns(words)
    distinct = grouped.filter(F.col("path") == F.col("anchor")).select(*wcols)
    plan = make_plan(distinct, nbits, words, threshold, mode, target_recall, hot_bucket)
    hp = hash_pairs(distinct, plan)
    pairs, groups = expand_pairs(grouped, hp, words, algorithm, expand_limit)
    return PairsResult(pairs=pairs, groups=groups, plan=plan)
