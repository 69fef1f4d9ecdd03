"""Benchmark of the near-duplicate job: exact banded join vs brute force vs Spark MLlib LSH.

    python benchmarks/bench_dedup.py --sizes 10000,100000,1000000

Synthetic 64-bit hashes (uniform random) with planted near-duplicate groups (20 % of the
images in groups of 5 around a base hash, each member 0-2 bits from the base, so members are
within 4 bits of each other). For each N: sparkhash exact mode (wall time of pairs written to
Parquet), candidate pairs per true pair, recall against numpy blocked brute force (measured in
full where it fits, else on a random subset of query rows, with its time extrapolated from a
fraction of the row blocks), and MLlib BucketedRandomProjectionLSH.approxSimilarityJoin at the
smallest size. Also: 10 % identical blank images vs none at 100k, and approx-mode recall.
Writes a Markdown report (benchmarks/results_dedup.md by default).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import os
import platform
import shutil
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sparkhash.core.params import HashParams
from sparkhash.dedup.join import hash_candidates
from sparkhash.dedup.pairs import find_pairs
from sparkhash.dedup.plan import DEFAULT_RECALL, DEFAULT_THRESHOLD, exact_plan

GROUP = 5
DUP_RATE = 0.2


def synthetic(n: int, seed: int, blank_rate: float = 0.0) -> np.ndarray:
    """n uint64 hashes: random, plus planted groups of GROUP near-duplicates; optionally blank (0) images."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    planted = int(n * DUP_RATE) // GROUP * GROUP
    bases = np.repeat(values[: planted // GROUP], GROUP)
    for _ in range(2):
        bit = rng.integers(0, 64, size=planted, dtype=np.uint64)
        flip = rng.random(planted) < 0.5
        bases = np.where(flip, bases ^ (np.uint64(1) << bit), bases)
    values[:planted] = bases
    if blank_rate:
        values[planted : planted + int(n * blank_rate)] = 0
    return values


def with_pairs_at(values: np.ndarray, distance: int, pairs: int, seed: int) -> tuple[np.ndarray, set]:
    """Append `pairs` partners at exactly `distance` bits from random existing hashes."""
    rng = np.random.default_rng(seed)
    n = len(values)
    sources = rng.choice(n, size=pairs, replace=False)
    partners = values[sources].copy()
    for i in range(pairs):
        for bit in rng.choice(64, size=distance, replace=False):
            partners[i] ^= np.uint64(1) << np.uint64(bit)
    planted = {(int(s), n + i) for i, s in enumerate(sources)}
    return np.concatenate([values, partners]), planted


def write_hashes(values: np.ndarray, path: str) -> None:
    n = len(values)
    params = HashParams().to_json()
    table = pa.table(
        {
            "path": [f"img/{i:09d}.jpg" for i in range(n)],
            "length": pa.array(np.full(n, 50_000, dtype=np.int64)),
            "width": pa.array(np.full(n, 640, dtype=np.int32)),
            "height": pa.array(np.full(n, 480, dtype=np.int32)),
            "phash": [format(int(v), "016x") for v in values],
            "error": pa.nulls(n, pa.string()),
            # constant columns dictionary-encoded: 10M copies of the params JSON would take GBs
            "params": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(n, dtype=np.int32)), pa.array([params])
            ),
            "run_id": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(n, dtype=np.int32)), pa.array(["bench"])
            ),
        }
    )
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    pq.write_table(table, os.path.join(path, "part-0.parquet"))


