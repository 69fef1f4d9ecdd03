"""Scheduled runs: what a re-run of `sparkhash hash` costs when little or nothing is new.

    python benchmarks/bench_scheduled.py --work /data/bench [--files 10000 100000]
        [--corpus CORPUS] [--algorithms phash] [--master local[2]] [--stream-files 10000]
        [--reuse N=OUTPUT ...]

Input: every file of CORPUS/images and CORPUS/distractors (real photos) hard-linked under
distinct names (`c<copy>/<i>_<name>`) into WORK/n<N> until there are N files (built once,
reused by later invocations), and 1 % more under WORK/n<N>-new (moved into the tree for one
step). For each N, in one run of this script, each step the real command in a fresh process
(session start, listing, comparison, hashing, tables, commit, stop):

1. full: `sparkhash hash WORK/n<N> OUT` into a fresh OUT;
2. no-op: the same command again, twice (nothing new);
3. +1 %: the 1 % new files moved into the tree, the command again (they are hashed);
4. no-op after it (the OUTPUT now has two runs);
5. with `--stream-files M` (N <= M): `sparkhash hash --stream --checkpoint C --available-now`
   with the default trigger on the same N files into a fresh OUT2, against step 1's rate.

Reported per step: wall seconds of the command, the job's own seconds (its summary line: from
the lease to the commit, without session start and stop) and the CPU seconds of the process
tree (driver, JVM, Python workers; sampled from /proc). Ratios are to step 1 of the same N in
the same run. "+1 % over hashing" subtracts the new files' hashing time at step 1's per-file
rate. `--reuse N=OUTPUT` takes an OUTPUT already made by a full run over WORK/n<N> (e.g. by an
earlier version) instead of step 1: its first run's record gives the full run's job seconds
(wall and CPU are then unknown); the first re-run is then also the one that builds the
inventory of an OUTPUT made before inventories existed. Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_spark_job import DEFAULT_CORPUS, REPO, TreeSampler  # noqa: E402


def sources(corpus: Path) -> list[Path]:
    return sorted(
        p
        for sub in ("images", "distractors")
        for p in (corpus / sub).rglob("*")
        if p.is_file() and not p.name.startswith((".", "_"))
    )


def build_tree(files: list[Path], root: Path, count: int, first_copy: int = 0) -> int:
    """Hard links of `files` under distinct names in root/c<copy>/ until `count` (kept if there)."""
    made = 0
    copy = first_copy
    while made < count:
        folder = root / f"c{copy:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        for i, source in enumerate(files):
            if made == count:
                break
            target = folder / f"{i:05d}_{source.name}"
            if not target.exists():
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copyfile(source, target)
            made += 1
        copy += 1
    return made


def run(args: list[str], master: str) -> dict:
    """`sparkhash hash ARGS` in a fresh process: wall s, job s (summary lines), CPU s, lines."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYSPARK_PYTHON": sys.executable}
    command = [sys.executable, "-m", "sparkhash.cli", "hash", *args, "--master", master]
    command += ["--conf", "spark.ui.showConsoleProgress=false"]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    cpu = sum(sampler.finish().values())
    if process.returncode != 0:
        raise RuntimeError(f"sparkhash hash failed:\n{stderr[-3000:]}")
    lines = [line for line in stdout.splitlines() if "sparkhash hash:" in line]
    job = sum(float(re.search(r" in ([\d.]+) s \(", line).group(1)) for line in lines)
    hashed = sum(int(re.search(r" (\d+) hashed", line).group(1)) for line in lines)
    return {"wall": wall, "job": job, "cpu": cpu, "hashed": hashed, "lines": lines}


def first_run_seconds(output: Path) -> tuple[float, int]:
    """(job seconds, files hashed) of an OUTPUT's first committed run, from its record."""
    records = sorted((output / "runs").glob("run_id=*/*.json"))
    record = json.loads(records[0].read_text().splitlines()[0])
    return float(record["seconds"]), int(record["hashed"]) + int(record["failed"])


