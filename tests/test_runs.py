"""The run store (`sparkhash.spark.runs`) behind every OUTPUT, seen through `sparkhash match`:
a killed match and two concurrent matches leave one complete result readable; a match OUTPUT
of the earlier layout (a plain `matches/` table) is read and replaced; the store's listing and
garbage collection work through Hadoop's file system too."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
from spark_helpers import REPO, file_uri, write_image_set

from sparkhash.cli import main
from sparkhash.dedup.match import MATCHES_SCHEMA, MatchConfig, match
from sparkhash.dedup.output import MATCH_LAYOUT, MATCHES, read_matches
from sparkhash.spark import lease
from sparkhash.spark.faults import FAULT_ENV, FAULT_EXIT, fault_action
from sparkhash.spark.hash_job import HashJobConfig, run_hash_job
from sparkhash.spark.runs import RunStore

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    """A hashed lake of 6 images, and a query directory holding copies of two of them."""
    root = tmp_path_factory.mktemp("runs")
    images = write_image_set(root / "lake", count=6, seed=310)
    queries = root / "queries"
    queries.mkdir()
    for image in images[:2]:
        shutil.copy(image, queries / image.name)
    run_hash_job(spark, HashJobConfig(str(root / "lake"), str(root / "hashes"), algorithms=("phash",)))
    return {"images": images, "lake": root / "lake", "queries": queries, "hashes": str(root / "hashes")}


def rows(frame) -> set[tuple]:
    return {(r.query, r.path, r.algorithm, r.distance) for r in frame.collect()}


def match_command(query, hashes, output, *options) -> list[str]:
    return [sys.executable, "-m", "sparkhash.cli", "match", str(query), str(hashes), str(output), *options]


def child_env(fault: str) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), PYSPARK_PYTHON=sys.executable, **{FAULT_ENV: fault})


def test_killed_match_leaves_the_previous_result_whole(spark, lake, tmp_path, capsys):
    out = tmp_path / "matched"
    assert main(["match", str(lake["queries"]), lake["hashes"], str(out), "--threshold", "0"]) == 0
    before = rows(read_matches(spark, str(out)))
    assert {(q.rsplit("/", 1)[1], p) for q, p, _, _ in before} >= {
        (image.name, file_uri(image)) for image in lake["images"][:2]
    }

    # all six lake images as queries: a larger result, killed once its table is written
    killed = subprocess.run(
        match_command(lake["lake"], lake["hashes"], out, "--threshold", "0", "--master", "local[1]"),
        env=child_env("match-after-matches"),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert killed.returncode == FAULT_EXIT, killed.stderr[-2000:]
    assert rows(read_matches(spark, str(out))) == before
    assert len(list(out.glob("run=*"))) == 2  # the killed run's table is there, unread
    assert (out / lease.LEASE_FILE).exists()  # the killed run never released its lease

    # the dead run's lease is taken over; its table is collected; the new result replaces the old
    assert main(["match", str(lake["lake"]), lake["hashes"], str(out), "--threshold", "0"]) == 0
    after = rows(read_matches(spark, str(out)))
    uris = {file_uri(p) for p in lake["images"]}
    assert {q for q, _, _, _ in after} == uris  # the six lake images are the queries now
    assert {(u, u) for u in uris} <= {(q, p) for q, p, _, _ in after}
    committed = RunStore(spark, str(out), MATCH_LAYOUT).committed_ids()
    assert len(committed) == 2
    assert sorted(p.name for p in out.glob("run=*")) == [f"run={r}" for r in committed]
    assert not (out / lease.LEASE_FILE).exists()


def test_second_concurrent_match_is_refused_and_the_first_commits_all_its_rows(spark, lake, tmp_path, capsys):
    out, pause = tmp_path / "matched", tmp_path / "pause"
    first = subprocess.Popen(
        match_command(lake["lake"], lake["hashes"], out, "--threshold", "0", "--master", "local[1]"),
        env=child_env(f"match-before-commit=pause:{pause}"),  # holds its lease, table written
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 600
        while not (pause / "reached").exists():
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.1)
        capsys.readouterr()
        assert main(["match", str(lake["queries"]), lake["hashes"], str(out), "--threshold", "0"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is being written by run" in err and f"pid {first.pid}" in err
        (pause / "go").touch()
        _, first_err = first.communicate(timeout=600)
    finally:
        first.kill()
    assert first.returncode == 0, first_err[-2000:]
    expected = rows(match(spark, str(lake["lake"]), lake["hashes"], MatchConfig("phash", 0)))
    assert rows(read_matches(spark, str(out))) == expected
    assert len(RunStore(spark, str(out), MATCH_LAYOUT).committed_ids()) == 1


def test_a_plain_matches_table_of_the_earlier_layout_is_read_then_replaced(spark, lake, tmp_path):
    out = tmp_path / "matched"
    old = [("q", file_uri(lake["images"][0]), "phash", 3, None)]
    spark.createDataFrame(old, MATCHES_SCHEMA).write.parquet(str(out / MATCHES))  # what `match` wrote before
    assert rows(read_matches(spark, str(out))) == {("q", file_uri(lake["images"][0]), "phash", 3)}

    assert main(["match", str(lake["queries"]), lake["hashes"], str(out), "--threshold", "0"]) == 0
    expected = rows(match(spark, str(lake["queries"]), lake["hashes"], MatchConfig("phash", 0)))
    assert rows(read_matches(spark, str(out))) == expected
    assert not (out / MATCHES).exists()  # the plain table is gone once a run is committed


def test_a_directory_of_something_else_is_refused_before_spark_starts(tmp_path, capsys):
    out = tmp_path / "photos"
    out.mkdir()
    (out / "holiday.jpg").write_bytes(b"not ours")
    assert main(["match", str(tmp_path), str(tmp_path), str(out)]) == 2
    assert "did not write" in capsys.readouterr().err
    assert (out / "holiday.jpg").exists()


def test_hadoop_store_lists_commits_and_collects_garbage(spark, tmp_path):
    output = f"file:{tmp_path}/out"
    store = RunStore(spark, output, MATCH_LAYOUT)
    store._store = lease.HadoopStore(spark, output)  # noqa: SLF001 - as on HDFS or an object store
    frame = spark.createDataFrame([("q", "p", "phash", 1, None)], MATCHES_SCHEMA)
    runs = sorted(lease.new_run_id() for _ in range(4))
    for run_id in runs[:3]:
        store.write_table(frame, MATCHES, run_id)
        store.commit(run_id, {"matches": 1, "queries": 1, "finished": "now"})
    store.write_table(frame, MATCHES, runs[3])  # never committed
    assert store.committed_ids() == runs[:3]
    assert store.latest() == runs[2] and store.record(runs[2])["matches"] == 1
    assert store.collect_garbage() == [runs[0], runs[3]]
    assert store.committed_ids() == runs[1:3]
    assert sorted(p.name for p in (tmp_path / "out").glob("run=*")) == [f"run={r}" for r in runs[1:3]]


def test_fault_points_are_named_in_one_variable(monkeypatch):
    monkeypatch.setenv(FAULT_ENV, "dups-after-pairs, worker-batch-1=once:/tmp/m")
    assert fault_action("dups-after-pairs") == ""
    assert fault_action("worker-batch-1") == "once:/tmp/m"
    assert fault_action("match-after-matches") is None
