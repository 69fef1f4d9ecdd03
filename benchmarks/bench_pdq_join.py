"""The dups join at PDQ's distance: exact vs approx recall at k = 31 of 256 bits, and blank images.

    python benchmarks/bench_pdq_join.py --sizes 10000,50000 --blank-rate 0.1

For each N: N uniform random 256-bit hashes, plus planted partners at exactly 16, 24 and 31
bits from random hashes of the set (`--planted` of each), plus `--blank-rate` x N hashes of
real near-uniform images (PDQ of small solid-colour images with faint noise or a faint
gradient, by `sparkhash.core.pdq_hash`: quality 0, hashes made of a few repeated 16-bit
patterns, so their band values crowd into a few hot buckets). `find_pairs(algorithm="pdq")`
runs at its default threshold (the record's 31) in exact and in approx mode (target recall
`--recall`); the exact pairs are the ground truth (every pair within 31: tests/test_dedup_pdq.py
checks exact mode against brute force). Reported: wall time (pairs counted), the plan, the
pairs found, the recall of all pairs within 31 and of the planted pairs per distance, the plan's
expected recall at 31, and the largest bucket of the exact plan's bands over the distinct
hashes (above `hot_bucket`, 1000, the join splits a bucket on sub-bands).
Writes a Markdown report (benchmarks/results_pdq_join.md by default).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

from sparkhash.core.pdq import pdq_hash
from sparkhash.dedup.pairs import find_pairs
from sparkhash.dedup.plan import DEFAULT_HOT_BUCKET, DEFAULT_RECALL

NBITS = 256
WORDS = 4
DISTANCES = (16, 24, 31)


def random_hashes(n: int, rng: np.random.Generator) -> np.ndarray:
    """n uniform 256-bit hashes as (n, 4) uint64 words, most significant first."""
    return rng.integers(0, 2**64, size=(n, WORDS), dtype=np.uint64)


def partners_at(
    values: np.ndarray, distance: int, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(sources, partners): `count` random rows of `values` and a copy of each `distance` bits away."""
    sources = rng.choice(len(values), size=count, replace=False)
    partners = values[sources].copy()
    for i in range(count):
        for bit in rng.choice(NBITS, size=distance, replace=False):
            partners[i, bit // 64] ^= np.uint64(1) << np.uint64(63 - bit % 64)
    return sources, partners


def blank_hashes(count: int, rng: np.random.Generator) -> np.ndarray:
    """PDQ hashes of `count` near-uniform images (solid colours, faint noise or gradient)."""
    out = np.zeros((count, WORDS), dtype=np.uint64)
    for i in range(count):
        w, h = (int(x) for x in rng.integers(24, 80, size=2))
        colour = rng.integers(0, 256, size=3)
        pixels = np.broadcast_to(colour, (h, w, 3)).astype(float)
        kind = i % 3
        if kind == 1:
            pixels = pixels + rng.normal(0, 0.6, (h, w, 3))
        elif kind == 2:
            pixels = pixels + np.linspace(0, rng.uniform(1, 6), w)[None, :, None]
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
        hex_ = str(pdq_hash(image)[0])
        out[i] = [int(hex_[16 * j : 16 * j + 16], 16) for j in range(WORDS)]
    return out


def hexes(values: np.ndarray) -> list[str]:
    return ["".join(format(int(w), "016x") for w in row) for row in values]


def write_hashes(values: np.ndarray, path: str) -> None:
    n = len(values)
    table = pa.table({"path": [f"img/{i:09d}.jpg" for i in range(n)], "pdq": hexes(values)})
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    pq.write_table(table, os.path.join(path, "part-0.parquet"))


def largest_bucket(values: np.ndarray, plan) -> int:
    """The largest bucket over the plan's bands (distinct hashes with one band value)."""
    distinct = np.unique(values, axis=0)
    largest = 0
    for band in plan.bands:
        masked = distinct & np.array(band.masks, dtype=np.uint64)[None, :]
        _, counts = np.unique(masked, axis=0, return_counts=True)
        largest = max(largest, int(counts.max()))
    return largest


def plan_text(plan) -> str:
    """'16 bands of 16 bits, radius 1'."""
    widths = sorted({b.width for b in plan.bands})
    bits = "-".join(str(w) for w in (widths[0], widths[-1])) if len(widths) > 1 else str(widths[0])
    return f"{len(plan.bands)} bands of {bits} bits, radius {plan.radius}"


def run(spark, path: str, mode: str, recall: float):
    frame = spark.read.parquet(path)
    started = time.perf_counter()
    result = find_pairs(frame, algorithm="pdq", mode=mode, target_recall=recall, expand_limit=1 << 40)
    rows = result.pairs.select("path_a", "path_b", "distance").collect()
    seconds = time.perf_counter() - started
    pairs = {(int(r.path_a[4:13]), int(r.path_b[4:13])): r.distance for r in rows}
    return pairs, result.plan, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--planted", type=int, default=300, help="planted pairs per distance")
    parser.add_argument("--blank-rate", type=float, default=0.1)
    parser.add_argument("--recall", type=float, default=DEFAULT_RECALL)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--workdir", default="/tmp/sparkhash-bench-pdq")
    parser.add_argument("--report", default=os.path.join(os.path.dirname(__file__), "results_pdq_join.md"))
    args = parser.parse_args(argv)

    from sparkhash.spark.session import get_session

    spark = get_session(app_name="sparkhash-bench-pdq", extra={"spark.ui.showConsoleProgress": "false"})
    lines = [
        "# The dups join at PDQ's distance (k = 31 of 256 bits)",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Spark {spark.version}, master {spark.conf.get('spark.master')}",
        f"- load average at start: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1 / 5 / 15 min; "
        "the machine is shared: times are indicative)",
        f"- command: `python benchmarks/bench_pdq_join.py --sizes {args.sizes} --planted {args.planted} "
        f"--blank-rate {args.blank_rate} --recall {args.recall} --seed {args.seed}`",
        "",
        "| N (random + planted + blank) | mode | plan | seconds | pairs | recall of all pairs <= 31 | "
        + " | ".join(f"planted at {d}" for d in DISTANCES)
        + " | expected recall at 31 | largest bucket (exact bands) |",
        "|---|---|---|---|---|---|" + "---|" * len(DISTANCES) + "---|---|",
    ]
    rng = np.random.default_rng(args.seed)
    for n in (int(s) for s in args.sizes.split(",")):
        values = random_hashes(n, rng)
        planted: dict[int, set[tuple[int, int]]] = {}
        parts = [values]
        offset = n
        for d in DISTANCES:
            sources, partners = partners_at(values, d, args.planted, rng)
            planted[d] = {(int(s), offset + i) for i, s in enumerate(sources)}
            parts.append(partners)
            offset += len(partners)
        blanks = blank_hashes(int(n * args.blank_rate), rng)
        parts.append(blanks)
        everything = np.concatenate(parts)
        path = os.path.join(args.workdir, f"n{n}")
        write_hashes(everything, path)
        label = f"{len(everything):,} ({n:,} + {offset - n:,} + {len(blanks):,}; {len(np.unique(blanks, axis=0)):,} distinct blank)"
        truth, plan, seconds = run(spark, path, "exact", args.recall)
        bucket = largest_bucket(everything, plan)
        for mode in ("exact", "approx"):
            if mode == "approx":
                pairs, plan, seconds = run(spark, path, "approx", args.recall)
            else:
                pairs = truth
            found = set(pairs)
            recall_all = len(found & set(truth)) / max(1, len(truth))
            per_distance = [len(planted[d] & found) / len(planted[d]) for d in DISTANCES]
            expected = f"{plan.expected_recall:.4f}" if mode == "approx" else "1 (exact)"
            lines.append(
                f"| {label} | {mode} | {plan_text(plan)} | {seconds:.1f} | {len(pairs):,} | "
                f"{recall_all:.4f} | " + " | ".join(f"{r:.3f}" for r in per_distance) + f" | {expected} | "
                f"{bucket if mode == 'exact' else ''} |"
            )
            print(lines[-1], flush=True)
    lines += [
        "",
        f"Buckets above hot_bucket ({DEFAULT_HOT_BUCKET}) are split on sub-bands by the join (`dedup/join.py`).",
    ]
    with open(args.report, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {args.report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
