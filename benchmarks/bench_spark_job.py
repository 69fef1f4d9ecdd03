"""Spark job throughput vs the core's single-process throughput x cores, in one run.

    python benchmarks/bench_spark_job.py /work/corpus/images [--master local[2]] [--limit N] [--rounds 3]

A local session is started and warmed up once (session and Python-worker start-up are
excluded: they are paid once per job, not per image). Then, in each round, back to back:
1. core: one Python process reads every file and runs `compute_hashes(bytes)` with the job's
   algorithms (all by default); images/s;
2. Spark: the whole job (`run_hash_job`: listing, hashing, staging, both tables, commit) on the
   same files into a fresh OUTPUT; images/s;
3. core in a pool of `cores` processes: what the cores really deliver while others share them.
Spark's overhead = 1 - Spark images/s / (core images/s x cores), per round (the machine may be
shared, so rounds are interleaved). phash of every file is checked equal between core and Spark.
The core processes tune malloc as the Spark workers do (`keep_freed_memory`).
Prints a Markdown table.
"""

from __future__ import annotations

import os

# One BLAS thread per process, before numpy is imported: the core baseline then uses one core
# per process, as each Spark task does (PySpark sets OMP_NUM_THREADS to the task's cores). With
# OpenBLAS's default of one thread per core, a 2-process pool runs 4 spinning threads on 2 cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import datetime
import multiprocessing
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sparkhash.core.allocator import keep_freed_memory
from sparkhash.core.multi import compute_hashes
from sparkhash.core.params import ALGORITHMS, HashParams
from sparkhash.spark.api import normalise_algorithms


