"""`sparkhash hash --stream --available-now` against the batch `sparkhash hash`, same files, one run.

    python benchmarks/bench_stream.py --work DIR [--files 2000] [--rounds 2] [--corpus CORPUS]
        [--algorithms phash] [--master local[2]] [--event-logs]

Input: the dev corpus' photos hard-linked under distinct names into WORK/n<N> (as
`bench_scheduled.py` builds its trees). Each round runs both commands in a fresh process into
fresh OUTPUTs, in alternating order (the machine may be shared): the batch job, and the stream
with its default trigger (a fresh checkpoint). Reported per command: wall seconds, the job's
own seconds (its summary lines, summed over micro-batches), micro-batches, and the CPU seconds
of the process tree by kind (driver, JVM, Python workers; sampled from /proc): on a busy
machine the CPU seconds are the comparable measure, and the stream's images per CPU second are
given as a share of the batch job's from the same round. `--event-logs` keeps each command's
Spark event log (uncompressed) under WORK/events, to see its jobs and their task counts.
Prints Markdown.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scheduled import build_tree, sources  # noqa: E402
from bench_spark_job import DEFAULT_CORPUS, run_hash_command, summaries  # noqa: E402


def run(tree: Path, output: Path, args, stream: bool, events: Path | None) -> dict:
    command = [str(tree), str(output), "--algorithms", args.algorithms, "--master", args.master]
    if events is not None:
        events.mkdir(parents=True, exist_ok=True)
        for setting in ("enabled=true", "compress=false", f"dir=file:{events}"):
            command += ["--conf", f"spark.eventLog.{setting}"]
    if stream:
        command += ["--stream", "--checkpoint", f"{output}-checkpoint", "--available-now"]
    stdout, wall, cpu = run_hash_command(command)
    lines, job, hashed = summaries(stdout)
    return {
        "wall": wall,
        "job": job,
        "hashed": hashed,
        "batches": len(lines),
        "cpu": cpu,
        "cpu_total": sum(cpu.values()),
        "load": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--algorithms", default="phash")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--event-logs", action="store_true")
    args = parser.parse_args()
    tree = args.work / f"n{args.files}"
    build_tree(sources(args.corpus), tree, args.files)
    load = os.getloadavg()[0]
    rows = []
    for i in range(args.rounds):
        results = {}
        for kind in ("batch", "stream") if i % 2 == 0 else ("stream", "batch"):
            output = args.work / f"{kind}-{i}-{int(time.time())}"
            events = args.work / "events" / output.name if args.event_logs else None
            results[kind] = run(tree, output, args, kind == "stream", events)
            print(f"round {i} {kind}: {results[kind]}", file=sys.stderr, flush=True)
        rows.append(results)
    print(
        f"{platform.node()}, {os.cpu_count()} cores, master {args.master}, {args.algorithms}, "
        f"{args.files} files; load average at the start {load:.1f}, at the end {os.getloadavg()[0]:.1f}\n"
    )
    print(
        "| round | command | wall s | job s | micro-batches | CPU s: driver / JVM / Python workers | CPU s |"
    )
    print("|---:|---|---:|---:|---:|---|---:|")
    for i, results in enumerate(rows):
        for kind, r in results.items():
            split = " / ".join(f"{r['cpu'].get(k, 0.0):.1f}" for k in ("driver", "JVM", "Python workers"))
            print(
                f"| {i} | {kind} | {r['wall']:.1f} | {r['job']:.1f} | {r['batches']} | {split} | "
                f"{r['cpu_total']:.1f} |"
            )
    print()
    for i, results in enumerate(rows):
        batch, stream = results["batch"], results["stream"]
        per_cpu = (stream["hashed"] / stream["cpu_total"]) / (batch["hashed"] / batch["cpu_total"])
        per_wall = (stream["hashed"] / stream["wall"]) / (batch["hashed"] / batch["wall"])
        print(
            f"- round {i}: the stream's images per CPU second {100 * per_cpu:.0f} % of the batch job's; "
            f"per wall second {100 * per_wall:.0f} %"
        )


if __name__ == "__main__":
    main()
