"""Reduced decoding vs exact on a labelled corpus: drift of the hashes and quality of the matches.

    python benchmarks/eval_reduced.py /root/corpus [--work /tmp/eval_reduced] [--algorithms ...] [--markdown]

One command, the real jobs: the corpus files listed in truth.csv are hashed twice by the hash
job (`run_hash_job`, as `sparkhash hash --decode exact|reduced`) into two OUTPUTs under --work
(kept: a second call reuses them), then

- drift, per algorithm: the share of files whose reduced hash is identical to the exact one,
  and the mean and maximum Hamming distance between the two (crop_resistant: identical = the
  same segment hashes; distance = for each exact segment the nearest reduced segment, averaged
  per file; robust: identical signature text only);
- quality, per algorithm and mode, with `sparkhash evaluate`'s own code (`evaluate(...,
  hashes=OUTPUT)`): recall per edit and false-positive rate at the default thresholds of the
  dups job (Hamming 4; crop_resistant: the segment cutoff, a quarter of the bits, 16; robust:
  its verifier).

Prints Markdown tables with --markdown (for BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sparkhash.core.decode import DecodeOptions  # noqa: E402
from sparkhash.core.params import HashParams  # noqa: E402
from sparkhash.core.registry import DEFAULT_ALGORITHMS, DEFAULT_THRESHOLD, REGISTRY, parse_algorithms  # noqa: E402
from sparkhash.dedup.segments import segment_cutoff  # noqa: E402
from sparkhash.evaluation.runner import EvaluationRequest, evaluate  # noqa: E402
from sparkhash.spark.hash_job import HashJobConfig, run_hash_job  # noqa: E402
from sparkhash.spark.session import get_session  # noqa: E402
from sparkhash.spark.tables import committed_runs, read_hashes, read_segments  # noqa: E402

MODES = ("exact", "reduced")


def hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def threshold_of(algorithm: str, params: HashParams) -> int:
    """The dups job's default threshold for `algorithm`."""
    if REGISTRY[algorithm].multi:  # the segment cutoff: imagehash's quarter of the bits
        return int(segment_cutoff(REGISTRY[algorithm].nbits(params)))
    return 0 if not REGISTRY[algorithm].bits else DEFAULT_THRESHOLD  # robust: verified pairs at 0


def hash_both(spark, root: Path, work: Path, algorithms: tuple[str, ...]) -> dict[str, float]:
    """Hash the labelled files in both modes (reusing committed OUTPUTs); seconds per mode."""
    with open(root / "truth.csv", newline="") as fh:
        files = tuple(f"file:{(root / r['file']).resolve()}" for r in csv.DictReader(fh))
    seconds = {}
    for mode in MODES:
        out = work / mode
        if committed_runs(spark, str(out)):
            continue
        config = HashJobConfig(
            input=str(root),
            output=str(out),
            algorithms=algorithms,
            decode_options=DecodeOptions(decode=mode),
            files=files,
        )
        summary = run_hash_job(spark, config)
        print(f"# {mode}: {summary.line()}", file=sys.stderr)
        seconds[mode] = summary.seconds
    return seconds


def drift(spark, work: Path, algorithms: tuple[str, ...]) -> list[tuple[str, int, float, float, float]]:
    """(algorithm, files, share identical, mean distance, max distance) per algorithm."""
    tables = {m: read_hashes(spark, str(work / m)).toPandas().set_index("path") for m in MODES}
    exact, reduced = tables["exact"], tables["reduced"]
    both = exact.index[exact["error"].isna()].intersection(reduced.index[reduced["error"].isna()])
    rows = []
    for algorithm in algorithms:
        if REGISTRY[algorithm].multi:
            segs = {}
            for m in MODES:
                frame = read_segments(spark, str(work / m)).toPandas().sort_values(["path", "segment"])
                segs[m] = frame.groupby("path")["hash"].apply(list).to_dict()
            same, dist = [], []
            for path in both:
                a, b = segs["exact"].get(path, []), segs["reduced"].get(path, [])
                same.append(a == b)
                if a and b:
                    dist.append(float(np.mean([min(hamming(x, y) for y in b) for x in a])))
            rows.append(
                (algorithm, len(both), float(np.mean(same)), float(np.mean(dist)), float(np.max(dist)))
            )
            continue
        a, b = exact.loc[both, algorithm], reduced.loc[both, algorithm]
        same = (a == b).to_numpy()
        if REGISTRY[algorithm].bits:
            dist = np.array([hamming(x, y) for x, y in zip(a, b, strict=True)], dtype=float)
            rows.append((algorithm, len(both), float(same.mean()), float(dist.mean()), float(dist.max())))
        else:  # robust signatures: no Hamming distance between whole signatures
            rows.append((algorithm, len(both), float(same.mean()), float("nan"), float("nan")))
    return rows


