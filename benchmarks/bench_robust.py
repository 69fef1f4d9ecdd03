"""Hashing cost of `robust` vs `phash` alone, decode included, same files, same run.

    python benchmarks/bench_robust.py /root/.cache/sparkhash/corpus/images [--limit 200] [--repeat 3]

For every file (bytes already in memory): phash = `sparkhash.core.compute_hashes(data, ["phash"])`
(full decode + phash), robust = `sparkhash.core.robust.compute(data)` (reduced JPEG decode via
`draft` + the whole signature: trim, global hashes, ORB both orientations, thumbnails).
Each timing is the best of --repeat interleaved runs per file, so a burst of load from other
processes does not land on one side only. Prints ms/image of both and the ratio.
Run with OPENBLAS_NUM_THREADS=1 (one core per Spark task).
"""

from __future__ import annotations

import argparse
import glob
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sparkhash.core as core  # noqa: E402
from sparkhash.core import robust  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    exts = (".jpg", ".jpeg", ".png", ".webp")
    paths = sorted(
        p for p in glob.glob(os.path.join(args.root, "**", "*"), recursive=True) if p.lower().endswith(exts)
    )
    if args.limit and len(paths) > args.limit:
        paths = [paths[i * len(paths) // args.limit] for i in range(args.limit)]
    datas = [open(p, "rb").read() for p in paths]
    robust.compute(datas[0])  # warm up OpenCV
    core.compute_hashes(datas[0], ["phash"])
    best = {"phash": [], "robust": []}
    for data in datas:
        times = {"phash": [], "robust": []}
        for _ in range(args.repeat):
            t = time.perf_counter()
            core.compute_hashes(data, ["phash"])
            times["phash"].append(time.perf_counter() - t)
            t = time.perf_counter()
            robust.compute(data)
            times["robust"].append(time.perf_counter() - t)
        for k in best:
            best[k].append(min(times[k]))
    ph = 1000 * sum(best["phash"]) / len(datas)
    rb = 1000 * sum(best["robust"]) / len(datas)
    print(
        f"{len(datas)} files from {args.root}; {platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}"
    )
    print(f"phash alone (decode included): {ph:.2f} ms/image")
    print(f"robust (decode included):      {rb:.2f} ms/image")
    print(f"ratio robust / phash:          {rb / ph:.2f}x")


if __name__ == "__main__":
    main()
