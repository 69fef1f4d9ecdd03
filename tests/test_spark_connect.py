"""The DataFrame API and the job through Spark Connect (what Databricks notebooks and serverless
use): no RDDs, no SparkContext in the library path."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from spark_helpers import expected_hashes, expected_segments, file_uri, run_python, write_image_set

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_api_and_job_through_spark_connect(tmp_path):
    pytest.importorskip("grpc", reason="the `connect` extra (grpcio etc.) is not installed")
    images = write_image_set(tmp_path / "in", count=4, seed=110)
    client = Path(__file__).with_name("spark_connect_client.py")
    result = run_python([sys.executable, str(client), str(tmp_path / "in"), str(tmp_path / "work")])
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["session"] == "pyspark.sql.connect.session"

    hashes = {r["path"]: r for r in report["hashes"]}
    assert sorted(hashes) == sorted(file_uri(p) for p in images)
    for path in images:
        row = hashes[file_uri(path)]
        assert {"ahash": row["ahash"], "phash": row["phash"]} == expected_hashes(path, ("ahash", "phash"))
        found = sorted(
            (s for s in report["segments"] if s["path"] == row["path"]), key=lambda s: s["segment"]
        )
        assert [s["hash"] for s in found] == expected_segments(path) and row["segment_count"] == len(found)
        assert report["job_hashes"][file_uri(path)] == expected_hashes(path, ("dhash",))["dhash"]
    assert report["summary"].startswith("sparkhash hash: 4 files seen, 4 hashed, 0 skipped")
    assert report["job_segments"] == len(report["segments"])
