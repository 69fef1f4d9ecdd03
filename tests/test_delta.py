"""Delta Lake output (`format="delta"`, issue 20), on real Delta JARs and real local Spark.

These tests need Delta on the session: `.ci/run` runs this file in a second environment
(pyspark 4.2 + delta-spark, `.ci/delta_env.sh`) with SPARKHASH_DELTA_JARS set, and with
SPARKHASH_DELTA_REQUIRED=1, so that there a missing Delta fails instead of skipping. In the
default environment (no Delta) they skip, and the refusal of format delta is tested instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from PIL import Image
from spark_helpers import REPO, file_uri, write_image_set

from sparkhash.cli import main
from sparkhash.spark import delta, lease, tables
from sparkhash.spark.faults import FAULT_ENV, FAULT_EXIT
from sparkhash.spark.hash_job import HashJobConfig, run_hash_job

pytestmark = pytest.mark.spark

ALGORITHMS = ("phash", "crop_resistant")


@pytest.fixture(scope="module")
def has_delta(spark) -> bool:
    return delta.delta_available(spark)


@pytest.fixture
def needs_delta(has_delta):
    if not has_delta:
        if os.environ.get("SPARKHASH_DELTA_REQUIRED") == "1":
            pytest.fail("SPARKHASH_DELTA_REQUIRED=1 but the session has no Delta (SPARKHASH_DELTA_JARS?)")
        pytest.skip("Delta Lake is not on the Spark session (run by .ci/run in .venv-delta)")


def job(source, output, **options) -> HashJobConfig:
    return HashJobConfig(str(source), str(output), algorithms=ALGORITHMS, format="delta", **options)


def images(directory, count, seed):
    """Small images (the suite must stay fast): `count` of the usual test set."""
    return write_image_set(directory, count=count, seed=seed)


def current(spark, output) -> dict[str, tuple]:
    """path -> (phash, run_id) of the Delta table, read with plain Spark (no sparkhash reader)."""
    rows = spark.read.format("delta").load(f"{output}/hashes").select("path", "phash", "run_id").collect()
    assert len(rows) == len({r.path for r in rows}), "one row per path"
    return {r.path: (r.phash, r.run_id) for r in rows}


def child(source, output, fault: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sparkhash.cli",
        "hash",
        str(source),
        str(output),
        "--algorithms",
        ",".join(ALGORITHMS),
        "--format",
        "delta",
        "--master",
        "local[1]",
        *extra,
    ]


def child_env(fault: str) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), PYSPARK_PYTHON=sys.executable, **{FAULT_ENV: fault})


def history(spark, output, table="hashes") -> list:
    return spark.sql(f"DESCRIBE HISTORY delta.`{output}/{table}`").orderBy("version").collect()


def test_format_delta_without_delta_is_one_line_exit_2(spark, has_delta, tmp_path, capsys):
    if has_delta:
        pytest.skip("this session has Delta")
    write_image_set(tmp_path / "in", count=1, seed=3)
    out = tmp_path / "out"
    assert main(["hash", str(tmp_path / "in"), str(out), "--format", "delta"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--format delta needs Delta Lake" in err, err
    assert not out.exists() or not any(out.iterdir())  # before any work: nothing written


@pytest.mark.parametrize("command", ["dups", "match"])
def test_dups_and_match_format_delta_without_delta_is_one_line_exit_2(
    spark, has_delta, tmp_path, capsys, command
):
    if has_delta:
        pytest.skip("this session has Delta")
    out = tmp_path / "out"
    inputs = [str(tmp_path / "q")] if command == "match" else []
    assert main([command, *inputs, str(tmp_path / "hashes"), str(out), "--format", "delta"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--format delta needs Delta Lake" in err, err
    assert not out.exists()  # before any work: nothing written, not even the lease


def test_unknown_format_is_refused_before_spark(tmp_path):
    from sparkhash.errors import UsageError

    with pytest.raises(UsageError, match="format must be one of parquet, delta"):
        from sparkhash.spark.hash_job import check_config

        check_config(HashJobConfig(str(tmp_path), str(tmp_path / "o"), format="orc"))


def test_incremental_runs_merge_by_path_delete_gone_files_and_never_double(spark, needs_delta, tmp_path):
    source, output = tmp_path / "in", tmp_path / "out"
    files = images(source, 4, seed=11)
    first = run_hash_job(spark, job(source, output))
    assert (first.hashed, first.failed) == (4, 0)
    rows = current(spark, output)
    assert sorted(rows) == sorted(file_uri(p) for p in files)
    assert {run for _, run in rows.values()} == {first.run_id}
    # plain Spark SQL reads the tables; the staged rows are gone once merged in
    sql = spark.sql(f"SELECT count(*) AS n FROM delta.`{output}/hashes`").first()["n"]
    assert sql == 4
    assert not any((output / delta.STAGED).glob("*/run_id=*"))

    # one file changed, one deleted, one new
    Image.new("RGB", (48, 40), (250, 10, 10)).save(files[0])
    os.utime(files[0], (time.time() + 5, time.time() + 5))
    files[1].unlink()
    added = images(source / "more", 1, seed=12)
    second = run_hash_job(spark, job(source, output))
    assert (second.hashed, second.removed) == (2, 1)
    rows = current(spark, output)
    assert sorted(rows) == sorted(file_uri(p) for p in [files[0], files[2], files[3], *added])
    assert rows[file_uri(files[0])][1] == second.run_id
    assert rows[file_uri(files[2])][1] == first.run_id
    # the second run is one MERGE commit, carrying its run record
    last = history(spark, output)[-1]
    assert last.operation == "MERGE"
    assert json.loads(last.userMetadata)["run_id"] == second.run_id
    # read_hashes reads the Delta table: the same current rows
    read = tables.read_hashes(spark, str(output))
    assert sorted(r.path for r in read.collect()) == sorted(rows)
    # segments: the current ones belong to current rows only
    segments = tables.read_segments(spark, str(output)).select("path", "run_id").distinct().collect()
    assert {(r.path, r.run_id) for r in segments} <= {(p, run) for p, (_, run) in rows.items()}
    assert {r.path for r in segments} == set(rows)

    # a re-run with nothing new commits nothing and doubles nothing
    versions = len(history(spark, output))
    third = run_hash_job(spark, job(source, output))
    assert third.run_id is None and third.hashed == 0
    assert current(spark, output) == rows
    assert len(history(spark, output)) == versions

    # the same run's commit again (a retried write): Delta skips it (txnAppId / txnVersion)
    store = tables.run_store(spark, str(output), "delta")
    again = spark.createDataFrame([], read.schema)
    delta.merge_current(
        spark, again, [file_uri(files[2])], store.delta_table("hashes"), "sparkhash hash",
        delta.txn_version(second.run_id), {"run_id": second.run_id},
    )  # fmt: skip
    assert len(history(spark, output)) == versions
    assert current(spark, output) == rows


def test_mixing_formats_on_one_output_is_refused(spark, needs_delta, tmp_path):
    from sparkhash.errors import IncompatibleOutputError

    source, output = tmp_path / "in", tmp_path / "out"
    images(source, 1, seed=5)
    run_hash_job(spark, HashJobConfig(str(source), str(output), algorithms=("phash",)))
    images(source / "b", 1, seed=6)
    with pytest.raises(IncompatibleOutputError, match="holds parquet tables, this run asks for format delta"):
        run_hash_job(spark, HashJobConfig(str(source), str(output), algorithms=("phash",), format="delta"))


def test_second_writer_is_refused_and_readers_see_the_previous_version(spark, needs_delta, tmp_path):
    source, output, pause = tmp_path / "in", tmp_path / "out", tmp_path / "pause"
    before = images(source, 2, seed=21)
    run_hash_job(spark, job(source, output))
    previous = current(spark, output)
    added = images(source / "new", 3, seed=22)
    first = subprocess.Popen(
        child(source, output, ""),
        env=child_env(f"hash-before-commit=pause:{pause}"),  # holds its lease, rows staged
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 600
        while not (pause / "reached").exists():
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.2)
        with pytest.raises(lease.LeaseHeld, match="is being written by run"):
            run_hash_job(spark, job(source, output))
        assert current(spark, output) == previous  # staged rows are not in the table
        (pause / "go").touch()
        out, err = first.communicate(timeout=600)
    finally:
        first.kill()
    assert first.returncode == 0, err[-2000:]
    assert "3 hashed" in out
    assert sorted(current(spark, output)) == sorted(file_uri(p) for p in [*before, *added])
    assert not (output / lease.LEASE_FILE).exists()


@pytest.mark.parametrize(
    "fault, merged",
    [("hash-delta-after-segments", False), ("hash-after-delta-commit", True)],
    ids=["killed-before-the-merge", "killed-between-merge-and-record"],
)
def test_killed_run_leaves_a_whole_table_version(spark, needs_delta, tmp_path, fault, merged):
    source, output = tmp_path / "in", tmp_path / "out"
    before = images(source, 2, seed=31)
    run_hash_job(spark, job(source, output))
    previous = current(spark, output)
    versions = len(history(spark, output))
    added = images(source / "new", 2, seed=32)
    killed = subprocess.run(
        child(source, output, fault),
        env=child_env(fault),
        capture_output=True,
        text=True,
        timeout=900,
        cwd=REPO,
    )
    assert killed.returncode == FAULT_EXIT, killed.stderr[-2000:]
    everything = sorted(file_uri(p) for p in [*before, *added])
    if merged:  # the MERGE is the run's commit: all its rows are there, in one version
        assert sorted(current(spark, output)) == everything
        assert len(history(spark, output)) == versions + 1
        killed_run = json.loads(history(spark, output)[-1].userMetadata)["run_id"]
        assert killed_run not in [r.run_id for r in tables.committed_runs(spark, str(output))]
    else:  # nothing of the killed run is visible
        assert current(spark, output) == previous
        assert len(history(spark, output)) == versions
        assert sorted(r.path for r in tables.read_hashes(spark, str(output)).collect()) == sorted(previous)

    # the next run (taking over the dead run's lease) finishes the job; nothing is doubled
    again = run_hash_job(spark, job(source, output))
    assert again.hashed == (0 if merged else 2)
    assert sorted(current(spark, output)) == everything
    if merged:  # the killed run's record is recovered from its Delta commit
        assert killed_run in [r.run_id for r in tables.committed_runs(spark, str(output))]
    assert not any((output / delta.STAGED).glob("*/run_id=*"))
    segments = tables.read_segments(spark, str(output)).select("path").distinct().collect()
    assert sorted(r.path for r in segments) == everything


def test_stream_batches_merge_into_the_delta_table_once_each(spark, needs_delta, tmp_path):
    from sparkhash.spark.stream import StreamConfig, run_hash_stream

    source, output, checkpoint = tmp_path / "in", tmp_path / "out", tmp_path / "checkpoint"
    job_ = HashJobConfig(str(source), str(output), algorithms=("phash",), format="delta")
    first = images(source, 3, seed=41)
    run_hash_stream(spark, StreamConfig(job_, str(checkpoint), available_now=True, max_files_per_trigger=2))
    second = images(source / "later", 1, seed=42)
    run_hash_stream(spark, StreamConfig(job_, str(checkpoint), available_now=True, max_files_per_trigger=2))
    rows = current(spark, output)
    assert sorted(rows) == sorted(file_uri(p) for p in [*first, *second])
    runs = tables.committed_runs(spark, str(output))
    assert len(runs) == 3  # batches of 2, 1 and 1 files: one Delta commit each
    assert [json.loads(h.userMetadata)["run_id"] for h in history(spark, output)] == [r.run_id for r in runs]
    # the same files in one batch run: the same hashes
    run_hash_job(spark, HashJobConfig(str(source), str(tmp_path / "batch"), algorithms=("phash",)))
    batch = {r.path: r.phash for r in tables.read_hashes(spark, str(tmp_path / "batch")).collect()}
    assert {p: h for p, (h, _) in rows.items()} == batch


def test_a_run_adding_an_algorithm_adds_its_column_and_fills_every_row(spark, needs_delta, tmp_path):
    source, output = tmp_path / "in", tmp_path / "out"
    files = images(source, 2, seed=51)
    run_hash_job(spark, HashJobConfig(str(source), str(output), algorithms=("phash",), format="delta"))
    more = run_hash_job(
        spark, HashJobConfig(str(source), str(output), algorithms=("phash", "dhash"), format="delta")
    )
    assert more.hashed == 2
    rows = spark.sql(f"SELECT path, dhash, run_id FROM delta.`{output}/hashes`").collect()
    assert sorted(r.path for r in rows) == sorted(file_uri(p) for p in files)
    assert all(r.dhash and r.run_id == more.run_id for r in rows)


# ------------------------------------------------------------------ dups and match outputs


def lake_with_duplicates(spark, tmp_path, seed: int):
    """A Delta hash OUTPUT of a few small images, two of them copies of others (pairs)."""
    import shutil

    source, hashes = tmp_path / "in", tmp_path / "hashes"
    files = images(source, 3, seed=seed)
    shutil.copy(files[0], source / "copy0.png")
    Image.open(files[1]).resize((100, 80)).save(source / "small1.jpg", quality=95)
    run_hash_job(spark, HashJobConfig(str(source), str(hashes), algorithms=("phash",), format="delta"))
    return source, hashes


def latest_sql(spark, output, table) -> list[tuple]:
    """The rows of the latest committed run with plain Spark SQL (no sparkhash reader)."""
    rows = spark.sql(
        f"SELECT * FROM delta.`{output}/{table}` WHERE run_id = (SELECT max(run_id) FROM json.`{output}/commits`)"
    ).drop("run_id")
    return sorted(tuple(r) for r in rows.collect())


def rows_of(frame) -> list[tuple]:
    return sorted(tuple(r) for r in frame.collect())


def test_dups_and_match_write_delta_tables_read_as_one_result(spark, needs_delta, tmp_path):
    from sparkhash.dedup.job import DupsConfig, run_dups
    from sparkhash.dedup.match import MatchConfig, run_match
    from sparkhash.dedup.output import read_dups, read_matches
    from sparkhash.errors import IncompatibleOutputError

    source, hashes = lake_with_duplicates(spark, tmp_path, seed=61)
    out = tmp_path / "dups"
    config = DupsConfig(str(hashes), str(out), threshold=10, format="delta")
    first = run_dups(spark, config)
    assert first.written >= 2
    result = read_dups(spark, str(out))
    assert result.run_id == first.run_id and result.remove is not None
    for name in ("pairs", "clusters", "groups", "remove"):
        assert delta.is_delta_table(spark, str(out / name)), name
        assert latest_sql(spark, out, name) == rows_of(getattr(result, name)), name
    assert "run_id" not in result.pairs.columns
    pairs = rows_of(result.pairs)

    # a re-run: a new result, the same rows, nothing doubled; the previous run's rows are kept
    # (KEEP_RUNS) until a later run deletes them
    second = run_dups(spark, config)
    assert read_dups(spark, str(out)).run_id == second.run_id
    assert rows_of(read_dups(spark, str(out)).pairs) == pairs == latest_sql(spark, out, "pairs")
    run_dups(spark, config)
    held = spark.read.format("delta").load(str(out / "pairs")).select("run_id").distinct().collect()
    assert len(held) == 2
    assert not any((out / delta.STAGED).iterdir())

    # the other format on this OUTPUT is refused before it deletes anything
    with pytest.raises(IncompatibleOutputError, match="holds delta tables, this run asks for format parquet"):
        run_dups(spark, DupsConfig(str(hashes), str(out), threshold=10))
    assert rows_of(read_dups(spark, str(out)).pairs) == pairs

    matched = tmp_path / "matched"
    run = run_match(spark, str(source / "copy0.png"), str(hashes), str(matched), MatchConfig(format="delta"))
    assert run.written >= 2  # the copy and its original
    assert rows_of(read_matches(spark, str(matched))) == latest_sql(spark, matched, "matches")
    again = run_match(
        spark, str(source / "copy0.png"), str(hashes), str(matched), MatchConfig(format="delta")
    )
    assert again.written == run.written
    assert len(read_matches(spark, str(matched)).collect()) == run.written


@pytest.mark.parametrize("command", ["dups", "match"])
def test_a_killed_dups_or_match_run_leaves_the_previous_result_and_a_second_writer_is_refused(
    spark, needs_delta, tmp_path, command
):
    from sparkhash.dedup.job import DupsConfig, run_dups
    from sparkhash.dedup.match import MatchConfig, run_match
    from sparkhash.dedup.output import read_dups, read_matches

    source, hashes = lake_with_duplicates(spark, tmp_path, seed=71)
    out, pause = tmp_path / command, tmp_path / "pause"
    if command == "dups":
        tables = ("pairs", "clusters", "groups", "remove")
        args = [str(hashes), str(out), "--threshold", "10"]
    else:
        tables, query = ("matches",), str(source / "copy0.png")
        args = [query, str(hashes), str(out)]

    def run():
        if command == "dups":
            return run_dups(spark, DupsConfig(str(hashes), str(out), threshold=10, format="delta"))
        return run_match(spark, query, str(hashes), str(out), MatchConfig(format="delta"))

    def rows() -> dict[str, list[tuple]]:
        """The result as sparkhash's reader gives it, table by table."""
        if command == "dups":
            result = read_dups(spark, str(out))
            return {name: rows_of(getattr(result, name)) for name in tables}
        return {"matches": rows_of(read_matches(spark, str(out)))}

    def committed() -> str:
        return spark.sql(f"SELECT max(run_id) FROM json.`{out}/commits`").first()[0]

    previous = run()
    before = rows()
    assert before[tables[0]], "the lake has copies"
    killed = subprocess.Popen(
        [sys.executable, "-m", "sparkhash.cli", command, *args, "--format", "delta", "--master", "local[1]"],
        env=child_env(f"{command}-delta-after-{tables[0]}=pause:{pause}"),  # its rows appended, no record
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while not (pause / "reached").exists():
            assert killed.poll() is None and time.monotonic() < deadline, killed.communicate()
            time.sleep(0.2)
        with pytest.raises(lease.LeaseHeld, match="is being written by run"):
            run()
        # the killed run's rows are in the Delta table, but no reader takes them
        held = {
            r[0] for r in spark.read.format("delta").load(str(out / tables[0])).select("run_id").collect()
        }
        assert len(held) == 2
        assert committed() == previous.run_id
        assert rows() == before == {name: latest_sql(spark, out, name) for name in tables}
    finally:
        killed.kill()  # kill -9 while it holds the lease, mid-commit
        killed.communicate()
    # the next run takes over the dead run's lease and deletes the killed run's rows
    after = run()
    assert committed() == after.run_id and rows() == before
    for name in tables:
        runs = {r[0] for r in spark.read.format("delta").load(str(out / name)).select("run_id").collect()}
        assert runs <= {previous.run_id, after.run_id}, name
        assert latest_sql(spark, out, name) == before[name], name


# ------------------------------------------------------------------ catalog tables


def test_table_prefix_is_checked_before_spark(tmp_path):
    from sparkhash.dedup.job import DupsConfig
    from sparkhash.dedup.job import check_config as check_dups
    from sparkhash.errors import UsageError
    from sparkhash.spark.hash_job import check_config

    with pytest.raises(UsageError, match="table_prefix registers Delta tables: it needs format delta"):
        check_config(HashJobConfig(str(tmp_path), str(tmp_path / "o"), table_prefix="default.img_"))
    with pytest.raises(UsageError, match="table_prefix must be"):
        check_dups(DupsConfig("h", str(tmp_path / "o"), format="delta", table_prefix="a.b.c.d"))


def test_table_prefix_registers_the_tables_in_the_catalog(spark, needs_delta, tmp_path):
    from sparkhash.dedup.job import DupsConfig, run_dups
    from sparkhash.dedup.output import read_dups
    from sparkhash.errors import UsageError

    source, hashes = tmp_path / "in", tmp_path / "hashes"
    images(source, 2, seed=81)
    prefix = "default.t81_"
    try:
        config = HashJobConfig(
            str(source), str(hashes), algorithms=("phash",), format="delta", table_prefix=prefix
        )
        run_hash_job(spark, config)
        assert spark.read.table("default.t81_hashes").count() == 2
        assert spark.sql("SELECT count(*) FROM default.t81_hashes").first()[0] == 2
        images(source / "more", 1, seed=82)
        run_hash_job(spark, config)  # the next MERGE goes into the registered table
        assert spark.sql("SELECT count(*) FROM default.t81_hashes").first()[0] == 3
        assert "MERGE" in [r.operation for r in spark.sql("DESCRIBE HISTORY default.t81_hashes").collect()]

        run_dups(spark, DupsConfig(str(hashes), str(tmp_path / "dups"), format="delta", table_prefix=prefix))
        result = read_dups(spark, str(tmp_path / "dups"))
        named = spark.sql(f"SELECT * FROM default.t81_clusters WHERE run_id = '{result.run_id}'")
        assert rows_of(named.drop("run_id")) == rows_of(result.clusters)

        # the names are taken by these tables: another OUTPUT is refused before any work
        other = tmp_path / "other"
        with pytest.raises(UsageError, match="exists for .*choose another table_prefix"):
            run_hash_job(spark, HashJobConfig(str(source), str(other), format="delta", table_prefix=prefix))
        assert not (other / "hashes").exists()
    finally:
        for table in ("hashes", "segments", "pairs", "clusters", "groups", "remove"):
            spark.sql(f"DROP TABLE IF EXISTS {prefix}{table}")


# ------------------------------------------------------------------ incremental dups from the change data feed


def test_incremental_dups_reads_the_new_hashes_from_the_change_data_feed(spark, needs_delta, tmp_path):
    import shutil

    from sparkhash.dedup.job import DupsConfig, run_dups

    source, hashes = lake_with_duplicates(spark, tmp_path, seed=91)
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{hashes}/hashes`").first()
    assert detail["properties"].get("delta.enableChangeDataFeed") == "true"
    first = tables.committed_runs(spark, str(hashes))[-1].run_id
    full = DupsConfig(str(hashes), str(tmp_path / "full"), threshold=10)
    run_dups(spark, full)

    # a new copy, a changed file and a deleted one: the feed gives exactly the new current rows
    shutil.copy(source / "copy0.png", source / "copy0b.png")
    Image.new("RGB", (48, 40), (250, 10, 10)).save(source / "small1.jpg")
    os.utime(source / "small1.jpg", (time.time() + 5, time.time() + 5))
    removed = next((source / "sub").iterdir())
    removed.unlink()
    run_hash_job(spark, HashJobConfig(str(source), str(hashes), algorithms=("phash",), format="delta"))
    new = tables.new_hash_rows(spark, str(hashes), first)
    current = tables.read_hashes(spark, str(hashes))
    assert rows_of(new) == rows_of(current.where(current.run_id > first))
    assert sorted(r.path for r in new.collect()) == sorted(
        file_uri(source / n) for n in ("copy0b.png", "small1.jpg")
    )

    # incremental dups on it finds the new file's pairs as a full run does
    step = run_dups(
        spark,
        DupsConfig(
            str(hashes), str(tmp_path / "inc"), threshold=10, previous=full.output, previous_run=first
        ),
    )
    assert any("change data feed" in line for line in step.plans), step.plans
    again = run_dups(spark, DupsConfig(str(hashes), str(tmp_path / "full2"), threshold=10))
    columns = ["path_a", "path_b", "algorithm", "distance"]
    copy = file_uri(source / "copy0b.png")

    def with_copy(pairs):
        return rows_of(pairs.where((pairs.path_a == copy) | (pairs.path_b == copy)).select(*columns))

    assert len(with_copy(again.pairs)) == 2  # its original and the first copy
    assert with_copy(step.pairs) == with_copy(again.pairs)


def test_a_replayed_micro_batch_writes_nothing_twice(spark, needs_delta, tmp_path):
    """foreachBatch's function run again for a batch whose commit is in the table (Spark
    replays a batch whose run committed before the crash that kept Spark from recording it):
    the batch id is the commit's txnVersion, so the replay writes nothing, even when a file of
    the batch changed meanwhile (which a plain re-run would hash again)."""
    from sparkhash.spark.stream import StreamConfig, commit_batch

    source, output, checkpoint = tmp_path / "in", tmp_path / "out", tmp_path / "checkpoint"
    files = images(source, 2, seed=95)
    config = StreamConfig(
        HashJobConfig(str(source), str(output), algorithms=("phash",), format="delta"), str(checkpoint)
    )
    batch = spark.createDataFrame([(file_uri(p),) for p in files], "path string")
    first = commit_batch(spark, config, batch, 7)
    assert first.hashed == 2
    rows, versions = current(spark, output), len(history(spark, output))
    assert json.loads(history(spark, output)[-1].userMetadata)["txn"][1] == 7

    Image.new("RGB", (48, 40), (10, 250, 10)).save(files[0])
    os.utime(files[0], (time.time() + 5, time.time() + 5))
    replay = commit_batch(spark, config, batch, 7)
    assert replay.run_id is None and replay.hashed == 0
    assert len(history(spark, output)) == versions and current(spark, output) == rows
    assert len(tables.committed_runs(spark, str(output))) == 1

    later = commit_batch(spark, config, batch, 8)  # the next batch with that file does hash it
    assert later.hashed == 1
