"""Incremental re-run of a hash OUTPUT: Parquet run store vs Delta MERGE (issue 20).

    SPARKHASH_DELTA_JARS=$(.ci/delta_env.sh) .venv-delta/bin/python benchmarks/bench_delta.py --rows 100000

Measures the table side of an incremental run, not hashing (the hashes are synthetic, so the
figure is what the output format costs on top of decoding the new files): an OUTPUT holding
`--rows` current rows gets `--runs` incremental runs of 1 % new files each. Per run, through
the run store exactly as `sparkhash hash` uses it: the lease, reading the current rows (what
the run compares INPUT's listing with: a window over every committed run's rows for Parquet,
the Delta table as it is for Delta) and counting them, writing the new rows, committing (the
record; for Delta the MERGE by path first). Then reading the current rows once more (what the
next run and `dups` do). Both formats in the same process, one after the other; median of the
runs. Writes a Markdown table to stdout.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time

from pyspark.sql import functions as F

from sparkhash.spark import delta, tables
from sparkhash.spark.schemas import hashes_schema
from sparkhash.spark.session import get_session


def rows(spark, start: int, count: int, run_id: str):
    """`count` synthetic hashes rows (phash), paths numbered from `start`."""
    schema = hashes_schema(("phash",))
    frame = spark.range(start, start + count).select(
        F.format_string("file:/lake/img%09d.jpg", "id").alias("path"),
        (F.col("id") * 7 % 100000 + 1000).alias("length"),
        F.timestamp_seconds(F.lit(1_700_000_000) + F.col("id")).alias("modification_time"),
        F.lit(640).alias("width"),
        F.lit(480).alias("height"),
        F.lower(F.hex(F.xxhash64("id"))).alias("phash"),
        F.lit(None).cast("int").alias("segment_count"),
        F.lit(None).cast("string").alias("error"),
        F.lit('{"hash_size":8}').alias("params"),
        F.lit(run_id).alias("run_id"),
    )
    return frame.select(*[F.col(f.name).cast(f.dataType) for f in schema.fields])


def one_run(spark, output: str, fmt: str, start: int, count: int) -> tuple[float, float]:
    """(seconds of the run, seconds to read the current rows afterwards)."""
    began = time.perf_counter()
    store = tables.run_store(spark, output, fmt)
    with store.acquire() as held:
        committed = tables.committed_runs(spark, output)
        tables.remove_uncommitted(spark, output, [r.run_id for r in committed], fmt)
        known = tables.read_hashes(spark, output)
        if known is not None:
            known.count()
        tables.write_run_table(
            rows(spark, start, count, held.run_id), output, tables.HASHES, held.run_id, fmt
        )
        record = tables.RunRecord(
            held.run_id, "/lake", "phash", '{"hash_size":8}', count, count, 0, 0, 0, 0.0, "now"
        )
        tables.commit_run(spark, output, record, held.check, fmt)
    ran = time.perf_counter() - began
    began = time.perf_counter()
    current = tables.read_hashes(spark, output).count()
    assert current == start + count, (current, start + count)
    return ran, time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fraction", type=float, default=0.01)
    args = parser.parse_args()
    spark = get_session(master="local[2]", profile="local", extra={"spark.ui.showConsoleProgress": "false"})
    formats = [delta.PARQUET] + ([delta.DELTA] if delta.delta_available(spark) else [])
    work = tempfile.mkdtemp(prefix="bench-delta-")
    increment = max(1, int(args.rows * args.fraction))
    results = {}
    for fmt in formats:
        output = os.path.join(work, fmt)
        first, _ = one_run(spark, output, fmt, 0, args.rows)
        times = [one_run(spark, output, fmt, args.rows + i * increment, increment) for i in range(args.runs)]
        results[fmt] = (first, [t for t, _ in times], [r for _, r in times])
    shutil.rmtree(work, ignore_errors=True)
    print(
        f"{args.rows} rows, {args.runs} runs of {increment} new rows ({args.fraction:.0%}); "
        f"{platform.node()}, {os.cpu_count()} cores, pyspark {spark.version}, Python {sys.version.split()[0]}\n"
    )
    print(
        "| format | first run (all rows), s | incremental run, s (median) | read current rows after, s (median) |"
    )
    print("|---|---|---|---|")
    for fmt, (first, runs, reads) in results.items():
        print(f"| {fmt} | {first:.1f} | {statistics.median(runs):.1f} | {statistics.median(reads):.1f} |")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
