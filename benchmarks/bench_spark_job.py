"""Spark job throughput vs the core's single-process throughput x cores, in one run.

    python benchmarks/bench_spark_job.py /work/corpus/images [--master local[2]] [--limit N] [--markdown]

1. Core baseline: one Python process reads every file and runs `compute_hashes(bytes)` with
   the job's algorithms (all of them by default); images/s.
2. Spark: a local session is started and warmed up on two images (session and Python-worker
   start-up are excluded, as they are paid once per job, not per image); then the job
   (`run_hash_job`) hashes every image into a fresh OUTPUT: listing, hashing, staging, both
   tables and the commit, all timed.
3. Core baseline again (the machine is shared: the mean of the two is the baseline).
Spark's overhead = 1 - spark images/s / (baseline images/s x cores). Hashes are checked equal.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sparkhash.core.multi import compute_hashes
from sparkhash.core.params import ALGORITHMS, HashParams
from sparkhash.spark.api import normalise_algorithms


def image_files(root: str, limit: int | None) -> list[Path]:
    paths = sorted(p for p in Path(root).rglob("*") if p.is_file() and not p.name.startswith((".", "_")))
    if limit and len(paths) > limit:  # evenly spaced, so every kind of image is represented
        paths = [paths[i * len(paths) // limit] for i in range(limit)]
    return paths


def core_rate(paths: list[Path], algorithms: tuple[str, ...]) -> tuple[float, dict[str, str]]:
    """Images/s of one process reading and hashing every file; phash per path for checking."""
    compute_hashes(paths[0].read_bytes(), algorithms)  # warm-up: imports, FFT plans
    phashes = {}
    started = time.perf_counter()
    for path in paths:
        result = compute_hashes(path.read_bytes(), algorithms, HashParams())
        phashes["file:" + str(path.resolve())] = str(result.hashes.get("phash"))
    return len(paths) / (time.perf_counter() - started), phashes


def spark_rate(paths: list[Path], algorithms: tuple[str, ...], master: str) -> tuple[float, dict[str, str], int]:
    """Images/s of the whole job on a warm local session; phash per path; partitions."""
    from sparkhash.spark.hash_job import HashJobConfig, run_hash_job
    from sparkhash.spark.read import binary_files
    from sparkhash.spark.session import get_session
    from sparkhash.spark.tables import read_hashes

    spark = get_session(master=master, extra={"spark.ui.showConsoleProgress": "false"})
    work = Path(tempfile.mkdtemp(prefix="bench-spark-job-"))
    try:
        inputs = work / "in"
        inputs.mkdir()
        for i, path in enumerate(paths):  # one flat directory of links: exactly these files
            (inputs / f"{i:06d}_{path.name}").symlink_to(path.resolve())
        warm = work / "warm"
        warm.mkdir()
        for path in paths[:2]:
            (warm / path.name).symlink_to(path.resolve())
        run_hash_job(spark, HashJobConfig(str(warm), str(work / "warm-out"), algorithms=algorithms))

        started = time.perf_counter()
        summary = run_hash_job(spark, HashJobConfig(str(inputs), str(work / "out"), algorithms=algorithms))
        seconds = time.perf_counter() - started
        assert summary.hashed + summary.failed == len(paths), summary.line()
        print(summary.line(), file=sys.stderr)
        partitions = binary_files(spark, str(inputs)).rdd.getNumPartitions() if hasattr(spark, "sparkContext") else -1
        rows = read_hashes(spark, str(work / "out")).select("path", "phash").collect()
        links = {"file:" + str(inputs / f"{i:06d}_{p.name}"): "file:" + str(p.resolve()) for i, p in enumerate(paths)}
        phashes = {links[r["path"]]: str(r["phash"]) for r in rows}
        return len(paths) / seconds, phashes, partitions
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", help="directory of images (searched recursively)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--limit", type=int, default=None, help="use N evenly spaced files")
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    parser.add_argument("--markdown", action="store_true", help="print a result table")
    args = parser.parse_args()
    algorithms = normalise_algorithms(args.algorithms)
    cores = int(re.match(r"local\[(\d+)", args.master).group(1))
    paths = image_files(args.images, args.limit)
    megabytes = sum(p.stat().st_size for p in paths) / 1e6

    before, core_phashes = core_rate(paths, algorithms)
    spark, spark_phashes, partitions = spark_rate(paths, algorithms, args.master)
    after, _ = core_rate(paths, algorithms)
    baseline = (before + after) / 2
    overhead = 1 - spark / (baseline * cores)
    mismatches = sum(core_phashes[p] != spark_phashes.get(p) for p in core_phashes)

    lines = [
        f"- date: {datetime.date.today().isoformat()}; machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average at end {os.getloadavg()[0]:.1f}",
        f"- input: {len(paths)} files, {megabytes:.0f} MB; algorithms: {','.join(algorithms)}; "
        f"master {args.master}; {partitions} input partitions",
        "",
        "| measurement | images/s |",
        "|---|---:|",
        f"| core, 1 process (before) | {before:.2f} |",
        f"| core, 1 process (after) | {after:.2f} |",
        f"| core x {cores} (baseline) | {baseline * cores:.2f} |",
        f"| Spark job, {args.master} | {spark:.2f} |",
        "",
        f"Spark overhead: {overhead * 100:.1f} % (target <= 20 %); phash mismatches core vs Spark: {mismatches}",
    ]
    print("\n".join(lines if args.markdown else [line for line in lines if not line.startswith("|---")]))


if __name__ == "__main__":
    main()
