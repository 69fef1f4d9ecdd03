"""The dups library through Spark Connect (no RDD, no SparkContext in the library path).

The test runs this file as a script in its own process: `remote("local[2]")` starts a local
Connect server for that process only.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _client() -> None:
    from pyspark.sql import SparkSession

    from sparkhash.core.params import HashParams
    from sparkhash.dedup.clusters import clusters
    from sparkhash.dedup.pairs import find_pairs
    from sparkhash.dedup.segments import find_segment_pairs

    spark = SparkSession.builder.remote("local[2]").getOrCreate()
    rng = random.Random(1)
    values = [rng.getrandbits(64) for _ in range(60)]
    values += [values[0] ^ 0b11, values[1], values[1]]
    p = HashParams().to_json()
    rows = [(f"f{i:03d}", format(v, "016x"), 10, 10, 100 + i, None, p) for i, v in enumerate(values)]
    hashes = spark.createDataFrame(
        rows, "path string, phash string, width int, height int, length long, error string, params string"
    )
    result = find_pairs(hashes, "phash", 3)
    pairs = sorted(tuple(r) for r in result.pairs.select("path_a", "path_b", "distance").collect())
    attrs = hashes.selectExpr("path", "width * height as pixels", "length")
    groups = sorted(tuple(r) for r in clusters(result.pairs, attrs).collect())
    segs = spark.createDataFrame(
        [(f"f{i:03d}", j, format(values[(i + j) % 5], "016x"), p) for i in range(5) for j in range(2)],
        "path string, segment int, hash string, params string",
    )
    seg_pairs = find_segment_pairs(segs).pairs.count()
    print(
        json.dumps(
            {
                "session": type(spark).__module__,
                "pairs": pairs,
                "clusters": groups,
                "segment_pairs": seg_pairs,
            }
        )
    )
    spark.stop()


def test_dedup_through_spark_connect():
    pytest.importorskip("grpc", reason="the `connect` extra (grpcio etc.) is not installed")
    done = subprocess.run([sys.executable, __file__], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["session"] == "pyspark.sql.connect.session"
    assert [tuple(x) for x in report["pairs"]] == [
        ("f000", "f060", 2),
        ("f001", "f061", 0),
        ("f001", "f062", 0),
        ("f061", "f062", 0),
    ]
    assert [tuple(x) for x in report["clusters"]] == [
        ("f000", "f000", False),
        ("f001", "f001", False),
        ("f060", "f000", True),
        ("f061", "f001", False),
        ("f062", "f001", True),
    ]
    assert report["segment_pairs"] > 0


if __name__ == "__main__":
    _client()
