"""The banded join over distinct hashes: every pair within k found once, verified in the JVM.

Its Spark columns come first: hex -> signed 64-bit words, Hamming distance, band keys (the
planning maths, `BandPlan`, is numpy only in `sparkhash.dedup.plan`).

Each candidate pair is verified in exactly one band — the first band on which the two hashes
are within the band's radius — so no cross-band de-duplication shuffle is needed. On a
two-sided band (build rows emit variants too) a pair meets in several rows of that band; only
the row with the canonical build flip (`plan.canonical_build_flip`) is kept. Buckets with
more than `plan.hot_bucket` build rows are split further on sub-bands of the remaining bits
(pigeonhole again: two hashes in one bucket and within k overall agree exactly on one of k+1
disjoint sub-bands), so no bucket makes the join quadratic unless its hashes really are
all within k of each other.
"""

from __future__ import annotations

import numpy as np
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sparkhash.dedup.plan import (
    BandPlan,
    Planner,
    exact_plan,
    join_partitions,
    signed,
    single_word,
    word_columns,
)
from sparkhash.spark.session import shuffle_partitions

HOT_LIMIT_ROWS = 1_000_000
#: Distinct hashes sampled to plan a join (the planner measures band collisions on them).
SAMPLE_SIZE = 2000


# ------------------------------------------------------- Spark columns: words, distances, keys


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


# -------------------------------------------------------------------------------- the join


def _first_within(distances: list[Column], radius: int | list[int]) -> Column:
    """Index of the first distance <= its radius (one for all, or one per distance; null if none)."""
    radii = radius if isinstance(radius, list) else [radius] * len(distances)
    expr = F.lit(None).cast("int")
    for i in reversed(range(len(distances))):
        expr = F.when(distances[i] <= radii[i], F.lit(i)).otherwise(expr)
    return expr


def _split_hot(rows: DataFrame, plan: BandPlan, keep: tuple[str, ...]) -> DataFrame:
    """Rows of hot buckets, one per sub-band, with the sub-band value as `skey`."""
    wcols = word_columns(plan.words)
    subs = F.filter(sub_band_array(plan), lambda s: s["band"] == F.col("band"))
    x = rows.select(*wcols, *keep, "band", "key", F.explode(subs).alias("s"))
    parts = [F.col(w).bitwiseAND(F.col(f"s.m{i}")) for i, w in enumerate(wcols)]
    skey = F.xxhash64(*parts)
    for i in reversed(range(plan.words)):
        skey = F.when(F.col("s.single") == i, parts[i]).otherwise(skey)
    return x.select(*wcols, *keep, "band", "key", F.col("s.sub").alias("sub"), skey.alias("skey"))


def _sub_rule(plan: BandPlan, a: list[str], b: list[str]) -> Column:
    """True when `sub` is the first sub-band (of the row's band) on which a and b agree."""
    expr = F.lit(None).cast("int")
    for i in reversed(range(len(plan.bands))):
        subs = plan.sub_bands[i] if i < len(plan.sub_bands) else ()
        first = _first_within([hamming(a, b, s.masks) for s in subs], 0)
        expr = F.when(F.col("band") == i, first).otherwise(expr)
    return (F.col("sub") < 0) | (expr == F.col("sub"))


def _flip_columns(plan: BandPlan) -> tuple[str, ...]:
    """Build flip columns the join carries: only when a two-sided band spans words (a
    single-word band's flip is recovered from its exact key)."""
    spans = any(plan.build_radius(i) > 0 and single_word(band) < 0 for i, band in enumerate(plan.bands))
    return tuple(f"bf{w}" for w in range(plan.words)) if spans else ()


def _lowest_bit(x: Column) -> Column:
    """x & -x, the lowest set bit of a long (0 for 0); -Long.MIN_VALUE would overflow under
    ANSI mode, and Long.MIN_VALUE is its own lowest bit."""
    return F.when(x == F.lit(-(2**63)), x).otherwise(x.bitwiseAND(-x))


