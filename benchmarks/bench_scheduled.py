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
inventory of an OUTPUT made before inventories existed. `--synthesize`: for every size after
the first, step 1 is not run; its OUTPUT is made from the first size's full run (the files are
hard links of the same photos: same rows but for path, length and mtime) and its job seconds
are the first size's scaled to N files (`synthesize`): for a machine too busy to hash 100k
photos in the time there is (`--synthesize-from N=OUTPUT`: from an earlier invocation's full
run over WORK/n<N>). Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_spark_job import DEFAULT_CORPUS, run_hash_command, summaries  # noqa: E402


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
    stdout, wall, cpu = run_hash_command([*args, "--master", master])
    lines, job, hashed = summaries(stdout)
    return {"wall": wall, "job": job, "cpu": sum(cpu.values()), "hashed": hashed, "lines": lines}


def first_run_seconds(output: Path) -> tuple[float, int]:
    """(job seconds, files hashed) of an OUTPUT's first committed run, from its record."""
    records = sorted((output / "runs").glob("run_id=*/*.json"))
    record = json.loads(records[0].read_text().splitlines()[0])
    return float(record["seconds"]), int(record["hashed"]) + int(record["failed"])


def synthesize(work: Path, n: int, small: int, small_output: Path, master: str) -> Path:
    """An OUTPUT of WORK/n<N> made without hashing: every file is a hard link of a source photo
    that the small tree's first copy (c0000/<i>_<name>) holds too, so its row is that file's row from `small_output` (the
    full run of the smaller tree) with its own path, length and modification time, written and
    committed as one run by the run store (rows, inventory, record). Its record's `seconds`
    is the small full run's, scaled by N / small (hashing is linear in the files)."""
    from datetime import datetime, timezone

    from sparkhash.spark import inventory, tables
    from sparkhash.spark.lease import new_run_id
    from sparkhash.spark.schemas import hashes_schema
    from sparkhash.spark.session import get_session

    spark = get_session(master=master, quiet=True)
    output = work / f"out{n}-synthesized-{int(time.time())}"
    by_index = {}
    for row in tables.read_hashes(spark, str(small_output)).collect():
        folder, name = row["path"].rsplit("/", 2)[-2:]
        if folder.startswith("c") and int(folder[1:]) == 0:  # c0000/<i>_<name>: source i
            by_index[int(name.split("_", 1)[0])] = row
    columns = [f.name for f in hashes_schema(("phash",)).fields if f.name != "run_id"]
    rows = []
    for path in sorted(p for p in (work / f"n{n}").rglob("*") if p.is_file()):
        source = by_index[int(path.name.split("_", 1)[0])].asDict()
        info = path.stat()
        mtime = datetime.fromtimestamp(info.st_mtime_ns // 1_000_000 / 1000, tz=timezone.utc)
        source.update(path=f"file:{path}", length=info.st_size, modification_time=mtime)
        rows.append(tuple(source[c] for c in columns))
    schema = hashes_schema(("phash",))
    frame = spark.createDataFrame(rows, schema=type(schema)([f for f in schema.fields if f.name != "run_id"]))
    run_id = new_run_id()
    tables.write_run_table(frame.repartition(8), str(output), tables.HASHES, run_id)
    written = spark.read.parquet(tables.run_dir(str(output), tables.HASHES, run_id))
    inventory.write_inventory(spark, str(output), run_id, None, written, [])
    small_seconds, small_files = first_run_seconds(small_output)
    record = {**tables.committed_runs(spark, str(small_output))[0].__dict__}
    record.update(
        run_id=run_id,
        input=str(work / f"n{n}"),
        files_seen=len(rows),
        hashed=len(rows),
        skipped=0,
        seconds=round(small_seconds * len(rows) / small_files, 3),
    )
    tables.commit_run(spark, str(output), tables.RunRecord(**record))
    spark.stop()
    return output


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
    return {"n": n, "new": new_count, "steps": steps, "reused": reuse is not None, "output": output}


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
            label = name + (" (not run: see below)" if name == "full" and result["reused"] else "")
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
    parser.add_argument(
        "--synthesize",
        action="store_true",
        help="sizes after the first: the OUTPUT made from the first size's full run (no hashing)",
    )
    parser.add_argument(
        "--synthesize-from",
        metavar="N=OUTPUT",
        help="every size: the OUTPUT made from this full run over WORK/n<N> (no hashing)",
    )
    args = parser.parse_args()
    reuse = {int(k): Path(v) for k, v in (item.split("=", 1) for item in args.reuse)}
    files = sources(args.corpus)
    load = os.getloadavg()
    results = []
    for n in args.files:
        if args.synthesize_from:
            small, small_output = args.synthesize_from.split("=", 1)
            build_tree(files, Path(args.work) / f"n{n}", n)
            reuse[n] = synthesize(Path(args.work), n, int(small), Path(small_output), args.master)
        elif args.synthesize and results:
            build_tree(files, Path(args.work) / f"n{n}", n)
            small = results[0]
            reuse[n] = synthesize(Path(args.work), n, small["n"], small["output"], args.master)
        results.append(measure(n, args, files, reuse.get(n)))
    print(
        f"{platform.node()}, {os.cpu_count()} cores, master {args.master}, {args.algorithms}, "
        f"{len(files)} source photos; load average at the start {load[0]:.1f}, at the end "
        f"{os.getloadavg()[0]:.1f}\n"
    )
    print("\n".join(report(results)))


if __name__ == "__main__":
    main()
