"""Incremental runs into one OUTPUT: only new or changed files are hashed, one current row per
path, uncommitted leftovers are ignored; the `sparkhash hash` command on the shared session."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace

import pytest
from spark_helpers import expected_hashes, file_uri, photo_like, write_image_set

from sparkhash import cli
from sparkhash.core.params import HashParams
from sparkhash.spark import hash_job, inventory, tables
from sparkhash.spark.hash_job import HashJobConfig, IncompatibleOutputError, run_hash_job
from sparkhash.spark.tables import committed_runs, read_hashes, read_segments

pytestmark = pytest.mark.spark

ALGORITHMS = ("phash", "dhash", "crop_resistant")


def job(input_dir, output, **options) -> HashJobConfig:
    return HashJobConfig(str(input_dir), str(output), algorithms=ALGORITHMS, **options)


def test_rerun_hashes_only_new_and_changed_files(spark, tmp_path):
    source, output = tmp_path / "in", tmp_path / "out"
    first = write_image_set(source, count=3, seed=10)
    summary = run_hash_job(spark, job(source, output))
    assert (summary.files_seen, summary.hashed, summary.skipped, summary.failed) == (3, 3, 0, 0)

    added = write_image_set(source, count=2, seed=20)
    odd_name = source / "odd [1] {x}*.png"  # glob characters: new files are read by exact path
    photo_like(100, 80, 321).save(odd_name, "PNG")
    added.append(odd_name)
    changed = first[0]
    photo_like(90, 90, 123).save(changed)  # same path, new bytes, length and mtime
    stat = changed.stat()
    os.utime(changed, (stat.st_atime, stat.st_mtime + 5))
    summary = run_hash_job(spark, job(source, output))
    assert (summary.files_seen, summary.hashed, summary.skipped, summary.failed) == (6, 4, 2, 0)

    current = read_hashes(spark, output)
    rows = {r["path"]: r for r in current.collect()}
    assert current.count() == 6 and sorted(rows) == sorted(file_uri(p) for p in first + added)
    assert rows[file_uri(changed)]["phash"] == expected_hashes(changed, ("phash",))["phash"]
    assert rows[file_uri(changed)]["run_id"] == summary.run_id
    assert read_hashes(spark, output, current=False).count() == 7  # history keeps the old version
    assert rows[file_uri(odd_name)]["dhash"] == expected_hashes(odd_name, ("dhash",))["dhash"]
    segments = read_segments(spark, output)
    assert segments.count() == sum(r["segment_count"] for r in rows.values())
    assert (
        segments.where(f"path = '{file_uri(changed)}'").select("run_id").distinct().collect()[0][0]
        == summary.run_id
    )

    summary = run_hash_job(spark, job(source, output))
    assert (summary.hashed, summary.skipped, summary.run_id) == (0, 6, None)
    assert len(committed_runs(spark, output)) == 2


def inventory_rows(spark, output) -> list[tuple]:
    """The inventory the next run reads (asserted to be the latest run's own, not rebuilt)."""
    known, rebuilt = inventory.read_known(spark, str(output), committed_runs(spark, str(output)))
    assert not rebuilt
    return sorted(tuple(r) for r in known.collect())


def current_keys(spark, output) -> list[tuple]:
    columns = inventory.INVENTORY_SCHEMA.fieldNames()
    return sorted(tuple(r) for r in read_hashes(spark, str(output)).select(*columns).collect())


def test_inventory_is_the_current_rows_after_every_kind_of_run(spark, tmp_path):
    """New, changed, failed, retried, deleted files and a run of an earlier version (a committed
    run without an inventory, on top of an older one): the inventory the next run compares
    with is always exactly the current rows' keys, and only the latest one is kept."""
    source, output = tmp_path / "in", tmp_path / "out"
    files = write_image_set(source, count=3, seed=30)
    (source / "notes.png").write_bytes(b"not an image")
    config = HashJobConfig(str(source), str(output), algorithms=("phash",))
    run_hash_job(spark, config)
    assert (
        inventory_rows(spark, output) == current_keys(spark, output) and len(current_keys(spark, output)) == 4
    )

    files[0].unlink()  # retired
    photo_like(70, 50, 31).save(files[1])  # changed
    os.utime(files[1], (1, 1_000_000))
    write_image_set(source / "more", count=1, seed=32)  # new
    summary = run_hash_job(spark, config)
    assert (summary.removed, summary.hashed, summary.failed, summary.skipped) == (1, 2, 0, 2)
    assert inventory_rows(spark, output) == current_keys(spark, output)
    assert [p.name for p in (output / "inventory").iterdir()] == [f"run_id={summary.run_id}"]

    # an earlier version commits a run (no inventory of its own, the older one left in place)
    kept = tmp_path / "kept"
    shutil.copytree(output / "inventory", kept)
    (source / "notes.png").write_bytes(b"still not an image, longer")
    summary = run_hash_job(spark, config)
    shutil.rmtree(output / "inventory")
    shutil.copytree(kept, output / "inventory")
    known, rebuilt = inventory.read_known(spark, str(output), committed_runs(spark, str(output)))
    assert rebuilt and sorted(tuple(r) for r in known.collect()) == current_keys(spark, output)

    summary = run_hash_job(spark, replace(config, retry_errors=True))  # on top of the older inventory
    assert (summary.hashed, summary.failed, summary.skipped) == (0, 1, 3)
    assert inventory_rows(spark, output) == current_keys(spark, output)
    assert run_hash_job(spark, config).run_id is None


def test_crashed_run_leftovers_are_ignored_and_removed(spark, tmp_path):
    source, output = tmp_path / "in", tmp_path / "out"
    write_image_set(source, count=2, seed=30)
    run_hash_job(spark, job(source, output))
    # What a run that dies between writing its rows and committing leaves behind:
    dead = tables.new_run_id()
    staged = read_hashes(spark, str(output))
    tables.write_run_table(staged, str(output), tables.HASHES, dead)
    tables.write_run_table(staged.limit(1), str(output), tables.HASHES, tables.new_run_id())
    assert read_hashes(spark, str(output), current=False).count() == 2

    added = write_image_set(source, count=1, seed=40)
    summary = run_hash_job(spark, job(source, output))
    assert (summary.hashed, summary.skipped) == (1, 2)
    assert read_hashes(spark, str(output)).count() == 3
    assert not (output / tables.HASHES / f"run_id={dead}").exists()
    assert sorted(p.name for p in (output / tables.HASHES).iterdir()) == sorted(
        f"run_id={r.run_id}" for r in committed_runs(spark, str(output))
    )
    assert not (output / tables.STAGING).exists()
    assert file_uri(added[0]) in {r["path"] for r in read_hashes(spark, str(output)).collect()}


def test_other_parameters_are_refused_for_the_same_output(spark, tmp_path):
    source, output = tmp_path / "in", tmp_path / "out"
    write_image_set(source, count=1, seed=50)
    run_hash_job(spark, job(source, output))
    with pytest.raises(
        IncompatibleOutputError, match="phash hashes made with hash_size 8, this run asks for 16"
    ):
        run_hash_job(spark, job(source, output, params=HashParams(hash_size=16)))


def test_retry_errors_hashes_failed_files_again(spark, tmp_path, monkeypatch):
    # A large increment: every file's bytes are scanned and unchanged ones dropped before decoding.
    monkeypatch.setattr(hash_job, "SMALL_INCREMENT", 0)
    source, output = tmp_path / "in", tmp_path / "out"
    write_image_set(source, count=1, seed=60)
    (source / "broken.png").write_bytes(b"not a png")
    assert run_hash_job(spark, job(source, output)).failed == 1
    assert run_hash_job(spark, job(source, output)).run_id is None
    summary = run_hash_job(spark, job(source, output, retry_errors=True))
    assert (summary.failed, summary.skipped) == (1, 1)
    assert read_hashes(spark, str(output)).count() == 2


def test_console_command_prints_one_line_summary(spark, tmp_path, capsys):
    source, output = tmp_path / "in", tmp_path / "out"
    write_image_set(source, count=2, seed=70)
    (source / "readme.txt").write_text("not an image")
    argv = ["hash", str(source), str(output), "--algorithms", "ahash,whash", "--name-filter", "*.{png,jpg}"]
    assert cli.main(argv) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("sparkhash hash: 2 files seen, 2 hashed, 0 skipped (unchanged), 0 failed in ")
    assert "images/s" in line and "committed run" in line
    rows = read_hashes(spark, str(output)).collect()
    assert {r["path"] for r in rows} == {file_uri(p) for p in source.rglob("img*")}
    assert all(r["whash"] == expected_hashes(r["path"][len("file:") :], ("whash",))["whash"] for r in rows)
    assert cli.main(["hash", str(source), str(output), "--algorithms", "md5"]) == 2
    assert cli.main(["hash", str(tmp_path / "missing"), str(tmp_path / "out2")]) == 2
    assert "input not found" in capsys.readouterr().err
