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
runs. Writes a Markdown table to stdout: wall seconds and, since a busy machine inflates those,
the CPU seconds of the whole process tree (this process, its JVM, the Python workers; read
from /proc).
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


def tree_cpu_seconds() -> float:
    """User + system CPU seconds of this process and every live descendant (Linux /proc)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {os.getpid()}, [os.getpid()]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return sum(times.get(pid, 0.0) for pid in tree)


def one_run(spark, output: str, fmt: str, start: int, count: int) -> tuple[float, float, float, float]:
    """(wall s of the run, CPU s of the run, wall s to read the current rows afterwards, its CPU s)."""
    cpu = tree_cpu_seconds()
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
    ran, ran_cpu = time.perf_counter() - began, tree_cpu_seconds() - cpu
    cpu = tree_cpu_seconds()
    began = time.perf_counter()
    current = tables.read_hashes(spark, output).count()
    assert current == start + count, (current, start + count)
    return ran, ran_cpu, time.perf_counter() - began, tree_cpu_seconds() - cpu


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
        first = one_run(spark, output, fmt, 0, args.rows)
        results[fmt] = (
            first,
            [one_run(spark, output, fmt, args.rows + i * increment, increment) for i in range(args.runs)],
        )
    shutil.rmtree(work, ignore_errors=True)
    print(
        f"{args.rows} rows, {args.runs} runs of {increment} new rows ({args.fraction:.0%}); "
        f"{platform.node()}, {os.cpu_count()} cores, pyspark {spark.version}, Python {sys.version.split()[0]}\n"
    )
    print(
        f"load average before: {os.getloadavg()[0]:.1f}\n\n"
        "| format | first run (all rows): wall s / CPU s | incremental run: wall s / CPU s (median) "
        "| read current rows after: wall s / CPU s (median) |"
    )
    print("|---|---|---|---|")
    for fmt, (first, runs) in results.items():
        run_wall, run_cpu, read_wall, read_cpu = (
            statistics.median(column) for column in zip(*runs, strict=True)
        )
        print(
            f"| {fmt} | {first[0]:.1f} / {first[1]:.1f} | {run_wall:.1f} / {run_cpu:.1f} "
            f"| {read_wall:.1f} / {read_cpu:.1f} |"
        )
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
