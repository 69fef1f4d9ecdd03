"""An incremental run (old run + new files) equals a full run over all files."""

from __future__ import annotations

import random

import pytest

from sparkhash.core.params import HashParams
from sparkhash.dedup.clusters import clusters
from sparkhash.dedup.incremental import find_pairs_incremental
from sparkhash.dedup.pairs import find_pairs

pytestmark = pytest.mark.spark

HASHES_DDL = "path string, phash string, width int, height int, length long, error string, params string"


def hash_rows(seed: int) -> list[tuple]:
    """Random hashes, near-duplicates at distance 1-3, small identical groups and one group of 8."""
    rng = random.Random(seed)
    values = [rng.getrandbits(64) for _ in range(120)]
    for v in values[:40]:
        w = v
        for bit in rng.sample(range(64), rng.randint(1, 3)):
            w ^= 1 << bit
        values.append(w)
    values += values[:10] + [values[50]] * 7  # pairs of identical hashes, and a group of 8
    rng.shuffle(values)
    params = HashParams().to_json()
    return [
        (f"f{i:04d}", format(v, "016x"), 8, 8 + i % 3, 1000 + i % 7, None, params)
        for i, v in enumerate(values)
    ]


def as_set(df, cols):
    return {tuple(r[c] for c in cols) for r in df.collect()}


def test_incremental_equals_full(spark):
    rows = hash_rows(6)
    old_rows, new_rows = rows[::2], rows[1::2]
    everything = spark.createDataFrame(rows, HASHES_DDL)
    old = spark.createDataFrame(old_rows, HASHES_DDL)
    new = spark.createDataFrame(new_rows, HASHES_DDL)
    attrs_all = everything.selectExpr("path", "width * height as pixels", "length")
    attrs_old = old.selectExpr("path", "width * height as pixels", "length")

    # expand_limit 4: the group of 8 identical hashes (split 4/4 or so) is written in compact form
    full = find_pairs(everything, "phash", 3, expand_limit=4)
    full_clusters = clusters(full.pairs, attrs_all)
    previous = find_pairs(old, "phash", 3, expand_limit=4)
    previous_pairs = previous.pairs.localCheckpoint()
    previous_clusters = clusters(previous_pairs, attrs_old)
    inc = find_pairs_incremental(old, new, previous_pairs, previous_clusters, "phash", 3, expand_limit=4)

    assert as_set(inc.clusters, ["path", "cluster", "keep"]) == as_set(
        full_clusters, ["path", "cluster", "keep"]
    )
    # pairs equal a full run's, apart from the compact group (star around a possibly new anchor)
    large = {r.path for r in full.groups.collect()}
    assert len(large) == 8
    cols = ["path_a", "path_b", "algorithm", "distance"]

    def outside(pairs):
        return {p for p in as_set(pairs, cols) if p[0] not in large and p[1] not in large}

    assert outside(inc.pairs) == outside(full.pairs)
    assert len(outside(full.pairs)) > 40
    # only pairs touching a new path (or a group with a new member) were computed
    new_paths = {r[0] for r in new_rows}
    assert all(a in new_paths or b in new_paths or a in large for a, b, *_ in as_set(inc.new_pairs, cols))
