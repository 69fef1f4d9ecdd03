"""Streaming ingestion: files added in waves give the tables of one batch run; a stream that dies
after committing a batch and is restarted leaves every file exactly once."""

from __future__ import annotations

import sys

import pytest
from spark_helpers import file_uri, run_python, write_image_set

from sparkhash.dedup.clusters import clusters as make_clusters
from sparkhash.dedup.job import DupsConfig
from sparkhash.dedup.keep import keep_attributes, read_policy
from sparkhash.dedup.live import dups_after_each_batch
from sparkhash.dedup.output import read_dups
from sparkhash.dedup.pairs import find_pairs
from sparkhash.spark.faults import FAULT_ENV, FAULT_EXIT
from sparkhash.spark.hash_job import HashJobConfig, run_hash_job
from sparkhash.spark.schemas import conform_pairs
from sparkhash.spark.stream import (
    LISTING_PARALLELISM_CONF,
    StreamConfig,
    commit_batch,
    run_hash_stream,
)
from sparkhash.spark.tables import committed_runs, read_hashes

pytestmark = pytest.mark.spark

ALGORITHMS = ("phash", "dhash")


def stream(source, output, checkpoint, on_batch=None) -> StreamConfig:
    job = HashJobConfig(str(source), str(output), algorithms=ALGORITHMS)
    return StreamConfig(job, str(checkpoint), available_now=True, max_files_per_trigger=2, on_batch=on_batch)


def table(spark, output) -> list[tuple]:
    rows = read_hashes(spark, output).select("path", "length", "phash", "dhash", "error").collect()
    return sorted(tuple(r) for r in rows)


def test_default_trigger_is_sized_by_bytes(spark, tmp_path):
    """Without a file count, a micro-batch takes up to DEFAULT_MAX_BYTES_PER_TRIGGER of new
    files (all of these small ones at once), and a byte budget smaller than a file gives one
    file a batch."""
    source = tmp_path / "in"
    write_image_set(source, count=3, seed=80)
    job = HashJobConfig(str(source), str(tmp_path / "out"), algorithms=ALGORITHMS)
    run_hash_stream(spark, StreamConfig(job, str(tmp_path / "ck"), available_now=True))
    assert [r.hashed for r in committed_runs(spark, str(tmp_path / "out"))] == [3]
    job = HashJobConfig(str(source), str(tmp_path / "out1"), algorithms=ALGORITHMS)
    run_hash_stream(
        spark, StreamConfig(job, str(tmp_path / "ck1"), available_now=True, max_bytes_per_trigger=1)
    )
    assert [r.hashed for r in committed_runs(spark, str(tmp_path / "out1"))] == [1, 1, 1]


def test_a_micro_batch_is_listed_by_a_few_tasks_not_one_per_file(spark, tmp_path):
    """The file source lists every micro-batch's files again, and Spark lists more than 32 files
    with a job of one task per file (up to 10,000): the stream bounds that job to the cores
    while it runs, and leaves the session's setting as it was."""
    source = tmp_path / "in"
    (first,) = write_image_set(source, count=1, seed=90)
    for i in range(40):  # 41 files: a number of tasks no other stage of the stream has
        (source / f"copy{i}.png").write_bytes(first.read_bytes())
    before = spark.conf.get(LISTING_PARALLELISM_CONF, None)
    job = HashJobConfig(str(source), str(tmp_path / "out"), algorithms=ALGORITHMS)
    query = run_hash_stream(spark, StreamConfig(job, str(tmp_path / "ck"), available_now=True))
    assert [r.hashed for r in committed_runs(spark, str(tmp_path / "out"))] == [41]
    tracker = spark.sparkContext.statusTracker()
    stages = [
        tracker.getStageInfo(stage)
        for job_id in tracker.getJobIdsForGroup(str(query.runId))
        for stage in tracker.getJobInfo(job_id).stageIds
    ]
    tasks = [stage.numTasks for stage in stages if stage is not None]
    assert tasks and 41 not in tasks, tasks
    assert spark.conf.get(LISTING_PARALLELISM_CONF, None) == before