def two_sided_rule(plan: BandPlan, a: list[str], b: list[str], distances: list[Column]) -> Column:
    """True on the one canonical join row of a pair in its band (always true on one-sided bands).

    The JVM form of `plan.canonical_build_flip`: the build row's flip must be none when the band
    distance is within the probe radius, else the lowest set bit of the band difference in the
    last word that has one. `distances`: the band distances of a and b, per band.
    """
    expr = F.lit(True)
    flips = _flip_columns(plan)
    for i in reversed(range(len(plan.bands))):
        if plan.build_radius(i) == 0:
            continue
        band = plan.bands[i]
        used = [w for w, m in enumerate(band.masks) if m]
        one = single_word(band)

        def flip(w: int, band=band, one=one) -> Column:
            if one >= 0:  # key = (b & m) ^ flip, exactly
                return F.col("key").bitwiseXOR(F.col(b[w]).bitwiseAND(F.lit(signed(band.masks[w]))))
            return F.col(f"b_{flips[w]}")

        none = F.lit(True)
        for w in used:
            none = none & (flip(w) == 0)
        lowest = F.lit(False)
        for w in used:  # the last word with a difference decides (built outwards from the first)
            diff = F.col(a[w]).bitwiseXOR(F.col(b[w])).bitwiseAND(F.lit(signed(band.masks[w])))
            lowest = F.when(diff != 0, flip(w) == _lowest_bit(diff)).otherwise(lowest)
        canonical = F.when(distances[i] <= plan.probe_radius(i), none).otherwise(lowest)
        expr = F.when(F.col("band") == i, canonical).otherwise(expr)
    return expr


def hot_buckets(build_rows: DataFrame, plan: BandPlan) -> DataFrame | None:
    """The (band, key) buckets holding more than plan.hot_bucket hashes, materialised; None if none."""
    if not any(len(s) > 0 for s in plan.sub_bands):
        return None
    hot = (
        build_rows.groupBy("band", "key")
        .count()
        .filter(F.col("count") > plan.hot_bucket)
        .select("band", "key", F.lit(True).alias("hot"))
        .limit(HOT_LIMIT_ROWS)
        .localCheckpoint(eager=True)
    )
    return hot if hot.limit(1).count() > 0 else None


def hash_candidates(
    hashes: DataFrame,
    plan: BandPlan,
    probe: DataFrame | None = None,
    new_column: str | None = None,
    broadcast_build: bool | None = None,
    broadcast_probe: bool = False,
) -> DataFrame:
    """The joined candidate rows (a_w.., b_w.., band, sub, b_new?) before any filtering.

    broadcast_probe: send the (small) probe side to every task instead, e.g. a few query hashes
    against a large build side (matching against a lake)."""
    wcols = word_columns(plan.words)
    a = [f"a_{w}" for w in wcols]
    b = [f"b_{w}" for w in wcols]
    keep = (new_column,) if new_column else ()
    flips = _flip_columns(plan)
    build_rows = band_keys(hashes, plan, probe=False, keep=keep, flips=bool(flips))
    keep += flips
    probe_src = hashes if probe is None else probe
    if plan.radius == 0 and probe is None:
        probe_rows = build_rows
    else:
        probe_rows = band_keys(probe_src.select(*wcols), plan, probe=True)
    probe_rows = probe_rows.select(*wcols, "band", "key")

    hot = hot_buckets(build_rows, plan)
    if hot is not None:

        def split(rows: DataFrame, cols: tuple[str, ...]) -> DataFrame:
            marked = rows.join(F.broadcast(hot), ["band", "key"], "left")
            cold = marked.filter(F.col("hot").isNull()).select(
                *wcols, *cols, "band", "key", F.lit(-1).alias("sub"), F.lit(0).cast("long").alias("skey")
            )
            return cold.unionByName(_split_hot(marked.filter(F.col("hot")), plan, cols))

        build_rows = split(build_rows, keep)
        probe_rows = split(probe_rows, ())
        keys = ["band", "key", "sub", "skey"]
    else:
        build_rows = build_rows.select(*wcols, *keep, "band", "key")
        keys = ["band", "key"]  # no sub-bands: sub and skey are constants, added after the join

    left = probe_rows.select(*[F.col(w).alias(x) for w, x in zip(wcols, a, strict=True)], *keys)
    right = build_rows.select(
        *[F.col(w).alias(x) for w, x in zip(wcols, b, strict=True)],
        *[F.col(new_column).alias("b_new")] if new_column else [],
        *[F.col(c).alias(f"b_{c}") for c in flips],
        *keys,
    )
    # Spark does not scale size estimates through explode: without a hint it may broadcast the
    # (many times larger) probe side. Hash the build side per partition instead, or broadcast it.
    if broadcast_probe:
        left = F.broadcast(left)
    elif broadcast_build:
        right = F.broadcast(right)
    else:
        configured = shuffle_partitions(hashes.sparkSession)
        partitions = join_partitions(plan, configured)
        if partitions > configured:  # else leave the count to Spark (and AQE, where enabled)
            # partitioned on exactly the join keys, so the join adds no second shuffle
            left, right = left.repartition(partitions, *keys), right.repartition(partitions, *keys)
        right = right.hint("shuffle_hash")
    joined = left.join(right, keys)
    if hot is None:
        joined = joined.select("*", F.lit(-1).alias("sub"), F.lit(0).cast("long").alias("skey"))
    return joined


