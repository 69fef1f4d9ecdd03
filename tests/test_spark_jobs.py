"""The job end to end as separate processes: spark-submit (with a Python worker that dies once)
and the `sparkhash hash` command on a multi-process local cluster."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pyspark
import pytest
from spark_helpers import REPO, expected_hashes, expected_segments, file_uri, run_python, write_image_set

from sparkhash.spark.faults import FAULT_ENV
from sparkhash.spark.tables import committed_runs, read_hashes, read_segments

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SUMMARY = re.compile(
    r"^sparkhash hash: (\d+) files seen, (\d+) hashed, (\d+) skipped \(unchanged\), (\d+) failed in [\d.]+ s "
    r"\([\d.]+ images/s\); committed run \S+ in \S+$",
    re.MULTILINE,
)


def check_output(spark, output: Path, images: list[Path], broken: Path) -> None:
    """Every file exactly once, hashes equal imagehash's, segments complete."""
    rows = read_hashes(spark, str(output), current=False).collect()
    paths = [r["path"] for r in rows]
    assert sorted(paths) == sorted(file_uri(p) for p in [*images, broken])  # each exactly once
    by_path = {r["path"]: r for r in rows}
    assert by_path[file_uri(broken)]["error"] == "not a recognised image format"
    segments = read_segments(spark, str(output)).collect()
    for path in images:
        row = by_path[file_uri(path)]
        assert row["phash"] == expected_hashes(path, ("phash",))["phash"]
        found = sorted((r for r in segments if r["path"] == row["path"]), key=lambda r: r["segment"])
        assert [r["hash"] for r in found] == expected_segments(path)
    assert len(committed_runs(spark, str(output))) == 1


def test_spark_submit_survives_a_python_worker_dying_once(spark, tmp_path):
    images = write_image_set(tmp_path / "in", count=8, seed=80)
    broken = tmp_path / "in" / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    marker, output = tmp_path / "crashed-once", tmp_path / "out"
    spark_submit = str(Path(sys.executable).parent / "spark-submit")
    result = run_python(
        [
            spark_submit,
            "--master",
            "local[2,4]",  # 2 cores, a task may fail 4 times
            "--properties-file",
            str(REPO / "conf" / "local.conf"),
            "--conf",
            "spark.sql.execution.arrow.maxRecordsPerBatch=2",  # several batches per task
            "--conf",
            "spark.ui.showConsoleProgress=false",
            str(REPO / "jobs" / "hash_images.py"),
            str(tmp_path / "in"),
            str(output),
            "--algorithms",
            "phash,crop_resistant",
        ],
        env={FAULT_ENV: f"worker-batch-1=once:{marker}"},  # a worker dies at its second batch, once
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert marker.exists(), "the fault hook did not fire: no worker died"
    assert "Python worker exited unexpectedly" in result.stderr or "crashed" in result.stderr
    assert SUMMARY.search(result.stdout).groups() == ("9", "8", "0", "1")
    check_output(spark, output, images, broken)


def test_console_command_on_a_local_cluster(spark, tmp_path):
    images = write_image_set(tmp_path / "in", count=6, seed=90)
    broken = tmp_path / "in" / "broken.png"
    broken.write_bytes(b"\x89PNG garbage")
    output = tmp_path / "out"
    result = run_python(
        [
            sys.executable,
            "-m",
            "sparkhash.cli",
            "hash",
            str(tmp_path / "in"),
            str(output),
            "--algorithms",
            "phash,crop_resistant",
            "--master",
            "local-cluster[2,1,1024]",  # a master and two worker JVMs with one executor each
            "--conf",
            "spark.ui.showConsoleProgress=false",
        ],
        env={"SPARK_HOME": str(Path(pyspark.__file__).parent)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert SUMMARY.search(result.stdout).groups() == ("7", "6", "0", "1")
    check_output(spark, output, images, broken)