def test_stream_in_three_waves_equals_one_batch_run(spark, tmp_path):
    """... and its dups, updated after every micro-batch, equal one dups run over the result."""
    source, out, checkpoint = tmp_path / "in", tmp_path / "out", tmp_path / "checkpoint"
    dups = DupsConfig(hashes=str(out), output=str(tmp_path / "dups"), algorithm="phash", threshold=4)
    on_batch = dups_after_each_batch(dups)
    first = write_image_set(source, count=3, seed=50)
    run_hash_stream(spark, stream(source, out, checkpoint, on_batch))
    second = write_image_set(source, count=2, seed=60)
    (source / "empty.jpg").write_bytes(b"")  # Spark's scan skips it; it must still get its error row
    (source / "notes.png").write_bytes(b"not an image\n")
    (source / "copy_of_first.png").write_bytes(first[0].read_bytes())  # duplicates across waves
    run_hash_stream(spark, stream(source, out, checkpoint, on_batch))
    write_image_set(source, count=1, seed=70)
    (source / "copy_of_second.jpg").write_bytes(second[1].read_bytes())
    run_hash_stream(spark, stream(source, out, checkpoint, on_batch))

    run_hash_job(spark, HashJobConfig(str(source), str(tmp_path / "batch"), algorithms=ALGORITHMS))
    streamed = table(spark, out)
    assert streamed == table(spark, tmp_path / "batch")
    assert len(streamed) == 10 and len({r[0] for r in streamed}) == 10
    assert {r[0].rsplit("/", 1)[1]: r[4] is not None for r in streamed if r[4]} == {
        "empty.jpg": True,
        "notes.png": True,
    }
    runs = committed_runs(spark, str(out))
    # 3 + 5 + 2 files, at most 2 per batch: 2 + 3 + 1 batches, one run each
    assert [r.input.rsplit(" ", 1)[1] for r in runs] == ["0)", "1)", "2)", "3)", "4)", "5)"]
    assert sum(r.hashed + r.failed for r in runs) == 10

    hashes = read_hashes(spark, str(out))
    full_pairs = conform_pairs(find_pairs(hashes, "phash", 4).pairs)  # as dups writes them
    full_clusters = make_clusters(full_pairs, keep_attributes(hashes))
    result = read_dups(spark, dups.output)
    got_pairs = result.pairs
    assert {tuple(r) for r in got_pairs.collect()} == {tuple(r) for r in full_pairs.collect()}
    assert got_pairs.count() >= 2  # the two copies
    got_clusters = result.clusters
    assert {tuple(r) for r in got_clusters.collect()} == {tuple(r) for r in full_clusters.collect()}
    assert result.remove.count() == got_clusters.where("not keep").count()
    assert read_policy(spark, dups.output) == "most-pixels"


KILLED_STREAM = """
import sys
from sparkhash.spark.hash_job import HashJobConfig
from sparkhash.spark.session import get_session
from sparkhash.spark.stream import StreamConfig, run_hash_stream
spark = get_session(master="local[1]", profile="local", extra={"spark.ui.enabled": "false"})
job = HashJobConfig(sys.argv[1], sys.argv[2], algorithms=("phash", "dhash"))
run_hash_stream(spark, StreamConfig(job, sys.argv[3], available_now=True, max_files_per_trigger=2))
"""


def test_stream_killed_after_a_commit_and_restarted_is_exactly_once(spark, tmp_path):
    source, out, checkpoint = tmp_path / "in", tmp_path / "out", tmp_path / "checkpoint"
    files = write_image_set(source, count=6, seed=80)
    # a driver process killed (os._exit) right after batch 1 committed its run
    killed = run_python(
        [sys.executable, "-c", KILLED_STREAM, str(source), str(out), str(checkpoint)],
        env={FAULT_ENV: "stream-after-commit-1"},
    )
    assert killed.returncode == FAULT_EXIT, killed.stderr[-2000:]
    assert len(committed_runs(spark, str(out))) == 2  # batch 1's run is committed ...
    assert not (checkpoint / "commits" / "1").exists()  # ... but the stream did not record it

    run_hash_stream(spark, stream(source, out, checkpoint))
    runs = committed_runs(spark, str(out))
    assert [r.input.rsplit(" ", 1)[1] for r in runs] == [
        "0)",
        "1)",
        "2)",
    ]  # batch 1 re-ran, committed nothing
    assert read_hashes(spark, str(out), current=False).count() == len(files)  # no file twice, in all history
    assert len(table(spark, out)) == len(files)


def test_a_file_deleted_after_listing_is_left_out_not_fatal(spark, tmp_path):
    source, out = tmp_path / "in", tmp_path / "out"
    kept, deleted = write_image_set(source, count=2, seed=130)
    batch = spark.createDataFrame([(file_uri(kept),), (file_uri(deleted),)], "path string")
    deleted.unlink()
    summary = commit_batch(spark, stream(source, out, tmp_path / "checkpoint"), batch, 0)
    assert (summary.files_seen, summary.hashed) == (1, 1)
    assert [r[0] for r in table(spark, out)] == [file_uri(kept)]
