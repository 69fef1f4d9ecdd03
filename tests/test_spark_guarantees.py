"""Nothing lost, nothing doubled: one writer per OUTPUT, deleted and vanished files, odd trees."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from spark_helpers import REPO, file_uri, photo_like, write_image_set

from sparkhash import cli
from sparkhash.core.decode import DecodeOptions
from sparkhash.dedup.output import read_dups
from sparkhash.spark import hash_job, lease, listing, tables
from sparkhash.spark.hash_job import HashJobConfig, run_hash_job
from sparkhash.spark.tables import read_hashes

pytestmark = pytest.mark.spark


def job(input_dir, output, **options) -> HashJobConfig:
    return HashJobConfig(str(input_dir), str(output), algorithms=("phash", "dhash"), **options)


def current_paths(spark, output) -> list[str]:
    return sorted(r["path"] for r in read_hashes(spark, str(output)).select("path").collect())


def test_second_concurrent_writer_is_refused_and_the_first_loses_nothing(spark, tmp_path):
    source, output = tmp_path / "in", tmp_path / "out"
    first_files = write_image_set(source, count=40, seed=1)
    env = dict(os.environ, PYTHONPATH=str(REPO), PYSPARK_PYTHON=sys.executable)
    first = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sparkhash.cli",
            "hash",
            str(source),
            str(output),
            "--algorithms",
            "phash,dhash",
            "--master",
            "local[1]",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not (output / lease.LEASE_FILE).exists():
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.05)
        with pytest.raises(lease.LeaseHeld, match="is being written by run .* pid " + str(first.pid)):
            run_hash_job(spark, job(source, output))
        out, err = first.communicate(timeout=300)
    finally:
        first.kill()
    assert first.returncode == 0, err
    assert out.startswith("sparkhash hash: 40 files seen, 40 hashed")
    assert current_paths(spark, output) == sorted(file_uri(p) for p in first_files)
    assert not (output / lease.LEASE_FILE).exists()


def test_deleted_file_is_retired_and_never_kept(spark, tmp_path):
    source, output, dups = tmp_path / "in", tmp_path / "out", tmp_path / "dups"
    source.mkdir()
    image = photo_like(400, 300, 5)
    for name, scale in (("big.jpg", 1.0), ("medium.jpg", 0.6), ("small.jpg", 0.3)):
        image.resize((int(400 * scale), int(300 * scale))).save(source / name, quality=95)
    run_hash_job(spark, job(source, output))
    (source / "big.jpg").unlink()
    summary = run_hash_job(spark, job(source, output))
    assert (summary.removed, summary.hashed, summary.skipped) == (1, 0, 2)
    assert summary.run_id is not None and ", 1 removed in " in summary.line()
    assert current_paths(spark, output) == [file_uri(source / "medium.jpg"), file_uri(source / "small.jpg")]
    assert read_hashes(spark, str(output), current=False).count() == 3  # history keeps big.jpg

    assert cli.main(["dups", str(output), str(dups), "--algorithm", "phash", "--threshold", "8"]) == 0
    clusters = {r["path"]: r["keep"] for r in read_dups(spark, str(dups)).clusters.collect()}
    assert clusters == {file_uri(source / "medium.jpg"): True, file_uri(source / "small.jpg"): False}

    # Back again: hashed again and current again; a second run retires nothing more.
    image.save(source / "big.jpg", quality=95)
    summary = run_hash_job(spark, job(source, output))
    assert (summary.removed, summary.hashed) == (0, 1)
    assert len(current_paths(spark, output)) == 3


def test_files_outside_this_runs_input_are_not_retired(spark, tmp_path):
    output = tmp_path / "out"
    write_image_set(tmp_path / "a", count=1, seed=3)
    write_image_set(tmp_path / "b", count=1, seed=4)
    run_hash_job(spark, job(tmp_path / "a", output))
    summary = run_hash_job(spark, job(tmp_path / "b", output))
    assert (summary.removed, summary.hashed) == (0, 1)
    assert len(current_paths(spark, output)) == 2


def test_symlink_loop_and_linked_duplicate_folder_give_one_row_per_file(spark, tmp_path):
    source = tmp_path / "in"
    write_image_set(source / "real", count=2, seed=7)  # real/img7_0.png, real/sub/img7_1.jpg
    (source / "loop").mkdir()
    (source / "loop" / "up").symlink_to("..")
    (source / "alias").symlink_to("real")
    outside = tmp_path / "outside"
    write_image_set(outside, count=1, seed=8)
    (source / "elsewhere").symlink_to(outside)
    real = sorted(file_uri(p) for p in (source / "real").rglob("*.*"))

    summary = run_hash_job(spark, job(source, tmp_path / "out"))
    assert (summary.files_seen, summary.hashed) == (2, 2)
    assert current_paths(spark, tmp_path / "out") == real

    summary = run_hash_job(spark, job(source, tmp_path / "followed", follow_symlinks=True))
    assert (summary.files_seen, summary.hashed) == (3, 3)
    assert current_paths(spark, tmp_path / "followed") == sorted(
        real + ["file:" + str(source / "elsewhere" / "img8_0.png")]
    )


def test_colon_names_get_an_error_row_and_the_others_are_hashed(spark, tmp_path):
    source = tmp_path / "in"
    good = write_image_set(source, count=2, seed=9)
    photo_like(80, 60, 1).save(source / "shot 12:30.png")
    (source / "dir:x").mkdir()
    photo_like(80, 60, 2).save(source / "dir:x" / "inside.png")
    summary = run_hash_job(spark, job(source, tmp_path / "out"))
    assert (summary.files_seen, summary.hashed, summary.failed) == (4, 2, 2)
    rows = {r["path"]: r for r in read_hashes(spark, str(tmp_path / "out")).collect()}
    assert rows["file:" + str(source / "shot 12:30.png")]["error"] == listing.COLON_ERROR
    assert rows["file:" + str(source / "dir:x" / "inside.png")]["error"] == listing.COLON_ERROR
    assert all(rows[file_uri(p)]["error"] is None for p in good)
    assert run_hash_job(spark, job(source, tmp_path / "out")).skipped == 4  # error rows not doubled


@pytest.mark.parametrize("linked", [False, True], ids=["spark-listing", "walked"])
def test_file_deleted_between_listing_and_reading_is_vanished(spark, tmp_path, monkeypatch, linked):
    source = tmp_path / "in"
    files = write_image_set(source, count=3, seed=11)
    if linked:  # a broken link in the tree: it gets an error row, the others are hashed
        (source / "link").symlink_to(tmp_path / "nowhere")
    real_list_input = hash_job.list_input

    def delete_after_listing(spark_, *args):
        listed = real_list_input(spark_, *args)
        if files[0].exists():
            files[0].unlink()
        return listed

    monkeypatch.setattr(hash_job, "list_input", delete_after_listing)
    # A glob is listed by Spark (its scan then skips the deleted file); a directory is walked.
    summary = run_hash_job(spark, job(source if linked else f"{source}/*", tmp_path / "out"))
    assert (summary.hashed, summary.skipped, summary.vanished) == (2, 0, 1)
    assert ", 1 vanished in " in summary.line()
    assert file_uri(files[0]) not in current_paths(spark, tmp_path / "out")


@pytest.mark.parametrize("listed", ["directory", "explicit"])
def test_file_deleted_after_the_zero_byte_check_is_vanished(spark, tmp_path, monkeypatch, listed):
    """Deleted after the listing and the scan's count, before the hashing job reads it: the
    workers skip it, and the check after the write finds it gone with no row."""
    source = tmp_path / "in"
    files = write_image_set(source, count=3, seed=13)
    (source / "empty.png").write_bytes(b"")
    real_write = tables.write_run_table

    def delete_then_write(frame, output, table, run_id, *rest):  # rest: the format
        if files[0].exists():
            files[0].unlink()
        return real_write(frame, output, table, run_id, *rest)

    monkeypatch.setattr(tables, "write_run_table", delete_then_write)
    explicit = tuple(file_uri(p) for p in [*files, source / "empty.png"]) if listed == "explicit" else ()
    summary = run_hash_job(spark, job(source, tmp_path / "out", files=explicit))
    assert (summary.files_seen, summary.hashed, summary.failed, summary.vanished) == (4, 2, 1, 1)
    assert summary.skipped == 0
    rows = {r["path"]: r["error"] for r in read_hashes(spark, str(tmp_path / "out")).collect()}
    assert rows == {
        file_uri(files[1]): None,
        file_uri(files[2]): None,
        file_uri(source / "empty.png"): hash_job.EMPTY_FILE_ERROR,
    }


def test_files_refused_by_a_cap_are_hashed_again_once_the_cap_is_raised(spark, tmp_path):
    source, output = tmp_path / "in", tmp_path / "out"
    files = write_image_set(source, count=2, seed=12)
    assert run_hash_job(spark, job(source, output, max_file_bytes=100)).failed == 2
    summary = run_hash_job(spark, job(source, output, decode_options=DecodeOptions(max_pixels=10)))
    assert (summary.hashed, summary.failed, summary.skipped) == (0, 2, 0)  # now over the pixel cap
    assert run_hash_job(spark, job(source, output, decode_options=DecodeOptions(max_pixels=10))).skipped == 2
    summary = run_hash_job(spark, job(source, output))
    assert (summary.hashed, summary.failed) == (2, 0)
    assert all(r["error"] is None for r in read_hashes(spark, str(output)).collect())
    assert len(current_paths(spark, output)) == len(files)