def quality(spark, root: Path, work: Path, algorithms: tuple[str, ...]) -> dict[str, dict]:
    """Per mode: {algorithm: (threshold, fpr, {edit: (found, copies)}, recall over all positive
    pairs)} at the default thresholds."""
    params = HashParams()
    out = {}
    for mode in MODES:
        request = EvaluationRequest(
            truth_csv=str(root / "truth.csv"),
            output=work / f"evaluate_{mode}",
            hashes=str(work / mode),
            algorithms=algorithms,
            plots=False,
        )
        result = evaluate(spark, request)
        per_algorithm = {}
        for algorithm in algorithms:
            t = threshold_of(algorithm, params)
            m = result.metrics
            row = m[(m["algorithm"] == algorithm) & (m["threshold"] == t)]
            e = result.edits
            edits = e[(e["algorithm"] == algorithm) & (e["threshold"] == t)]
            per_algorithm[algorithm] = (
                t,
                float(row["fpr"].iloc[0]) if len(row) else float("nan"),
                {r.edit: (int(r.found), int(r.copies)) for r in edits.itertuples()},
                float(row["recall"].iloc[0]) if len(row) else float("nan"),
            )
        out[mode] = per_algorithm
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="directory with truth.csv (file,group,edit)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/eval_reduced"), help="the two OUTPUTs")
    parser.add_argument("--algorithms", default=",".join(DEFAULT_ALGORITHMS))
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    algorithms = parse_algorithms(args.algorithms)
    started = time.monotonic()
    spark = get_session(
        master="local[*]",
        profile="local",
        app_name="eval-reduced",
        extra={"spark.ui.showConsoleProgress": "false"},
    )
    seconds = hash_both(spark, args.corpus.resolve(), args.work, algorithms)
    drifts = drift(spark, args.work, algorithms)
    scores = quality(spark, args.corpus.resolve(), args.work, algorithms)
    print(
        f"# reduced vs exact decoding on {args.corpus} ({drifts[0][1]} files hashed in both modes), "
        f"{time.strftime('%Y-%m-%d')}; hash job seconds this call: {seconds or 'reused OUTPUTs'}"
    )
    bar = "|" if args.markdown else " "
    print("\n## drift of reduced hashes from exact ones\n")
    print(f"{bar} algorithm {bar} identical {bar} mean distance {bar} max distance {bar}")
    if args.markdown:
        print("|---|---:|---:|---:|")
    for algorithm, _, same, mean, worst in drifts:
        print(f"{bar} {algorithm} {bar} {same:.3f} {bar} {mean:.2f} {bar} {worst:.1f} {bar}")

    print("\n## recall per edit and FPR at the dups job's default thresholds (exact -> reduced)\n")
    edits = sorted({e for a in algorithms for e in scores["exact"][a][2]})
    head = f" {bar} ".join(
        ["algorithm (t)", "FPR", "recall, all pairs", *edits, "copies lost / found", "worst loss"]
    )
    print(f"{bar} {head} {bar}")
    if args.markdown:
        print("|---|---|---|" + "---|" * (len(edits) + 2))
    for algorithm in algorithms:
        t, fpr_exact, exact, recall_exact = scores["exact"][algorithm]
        _, fpr_reduced, reduced, recall_reduced = scores["reduced"][algorithm]
        cells, losses, lost, found = [], [], 0, 0
        for edit in edits:
            (fe, ce), (fr, cr) = exact.get(edit, (0, 0)), reduced.get(edit, (0, 0))
            re, rr = (fe / ce if ce else float("nan")), (fr / cr if cr else float("nan"))
            losses.append(re - rr)
            lost, found = lost + max(0, fe - fr), found + max(0, fr - fe)
            cells.append(f"{re:.2f}" if fe == fr else f"{re:.2f}->{rr:.2f}")
        row = [
            f"{algorithm} ({t})",
            f"{fpr_exact:.2e}->{fpr_reduced:.2e}",
            f"{recall_exact:.3f}->{recall_reduced:.3f}",
            *cells,
            f"{lost} / {found}",
            f"{max(losses):+.3f}",
        ]
        print(f"{bar} " + f" {bar} ".join(row) + f" {bar}")
    print(f"\n# {time.monotonic() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