def measure(n: int, args, files: list[Path], reuse: Path | None) -> dict:
    work = Path(args.work)
    tree, extra = work / f"n{n}", work / f"n{n}-new"
    build_tree(files, tree, n)
    new_count = max(n // 100, 1)
    build_tree(files, extra, new_count, first_copy=9000)
    moved = tree / "c9000"
    if moved.exists():  # left by an interrupted invocation
        moved.rename(extra / "c9000")
    phash = ["--algorithms", args.algorithms]
    steps: dict[str, dict] = {}
    if reuse is None:
        output = work / f"out{n}-{int(time.time())}"
        steps["full"] = run([str(tree), str(output), *phash], args.master)
    else:
        output = reuse
        seconds, hashed = first_run_seconds(reuse)
        steps["full"] = {"wall": None, "job": seconds, "cpu": None, "hashed": hashed, "lines": []}
    print(f"n={n} full: {steps['full']}", file=sys.stderr, flush=True)
    for name in ("no-op", "no-op again"):
        steps[name] = run([str(tree), str(output), *phash], args.master)
        print(f"n={n} {name}: {steps[name]}", file=sys.stderr, flush=True)
    (extra / "c9000").rename(moved)
    try:
        steps["+1 %"] = run([str(tree), str(output), *phash], args.master)
        print(f"n={n} +1 %: {steps['+1 %']}", file=sys.stderr, flush=True)
        steps["no-op after +1 %"] = run([str(tree), str(output), *phash], args.master)
    finally:
        moved.rename(extra / "c9000")
    if args.stream_files and n <= args.stream_files:
        stream_out = work / f"stream{n}-{int(time.time())}"
        steps["stream"] = run(
            [
                str(tree),
                str(stream_out),
                *phash,
                "--stream",
                "--checkpoint",
                str(stream_out) + "-checkpoint",
                "--available-now",
            ],
            args.master,
        )
        steps["stream"]["batches"] = len(steps["stream"]["lines"])
    return {"n": n, "new": new_count, "steps": steps, "reused": reuse is not None}


def report(results: list[dict]) -> list[str]:
    out = [
        "| files | step | wall s | job s | CPU s | job / full job | CPU / full CPU |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        full = result["steps"]["full"]
        for name, step in result["steps"].items():
            ratios = [
                ""
                if name == "full" or step[key] is None or full[key] is None
                else f"{100 * step[key] / full[key]:.1f} %"
                for key in ("job", "cpu")
            ]
            fmt = lambda v: "–" if v is None else f"{v:.1f}"  # noqa: E731
            label = name + (" (earlier version)" if name == "full" and result["reused"] else "")
            if name == "stream":
                label += f" ({step['batches']} micro-batches)"
            out.append(
                f"| {result['n']:,} | {label} | {fmt(step['wall'])} | {fmt(step['job'])} | "
                f"{fmt(step['cpu'])} | {ratios[0]} | {ratios[1]} |"
            )
    out.append("")
    for result in results:
        steps, n = result["steps"], result["n"]
        full = steps["full"]
        per_file = full["job"] / max(full["hashed"], 1)
        plus = steps["+1 %"]
        over = plus["job"] - result["new"] * per_file
        out.append(
            f"- {n:,} files: no-op re-run {100 * steps['no-op again']['job'] / full['job']:.1f} % of the full "
            f"run's job time; +1 % ({result['new']:,} new files, {plus['hashed']} hashed) costs "
            f"{plus['job']:.1f} s = their hashing at the full run's rate ({result['new'] * per_file:.1f} s) "
            f"+ {over:.1f} s ({100 * over / full['job']:.1f} % of the full run)."
        )
        if "stream" in steps:
            stream = steps["stream"]
            batch_rate = full["hashed"] / full["job"]
            stream_rate = stream["hashed"] / stream["job"]
            out.append(
                f"- {n:,} files, `--stream --available-now` (default trigger, {stream['batches']} "
                f"micro-batches): {stream_rate:.1f} images/s in the batches' job time against the batch "
                f"job's {batch_rate:.1f} ({100 * stream_rate / batch_rate:.0f} %); by the commands' wall "
                f"times {100 * (full['wall'] or 0) / stream['wall']:.0f} %."
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, help="where the hard-linked trees and outputs go")
    parser.add_argument("--files", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--algorithms", default="phash")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--stream-files", type=int, default=0, help="stream step for N up to this")
    parser.add_argument("--reuse", action="append", default=[], metavar="N=OUTPUT")
    args = parser.parse_args()
    reuse = {int(k): Path(v) for k, v in (item.split("=", 1) for item in args.reuse)}
    files = sources(args.corpus)
    load = os.getloadavg()
    results = [measure(n, args, files, reuse.get(n)) for n in args.files]
    print(
        f"{platform.node()}, {os.cpu_count()} cores, master {args.master}, {args.algorithms}, "
        f"{len(files)} source photos; load average at the start {load[0]:.1f}, at the end "
        f"{os.getloadavg()[0]:.1f}\n"
    )
    print("\n".join(report(results)))


if __name__ == "__main__":
    main()
