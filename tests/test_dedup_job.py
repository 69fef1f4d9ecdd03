"""`sparkhash dups` end to end: Parquet in, pairs/clusters/groups out; mixed parameters refused."""

from __future__ import annotations

import random

import pytest

from sparkhash.cli import main
from sparkhash.core.params import HashParams
from sparkhash.spark.schemas import CLUSTERS_SCHEMA, PAIRS_SCHEMA

pytestmark = pytest.mark.spark

HASHES_DDL = "path string, phash string, width int, height int, length long, error string, params string"
SEGMENTS_DDL = (
    "path string, segment int, hash string, left int, top int, right int, bottom int, pixels int, "
    "params string, run_id string"
)


def write_tables(spark, root, params: HashParams) -> None:
    rng = random.Random(1)
    values = [rng.getrandbits(64) for _ in range(50)]
    values += [values[0] ^ 0b101, values[1], values[1]]
    p = params.to_json()
    rows = [(f"img{i:03d}.jpg", format(v, "016x"), 10, 10, 500 + i, None, p) for i, v in enumerate(values)]
    rows.append(("broken.jpg", None, None, None, 3, "cannot identify image", p))
    spark.createDataFrame(rows, HASHES_DDL).write.parquet(str(root / "hashes"))
    segs = [(f"img{i:03d}.jpg", j, format(rng.getrandbits(64), "016x"), 0, 0, 5, 5, 25, p, "r")
            for i in range(10) for j in range(3)]
    segs.append(("img001.jpg", 3, segs[0][2], 0, 0, 5, 5, 25, p, "r"))  # img000 and img001 share a segment
    spark.createDataFrame(segs, SEGMENTS_DDL).write.parquet(str(root / "segments"))


def test_dups_command(spark, tmp_path):
    write_tables(spark, tmp_path, HashParams())
    out = tmp_path / "dups"
    assert main(["dups", str(tmp_path / "hashes"), str(out), "--threshold", "3", "--segments"]) == 0
    pairs = spark.read.parquet(str(out / "pairs"))
    clusters = spark.read.parquet(str(out / "clusters"))
    assert pairs.columns == PAIRS_SCHEMA.names
    assert clusters.columns == CLUSTERS_SCHEMA.names
    got = {(r.path_a, r.path_b, r.algorithm, r.distance) for r in pairs.collect()}
    assert ("img000.jpg", "img050.jpg", "phash", 2) in got
    assert ("img001.jpg", "img051.jpg", "phash", 0) in got
    assert ("img000.jpg", "img001.jpg", "crop_resistant", 0) in got
    keeps = {r.cluster: 0 for r in clusters.collect()}
    for r in clusters.collect():
        keeps[r.cluster] += int(r.keep)
    assert set(keeps.values()) == {1}


def test_dups_refuses_mixed_parameters(spark, tmp_path):
    write_tables(spark, tmp_path, HashParams())
    other = tmp_path / "other"
    other.mkdir()
    write_tables(spark, other, HashParams(hash_size=16))
    mixed = spark.read.parquet(str(tmp_path / "hashes")).unionByName(spark.read.parquet(str(other / "hashes")))
    mixed.write.parquet(str(tmp_path / "mixed"))
    assert main(["dups", str(tmp_path / "mixed"), str(tmp_path / "out")]) == 2
