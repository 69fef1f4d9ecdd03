"""Benchmark of `match`: queries against a lake vs today's way (a full dups over lake + queries).

    python benchmarks/bench_match.py --lake 200000 --queries 1,1000

Synthetic 64-bit hashes: a lake of N uniform random hashes; Q queries, half of them 0-3 bits
from a random lake hash, half random. For each Q, in the same run on the same data:
- sparkhash `match` (CSV of id,phash queries against the lake Parquet, matches Parquet written);
- the baseline a user has without it: one `find_pairs` over the union of lake and queries,
  keeping the pairs with a query (pairs Parquet written);
- numpy brute force (queries x lake, XOR + popcount), the exact answer both are checked against.
Threshold k = 4. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import functions as F

from sparkhash.core.params import HashParams
from sparkhash.dedup.match import MatchConfig, match
from sparkhash.dedup.pairs import find_pairs
from sparkhash.dedup.plan import DEFAULT_THRESHOLD
from sparkhash.spark.session import get_session

K = DEFAULT_THRESHOLD


def hexes(values: np.ndarray) -> list[str]:
    return [format(int(v), "016x") for v in values]


def make_queries(lake: np.ndarray, q: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    near = lake[rng.choice(len(lake), size=(q + 1) // 2, replace=False)].copy()
    for i in range(len(near)):
        for bit in rng.choice(64, size=int(rng.integers(0, 4)), replace=False):
            near[i] ^= np.uint64(1) << np.uint64(bit)
    far = rng.integers(0, 2**64, size=q - len(near), dtype=np.uint64)
    return np.concatenate([near, far])


def brute_force(queries: np.ndarray, lake: np.ndarray) -> set[tuple[str, str, int]]:
    found = set()
    for i, v in enumerate(queries):
        d = np.bitwise_count(lake ^ v)
        for j in np.nonzero(d <= K)[0]:
            found.add((f"q{i:05d}", f"l{j:08d}", int(d[j])))
    return found


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=int, default=200_000)
    parser.add_argument("--queries", default="1,1000")
    args = parser.parse_args()
    spark = get_session(
        master="local[*]",
        profile="local",
        app_name="bench-match",
        extra={"spark.ui.showConsoleProgress": "false"},
    )
    work = tempfile.mkdtemp(prefix="bench_match_")
    params = HashParams().to_json()
    lake = np.random.default_rng(1).integers(0, 2**64, size=args.lake, dtype=np.uint64)
    lake_path = os.path.join(work, "lake")
    table = pa.table(
        {
            "path": [f"l{j:08d}" for j in range(len(lake))],
            "phash": hexes(lake),
            "params": [params] * len(lake),
        }
    )
    os.makedirs(lake_path)
    pq.write_table(table, os.path.join(lake_path, "part-0.parquet"))
    rows = []
    for q in [int(x) for x in args.queries.split(",")]:
        queries = make_queries(lake, q, seed=q)
        csv = os.path.join(work, f"queries{q}.csv")
        with open(csv, "w") as out:
            out.write("id,phash\n" + "".join(f"q{i:05d},{h}\n" for i, h in enumerate(hexes(queries))))
        expected = brute_force(queries, lake)
        for attempt in range(2):  # the first round warms up the JVM and the Python workers
            target = os.path.join(work, f"m{q}_{attempt}")
            _, t_match = timed(
                lambda csv=csv, target=target: match(
                    spark, csv, lake_path, MatchConfig("phash", K)
                ).write.parquet(target)
            )
            got = {(r.query, r.path, r.distance) for r in spark.read.parquet(target).collect()}
            union = spark.read.parquet(lake_path).unionByName(
                spark.read.option("header", "true")
                .csv(csv)
                .select(F.col("id").alias("path"), "phash", F.lit(params).alias("params"))
            )
            target = os.path.join(work, f"u{q}_{attempt}")

            def baseline(union=union, target=target):
                pairs = find_pairs(union, "phash", K).pairs
                with_query = pairs.where(F.col("path_a").startswith("q") | F.col("path_b").startswith("q"))
                with_query.write.parquet(target)

            _, t_union = timed(baseline)
            base = spark.read.parquet(target)
            lake_query = base.where(F.col("path_a").startswith("l") & F.col("path_b").startswith("q"))
            base_got = {(r.path_b, r.path_a, r.distance) for r in lake_query.collect()}
        _, t_brute = timed(lambda queries=queries: brute_force(queries, lake))
        rows.append((q, len(expected), got == expected, base_got == expected, t_match, t_union, t_brute))
    print(
        f"date {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, Spark {spark.version}; lake {args.lake:,}, k={K}"
    )
    print(
        "| queries | matches | match = brute force | union dups = brute force | match (s) | full dups over lake + queries (s) "
        "| speed-up | numpy brute force (s) |"
    )
    print("|---:|---:|---|---|---:|---:|---:|---:|")
    for q, n, ok, base_ok, t_match, t_union, t_brute in rows:
        print(
            f"| {q:,} | {n:,} | {ok} | {base_ok} | {t_match:.1f} | {t_union:.1f} | {t_union / t_match:.1f}x | {t_brute:.2f} |"
        )
    shutil.rmtree(work, ignore_errors=True)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
