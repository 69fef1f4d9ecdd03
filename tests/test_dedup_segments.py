"""Segment matching decides exactly as imagehash.ImageMultiHash.matches / hash_diff."""

from __future__ import annotations

import random
from itertools import combinations

import pytest
from imagehash import ImageMultiHash, hex_to_hash

from sparkhash.core.params import HashParams
from sparkhash.dedup.segments import find_segment_pairs

pytestmark = pytest.mark.spark

SEGMENTS_DDL = (
    "path string, segment int, hash string, left int, top int, right int, bottom int, pixels int, "
    "params string, run_id string"
)


def segment_images(n_images: int, seed: int) -> dict[str, list[str]]:
    """Images of 1-5 segments drawn from a small pool with 0-24 flipped bits: matches at every distance."""
    rng = random.Random(seed)
    pool = [rng.getrandbits(64) for _ in range(12)]
    images = {}
    for i in range(n_images):
        segs = []
        for _ in range(rng.randint(1, 5)):
            v = rng.choice(pool)
            for bit in rng.sample(range(64), rng.randint(0, 24)):
                v ^= 1 << bit
            segs.append(format(v, "016x"))
        images[f"img{i:03d}"] = segs
    return images


def segments_frame(spark, images: dict[str, list[str]]):
    params = HashParams().to_json()
    rows = [
        (path, j, h, 0, 0, 10, 10, 100, params, "r1")
        for path, segs in images.items()
        for j, h in enumerate(segs)
    ]
    return spark.createDataFrame(rows, SEGMENTS_DDL)


@pytest.mark.parametrize(
    "region_cutoff, hamming_cutoff, bit_error_rate",
    [(1, None, None), (2, 6, None), (1, None, 0.15)],
)
def test_segment_pairs_equal_imagehash(spark, region_cutoff, hamming_cutoff, bit_error_rate):
    images = segment_images(40, seed=region_cutoff * 10 + (hamming_cutoff or 0))
    result = find_segment_pairs(
        segments_frame(spark, images),
        region_cutoff=region_cutoff,
        hamming_cutoff=hamming_cutoff,
        bit_error_rate=bit_error_rate,
    )
    got = {r.path_a + "|" + r.path_b: r for r in result.pairs.collect()}
    multi = {p: ImageMultiHash([hex_to_hash(h) for h in segs]) for p, segs in images.items()}
    expected = {}
    for a, b in combinations(sorted(images), 2):
        ab = multi[a].hash_diff(multi[b], hamming_cutoff, bit_error_rate)[0]
        ba = multi[b].hash_diff(multi[a], hamming_cutoff, bit_error_rate)[0]
        a_matches = multi[a].matches(multi[b], region_cutoff, hamming_cutoff, bit_error_rate)
        b_matches = multi[b].matches(multi[a], region_cutoff, hamming_cutoff, bit_error_rate)
        if a_matches or b_matches:
            expected[a + "|" + b] = (ab, ba)
    assert set(got) == set(expected)
    assert 0 < len(expected) < 780  # the data has both matches and non-matches
    for key, (ab, ba) in expected.items():
        row = got[key]
        assert (row.segments_a, row.segments_b) == (ab, ba)
        assert row.matched_segments == max(ab, ba) >= region_cutoff
        assert row.algorithm == "crop_resistant"
