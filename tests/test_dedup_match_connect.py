"""`match` through Spark Connect: the query side is broadcast with the DataFrame API only.

The test runs this file as a script in its own process: `remote("local[2]")` starts a local
Connect server for that process only (as test_dedup_connect.py does).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _values() -> tuple[list[int], list[int]]:
    rng = random.Random(5)
    lake = [rng.getrandbits(64) for _ in range(80)]
    queries = [lake[3] ^ 0b111, lake[7], rng.getrandbits(64), lake[9] ^ (1 << 63)]
    lake.append(lake[7])  # two lake files with the same hash
    return lake, queries


def _client(work: str) -> None:
    from pyspark.sql import SparkSession

    from sparkhash.core.params import HashParams
    from sparkhash.dedup.match import MatchConfig, match

    spark = SparkSession.builder.remote("local[2]").getOrCreate()
    lake, queries = _values()
    p = HashParams().to_json()
    rows = [(f"f{i:03d}", format(v, "016x"), 8, 8, 10, None, p) for i, v in enumerate(lake)]
    spark.createDataFrame(
        rows, "path string, phash string, width int, height int, length long, error string, params string"
    ).write.parquet(f"{work}/lake")
    with open(f"{work}/queries.csv", "w") as out:
        out.write("id,phash\n" + "".join(f"q{i},{v:016x}\n" for i, v in enumerate(queries)))
    found = match(spark, f"{work}/queries.csv", f"{work}/lake", MatchConfig("phash", 3))
    pairs = sorted(tuple(r) for r in found.select("query", "path", "distance").collect())
    print(json.dumps({"session": type(spark).__module__, "pairs": pairs}))
    spark.stop()


def test_match_through_spark_connect(tmp_path):
    pytest.importorskip("grpc", reason="the `connect` extra (grpcio etc.) is not installed")
    done = subprocess.run(
        [sys.executable, __file__, str(tmp_path)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["session"] == "pyspark.sql.connect.session"
    lake, queries = _values()
    expected = sorted(
        (f"q{i}", f"f{j:03d}", (q ^ v).bit_count())
        for i, q in enumerate(queries)
        for j, v in enumerate(lake)
        if (q ^ v).bit_count() <= 3
    )
    assert [tuple(x) for x in report["pairs"]] == expected
    assert len(expected) == 4  # q0 at 3; q1 twice at 0 (two lake files); q3 at 1; q2 nowhere


if __name__ == "__main__":
    _client(sys.argv[1])
