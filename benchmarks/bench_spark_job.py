"""`sparkhash hash` per-file marginal throughput vs a pool of core processes, in one run.

    python benchmarks/bench_spark_job.py [--corpus CORPUS] [--files 3000] [--rounds 2]
        [--algorithms phash ALL] [--master local[2]]

Input: every file of CORPUS/images and CORPUS/distractors (the dev corpus, real photos),
repeated under distinct names (hard links, or copies) into a temporary directory until there
are at least `--files` of them. For each algorithm set (`phash`, and `ALL` = all eight), each
round runs back to back, in alternating order (the machine may be shared):
1. `sparkhash hash` (the real command, a fresh process: session start, listing, hashing,
   tables, commit, stop) on FEW files into a fresh OUTPUT: the command's fixed cost;
2. the same command on all N files into a fresh OUTPUT;
3. a pool of `cores` processes of the core (`compute_hashes(bytes)` on every file's bytes,
   one BLAS thread each, malloc tuned as in the Spark workers); its start-up and a warm-up
   task are not timed.
Spark's marginal throughput = (N - FEW) / (time(N) - time(FEW)); overhead = 1 - marginal /
pool throughput, per round. The CPU of every process of each command (driver, JVM, Python
workers) is sampled from /proc while it runs, so the per-file CPU split is a marginal too.
The fixed per-run cost is reported separately: process + session start, listing, and the
in-job time of the FEW-file run. phash of every file is checked equal between core and Spark.

`--daft` adds a Daft comparison for phash (same files, same machine and cores, same run, each
round in alternating order): `sparkhash hash` exact, `sparkhash hash --decode reduced`, and
Daft's own `daft.functions.image_hash(decode_image(download(path)), method="phash")` written
to Parquet like the job's table (Daft from PyPI, native runner: the `bench` extra), each as a
fresh process on FEW and on all N files; the rates compared are the marginal images/s.
Prints Markdown.
"""

from __future__ import annotations

import os

# One BLAS thread per process, before numpy is imported: each core process then uses one core,
# as each Spark task does (PySpark sets OMP_NUM_THREADS to the task's cores).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import datetime
import multiprocessing
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sparkhash.core.allocator import keep_freed_memory
from sparkhash.core.multi import compute_hashes
from sparkhash.core.params import ALGORITHMS
from sparkhash.spark.api import normalise_algorithms

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path.home() / ".cache" / "sparkhash" / "corpus"
FEW = 8


