"""Benchmark of the `robust` dups join (candidate pairs, then their verification) at large N.

    python benchmarks/bench_robust_dedup.py --sizes 100000,300000,1000000 --legacy-max 100000

Synthetic robust signatures in the stored text form (`robust.to_text`: `v4;G;D0;D1;P`): random
64-bit global hashes (one per candidate orientation), 160 random 256-bit descriptors per orientation
(the mirrored set independent of the normal one), and one fixed valid payload P (a grey
64 x 48 thumbnail and 160 keypoints per orientation) shared by every image. Planted pairs:
the last `--dup-rate` of the images are copies of the first ones: all global hashes with
`--global-flips` random bits flipped, `--shared` of the descriptors of each orientation copied
with 0 to `--descriptor-flips` random bits flipped (the rest new random ones).

Timed, per N, on the hashes Parquet written once beforehand (pyarrow, untimed):
1. the candidate join as `find_robust_pairs` runs it: the signatures checkpointed with their
   ids, then the candidate ids checkpointed (`dedup.robust.candidate_ids`);
2. the second pass's join (`hop_candidates`), through the planted pairs as the matches;
3. verification of those candidates (`candidate_texts` + `verify_candidates`, verdicts
   counted). With one shared payload every planted pair verifies (same keypoints and
   thumbnail) and random candidates are rejected at the descriptor matching stage, so this
   times real `verify_pair` code on synthetic candidates, not verification of real images.
At N <= --legacy-max the previous implementation (string keys, global distinct, join back,
self-join; copied here as `legacy_candidate_pairs`) runs on the same checkpointed signatures
and its candidate set is compared with the new one. Writes a Markdown report.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import os
import platform
import shutil
import struct
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sparkhash.core import robust
from sparkhash.core.params import HashParams

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_dedup import Memory  # noqa: E402

ROWS = robust.DEFAULT_CONFIG.features  # descriptors per orientation
_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
_B64 = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", np.uint8)
#: Offset of the two global hashes in the payload's binary head, and the head rounded up to
#: whole base64 groups (re-encoded per image).
_GLOBAL_AT = struct.calcsize("<BBHH4f")
#: Bytes of the global hashes of one image (8 orientations x 64 bits) and the text's version field.
G_BYTES = 8 * len(robust.CANDIDATE_ORIENTATIONS)
_TAG = (robust.TEXT_TAG + ";").encode()
_HEAD_BYTES = -(-struct.calcsize(robust._HEAD) // 3) * 3


def _base64(data: np.ndarray) -> np.ndarray:
    """(n, 3k) uint8 -> (n, 4k) uint8 ASCII base64 (no padding needed)."""
    x = data.reshape(len(data), -1, 3).astype(np.uint32)
    v = (x[:, :, 0] << 16) | (x[:, :, 1] << 8) | x[:, :, 2]
    out = np.stack([(v >> s) & 63 for s in (18, 12, 6, 0)], axis=2)
    return _B64[out].reshape(len(data), -1)


def payload(seed: int = 7) -> str:
    """A valid payload P (`to_text`'s fourth part): grey 64 x 48 thumbnail, ROWS points per orientation."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:48, 0:64]
    thumb = (128 + 60 * np.sin(x / 5.0) * np.cos(y / 7.0) + rng.normal(0, 8, (48, 64))).clip(0, 255)
    points = [rng.uniform([0, 0], [256, 192], (ROWS, 2)).astype(np.float32) for _ in range(2)]
    sig = robust.RobustSignature(
        robust.FORMAT_VERSION,
        False,
        256,
        192,
        (0.0, 0.0, 1.0, 1.0),
        (0,) * robust.ORIENTATIONS,
        points,
        [np.zeros((ROWS, 32), np.uint8)] * 2,
        thumb.astype(np.uint8),
        None,
    )
    return robust.text_parts(robust.to_text(sig))[3]


def _hex(data: np.ndarray) -> np.ndarray:
    """(n, k) uint8 -> (n, 2k) uint8 ASCII lower-case hex."""
    out = np.empty((data.shape[0], data.shape[1] * 2), np.uint8)
    out[:, 0::2] = _HEX[data >> 4]
    out[:, 1::2] = _HEX[data & 15]
    return out


def _flip(rng: np.random.Generator, data: np.ndarray, counts: np.ndarray) -> None:
    """Flip counts[i] random bits (with repetition: at most counts[i]) of row i of (n, k) uint8 data."""
    for flips in range(1, int(counts.max(initial=0)) + 1):
        rows = np.nonzero(counts >= flips)[0]
        bits = rng.integers(0, data.shape[1] * 8, len(rows))
        data[rows, bits // 8] ^= (1 << (bits % 8)).astype(np.uint8)


class Synthetic:
    """The signatures of N images, generated in chunks (1M texts are ~26 GB)."""

    def __init__(self, n: int, dup_rate: float, shared: float, descriptor_flips: int, global_flips: int):
        self.n = n
        self.copies = int(n * dup_rate)
        self.shared = int(round(ROWS * shared))
        self.descriptor_flips = descriptor_flips
        self.global_flips = global_flips
        self.tail = np.frombuffer((";" + payload()).encode(), np.uint8)
        self.head = np.frombuffer(base64.b64decode(payload())[:_HEAD_BYTES], np.uint8)

    def originals(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """(globals (m, 16) uint8, descriptors (m, 2, ROWS, 32) uint8) of images start..stop-1,
        a function of the image index only (a copy regenerates its original)."""
        g = np.empty((stop - start, G_BYTES), np.uint8)
        d = np.empty((stop - start, 2, ROWS, 32), np.uint8)
        for k, i in enumerate(range(start, stop)):
            rng = np.random.default_rng([i, 1])
            g[k] = rng.integers(0, 256, G_BYTES, np.uint8)
            d[k] = rng.integers(0, 256, (2, ROWS, 32), np.uint8)
        return g, d

    def chunk(self, start: int, stop: int) -> pa.Table:
        g, d = self.originals(start, stop)
        first_copy = self.n - self.copies
        copy = np.arange(start, stop) >= first_copy
        if copy.any():
            k = np.nonzero(copy)[0]
            src = np.arange(start, stop)[k] - first_copy
            og = np.empty((len(k), G_BYTES), np.uint8)
            od = np.empty((len(k), 2, ROWS, 32), np.uint8)
            for j, s in enumerate(src):
                og[j : j + 1], od[j : j + 1] = self.originals(int(s), int(s) + 1)
            rng = np.random.default_rng([start, 2])
            for half in range(0, G_BYTES, 8):  # the global hash of each orientation
                part = og[:, half : half + 8].copy()
                _flip(rng, part, np.full(len(k), self.global_flips))
                og[:, half : half + 8] = part
            g[k] = og
            # which descriptors of each orientation are shared, and where they land
            for o in (0, 1):
                for j in range(len(k)):
                    take = rng.choice(ROWS, self.shared, replace=False)
                    put = rng.choice(ROWS, self.shared, replace=False)
                    shared = od[j, o, take].copy()
                    _flip(rng, shared, rng.integers(0, self.descriptor_flips + 1, self.shared))
                    d[k[j], o, put] = shared
        m = stop - start
        pos = len(_TAG) + 2 * G_BYTES
        width = pos + 2 * (ROWS * 64 + 1) + len(self.tail)
        text = np.empty((m, width), np.uint8)
        text[:, : len(_TAG)] = np.frombuffer(_TAG, np.uint8)
        text[:, len(_TAG) : pos] = _hex(g)
        for o in (0, 1):
            text[:, pos] = ord(";")
            text[:, pos + 1 : pos + 1 + ROWS * 64] = _hex(d[:, o].reshape(m, ROWS * 32))
            pos += 1 + ROWS * 64
        text[:, pos:] = self.tail
        # the payload's head repeats the global hashes (struct "<Q", verification reads them there)
        head = np.tile(self.head, (m, 1))
        for k, o in enumerate(robust.CANDIDATE_ORIENTATIONS):
            head[:, _GLOBAL_AT + 8 * o : _GLOBAL_AT + 8 * o + 8] = g[:, 8 * k : 8 * k + 8][:, ::-1]
        text[:, pos + 1 : pos + 1 + len(self.head) // 3 * 4] = _base64(head)
        offsets = pa.py_buffer((np.arange(m + 1, dtype=np.int64) * width).tobytes())
        texts = pa.LargeStringArray.from_buffers(m, offsets, pa.py_buffer(text.tobytes()))
        return pa.table(
            {
                "path": [_path(i) for i in range(start, stop)],
                "robust": texts.cast(pa.string()),
            }
        )

    def planted(self) -> set[tuple[str, str]]:
        first_copy = self.n - self.copies
        return {(_path(i), _path(first_copy + i)) for i in range(self.copies)}


def _path(i: int) -> str:
    return f"img/{i:09d}.jpg"


def write_hashes(syn: Synthetic, path: str, chunk: int = 5000) -> None:
    """The hashes table (path, robust, params, error, width, height, length) as one Parquet file."""
    params = HashParams().to_json()
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    writer = None
    for start in range(0, syn.n, chunk):
        t = syn.chunk(start, min(syn.n, start + chunk))
        m = t.num_rows
        t = t.append_column(
            "params", pa.DictionaryArray.from_arrays(pa.array(np.zeros(m, np.int32)), [params])
        )
        t = t.append_column("error", pa.nulls(m, pa.string()))
        t = t.append_column("width", pa.array(np.full(m, 640, np.int32)))
        t = t.append_column("height", pa.array(np.full(m, 480, np.int32)))
        t = t.append_column("length", pa.array(np.full(m, 50_000, np.int64)))
        if writer is None:
            writer = pq.ParquetWriter(os.path.join(path, "part-0.parquet"), t.schema, compression="zstd")
        writer.write_table(t, row_group_size=chunk)
    writer.close()


# ---------------------------------------------------------------- the previous implementation


def legacy_candidate_pairs(valid):
    """(path_a, path_b) candidates of the join before integer ids and packed keys (the baseline):
    (path, kind, band, hex) string rows, a global distinct, bucket sizes, a join back, a self-join."""
    from pyspark.sql import functions as F

    from sparkhash.dedup.robust import candidates_of_hits

    def slices(column: str, width: int, limit: int | None = None):
        count = f"floor(length({column}) / {width})"
        if limit is not None:
            count = f"least({count}, {limit})"
        return F.expr(
            f"CASE WHEN {count} > 0 THEN transform(sequence(0, {count} - 1), i -> substr({column}, i * {width} + 1, {width})) "
            "ELSE array() END"
        )

    parts = valid.select("path", F.split("hex", ";").alias("p")).select(
        "path",
        F.col("p").getItem(1).alias("g"),
        F.col("p").getItem(2).alias("d0"),
        F.col("p").getItem(3).alias("d1"),
    )
    limit = robust.DEFAULT_CONFIG.band_rows
    g = parts.select("path", F.lit(robust.GLOBAL).alias("kind"), F.explode(slices("g", 16)).alias("row"))
    d = parts.select(
        "path",
        F.lit(robust.DESCRIPTOR).alias("kind"),
        F.explode(F.concat(slices("d0", 64, limit), slices("d1", 64, limit))).alias("row"),
    )
    rows = g.unionByName(d)
    out = None
    for kind, bands in robust.BAND_SLICES.items():
        values = (
            "concat(" + ", ".join(f"substr(row, {start + 1}, {stop - start})" for start, stop in band) + ")"
            for band in bands
        )
        keyed = rows.filter(F.col("kind") == kind).select(
            "path",
            "kind",
            F.posexplode(F.expr("array(" + ", ".join(values) + ")")).alias("band", "key"),
        )
        out = keyed if out is None else out.unionByName(keyed)
    keys = out.distinct()
    sizes = keys.groupBy("kind", "band", "key").agg(F.count("*").alias("images"))
    usable = sizes.filter((F.col("images") >= 2) & (F.col("images") <= robust.MAX_BUCKET_IMAGES))
    members = keys.join(usable.select("kind", "band", "key"), ["kind", "band", "key"])
    a = members.select(F.col("path").alias("path_a"), "kind", "band", "key")
    b = members.select(F.col("path").alias("path_b"), "kind", "band", "key")
    hits = a.join(b, ["kind", "band", "key"]).filter(F.col("path_a") < F.col("path_b"))
    return candidates_of_hits(hits, "path_a", "path_b", F.lit)


# ---------------------------------------------------------------- measuring


class Stages:
    """Shuffle and spill totals of the Spark stages completed since `mark` (the status store
    keeps them with the UI disabled too)."""

    def __init__(self, spark):
        self.sc = spark.sparkContext
        self.seen: set[int] = set()
        self.mark()

    def _stages(self):
        store = self.sc._jsc.sc().statusStore()
        stages = store.stageList(None, False, False, getattr(store, "stageList$default$4")(), None)
        return [stages.apply(i) for i in range(stages.size())]

    def mark(self) -> None:
        self.seen = {s.stageId() for s in self._stages()}

    def read(self) -> dict[str, float]:
        new = [s for s in self._stages() if s.stageId() not in self.seen]
        self.mark()
        return {
            "shuffle_write_gib": sum(s.shuffleWriteBytes() for s in new) / 2**30,
            "shuffle_records": sum(s.shuffleWriteRecords() for s in new),
            "spill_disk_gib": sum(s.diskBytesSpilled() for s in new) / 2**30,
        }


def timed_join(spark, path: str) -> dict:
    """The candidate join of `find_robust_pairs` (full run): signatures with ids checkpointed,
    candidate ids checkpointed. Returns the frames and the seconds of each step."""
    from sparkhash.dedup.robust import candidate_ids, valid_signatures, with_ids

    hashes = spark.read.parquet(path)
    t0 = time.perf_counter()
    signatures = with_ids(valid_signatures(hashes).select("path", "hex")).localCheckpoint(eager=True)
    t1 = time.perf_counter()
    candidates = candidate_ids(signatures).localCheckpoint(eager=True)
    n_candidates = candidates.count()
    t2 = time.perf_counter()
    return {
        "signatures": signatures,
        "candidates": candidates,
        "n_candidates": n_candidates,
        "checkpoint_s": t1 - t0,
        "join_s": t2 - t1,
    }


def timed_second_pass(spark, signatures, candidates, planted: set[tuple[str, str]]) -> dict:
    """The second pass's join as `find_robust_pairs` runs it (`hop_candidates` over
    `matched_ids`), through the planted pairs taken as the matches found (each copy matches its
    own original only, so no pair comes out: this times the joins, not verification)."""
    from sparkhash.dedup.robust import hop_candidates, matched_ids

    matched = spark.createDataFrame(sorted(planted), "path_a string, path_b string")
    t0 = time.perf_counter()
    hops = hop_candidates(matched_ids(matched, signatures), candidates).count()
    return {"seconds": time.perf_counter() - t0, "pairs": hops}


def timed_verification(spark, signatures, candidates, n_candidates: int, sample: int, out: str) -> dict:
    """Verdicts of the candidates (or of a random `sample` of them, the time scaled up to all)
    written to Parquet: seconds (measured and for all), verified pairs, the fraction verified."""
    from sparkhash.dedup.robust import candidate_texts, verify_candidates

    fraction = min(1.0, sample / max(n_candidates, 1))
    chosen = candidates if fraction >= 1.0 else candidates.sample(False, fraction, seed=11)
    chosen = chosen.localCheckpoint(eager=True)
    verified_n = chosen.count()
    t0 = time.perf_counter()
    verify_candidates(candidate_texts(chosen, signatures)).write.mode("overwrite").parquet(out)
    seconds = time.perf_counter() - t0
    rows = spark.read.parquet(out).filter("match").select("path_a", "path_b").collect()
    return {
        "seconds": seconds,
        "all_seconds": seconds * n_candidates / max(verified_n, 1),
        "verified": {(r.path_a, r.path_b) for r in rows},
        "checked": verified_n,
        "fraction": verified_n / max(n_candidates, 1),
    }


def candidate_paths(signatures, candidates) -> set[tuple[str, str]]:
    from sparkhash.dedup.robust import candidate_texts

    return {
        (r.path_a, r.path_b)
        for r in candidate_texts(candidates, signatures).select("path_a", "path_b").collect()
    }


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--dup-rate", type=float, default=0.1, help="share of the images that are copies")
    parser.add_argument("--shared", type=float, default=0.3, help="share of a copy's descriptors kept")
    parser.add_argument("--descriptor-flips", type=int, default=8, help="at most this many bits flipped")
    parser.add_argument("--global-flips", type=int, default=3)
    parser.add_argument("--legacy-max", type=int, default=100_000, help="run the previous join up to this N")
    parser.add_argument("--verify-max", type=int, default=10**9, help="time verification up to this N")
    parser.add_argument(
        "--verify-sample", type=int, default=20_000, help="verify at most about this many random candidates"
    )
    parser.add_argument("--key-count-max", type=int, default=10**9, help="count band-key rows up to this N")
    parser.add_argument(
        "--driver-memory", default=None, help="spark.driver.memory (local mode: the executors' too)"
    )
    parser.add_argument("--workdir", default="/tmp/sparkhash-bench-robust")
    parser.add_argument(
        "--keep-input", action="store_true", help="reuse an existing input Parquet of the same N"
    )
    parser.add_argument(
        "--report",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results_robust_dedup.md"),
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    from sparkhash.dedup.robust import signature_keys
    from sparkhash.spark.session import get_session

    extra = {"spark.ui.showConsoleProgress": "false"}
    if args.driver_memory:
        extra["spark.driver.memory"] = args.driver_memory
    spark = get_session(app_name="sparkhash-bench-robust", extra=extra)
    memory = Memory(spark)
    stages = Stages(spark)
    os.makedirs(args.workdir, exist_ok=True)
    command = " ".join(argv if argv is not None else sys.argv[1:])
    lines = [
        "# robust dups join benchmark",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, Python "
        f"{platform.python_version()}, Spark {spark.version}, master {spark.conf.get('spark.master')}, "
        f"spark.driver.memory {spark.conf.get('spark.driver.memory', '1g')}, "
        f"spark.sql.shuffle.partitions {spark.conf.get('spark.sql.shuffle.partitions')}",
        f"- load average at start: {load()} (1 / 5 / 15 min; the machine is shared)",
        f"- command: `python benchmarks/bench_robust_dedup.py {command}`",
        f"- data: random global hashes and {ROWS} random 256-bit descriptors per orientation; "
        f"{args.dup_rate:.0%} of the images are planted copies ({args.shared:.0%} of each orientation's "
        f"descriptors kept with 0-{args.descriptor_flips} bits flipped, global hashes {args.global_flips} "
        "bits flipped); one fixed valid payload (64 x 48 grey thumbnail, keypoints), "
        f"{len(payload()) + 32 + 2 * ROWS * 64 + 3:,} characters per signature text",
        "- join: signatures with ids checkpointed + candidate ids checkpointed (as `find_robust_pairs`); "
        "verification: candidate texts joined and verified (`verify_pair` in mapInPandas), verdicts "
        "written to Parquet. Synthetic candidates: planted pairs verify, random ones fail at descriptor "
        "matching, so verification cost per random candidate is lower than on real images. Above "
        f"{args.verify_sample:,} candidates a random sample is verified and its time scaled to all",
        "",
        "| N | band-key rows | checkpoint (s) | candidate join (s) | candidates | planted pairs "
        "| candidates / planted pair | planted pairs among candidates | second pass join (s) | verification (s) | pairs verified "
        "| planted pairs verified | shuffle written (GiB) | spill to disk (GiB) | load after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    legacy_lines = []
    memory_lines = ["", "Memory (peaks over each N's join and verification):", ""]
    for n in sizes:
        print(f"== N = {n} (load {load()})", file=sys.stderr, flush=True)
        syn = Synthetic(n, args.dup_rate, args.shared, args.descriptor_flips, args.global_flips)
        path = os.path.join(args.workdir, f"robust_{n}")
        if not (args.keep_input and os.path.exists(path)):
            t0 = time.perf_counter()
            write_hashes(syn, path)
            print(f"input written in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        planted = syn.planted()
        memory.reset()
        stages.mark()
        run = timed_join(spark, path)
        shuffle = stages.read()
        print(f"join: {run['checkpoint_s']:.1f} + {run['join_s']:.1f} s, {run['n_candidates']:,} candidates, {shuffle}",
              file=sys.stderr, flush=True)  # fmt: skip
        second = timed_second_pass(spark, run["signatures"], run["candidates"], planted)
        print(
            f"second pass join: {second['seconds']:.1f} s, {second['pairs']} pairs",
            file=sys.stderr,
            flush=True,
        )
        cands = candidate_paths(run["signatures"], run["candidates"])
        hit = len(cands & planted)
        if n <= args.verify_max:
            v = timed_verification(
                spark,
                run["signatures"],
                run["candidates"],
                run["n_candidates"],
                args.verify_sample,
                os.path.join(args.workdir, "verdicts"),
            )
            if v["fraction"] >= 1.0:
                verify_text = f"{v['seconds']:.1f}"
                planted_verified = f"{len(v['verified'] & planted) / max(len(planted), 1):.4f}"
            else:
                verify_text = (
                    f"{v['all_seconds']:.0f} (est.: {v['seconds']:.1f} s for a random {v['checked']:,})"
                )
                planted_verified = f"{len(v['verified'] & planted) / max(len(cands & planted) * v['fraction'], 1):.4f} (est.)"
            verified_text = f"{len(v['verified']):,}" + (
                "" if v["fraction"] >= 1.0 else f" of {v['checked']:,}"
            )
        else:
            verify_text = verified_text = planted_verified = "not run"
        memory_lines.append(f"- N = {n:,}: {memory.read()}")
        key_rows = (
            f"{signature_keys(run['signatures']).count():,}" if n <= args.key_count_max else "not counted"
        )
        lines.append(
            f"| {n:,} | {key_rows} | {run['checkpoint_s']:.1f} | {run['join_s']:.1f} | {run['n_candidates']:,} "
            f"| {len(planted):,} | {run['n_candidates'] / max(len(planted), 1):.2f} "
            f"| {hit / max(len(planted), 1):.4f} | {second['seconds']:.1f} | {verify_text} | {verified_text} | {planted_verified} "
            f"| {shuffle['shuffle_write_gib']:.2f} | {shuffle['spill_disk_gib']:.2f} | {load()} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
        if n <= args.legacy_max:
            stages.mark()
            t0 = time.perf_counter()
            legacy = legacy_candidate_pairs(run["signatures"].select("path", "hex")).localCheckpoint(
                eager=True
            )
            legacy_s = time.perf_counter() - t0
            legacy_shuffle = stages.read()
            old = {(r.path_a, r.path_b) for r in legacy.collect()}
            legacy_lines += [
                "",
                f"Previous implementation, same run, N = {n:,}, on the same checkpointed signatures: "
                f"candidate join {legacy_s:.1f} s vs {run['join_s']:.1f} s "
                f"({legacy_s / run['join_s']:.1f}x), shuffle written {legacy_shuffle['shuffle_write_gib']:.2f} GiB "
                f"vs {shuffle['shuffle_write_gib']:.2f} GiB (incl. the checkpoint's), spill to disk "
                f"{legacy_shuffle['spill_disk_gib']:.2f} GiB; candidate sets "
                f"{'identical' if old == cands else f'DIFFER ({len(old):,} vs {len(cands):,})'} "
                f"({len(old):,} pairs). Load after: {load()}.",
            ]
            print(legacy_lines[-1], file=sys.stderr, flush=True)
        run["signatures"].unpersist()
        run["candidates"].unpersist()
    lines += legacy_lines + memory_lines + [""]
    with open(args.report, "w") as fh:
        fh.write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
