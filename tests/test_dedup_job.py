"""`sparkhash dups` end to end: Parquet in, pairs/clusters/groups out; mixed parameters refused."""

from __future__ import annotations

import random
import sys

import pytest
from spark_helpers import REPO, run_python

from sparkhash.cli import main
from sparkhash.core.params import HashParams
from sparkhash.dedup.job import DupsConfig, run_dups
from sparkhash.dedup.output import read_dups
from sparkhash.spark.faults import FAULT_ENV, FAULT_EXIT
from sparkhash.spark.schemas import CLUSTERS_SCHEMA, PAIRS_SCHEMA

pytestmark = pytest.mark.spark

HASHES_DDL = "path string, phash string, width int, height int, length long, error string, params string, run_id string"
SEGMENTS_DDL = (
    "path string, segment int, hash string, left int, top int, right int, bottom int, pixels int, "
    "params string, run_id string"
)


def write_tables(spark, root, params: HashParams) -> None:
    rng = random.Random(1)
    values = [rng.getrandbits(64) for _ in range(50)]
    values += [values[0] ^ 0b101, values[1], values[1]]
    p = params.to_json()
    rows = [
        (f"img{i:03d}.jpg", format(v, "016x"), 10, 10, 500 + i, None, p, "r1" if i < 30 else "r2")
        for i, v in enumerate(values)
    ]
    rows.append(("broken.jpg", None, None, None, 3, "cannot identify image", p, "r1"))
    spark.createDataFrame(rows, HASHES_DDL).write.parquet(str(root / "hashes"))
    segs = [
        (f"img{i:03d}.jpg", j, format(rng.getrandbits(64), "016x"), 0, 0, 5, 5, 25, p, "r")
        for i in range(10)
        for j in range(3)
    ]
    segs.append(("img001.jpg", 3, segs[0][2], 0, 0, 5, 5, 25, p, "r"))  # img000 and img001 share a segment
    spark.createDataFrame(segs, SEGMENTS_DDL).write.parquet(str(root / "segments"))


def test_dups_command_full_and_incremental(spark, tmp_path, capsys):
    write_tables(spark, tmp_path, HashParams())
    hashes = str(tmp_path / "hashes")
    full = tmp_path / "full"
    capsys.readouterr()
    assert main(["dups", hashes, str(full), "--threshold", "3", "--segments"]) == 0
    printed = capsys.readouterr().err.splitlines()  # the command prints the plans the job chose
    assert any(line.startswith("sparkhash dups: exact k=3") for line in printed), printed
    assert any(line.startswith("sparkhash dups: segments cutoff 16: exact") for line in printed), printed
    pairs, clusters = read_dups(spark, str(full)).pairs, read_dups(spark, str(full)).clusters
    assert pairs.columns == PAIRS_SCHEMA.names
    assert clusters.columns == CLUSTERS_SCHEMA.names
    got = {(r.path_a, r.path_b, r.algorithm, r.distance) for r in pairs.collect()}
    assert ("img000.jpg", "img050.jpg", "phash", 2) in got
    assert ("img001.jpg", "img051.jpg", "phash", 0) in got
    assert ("img000.jpg", "img001.jpg", "crop_resistant", 0) in got
    keeps: dict[str, int] = {}
    for r in clusters.collect():
        keeps[r.cluster] = keeps.get(r.cluster, 0) + int(r.keep)
    assert set(keeps.values()) == {1}

    # incremental: a first run over run r1's rows, then the r2 rows against it
    first = tmp_path / "v1" / "hashes"
    spark.read.parquet(hashes).filter("run_id = 'r1'").write.parquet(str(first))
    seen: list[str] = []  # the library prints nothing: its plans go to `progress` and the result
    result = run_dups(
        spark, DupsConfig(hashes=str(first), output=str(tmp_path / "d1"), threshold=3), progress=seen.append
    )
    assert capsys.readouterr().err == ""
    assert list(result.plans) == seen and len(seen) == 1 and seen[0].startswith("exact k=3")
    inc = tmp_path / "d2"
    assert (
        main(
            [
                "dups",
                hashes,
                str(inc),
                "--threshold",
                "3",
                "--segments",
                "--previous",
                str(tmp_path / "d1"),
                "--previous-run",
                "r1",
            ]
        )
        == 0
    )
    for table in ("pairs", "clusters"):
        got_inc = {tuple(r) for r in getattr(read_dups(spark, str(inc)), table).collect()}
        got_full = {tuple(r) for r in getattr(read_dups(spark, str(full)), table).collect()}
        assert got_inc == got_full


def test_dups_refuses_mixed_parameters(spark, tmp_path):
    write_tables(spark, tmp_path, HashParams())
    other = tmp_path / "other"
    other.mkdir()
    write_tables(spark, other, HashParams(hash_size=16))
    mixed = spark.read.parquet(str(tmp_path / "hashes")).unionByName(
        spark.read.parquet(str(other / "hashes"))
    )
    mixed.write.parquet(str(tmp_path / "mixed"))
    assert main(["dups", str(tmp_path / "mixed"), str(tmp_path / "out")]) == 2


def test_killed_dups_run_leaves_the_previous_result_whole(spark, tmp_path):
    write_tables(spark, tmp_path, HashParams())
    hashes, out = str(tmp_path / "hashes"), tmp_path / "dups"
    assert main(["dups", hashes, str(out), "--threshold", "3"]) == 0
    before = read_dups(spark, str(out))
    pairs_before = sorted(tuple(r) for r in before.pairs.collect())
    clusters_before = sorted(tuple(r) for r in before.clusters.collect())

    env = {"PYTHONPATH": str(REPO), FAULT_ENV: "dups-after-clusters"}  # dies before writing groups
    killed = run_python(
        [
            sys.executable,
            "-m",
            "sparkhash.cli",
            "dups",
            hashes,
            str(out),
            "--threshold",
            "20",
            "--master",
            "local[1]",
        ],
        env=env,
    )
    assert killed.returncode == FAULT_EXIT, killed.stderr[-2000:]
    after = read_dups(spark, str(out))
    assert after.run_id == before.run_id
    assert sorted(tuple(r) for r in after.pairs.collect()) == pairs_before
    assert sorted(tuple(r) for r in after.clusters.collect()) == clusters_before
    assert len(list(out.glob("run=*"))) == 2  # the killed run's half-written tables, unread

    assert main(["dups", hashes, str(out), "--threshold", "20"]) == 0  # the dead run's lease is taken over
    latest = read_dups(spark, str(out))
    assert latest.run_id > before.run_id and latest.pairs.count() > len(pairs_before)
    assert sorted(p.name for p in out.glob("run=*")) == [f"run={before.run_id}", f"run={latest.run_id}"]