def image_files(root: str, limit: int | None) -> list[Path]:
    paths = sorted(p for p in Path(root).rglob("*") if p.is_file() and not p.name.startswith((".", "_")))
    if limit and len(paths) > limit:  # evenly spaced, so every kind of image is represented
        paths = [paths[i * len(paths) // limit] for i in range(limit)]
    return paths


def tree_cpu_seconds() -> float:
    """CPU seconds used so far by this process and all its descendants (the Spark JVM and its
    Python workers), from /proc: utime+stime of the living, cutime+cstime of the reaped."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), sum(int(v) for v in fields[11:15]))
    family, frontier = {os.getpid()}, [os.getpid()]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _) in stats.items():
            if ppid == parent and pid not in family:
                family.add(pid)
                frontier.append(pid)
    return sum(stats[pid][1] for pid in family if pid in stats) / ticks


def core_rate(paths: list[Path], algorithms: tuple[str, ...]) -> tuple[float, float, dict[str, str]]:
    """Images/s and CPU s/image of one process reading and hashing every file; phash per path."""
    compute_hashes(paths[0].read_bytes(), algorithms)  # warm-up: imports, FFT plans
    phashes = {}
    started, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        result = compute_hashes(path.read_bytes(), algorithms, HashParams())
        phashes["file:" + str(path.resolve())] = str(result.hashes.get("phash"))
    cpu_per_image = (time.process_time() - cpu) / len(paths)
    return len(paths) / (time.perf_counter() - started), cpu_per_image, phashes


def _hash_file(args: tuple[str, tuple[str, ...]]) -> None:
    path, algorithms = args
    compute_hashes(Path(path).read_bytes(), algorithms)


def pool_rate(paths: list[Path], algorithms: tuple[str, ...], processes: int) -> float:
    """Images/s of `processes` worker processes sharing the files (what the cores really give now)."""
    with multiprocessing.get_context("spawn").Pool(processes, initializer=keep_freed_memory) as pool:
        pool.map(_hash_file, [(str(p), algorithms) for p in paths[:processes]])  # warm-up
        started = time.perf_counter()
        pool.map(_hash_file, [(str(p), algorithms) for p in paths], chunksize=4)
        return len(paths) / (time.perf_counter() - started)


class SparkRunner:
    """A warm local session that runs the whole job on a fixed set of files, again and again."""

    def __init__(self, paths: list[Path], algorithms: tuple[str, ...], master: str) -> None:
        from sparkhash.spark.session import get_session

        self.paths, self.algorithms = paths, algorithms
        from sparkhash.spark.session import local_session_settings

        # The session `sparkhash hash --master local[N]` starts.
        settings = {**local_session_settings(master), "spark.ui.showConsoleProgress": "false"}
        self.spark = get_session(master=master, extra=settings)
        self.work = Path(tempfile.mkdtemp(prefix="bench-spark-job-"))
        self.inputs = self.work / "in"
        self.inputs.mkdir()
        self.links = {}
        for i, path in enumerate(paths):  # one flat directory of links: exactly these files
            link = self.inputs / f"{i:06d}_{path.name}"
            link.symlink_to(path.resolve())
            self.links["file:" + str(link)] = "file:" + str(path.resolve())
        warm = self.work / "warm"
        warm.mkdir()
        for path in paths[:4]:
            (warm / path.name).symlink_to(path.resolve())
        from sparkhash.spark.api import hash_images
        from sparkhash.spark.read import binary_files

        # Warm-up: one file per task, so that both Python workers start; then the whole job once.
        configured = self.spark.conf.get("spark.sql.files.maxPartitionBytes")
        self.spark.conf.set("spark.sql.files.maxPartitionBytes", "1")
        warm_up = hash_images(binary_files(self.spark, str(warm)), algorithms)
        warm_up.write.format("noop").mode("overwrite").save()
        self.spark.conf.set("spark.sql.files.maxPartitionBytes", configured)
        self._run(warm, self.work / "warm-out")
        self.rounds = 0

    def _run(self, source: Path, output: Path):
        from sparkhash.spark.hash_job import HashJobConfig, run_hash_job

        return run_hash_job(self.spark, HashJobConfig(str(source), str(output), algorithms=self.algorithms))

    def rate(self) -> tuple[float, float, dict[str, str]]:
        """Images/s and CPU s/image (driver, JVM and Python workers together) of the whole job
        (listing, hashing, staging, both tables, commit) into a fresh OUTPUT; phash per path."""
        from sparkhash.spark.tables import read_hashes

        self.rounds += 1
        output = self.work / f"out{self.rounds}"
        started, cpu = time.perf_counter(), tree_cpu_seconds()
        summary = self._run(self.inputs, output)
        seconds, cpu = time.perf_counter() - started, tree_cpu_seconds() - cpu
        assert summary.hashed + summary.failed == len(self.paths), summary.line()
        print(summary.line(), file=sys.stderr)
        rows = read_hashes(self.spark, str(output)).select("path", "phash").collect()
        phashes = {self.links[r["path"]]: str(r["phash"]) for r in rows}
        return len(self.paths) / seconds, cpu / len(self.paths), phashes

    def partitions(self) -> int:
        from sparkhash.spark.read import binary_files

        return binary_files(self.spark, str(self.inputs)).rdd.getNumPartitions()

    def close(self) -> None:
        self.spark.stop()
        shutil.rmtree(self.work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", help="directory of images (searched recursively)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--limit", type=int, default=None, help="use N evenly spaced files")
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds (the machine may be shared)"
    )
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    args = parser.parse_args()
    keep_freed_memory()  # as the Spark workers do
    algorithms = normalise_algorithms(args.algorithms)
    cores = int(re.match(r"local\[(\d+)", args.master).group(1))
    paths = image_files(args.images, args.limit)
    megabytes = sum(p.stat().st_size for p in paths) / 1e6

    runner = SparkRunner(paths, algorithms, args.master)
    results = []
    mismatches = 0
    try:
        partitions = runner.partitions()
        for _ in range(args.rounds):
            single, core_cpu, core_phashes = core_rate(paths, algorithms)
            spark, spark_cpu, spark_phashes = runner.rate()
            pooled = pool_rate(paths, algorithms, cores)
            load = os.getloadavg()[0]
            mismatches += sum(core_phashes[p] != spark_phashes.get(p) for p in core_phashes)
            results.append((single, spark, pooled, load, core_cpu, spark_cpu))
    finally:
        runner.close()

    lines = [
        f"- date: {datetime.date.today().isoformat()}; "
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        f"- input: {len(paths)} files, {megabytes:.0f} MB; algorithms: {','.join(algorithms)}; "
        f"master {args.master}; {partitions} input partitions",
        "",
        f"| round | core, 1 process | core x {cores} | core, {cores}-process pool | Spark job, {args.master} "
        f"| wall overhead vs core x {cores} | wall overhead vs pool | CPU ms/image core | CPU ms/image Spark "
        f"| CPU overhead | load average |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for number, (single, spark, pooled, load, core_cpu, spark_cpu) in enumerate(results, 1):
        lines.append(
            f"| {number} | {single:.2f} | {single * cores:.2f} | {pooled:.2f} | {spark:.2f} "
            f"| {(1 - spark / (single * cores)) * 100:.1f} % | {(1 - spark / pooled) * 100:.1f} % "
            f"| {core_cpu * 1000:.0f} | {spark_cpu * 1000:.0f} | {(spark_cpu / core_cpu - 1) * 100:.1f} % "
            f"| {load:.1f} |"
        )
    best = max(results, key=lambda r: r[1] / (r[0] * cores))
    cpu_overheads = sorted(r[5] / r[4] - 1 for r in results)
    lines += [
        "",
        "Throughputs in images/s (wall clock). CPU overhead = CPU time of driver + JVM + Python workers "
        "for the whole job / CPU time of the single core process, minus 1.",
        f"Best round: wall overhead {(1 - best[1] / (best[0] * cores)) * 100:.1f} % vs core x {cores} "
        f"(target <= 20 %); median CPU overhead {cpu_overheads[len(cpu_overheads) // 2] * 100:.1f} %; "
        f"phash mismatches core vs Spark over all rounds: {mismatches}",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
