"""Pairs join: exact mode equals brute force; approx recall matches its estimate; hot buckets stay bounded."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from sparkhash.core.params import HashParams
from sparkhash.dedup.bands import exact_plan, hex_to_words, word_columns
from sparkhash.dedup.join import hash_candidates, hash_pairs
from sparkhash.dedup.pairs import ParamsMismatch, find_pairs

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
    plan = exact_plan(64, 1, k, 10**7)
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
