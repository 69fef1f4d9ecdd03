"""Every bad argument of every command: exit code 2 and exactly one line on stderr, before any
work. Run in-process (`sparkhash.cli.main`) on the shared Spark session where one is needed."""

from __future__ import annotations

import pytest
from spark_helpers import refused, write_image_set

from sparkhash.cli import main
from sparkhash.core.params import HashParams
from sparkhash.errors import UsageError

HASHES_DDL = "path string, phash string, dhash string, width int, height int, length long, error string, params string, run_id string"


@pytest.fixture
def images(tmp_path):
    write_image_set(tmp_path / "images", count=2, seed=1)
    return tmp_path / "images"


@pytest.mark.parametrize(
    "options, message",
    [
        (["--hash-size", "0"], "--hash-size must be between 2 and 32, not 0"),
        (["--hash-size", "1"], "not 1"),
        (["--hash-size", "-3"], "not -3"),
        (["--hash-size", "64"], "the most dups can join"),
        (["--algorithms", "whash", "--hash-size", "12"], "power of two"),
        (["--colorhash-binbits", "0"], "--colorhash-binbits"),
        (["--highfreq-factor", "0"], "--highfreq-factor"),
        (["--segment-threshold", "-5"], "--segment-threshold"),
        (["--max-pixels", "-1"], "--max-pixels"),
        (["--max-file-bytes", "0"], "--max-file-bytes"),
        (["--algorithms", "md5"], "unknown algorithm"),
        (["--conf", "novalue"], "KEY=VALUE"),
    ],
)
def test_hash_bad_parameters(capsys, images, tmp_path, options, message):
    line = refused(capsys, ["hash", str(images), str(tmp_path / "out"), *options])
    assert line.startswith("sparkhash hash: ") and message in line
    assert not (tmp_path / "out").exists()  # refused before any work


def test_hash_bad_outputs(capsys, images, tmp_path):
    assert "is inside INPUT" in refused(capsys, ["hash", str(images), str(images / "out")])
    other = tmp_path / "other"
    write_image_set(other, count=1, seed=2)
    assert "did not write" in refused(capsys, ["hash", str(other), str(images)])
    a_file = next(images.glob("*.png"))
    assert "is a file" in refused(capsys, ["hash", str(images), str(a_file)])
    assert "is not writable" in refused(capsys, ["hash", str(images), "/proc/self/out"])


@pytest.mark.parametrize(
    "options, message",
    [
        (["--recall", "0"], "--recall must be between 0 and 1"),
        (["--recall", "1.5"], "--recall must be between 0 and 1"),
        (["--threshold", "-1"], "--threshold must be 0 or more, not -1"),
        (["--bit-error-rate", "2"], "--bit-error-rate"),
        (["--region-cutoff", "0"], "--region-cutoff"),
        (["--previous", "x"], "--previous needs"),
        (["--previous-run", "r1"], "need --previous"),
        (["--conf", "novalue"], "--conf takes KEY=VALUE, not 'novalue'"),
        (["--conf", "=6g"], "--conf takes KEY=VALUE"),
    ],
)
def test_dups_bad_parameters_before_spark(capsys, tmp_path, options, message):
    line = refused(capsys, ["dups", str(tmp_path / "hashes"), str(tmp_path / "dups"), *options])
    assert line.startswith("sparkhash dups: ") and message in line


@pytest.mark.spark
def test_dups_bad_inputs(spark, capsys, images, tmp_path):
    rows = [
        (f"img{i}.jpg", f"{i * 7919:016x}", f"{i:016x}", 10, 10, 100, None, HashParams().to_json(), "r1")
        for i in range(4)
    ]
    hashes = tmp_path / "hashes"
    spark.createDataFrame(rows, HASHES_DDL).write.parquet(str(hashes))
    out = str(tmp_path / "dups")
    assert "not found" in refused(capsys, ["dups", str(tmp_path / "missing"), out])
    assert "is not a `sparkhash hash` OUTPUT" in refused(capsys, ["dups", str(images), out])
    line = refused(capsys, ["dups", str(hashes), out, "--threshold", "64"])
    assert "--threshold must be between 0 and 63 for 64-bit hashes, not 64" in line
    line = refused(capsys, ["dups", str(hashes), out, "--algorithm", "whash"])
    assert "holds no whash hashes (it holds phash, dhash)" in line
    line = refused(capsys, ["dups", str(hashes), out, "--previous", out, "--previous-run", "latest"])
    assert "--previous-run latest is not a committed run" in line
    assert "did not write" in refused(capsys, ["dups", str(hashes), str(images)])


@pytest.mark.spark
def test_report_and_sample_bad_arguments(spark, capsys, images, tmp_path):
    assert "is not a `sparkhash dups` OUTPUT" in refused(
        capsys, ["report", str(images), str(tmp_path / "r.html")]
    )
    assert "is a directory" in refused(capsys, ["report", str(images), str(tmp_path)])
    assert "--top" in refused(capsys, ["report", str(images), str(tmp_path / "r.html"), "--top", "0"])
    a_file = next(images.glob("*.png"))
    assert "is a file" in refused(capsys, ["sample", str(a_file)])
    assert "--groups" in refused(capsys, ["sample", str(tmp_path / "s"), "--groups", "0"])


def test_debug_shows_the_exception_instead(tmp_path, images):
    with pytest.raises(UsageError, match="--hash-size"):
        main(["hash", str(images), str(tmp_path / "out"), "--hash-size", "0", "--debug"])