def hash_pairs(
    hashes: DataFrame,
    plan: BandPlan,
    probe: DataFrame | None = None,
    new_column: str | None = None,
    broadcast_build: bool | None = None,
    broadcast_probe: bool = False,
) -> DataFrame:
    """Pairs of distinct hashes within `plan.threshold` (exact or sampled, per the plan).

    hashes: distinct rows of word columns w0.. (the build side). probe: a subset of them to
    probe with (incremental runs: the new hashes); with `new_column` (a boolean column of
    `hashes`) a pair of two old hashes is never produced. Returns a_w0.., b_w0.., distance
    with a < b in word order when both sides are probes. With a `new_column` that is false on
    every build row and a separate probe set, every (probe, build) pair within k is returned
    (a = probe, b = build), equal hashes included: a query-against-lake match.
    """
    joined = hash_candidates(hashes, plan, probe, new_column, broadcast_build, broadcast_probe)
    wcols = word_columns(plan.words)
    a = [f"a_{w}" for w in wcols]
    b = [f"b_{w}" for w in wcols]
    has_subs = any(len(s) > 0 for s in plan.sub_bands)
    if new_column:
        order = ~F.col("b_new") | words_less(a, b)
    else:
        order = words_less(a, b)
    radii = [plan.band_radius(i) for i in range(len(plan.bands))]
    distances = [hamming(a, b, band.masks) for band in plan.bands]
    first = _first_within(distances, radii)
    rule = order & (first == F.col("band"))
    if plan.two_sided:
        rule = rule & two_sided_rule(plan, a, b, distances)
    if has_subs:
        rule = rule & _sub_rule(plan, a, b)
    distance = hamming(a, b)
    return (
        joined.filter(rule)
        .select(*a, *b, distance.alias("distance"))
        .filter(F.col("distance") <= plan.threshold)
    )


def plan_for(distinct: DataFrame, nbits: int, words: int, threshold: int, planner: Planner) -> BandPlan:
    """The plan `planner` chooses for `distinct` (word columns w0..): its size and a sample."""
    wcols = word_columns(words)
    n = distinct.count()
    fraction = min(1.0, 1.5 * SAMPLE_SIZE / max(n, 1))
    rows = distinct.select(*wcols).sample(False, fraction, seed=17).limit(SAMPLE_SIZE).collect()
    sample = np.array([list(r) for r in rows], dtype=np.int64).reshape(-1, words).view(np.uint64)
    return planner(nbits, words, threshold, n, sample=sample)


def join_within(
    build: DataFrame,
    k: int,
    probe: DataFrame | None = None,
    planner: Planner = exact_plan,
    *,
    nbits: int,
    words: int,
    new_column: str | None = None,
    broadcast_probe: bool = False,
) -> tuple[DataFrame, BandPlan]:
    """Every pair of distinct hashes within Hamming distance `k`, and the plan that found them.

    build: distinct hashes as word columns w0.. (`words` of them, `nbits` meaningful bits),
    planned on by `planner` (`plan.planner_for(mode, ...)`, or any `Planner`) with k capped at
    nbits. Returns a_w.., b_w.., distance:
    - without `probe`: the pairs within build, a < b;
    - with `probe` and `new_column` (a boolean column of build; probe = its true rows): an
      incremental run, the pairs with at least one new side (a < b when both are new);
    - with `probe` alone: every (probe = a, build = b) pair, equal hashes included, e.g. queries
      against a lake (`broadcast_probe` sends the few queries to every task).
    """
    plan = plan_for(build, nbits, words, min(k, nbits), planner)
    if probe is not None and new_column is None:  # nothing in build is a probe: all of it is "old"
        build, new_column = build.withColumn("new", F.lit(False)), "new"
    pairs = hash_pairs(build, plan, probe=probe, new_column=new_column, broadcast_probe=broadcast_probe)
    return pairs, plan
