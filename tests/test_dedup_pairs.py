"""Pairs join: exact mode equals brute force; approx recall matches its estimate; hot buckets stay bounded."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from sparkhash.core.params import HashParams
from sparkhash.dedup.join import hash_candidates, hash_pairs, hex_to_words
from sparkhash.dedup.pairs import ParamsMismatch, find_pairs
from sparkhash.dedup.plan import (
    BUILD_ROWS_PER_PARTITION,
    Band,
    BandPlan,
    _sub_bands,
    bit_mask,
    exact_plan,
    word_columns,
)

pytestmark = pytest.mark.spark

HASHES_DDL = "path string, phash string, width int, height int, length long, error string, params string"


def planted(n: int, nbits: int, k: int, seed: int) -> list[str]:
    """n random hashes plus, for every distance 0..k+2, partners of random hashes at that distance."""
    rng = random.Random(seed)
    values = [rng.getrandbits(nbits) for _ in range(n)]
    out = list(values)
    for d in range(k + 3):
        for _ in range(4):
            v = rng.choice(values)
            for bit in rng.sample(range(nbits), d):
                v ^= 1 << bit
            out.append(v)
    width = (nbits + 3) // 4
    return [format(v, f"0{width}x") for v in out]


def brute_force(hexes: list[str], k: int) -> set[tuple[str, str, int]]:
    values = [int(h, 16) for h in hexes]
    found = set()
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            d = (values[i] ^ values[j]).bit_count()
            if d <= k:
                a, b = sorted((f"p{i:05d}", f"p{j:05d}"))
                found.add((a, b, d))
    return found


def small_data(plan: BandPlan) -> BandPlan:
    """A plan the model chose for many hashes, to run on a few hundred: without its estimate,
    which would spread them over thousands of join partitions (`join_partitions`)."""
    return replace(plan, estimate={})


def hashes_frame(spark, hexes: list[str], params: HashParams | None = None, errors: int = 0):
    params = params or HashParams()
    rows = [(f"p{i:05d}", h, 8, 8, 100 + i, None, params.to_json()) for i, h in enumerate(hexes)]
    rows += [(f"err{i}", None, None, None, 1, "cannot decode", params.to_json()) for i in range(errors)]
    return spark.createDataFrame(rows, HASHES_DDL)


@pytest.mark.parametrize("nbits", [64, 256])
@pytest.mark.parametrize("k", [0, 3, 8, 12])
def test_exact_pairs_equal_brute_force(spark, nbits, k):
    hexes = planted(150, nbits, k, seed=nbits + k)
    params = HashParams(hash_size=8 if nbits == 64 else 16)
    result = find_pairs(hashes_frame(spark, hexes, params, errors=2), "phash", k)
    got = {(r.path_a, r.path_b, r.distance) for r in result.pairs.collect()}
    assert got == brute_force(hexes, k)
    assert {d for *_, d in got} == set(range(k + 1))  # planted pairs at every distance up to k


def test_a_given_planner_plans_the_join(spark):
    """find_pairs(planner=...) asks that planner (with the sample and distinct count) and
    joins on its plan: here the plan the model picks for 10^8 hashes, on 150 of them."""
    k = 4
    hexes = planted(150, 64, k, seed=11)
    asked, given = [], []

    def planner(nbits, words, threshold, count, *, sample):
        asked.append((nbits, words, threshold, count, sample.shape))
        given.append(small_data(exact_plan(nbits, words, threshold, 10**8, sample=sample)))
        return given[-1]

    result = find_pairs(hashes_frame(spark, hexes), "phash", k, planner=planner)
    got = {(r.path_a, r.path_b, r.distance) for r in result.pairs.collect()}
    assert got == brute_force(hexes, k)
    distinct = len(set(hexes))
    assert asked == [(64, 1, k, distinct, (distinct, 1))]
    assert result.plan is given[0]
    # not the plan of 150 hashes (equality bands): in-band probing, as for 10^8
    assert max(result.plan.band_radius(i) for i in range(len(result.plan.bands))) > 0
    assert exact_plan(64, 1, k, distinct).radius == 0


def test_words_of_high_hex_values(spark):
    hexes = ["ffffffffffffffff", "8000000000000001", "0123456789abcdef", "00ff"]
    df = spark.createDataFrame([(h,) for h in hexes], "hex string")
    rows = df.select(*[c.alias(w) for c, w in zip(hex_to_words(df["hex"], 1), word_columns(1), strict=True)])
    got = [r.w0 & (2**64 - 1) for r in rows.collect()]
    assert got == [int(h, 16) for h in hexes]


def test_approx_recall_matches_estimate(spark):
    rng = random.Random(5)
    nbits, k, pairs = 64, 10, 600
    hexes = []
    for _ in range(pairs):
        v = rng.getrandbits(nbits)
        w = v
        for bit in rng.sample(range(nbits), k):
            w ^= 1 << bit
        hexes += [format(v, "016x"), format(w, "016x")]
    result = find_pairs(hashes_frame(spark, hexes), "phash", k, mode="approx", target_recall=0.8)
    found = {(r.path_a, r.path_b) for r in result.pairs.filter("distance = 10").collect()}
    planted_pairs = {(f"p{2 * i:05d}", f"p{2 * i + 1:05d}") for i in range(pairs)}
    recall = len(found & planted_pairs) / pairs
    expected = result.plan.expected_recall
    assert expected >= 0.8
    # each planted pair is found independently with probability `expected`: 4 standard deviations
    sd = (expected * (1 - expected) / pairs) ** 0.5
    assert abs(recall - expected) <= 4 * sd + 0.01, (recall, expected, result.plan.describe())
    assert all(d <= k for d in (r.distance for r in result.pairs.collect()))


def test_identical_hashes_are_collapsed_and_compact(spark):
    rng = random.Random(9)
    blank = "0" * 16
    hexes = [format(rng.getrandbits(64), "016x") for _ in range(200)] + [blank] * 30 + [format(1, "016x")]
    result = find_pairs(hashes_frame(spark, hexes), "phash", 2, expand_limit=10)
    pairs = result.pairs.collect()
    blank_paths = sorted(f"p{i:05d}" for i in range(200, 230))
    anchor = blank_paths[0]
    star = {(r.path_a, r.path_b) for r in pairs if r.distance == 0}
    assert star == {(anchor, p) for p in blank_paths[1:]}  # n - 1 pairs, not n(n-1)/2
    # the hash at distance 1 from blank pairs with the anchor only
    assert {(r.path_a, r.path_b, r.distance) for r in pairs if r.distance == 1} >= {(anchor, "p00230", 1)}
    groups = result.groups.collect()
    assert {g.path for g in groups} == set(blank_paths)
    assert {(g.anchor, g.size) for g in groups} == {(anchor, 30)}


def test_hot_bucket_is_split_and_stays_exact(spark):
    # 300 distinct hashes sharing their first 16 bits: one band bucket holds all of them.
    rng = random.Random(3)
    hexes = ["abcd" + format(rng.getrandbits(48), "012x") for _ in range(300)]
    hexes += ["abcd" + h[4:-1] + format(int(h[-1], 16) ^ 3, "x") for h in hexes[:20]]
    k = 3
    df = spark.createDataFrame([(i, h) for i, h in enumerate(hexes)], "i int, hex string")
    distinct = df.select(
        *[c.alias(w) for c, w in zip(hex_to_words(df["hex"], 1), ["w0"], strict=True)]
    ).distinct()
    plain = exact_plan(64, 1, k, len(hexes), max_radius=0)
    split = replace(plain, hot_bucket=50)
    pairs_plain = {tuple(r) for r in hash_pairs(distinct, plain).collect()}
    pairs_split = {tuple(r) for r in hash_pairs(distinct, split).collect()}
    assert pairs_plain == pairs_split
    assert len(pairs_split) == len({(a, b) for a, b, _ in brute_force(hexes, k)})
    n = len(hexes)
    assert hash_candidates(distinct, plain).count() >= n * n  # the hot bucket: quadratic
    assert hash_candidates(distinct, split).count() < n * n / 8


def test_refuses_mixed_parameters(spark):
    hexes = planted(10, 64, 0, seed=1)
    df = hashes_frame(spark, hexes[:5]).unionByName(
        hashes_frame(spark, hexes[5:], HashParams(highfreq_factor=8))
    )
    with pytest.raises(ParamsMismatch):
        find_pairs(df, "phash", 2)
    # parameters that do not change phash bits are fine
    df = hashes_frame(spark, hexes[:5]).unionByName(
        hashes_frame(spark, hexes[5:], HashParams(colorhash_binbits=4))
    )
    find_pairs(df, "phash", 2)


def test_mixed_radius_plan_stays_exact(spark):
    # The plan for ten million hashes (bands probed within different radii) on a small set:
    # every pair within k is found once, with its distance, as brute force finds them.
    k = 4
    plan = small_data(exact_plan(64, 1, k, 10**7))
    assert len({plan.band_radius(i) for i in range(len(plan.bands))}) > 1
    hexes = sorted(set(planted(150, 64, k, seed=11)))
    df = spark.createDataFrame([(h,) for h in hexes], "hex string")
    distinct = df.select(hex_to_words(df["hex"], 1)[0].alias("w0"))
    got = sorted(
        (
            min(r.a_w0 & (2**64 - 1), r.b_w0 & (2**64 - 1)),
            max(r.a_w0 & (2**64 - 1), r.b_w0 & (2**64 - 1)),
            r.distance,
        )
        for r in hash_pairs(distinct, plan).collect()
    )
    values = [int(h, 16) for h in hexes]
    want = sorted(
        (min(u, v), max(u, v), (u ^ v).bit_count())
        for i, u in enumerate(values)
        for v in values[i + 1 :]
        if (u ^ v).bit_count() <= k
    )
    assert got == want
    assert {d for *_, d in got} == set(range(1, k + 1))


# --- two-sided bands: build rows emit variants too, one canonical join row per pair ----------


def _words_frame(spark, values: list[int], nbits: int, new: set[int] | None = None):
    """Distinct hashes as word columns (and a `new` flag when given)."""
    words = (nbits + 63) // 64
    width = nbits // 4
    rows = [(format(v, f"0{width}x"), v in (new or set())) for v in sorted(set(values))]
    df = spark.createDataFrame(rows, "hex string, new boolean")
    wcols = word_columns(words)
    cols = [c.alias(w) for c, w in zip(hex_to_words(df["hex"], words), wcols, strict=True)]
    return df.select(*cols, "new") if new is not None else df.select(*cols)


def _unsigned(row, prefix: str, words: int) -> int:
    value = 0
    for w in range(words):
        value = value << 64 | (row[f"{prefix}_w{w}"] & (2**64 - 1))
    return value


def _got(df, words: int, ordered: bool = False) -> list[tuple[int, int, int]]:
    """Pairs as (a, b, distance), unordered unless `ordered`, duplicates kept (they would be bugs)."""
    out = []
    for r in df.collect():
        a, b = _unsigned(r, "a", words), _unsigned(r, "b", words)
        out.append((a, b, r.distance) if ordered else (min(a, b), max(a, b), r.distance))
    return sorted(out)


def _within(values: list[int], k: int, left: list[int] | None = None) -> list[tuple[int, int, int]]:
    values = sorted(set(values))
    if left is not None:  # ordered (left, right) pairs, equal hashes included
        return sorted((u, v, (u ^ v).bit_count()) for u in left for v in values if (u ^ v).bit_count() <= k)
    return sorted(
        (u, v, (u ^ v).bit_count())
        for i, u in enumerate(values)
        for v in values[i + 1 :]
        if (u ^ v).bit_count() <= k
    )


def _two_sided_128() -> BandPlan:
    """k = 4 on 128 bits: a 1 + 1 band of 24 bits spanning the word boundary (its flips are
    carried as columns), then a one-sided radius-1 band of 20 bits: sum(r + 1) = 3 + 2 > 4."""
    bands = (Band(bit_mask(list(range(52, 76)), 128, 2)), Band(bit_mask(list(range(0, 20)), 128, 2)))
    return BandPlan(
        nbits=128,
        words=2,
        threshold=4,
        mode="exact",
        bands=bands,
        radius=2,
        radii=(2, 1),
        build_radii=(1, 0),
        sub_bands=tuple(_sub_bands(b, 128, 2, 4) for b in bands),
    )


def _planted_ints(n: int, nbits: int, k: int, seed: int) -> list[int]:
    return [int(h, 16) for h in planted(n, nbits, k, seed)]


def test_two_sided_plan_pairs_equal_brute_force(spark):
    k = 4
    plan = small_data(exact_plan(64, 1, k, 10**8))  # two bands: 1 + 1 and one-sided radius 1
    assert plan.two_sided and plan.build_radius(0) == 1
    values = _planted_ints(150, 64, k, seed=21)
    # pairs at 1 and 2 bits inside the two-sided band: the rows that meet twice there
    mask = plan.bands[0].masks[0]
    inside = [p for p in range(64) if mask >> p & 1]
    rng = random.Random(5)
    for d in (1, 2, 1, 2, 3):
        v = rng.choice(values)
        for p in rng.sample(inside, d):
            v ^= 1 << p
        values.append(v)
    got = _got(hash_pairs(_words_frame(spark, values, 64), plan), 1)
    assert got == _within(values, k)
    assert {d for *_, d in got} == set(range(1, k + 1))


def test_two_sided_band_spanning_words_equals_brute_force(spark):
    plan = _two_sided_128()
    values = _planted_ints(120, 128, 4, seed=8)
    rng = random.Random(9)
    for d in (1, 2, 2, 1):
        v = rng.choice(values)
        for p in rng.sample(range(60, 68), d):  # across the word boundary (bits 63 / 64)
            v ^= 1 << (127 - p)
        values.append(v)
    assert _got(hash_pairs(_words_frame(spark, values, 128), plan), 2) == _within(values, 4)


def test_two_sided_incremental_and_query_modes_stay_exact(spark):
    k = 4
    plan = small_data(exact_plan(64, 1, k, 10**8))
    assert plan.two_sided
    values = sorted(set(_planted_ints(150, 64, k, seed=31)))
    rng = random.Random(2)
    new = set(rng.sample(values, 40))
    hashes = _words_frame(spark, values, 64, new=new)
    probe = hashes.filter("new").select("w0")
    got = _got(hash_pairs(hashes, plan, probe=probe, new_column="new"), 1)
    assert got == [p for p in _within(values, k) if p[0] in new or p[1] in new]
    # queries against a lake: every (query, lake) pair, equal hashes included, a = query
    lake = [v for v in values if v not in new]
    queries = sorted(new)[:20] + lake[:5]
    build = _words_frame(spark, lake, 64, new=set())
    for broadcast in (False, True):
        found = hash_pairs(
            build, plan, probe=_words_frame(spark, queries, 64), new_column="new", broadcast_probe=broadcast
        )
        assert _got(found, 1, ordered=True) == _within(lake, k, left=queries)


def test_two_sided_hot_bucket_is_split_and_stays_exact(spark):
    # 300 hashes sharing the two-sided band's bits but 3: every build variant bucket is hot.
    k = 4
    plan = small_data(exact_plan(64, 1, k, 10**8))
    assert plan.two_sided
    band = plan.bands[0].masks[0]
    rng = random.Random(4)
    free = [p for p in range(64) if not band >> p & 1]
    base = rng.getrandbits(64)
    values = []
    for _ in range(300):
        v = base
        for p in rng.sample(free, rng.randint(0, len(free))):
            v ^= 1 << p
        for p in rng.sample([p for p in range(64) if band >> p & 1], rng.randint(0, 1)):
            v ^= 1 << p
        values.append(v)
    hashes = _words_frame(spark, values, 64)
    split = replace(plan, hot_bucket=20)
    assert _got(hash_pairs(hashes, split), 1) == _within(values, k)
    assert hash_candidates(hashes, split).count() < hash_candidates(hashes, plan).count() / 3


def _exchanges(df) -> int:
    return df._jdf.queryExecution().executedPlan().toString().count("Exchange hashpartitioning")


def test_join_partitions_follow_the_build_side(spark):
    # The plan's build side decides the join's partitions (2M build rows a task), with no
    # shuffle more than with Spark's own count; the pairs stay exact.
    k = 4
    values = _planted_ints(150, 64, k, seed=41)
    hashes = _words_frame(spark, values, 64)
    plan = exact_plan(64, 1, k, len(values))
    big = replace(plan, estimate={**plan.estimate, "build_rows": 20 * BUILD_ROWS_PER_PARTITION})
    assert hash_candidates(hashes, big).rdd.getNumPartitions() == 20
    assert _exchanges(hash_candidates(hashes, big)) == _exchanges(hash_candidates(hashes, plan))
    assert _got(hash_pairs(hashes, big), 1) == _within(values, k)