def brute_force(values: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[set, float]:
    """Pairs (i < j) within k among all values, for query `rows` (all by default); and the seconds taken.

    Blocks of query rows against all values, each block about 2^22 XORs (32 MiB) to stay in cache-friendly sizes.
    """
    t0 = time.perf_counter()
    rows = np.arange(len(values)) if rows is None else rows
    block = max(1, 2**22 // len(values))
    found = set()
    for start in range(0, len(rows), block):
        q = rows[start : start + block]
        d = np.bitwise_count(values[q][:, None] ^ values[None, :])
        qi, j = np.nonzero(d <= k)
        for a, b in zip(q[qi].tolist(), j.tolist(), strict=True):
            if a != b:
                found.add((min(a, b), max(a, b)))
    return found, time.perf_counter() - t0


def legacy_exact_plan(nbits, words, threshold, count, sample=None, max_radius=2, hot_bucket=None, **_):
    """The plan before per-band radii (the baseline): k // (r+1) + 1 equal bands, one radius."""
    from sparkhash.dedup import plan as B

    best = None
    sample = sample if sample is not None else np.zeros((0, words), dtype=np.uint64)
    for radius in range(max_radius + 1):
        m = threshold // (radius + 1) + 1
        parts = [B.Band(B.bit_mask(p, nbits, words)) for p in B.split_bits(list(range(nbits)), m)]
        if m > nbits or (radius > 0 and min(b.width for b in parts) <= radius):
            continue
        dists = B._sample_band_distances(sample, parts)
        probes = sum(count * B.probe_volume(b.width, radius) for b in parts)
        cand = sum(
            float(count) * count * B._pair_rate(dists[:, j] if len(dists) else dists, radius, b.width)
            for j, b in enumerate(parts)
        )
        cost = probes + count * m + cand
        plan = B.BandPlan(
            nbits=nbits, words=words, threshold=threshold, mode="exact", bands=tuple(parts), radius=radius,
            sub_bands=tuple(B._sub_bands(b, nbits, words, threshold) for b in parts),
            hot_bucket=hot_bucket or B.DEFAULT_HOT_BUCKET,
            estimate={"probe_rows": probes, "build_rows": count * m, "candidates": cand, "cost": cost},
        )  # fmt: skip
        if best is None or cost < best[0]:
            best = (cost, plan)
    return best[1]


def plan_text(plan) -> str:
    """'3 bands 23/23/18 bits, r=1/1/0'; a two-sided band's radius as build+probe, '1+1'."""
    widths = "/".join(str(b.width) for b in plan.bands)
    radii = "/".join(
        f"{plan.build_radius(i)}+{plan.probe_radius(i)}" if plan.build_radius(i) else str(plan.band_radius(i))
        for i in range(len(plan.bands))
    )
    return f"{len(plan.bands)} bands {widths} bits, r={radii}"


class Memory:
    """Peak memory of the run: the Spark JVM's heap (sum of the pools' peaks, reset per size) and
    resident set (VmHWM, reset through /proc/PID/clear_refs), and this Python driver's RSS."""

    def __init__(self, spark):
        self.jvm = spark._jvm
        self.pid = int(self.jvm.java.lang.ProcessHandle.current().pid())

    def reset(self) -> None:
        for pool in self.jvm.java.lang.management.ManagementFactory.getMemoryPoolMXBeans():
            pool.resetPeakUsage()
        for pid in (self.pid, os.getpid()):
            try:
                with open(f"/proc/{pid}/clear_refs", "w") as fh:
                    fh.write("5")
            except OSError:
                pass

    def read(self) -> str:
        heap = 0
        for pool in self.jvm.java.lang.management.ManagementFactory.getMemoryPoolMXBeans():
            if str(pool.getType()) == "Heap memory":
                heap += pool.getPeakUsage().getUsed()
        rss = {}
        for name, pid in (("jvm", self.pid), ("py", os.getpid())):
            with open(f"/proc/{pid}/status") as fh:
                rss[name] = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 2**20
        return f"JVM heap peak {heap / 2**30:.2f} GiB, JVM RSS peak {rss['jvm']:.1f} GiB, Python RSS peak {rss['py']:.1f} GiB"


def found_pairs_in_spark(spark, pairs_path: str, sample: np.ndarray) -> tuple[int, set]:
    """(number of pairs, pairs touching `sample` rows), computed in Spark (no 4M-row collect)."""
    from pyspark.sql import functions as F

    df = spark.read.parquet(pairs_path).select(
        F.substring("path_a", 5, 9).cast("long").alias("a"),
        F.substring("path_b", 5, 9).cast("long").alias("b"),
    )
    rows = sample.tolist()
    touching = df.filter(F.col("a").isin(rows) | F.col("b").isin(rows)).collect()
    return df.count(), {(r.a, r.b) for r in touching}


def found_index_pairs(spark, pairs_path: str) -> set:
    rows = spark.read.parquet(pairs_path).select("path_a", "path_b").collect()
    return {(int(r.path_a[4:13]), int(r.path_b[4:13])) for r in rows}


def run_exact(
    spark,
    path: str,
    out: str,
    k: int,
    mode: str = "exact",
    recall: float = DEFAULT_RECALL,
    legacy: bool = False,
    two_sided: bool | None = None,
    plan_count: int | None = None,
):
    """find_pairs, pairs written to Parquet: (result, seconds). `legacy`: with the baseline plan;
    `two_sided`: with the cheapest plan with (True) or without (False) a two-sided band;
    `plan_count`: with the plan the cost model picks for that many hashes."""
    hashes = spark.read.parquet(path)
    t0 = time.perf_counter()
    planner = None  # the mode's own
    if legacy:
        planner = legacy_exact_plan
    elif two_sided is not None:
        planner = functools.partial(exact_plan, two_sided=two_sided)
    elif plan_count is not None:

        def planner(nbits, words, threshold, count, *, sample):
            return exact_plan(nbits, words, threshold, plan_count, sample=sample)

    result = find_pairs(hashes, "phash", k, mode=mode, target_recall=recall, planner=planner)
    result.pairs.write.mode("overwrite").parquet(out)
    seconds = time.perf_counter() - t0
    return result, seconds


def count_candidates(spark, path: str, plan, fraction: float = 1.0) -> float:
    """Candidate pairs of the plan's join. With `fraction` < 1, only that random fraction of the
    distinct hashes probes (against all of them as the build side) and the count is scaled up:
    the join's cost without paying for a second full join."""
    from pyspark.sql import functions as F

    from sparkhash.dedup.join import hex_to_words

    df = spark.read.parquet(path)
    distinct = df.select(hex_to_words(F.col("phash"), 1)[0].alias("w0")).distinct()
    if fraction >= 1.0:
        return float(hash_candidates(distinct, plan).count())
    probe = distinct.sample(False, fraction, seed=23).localCheckpoint(eager=True)
    n_probe = probe.count()
    return hash_candidates(distinct, plan, probe=probe).count() * distinct.count() / max(n_probe, 1)


def run_mllib(spark, path: str, k: int, tables: int, bucket: float) -> tuple[set, float]:
    from pyspark.ml.feature import BucketedRandomProjectionLSH
    from pyspark.ml.functions import array_to_vector
    from pyspark.sql import functions as F

    from sparkhash.dedup.join import hex_to_words

    df = spark.read.parquet(path)
    w = hex_to_words(F.col("phash"), 1)[0]
    bits = F.array(*[F.shiftright(w, 63 - i).bitwiseAND(1).cast("double") for i in range(64)])
    vec = df.select("path", array_to_vector(bits).alias("features"))
    t0 = time.perf_counter()
    model = BucketedRandomProjectionLSH(
        inputCol="features", outputCol="h", bucketLength=bucket, numHashTables=tables, seed=3
    ).fit(vec)
    joined = model.approxSimilarityJoin(vec, vec, float(np.sqrt(k)) + 1e-9, distCol="d")
    rows = (
        joined.filter(F.col("datasetA.path") < F.col("datasetB.path"))
        .select(F.col("datasetA.path").alias("a"), F.col("datasetB.path").alias("b"))
        .collect()
    )
    seconds = time.perf_counter() - t0
    return {(int(r.a[4:13]), int(r.b[4:13])) for r in rows}, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--threshold", type=int, default=DEFAULT_THRESHOLD)
    parser.add_argument("--brute-full-max", type=int, default=100_000, help="full brute force up to this N")
    parser.add_argument("--mllib-sizes", default="10000", help="sizes at which MLlib LSH runs")
    parser.add_argument("--mllib-tables", type=int, default=8)
    parser.add_argument("--mllib-bucket", type=float, default=2.0)
    parser.add_argument(
        "--blank-size", type=int, default=100_000, help="N of the 10 %% blank-image run (0: skip)"
    )
    parser.add_argument("--repeat-max", type=int, default=100_000, help="best of two runs up to this N")
    parser.add_argument(
        "--legacy-max",
        type=int,
        default=0,
        help="also run the baseline plan (equal bands, one radius) up to this N",
    )
    parser.add_argument(
        "--sides-max",
        type=int,
        default=0,
        help="also run the cheapest plan of the other kind (one-sided vs two-sided bands) up to this N",
    )
    parser.add_argument(
        "--plan-counts",
        default="",
        help="also run, at each N, the plans the cost model picks for these numbers of hashes "
        "(e.g. 10000000: the 10M plan's cost per row measured on smaller data)",
    )
    parser.add_argument(
        "--approx-size",
        type=int,
        default=-1,
        help="N of the approximate-mode run (-1: the second size; 0: skip)",
    )
    parser.add_argument(
        "--count-all-max",
        type=int,
        default=3_000_000,
        help="count all candidates up to this N; above, estimate from --count-fraction",
    )
    parser.add_argument("--count-fraction", type=float, default=0.05)
    parser.add_argument(
        "--driver-memory", default=None, help="spark.driver.memory (local mode: the executors' too)"
    )
    parser.add_argument("--workdir", default="/tmp/sparkhash-bench")
    parser.add_argument(
        "--report", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results_dedup.md")
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    mllib_sizes = {int(s) for s in args.mllib_sizes.split(",") if s}
    k = args.threshold

    from sparkhash.spark.session import get_session

    extra = {"spark.ui.showConsoleProgress": "false"}
    if args.driver_memory:
        extra["spark.driver.memory"] = args.driver_memory
    spark = get_session(app_name="sparkhash-bench", extra=extra)
    memory = Memory(spark)
    os.makedirs(args.workdir, exist_ok=True)
    lines = [
        "# Near-duplicate job benchmark",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, Python "
        f"{platform.python_version()}, Spark {spark.version}, master {spark.conf.get('spark.master')}, "
        f"spark.driver.memory {spark.conf.get('spark.driver.memory', '1g')}",
        f"- load average at start: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1 / 5 / 15 min; "
        "the machine is shared)",
        f"- command: `python benchmarks/bench_dedup.py {' '.join(argv if argv is not None else sys.argv[1:])}`",
        f"- data: uniform random 64-bit hashes, {int(DUP_RATE * 100)} % in planted groups of {GROUP} "
        f"(members 0-2 bits from the group base); threshold k = {k}",
        "- brute force: numpy, blocked (query rows x all, ~2^22 XOR + popcount per block), one process "
        "(one core), the exact all-pairs answer; at 1M timed on 1024 query rows and scaled to all N rows",
        "- sparkhash time: hashes Parquet in, pairs Parquet out (params check, plan, join, expansion), "
        "after an untimed warm-up run; best of two runs for N <= 100k, one run at 1M; "
        "candidates include each hash meeting itself once per band",
        "- MLlib: BucketedRandomProjectionLSH on the 64 bits as 0/1 vectors (Euclidean² = Hamming), "
        "approxSimilarityJoin at sqrt(k), pairs collected",
        "",
        "| N | sparkhash exact (s) | plan | pairs | candidates / true pair | recall vs brute force "
        "| brute force (s) | speed-up vs brute force | MLlib BRP LSH (s) | MLlib recall | speed-up vs MLlib |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    legacy_lines = [
        "",
        "Baseline in the same run: the previous plan (k // (r+1) + 1 equal bands, one radius) on the same data:",
        "",
        "| N | baseline plan | baseline (s) | baseline candidates / true pair | new plan (s) | new candidates / true pair "
        "| speed-up |",
        "|---|---|---|---|---|---|---|",
    ]
    sides_lines = [
        "",
        "One-sided vs two-sided bands in the same run, on the same data (the plan the cost model "
        "chooses is marked *):",
        "",
        "| N | one-sided plan | (s) | candidates / true pair | two-sided plan | (s) | candidates / true pair |",
        "|---|---|---|---|---|---|---|",
    ]
    plans_lines = [
        "",
        "Plans picked for other sizes, run on this N (same pairs: equal to the plan's own output):",
        "",
        "| N | plan for | plan | (s) | candidates / true pair | same pairs |",
        "|---|---|---|---|---|---|",
    ]
    memory_lines = ["", "Memory (peaks during the timed run and the candidate count of each N):", ""]
    notes = []
    # warm-up (JIT, code generation), not timed
    warm = os.path.join(args.workdir, "warmup")
    write_hashes(synthetic(5000, seed=1), warm)
    run_exact(spark, warm, os.path.join(args.workdir, "pairs_warmup"), k)
    for n in sizes:
        print(f"== N = {n}", file=sys.stderr, flush=True)
        values = synthetic(n, seed=n)
        path = os.path.join(args.workdir, f"hashes_{n}")
        write_hashes(values, path)
        out = os.path.join(args.workdir, f"pairs_{n}")
        memory.reset()
        result, seconds = run_exact(spark, path, out, k)
        if n <= args.repeat_max:
            seconds = min(seconds, run_exact(spark, path, out, k)[1])
        fraction = 1.0 if n <= args.count_all_max else args.count_fraction
        candidates = count_candidates(spark, path, result.plan, fraction)
        if fraction < 1.0:
            notes.append(
                f"Candidates at N = {n:,}: estimated from {fraction:.0%} of the hashes probing all of them."
            )
        memory_lines.append(f"- N = {n:,}: {memory.read()}")
        print(memory_lines[-1], file=sys.stderr, flush=True)
        if n <= args.brute_full_max:
            found = found_index_pairs(spark, out)
            truth, brute_s = brute_force(values, k)
            recall = len(found & truth) / max(len(truth), 1)
            exact_equal = found == truth
            brute_text = f"{brute_s:.1f}"
            recall_text = f"{recall:.4f}" + (" (equal)" if exact_equal else "")
            n_true = len(truth)
        else:
            rng = np.random.default_rng(1)
            sample = rng.choice(n, size=1024, replace=False)
            truth_sample, sample_s = brute_force(values, k, rows=sample)
            brute_s = sample_s * n / len(sample)
            n_found, found_sample = found_pairs_in_spark(spark, out, sample)
            recall = len(found_sample & truth_sample) / max(len(truth_sample), 1)
            exact_equal = found_sample == truth_sample
            recall_text = f"{recall:.4f} (1024 query rows{', equal' if exact_equal else ''})"
            brute_text = f"{brute_s:.0f} (extrapolated from 1024 rows)"
            n_true = n_found
            found = range(n_found)  # only its length is used below
        mllib_s = mllib_recall = None
        if n in mllib_sizes:
            ml_found, mllib_s = run_mllib(spark, path, k, args.mllib_tables, args.mllib_bucket)
            truth_ml = truth if n <= args.brute_full_max else found
            mllib_recall = len(ml_found & truth_ml) / max(len(truth_ml), 1)
        lines.append(
            f"| {n:,} | {seconds:.1f} | {plan_text(result.plan)} | {len(found):,} "
            f"| {candidates / max(n_true, 1):.1f} | {recall_text} | {brute_text} | {brute_s / seconds:.1f}x "
            f"| {'' if mllib_s is None else f'{mllib_s:.1f}'} "
            f"| {'' if mllib_recall is None else f'{mllib_recall:.4f}'} "
            f"| {'' if mllib_s is None else f'{mllib_s / seconds:.1f}x'} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
        if n <= args.legacy_max:
            legacy_out = os.path.join(args.workdir, f"pairs_legacy_{n}")
            legacy, legacy_s = run_exact(spark, path, legacy_out, k, legacy=True)
            if n <= args.repeat_max:
                legacy_s = min(legacy_s, run_exact(spark, path, legacy_out, k, legacy=True)[1])
            legacy_c = count_candidates(spark, path, legacy.plan)
            legacy_lines.append(
                f"| {n:,} | {plan_text(legacy.plan)} | {legacy_s:.1f} "
                f"| {legacy_c / max(n_true, 1):.1f} | {seconds:.1f} | {candidates / max(n_true, 1):.1f} "
                f"| {legacy_s / seconds:.2f}x |"
            )
            print(legacy_lines[-1], file=sys.stderr, flush=True)
        if n <= args.sides_max:
            chosen = result.plan.two_sided
            other_out = os.path.join(args.workdir, f"pairs_other_{n}")
            other, other_s = run_exact(spark, path, other_out, k, two_sided=not chosen)
            if n <= args.repeat_max:
                other_s = min(other_s, run_exact(spark, path, other_out, k, two_sided=not chosen)[1])
            other_c = count_candidates(spark, path, other.plan, fraction)
            same = spark.read.parquet(other_out).exceptAll(spark.read.parquet(out)).count() == 0
            same = same and spark.read.parquet(out).exceptAll(spark.read.parquet(other_out)).count() == 0
            cells = {
                chosen: f"{plan_text(result.plan)} * | {seconds:.1f} | {candidates / max(n_true, 1):.1f}",
                not chosen: f"{plan_text(other.plan)} | {other_s:.1f} | {other_c / max(n_true, 1):.1f}",
            }
            sides_lines.append(f"| {n:,} | {cells[False]} | {cells[True]} |")
            if not same:
                notes.append(f"N = {n:,}: the one- and two-sided plans wrote DIFFERENT pairs")
            print(sides_lines[-1], f"same pairs: {same}", file=sys.stderr, flush=True)
        for count in [int(c) for c in args.plan_counts.split(",") if c]:
            extra_out = os.path.join(args.workdir, f"pairs_plan_{n}_{count}")
            extra, extra_s = run_exact(spark, path, extra_out, k, plan_count=count)
            if n <= args.repeat_max:
                extra_s = min(extra_s, run_exact(spark, path, extra_out, k, plan_count=count)[1])
            extra_c = count_candidates(spark, path, extra.plan, fraction)
            same = spark.read.parquet(extra_out).exceptAll(spark.read.parquet(out)).count() == 0
            same = same and spark.read.parquet(out).exceptAll(spark.read.parquet(extra_out)).count() == 0
            plans_lines.append(
                f"| {n:,} | {count:,} | {plan_text(extra.plan)} | {extra_s:.1f} "
                f"| {extra_c / max(n_true, 1):.1f} | {'yes' if same else 'NO'} |"
            )
            print(plans_lines[-1], file=sys.stderr, flush=True)
    if len(legacy_lines) > 6:
        lines += legacy_lines
    if len(sides_lines) > 5:
        lines += sides_lines
    if len(plans_lines) > 5:
        lines += plans_lines
    lines += memory_lines

    if args.blank_size:
        n = args.blank_size
        timings = {}
        for label, blank in (("no blank images", 0.0), ("10 % identical blank images", 0.1)):
            path = os.path.join(args.workdir, f"blank_{n}_{blank}")
            write_hashes(synthetic(n, seed=7, blank_rate=blank), path)
            result, seconds = run_exact(spark, path, os.path.join(args.workdir, "pairs_blank"), k)
            pairs = spark.read.parquet(os.path.join(args.workdir, "pairs_blank")).count()
            timings[label] = (seconds, pairs)
        notes.append(f"Hot buckets, N = {n:,}, k = {k}:")
        for label, (seconds, pairs) in timings.items():
            notes.append(f"- {label}: {seconds:.1f} s, {pairs:,} pairs written")
        notes.append(
            "  (the blank group is written as one star of n - 1 pairs plus a `groups` row per member, "
            "not n(n-1)/2 pairs)"
        )

    n = sizes[min(1, len(sizes) - 1)] if args.approx_size < 0 else args.approx_size
    if n:
        notes += approx_notes(spark, args, n)
    lines += ["", *notes, ""]
    with open(args.report, "w") as fh:
        fh.write("\n".join(lines))
    print("\n".join(lines))
    return 0


def approx_notes(spark, args, n: int) -> list[str]:
    notes = []
    values, at_eight = with_pairs_at(synthetic(n, seed=n), 8, 2000, seed=5)
    path = os.path.join(args.workdir, f"approx_{n}")
    write_hashes(values, path)
    result, seconds = run_exact(
        spark, path, os.path.join(args.workdir, "pairs_approx"), 8, mode="approx", recall=0.9
    )
    found = found_index_pairs(spark, os.path.join(args.workdir, "pairs_approx"))
    exact, exact_s = run_exact(spark, path, os.path.join(args.workdir, "pairs_exact8"), 8)
    truth = found_index_pairs(spark, os.path.join(args.workdir, "pairs_exact8"))
    notes.append("")
    notes.append(
        f"Approximate mode, N = {n + 2000:,}, k = 8, target recall 0.9: {seconds:.1f} s "
        f"(exact mode at k = 8 on the same data: {exact_s:.1f} s); {len(result.plan.bands)} bands of "
        f"{result.plan.bands[0].width} sampled bits; expected recall at distance 8: "
        f"{result.plan.expected_recall:.4f}; measured on 2,000 planted pairs at distance exactly 8: "
        f"{len(found & at_eight) / len(at_eight):.4f}; over all {len(truth):,} pairs within 8: "
        f"{len(found & truth) / max(len(truth), 1):.4f} (closer pairs are found more often)."
    )
    return notes


if __name__ == "__main__":
    sys.exit(main())