def build_input(corpus: Path, target: int, work: Path) -> tuple[Path, Path, list[Path]]:
    """(all-files dir, few-files dir, source of each file in the all-files dir)."""
    sources = sorted(
        p
        for sub in ("images", "distractors")
        for p in (corpus / sub).rglob("*")
        if p.is_file() and not p.name.startswith((".", "_"))
    )
    many, few = work / "many", work / "few"
    many.mkdir()
    few.mkdir()
    order = []
    copy = 0
    while len(order) < target:
        for i, source in enumerate(sources):
            order.append((many / f"c{copy}_{i:04d}_{source.name}", source))
        copy += 1
    for link, source in order:
        _link(source, link)
    for i, source in enumerate(sources[:: max(len(sources) // FEW, 1)][:FEW]):
        _link(source, few / f"f{i}_{source.name}")
    return many, few, [source for _, source in order]


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


# --- CPU of a command's process tree, by kind --------------------------------------------------


def _proc_table() -> dict[int, tuple[int, int, str]]:
    """pid -> (ppid, CPU ticks incl. reaped children, command name)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        table[int(entry.name)] = (int(fields[1]), sum(int(v) for v in fields[11:15]), name)
    return table


class TreeSampler:
    """Samples the CPU of a process and its descendants every `interval` s while it runs; the
    last sample of each process counts (a process's final fraction of a second may be lost)."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        self.root, self.interval = root, interval
        self.last: dict[int, tuple[str, int]] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _kind(self, pid: int, table: dict) -> str | None:
        chain, current = [], pid
        while current in table and current != self.root:
            chain.append(table[current][2])
            current = table[current][0]
        if current != self.root:
            return None
        if pid == self.root:
            return "driver"
        name = table[pid][2]
        if name == "java":
            return "JVM"
        if "java" in chain[1:]:
            return "Python workers"
        return "other"

    def _loop(self) -> None:
        while not self.stop.is_set():
            table = _proc_table()
            for pid in table:
                kind = self._kind(pid, table)
                if kind is not None:
                    self.last[pid] = (kind, table[pid][1])
            self.stop.wait(self.interval)

    def finish(self) -> dict[str, float]:
        self.stop.set()
        self.thread.join()
        ticks = os.sysconf("SC_CLK_TCK")
        totals: dict[str, float] = {}
        for kind, cpu in self.last.values():
            totals[kind] = totals.get(kind, 0.0) + cpu / ticks
        return totals


def run_hash_command(args: list[str]) -> tuple[str, float, dict[str, float]]:
    """`sparkhash hash ARGS` in a fresh process (console progress off): (its stdout, wall s,
    CPU s of its process tree by kind); RuntimeError with the end of its stderr if it fails."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYSPARK_PYTHON": sys.executable}
    command = [sys.executable, "-m", "sparkhash.cli", "hash", *args]
    command += ["--conf", "spark.ui.showConsoleProgress=false"]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    cpu = sampler.finish()
    if process.returncode != 0:
        raise RuntimeError(f"sparkhash hash failed:\n{stderr[-3000:]}")
    return stdout, wall, cpu


def summaries(stdout: str) -> tuple[list[str], float, int]:
    """(the `sparkhash hash:` summary lines, their job seconds summed, files hashed summed):
    one line per run, several for a stream's micro-batches."""
    lines = [line for line in stdout.splitlines() if "sparkhash hash:" in line]
    job = sum(float(re.search(r" in ([\d.]+) s \(", line).group(1)) for line in lines)
    hashed = sum(int(re.search(r" (\d+) hashed", line).group(1)) for line in lines)
    return lines, job, hashed


def run_command(
    source: Path, output: Path, algorithms: tuple[str, ...], master: str, decode: str = "exact"
) -> dict:
    """`sparkhash hash SOURCE OUTPUT` in a fresh process: wall s, in-job s, CPU s by kind."""
    args = [str(source), str(output), "--algorithms", ",".join(algorithms), "--master", master]
    stdout, wall, cpu = run_hash_command([*args, "--decode", decode])
    line = stdout.strip().splitlines()[-1]
    job_seconds = float(re.search(r" in ([\d.]+) s \(", line).group(1))
    return {"wall": wall, "job": job_seconds, "cpu": cpu, "line": line}


# --- Daft's image_hash ------------------------------------------------------------------------

_DAFT_JOB = """
import sys, time
import daft
from daft import col
from daft.functions import decode_image, download, image_hash
started = time.perf_counter()
df = daft.from_glob_path(sys.argv[1] + "/*")
df = df.with_column("phash", image_hash(decode_image(download(col("path")), on_error="null"), method="phash"))
df.select("path", "phash").write_parquet(sys.argv[2])
print(f"daft hashed in {time.perf_counter() - started:.2f} s")
"""


def run_daft(source: Path, output: Path) -> dict:
    """Daft's phash of every file of SOURCE written to Parquet under OUTPUT, a fresh process:
    wall s and CPU s of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", _DAFT_JOB, str(source), str(output)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = TreeSampler(process.pid)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    cpu = sampler.finish()
    if process.returncode != 0:
        raise RuntimeError(f"the Daft job failed:\n{stderr[-3000:]}")
    return {"wall": wall, "cpu": sum(cpu.values()), "line": stdout.strip().splitlines()[-1]}


def measure_daft(args, many: Path, few: Path, paths: list[Path], work: Path) -> dict:
    """Marginal images/s of sparkhash exact, sparkhash reduced and Daft, phash, per round."""
    n, rounds = len(paths), []
    runners = {
        "sparkhash exact": lambda src, out: run_command(src, out, ("phash",), args.master),
        "sparkhash reduced": lambda src, out: run_command(src, out, ("phash",), args.master, "reduced"),
        "daft": run_daft,
    }
    for number in range(args.rounds):
        order = list(runners) if number % 2 == 0 else list(reversed(runners))
        rates = {}
        for name in order:
            out = work / f"out-daft-{number}-{name.replace(' ', '-')}"
            few_run = runners[name](few, out / "few")
            many_run = runners[name](many, out / "many")
            shutil.rmtree(out, ignore_errors=True)
            cpu = {
                k: sum(v.values()) if isinstance(v, dict) else v
                for k, v in (("few", few_run["cpu"]), ("many", many_run["cpu"]))
            }
            rates[name] = {
                "rate": (n - FEW) / (many_run["wall"] - few_run["wall"]),
                # marginal CPU seconds per file of the whole process tree: robust to a loaded machine
                "cpu_per_file": (cpu["many"] - cpu["few"]) / (n - FEW),
                "few_wall": few_run["wall"],
                "many_wall": many_run["wall"],
            }
            print(
                f"daft comparison round {number + 1}, {name}: {many_run['line']}", file=sys.stderr, flush=True
            )
        rounds.append({"rates": rates, "load": os.getloadavg()[0]})
    return {"rounds": rounds, "names": list(runners)}


def report_daft(result: dict, n: int, master: str) -> list[str]:
    import daft

    names = result["names"]
    lines = [
        f"### phash: sparkhash hash vs Daft {daft.__version__} `image_hash` (master {master}, same files)",
        "",
        "| round | "
        + " | ".join(f"{name}: marginal images/s (wall) / CPU ms per file" for name in names)
        + " | exact / Daft (CPU) | reduced / Daft (CPU) | load average |",
        "|---|" + "---:|" * (len(names) + 3),
    ]
    ratios = []
    for i, r in enumerate(result["rounds"], 1):
        rates = r["rates"]
        daft_cpu = rates["daft"]["cpu_per_file"]
        exact = daft_cpu / rates["sparkhash exact"]["cpu_per_file"]
        reduced = daft_cpu / rates["sparkhash reduced"]["cpu_per_file"]
        ratios.append((exact, reduced))
        lines.append(
            f"| {i} | "
            + " | ".join(
                f"{rates[name]['rate']:.1f} / {rates[name]['cpu_per_file'] * 1000:.1f}" for name in names
            )
            + f" | {exact:.2f}x | {reduced:.2f}x | {r['load']:.1f} |"
        )
    lines += [
        "",
        f"Marginal = ({n} - {FEW}) files / (the run on {n} files - the run on {FEW}), each run a fresh "
        "process (start-up, listing, hashing, writing Parquet): images/s from the wall clock, and CPU "
        "seconds of the whole process tree (JVM, Python workers, driver; Daft's process and threads) "
        "per file. On a loaded machine the wall clock of a run depends on what else runs; the CPU per "
        "file does much less, so the ratios are of CPU per file (Daft's / ours: how many times more "
        f"files per CPU second). Median exact / Daft {statistics.median(r[0] for r in ratios):.2f}x "
        f"(target >= 2.5x), reduced / Daft {statistics.median(r[1] for r in ratios):.2f}x (target >= 6x).",
        "",
    ]
    return lines


# --- the core in a pool of processes ---------------------------------------------------------


def _hash_file(args: tuple[str, tuple[str, ...]]) -> tuple[str, str, float]:
    path, algorithms = args
    cpu = time.process_time()
    result = compute_hashes(Path(path).read_bytes(), algorithms)
    return path, str(result.hashes.get("phash")), time.process_time() - cpu


def pool_rate(paths: list[Path], algorithms: tuple[str, ...], processes: int) -> tuple[float, float, dict]:
    """Images/s of `processes` core processes sharing the files, CPU s/image, phash per path."""
    with multiprocessing.get_context("spawn").Pool(processes, initializer=keep_freed_memory) as pool:
        pool.map(_hash_file, [(str(p), algorithms) for p in paths[: processes * 2]], chunksize=1)
        started = time.perf_counter()
        results = pool.map(_hash_file, [(str(p), algorithms) for p in paths], chunksize=8)
        seconds = time.perf_counter() - started
    cpu = sum(r[2] for r in results) / len(paths)
    return len(paths) / seconds, cpu, {r[0]: r[1] for r in results}


def spark_phashes(output: Path) -> dict[str, str]:
    """path -> phash of the committed hashes under OUTPUT (read with pyarrow, no Spark)."""
    import pyarrow.parquet as pq

    table = pq.read_table(output / "hashes", columns=["path", "phash"])
    return dict(zip(table.column("path").to_pylist(), table.column("phash").to_pylist(), strict=True))


def listing_seconds(source: Path) -> float:
    """Wall seconds for Spark to list SOURCE (binaryFile inputFiles) in a warm session."""
    from sparkhash.spark.read import binary_files
    from sparkhash.spark.session import get_session

    spark = get_session(master="local[1]", extra={"spark.ui.showConsoleProgress": "false"})
    try:
        binary_files(spark, str(source)).inputFiles()  # warm-up
        started = time.perf_counter()
        binary_files(spark, str(source)).inputFiles()
        return time.perf_counter() - started
    finally:
        spark.stop()


def measure(args, label: str, algorithms, many: Path, few: Path, paths: list[Path], work: Path) -> dict:
    cores = int(re.match(r"local\[(\d+)", args.master).group(1))
    n, rounds = len(paths), []
    mismatches = 0
    for number in range(args.rounds):
        out = work / f"out-{label}-{number}"
        steps = ["few", "many", "pool"] if number % 2 == 0 else ["pool", "many", "few"]
        got = {}
        for step in steps:
            if step == "few":
                got["few"] = run_command(few, out / "few", algorithms, args.master)
            elif step == "many":
                got["many"] = run_command(many, out / "many", algorithms, args.master)
            else:
                got["pool"] = pool_rate(paths, algorithms, cores)
        if "phash" in algorithms:
            found = spark_phashes(out / "many")
            mismatches += sum(found.get("file:" + p) != h for p, h in got["pool"][2].items())
        shutil.rmtree(out, ignore_errors=True)
        few_run, many_run = got["few"], got["many"]
        marginal_wall = (many_run["wall"] - few_run["wall"]) / (n - FEW)
        kinds = sorted(set(few_run["cpu"]) | set(many_run["cpu"]))
        marginal_cpu = {k: (many_run["cpu"].get(k, 0) - few_run["cpu"].get(k, 0)) / (n - FEW) for k in kinds}
        rounds.append(
            {
                "pool_rate": got["pool"][0],
                "core_cpu": got["pool"][1],
                "spark_rate": 1 / marginal_wall,
                "few_wall": few_run["wall"],
                "few_job": few_run["job"],
                "many_wall": many_run["wall"],
                "cpu": marginal_cpu,
                "load": os.getloadavg()[0],
                "line": many_run["line"],
            }
        )
        print(f"{label} round {number + 1}: {many_run['line']}", file=sys.stderr, flush=True)
    return {"label": label, "rounds": rounds, "mismatches": mismatches, "cores": cores}


def report(result: dict, n: int) -> list[str]:
    cores, label = result["cores"], result["label"]
    lines = [
        f"### {label}",
        "",
        f"| round | core, {cores}-process pool (images/s) | `sparkhash hash` marginal (images/s) "
        f"| overhead | run on {FEW} files (s) | in-job (s) | run on {n} files (s) "
        "| CPU ms/file core | CPU ms/file JVM | CPU ms/file Python workers | CPU ms/file driver | CPU overhead "
        "| load average |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, r in enumerate(result["rounds"], 1):
        cpu = r["cpu"]
        lines.append(
            f"| {i} | {r['pool_rate']:.1f} | {r['spark_rate']:.1f} | {(1 - r['spark_rate'] / r['pool_rate']) * 100:.1f} % "
            f"| {r['few_wall']:.1f} | {r['few_job']:.1f} | {r['many_wall']:.1f} | {r['core_cpu'] * 1000:.1f} "
            f"| {cpu.get('JVM', 0) * 1000:.1f} | {cpu.get('Python workers', 0) * 1000:.1f} "
            f"| {cpu.get('driver', 0) * 1000:.1f} | {(sum(cpu.values()) / r['core_cpu'] - 1) * 100:.1f} % "
            f"| {r['load']:.1f} |"
        )
    overheads = [1 - r["spark_rate"] / r["pool_rate"] for r in result["rounds"]]
    cpu_overheads = [sum(r["cpu"].values()) / r["core_cpu"] - 1 for r in result["rounds"]]
    lines += [
        "",
        "Overhead = 1 - marginal / pool throughput (wall clock); CPU overhead = marginal CPU per file of "
        "all the command's processes (JVM, Python workers, driver, other) / the core's CPU per file - 1.",
        f"Median overhead {statistics.median(overheads) * 100:.1f} % (target <= 20 %), median CPU overhead "
        f"{statistics.median(cpu_overheads) * 100:.1f} %; "
        f"phash mismatches core vs Spark: {result['mismatches']}.",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--files", type=int, default=3000, help="at least this many files (corpus repeated)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds per algorithm set")
    parser.add_argument(
        "--algorithms", nargs="*", default=["phash", "ALL"], help="sets; ALL = all eight (none: only --daft)"
    )
    parser.add_argument("--master", default="local[2]")
    parser.add_argument(
        "--daft",
        action="store_true",
        help="add phash: sparkhash hash exact and --decode reduced vs Daft's image_hash (the bench extra)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-spark-job-"))
    try:
        many, few, sources = build_input(Path(args.corpus), args.files, work)
        paths = sorted(many.iterdir())
        megabytes = sum(p.stat().st_size for p in paths) / 1e6
        listing = listing_seconds(many)
        results = []
        for label in args.algorithms:
            algorithms = ALGORITHMS if label == "ALL" else normalise_algorithms(label)
            results.append(measure(args, label, algorithms, many, few, paths, work))
        daft_result = measure_daft(args, many, few, paths, work) if args.daft else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        f"- date: {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='minutes')}; "
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        f"- input: {len(paths)} files ({len(set(sources))} distinct corpus files repeated), {megabytes:.0f} MB; "
        f"master {args.master}; {args.rounds} interleaved rounds per algorithm set",
        f"- fixed per-run cost: Spark listing of the {len(paths)} files in a warm session {listing:.2f} s; "
        f"see the run on {FEW} files (whole command: process and session start, job, stop) and its in-job time",
        "",
    ]
    for result in results:
        lines += report(result, len(paths))
    if daft_result is not None:
        lines += report_daft(daft_result, len(paths), args.master)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
