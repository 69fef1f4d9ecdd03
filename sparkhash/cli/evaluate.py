"""`sparkhash evaluate TRUTH_CSV OUTDIR`: recall / false positives per algorithm and threshold.

The command line of `sparkhash.evaluation.runner.evaluate` (an `EvaluationRequest`).

Hashes the labelled files with the hash job's code (or reads an existing hash output with
--hashes), forms every labelled pair on Spark, and writes to OUTDIR:

    metrics.csv / metrics.parquet   one row per (algorithm, threshold): tp fp fn tn recall fpr
                                    precision, and recall_<edit> per edit type
    edit_recall.csv                 long form of the per-edit recall
    operating_points.csv            per algorithm and target FPR: the largest threshold meeting it
    summary.md                      the headline tables in Markdown
    recall_vs_fpr.png, edit_recall.png   (unless --no-plots; needs the `report` extra)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sparkhash.cli.fields import default, threshold_defaults
from sparkhash.cli.spark_options import add_spark_arguments, session_for
from sparkhash.core.registry import ALGORITHMS, parse_algorithms
from sparkhash.evaluation.runner import DEFAULT_CHECK, EvaluationRequest, evaluate


def _fpr_list(text: str) -> list[float]:
    values = [float(v) for v in text.split(",") if v.strip()]
    if not values or any(not 0 <= v <= 1 for v in values):
        raise argparse.ArgumentTypeError("false-positive rates are numbers in [0, 1], comma-separated")
    return values


def _check_threshold(text: str) -> int | str:
    if text == DEFAULT_CHECK:  # the flag without a value (argparse passes its const through here)
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a threshold is an integer, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a threshold is 0 or more, not {value}")
    return value


def _algorithm_list(text: str) -> list[str]:
    try:
        return list(parse_algorithms(text, canonical=False))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    algorithms, fprs, plot_fpr, reference = (
        default(EvaluationRequest, name)
        for name in ("algorithms", "target_fprs", "plot_fpr", "reference_edit")
    )
    parser.add_argument("truth", help="labelled CSV with columns file,group[,edit]")
    parser.add_argument("output", help="directory for the tables and plots (created)")
    parser.add_argument(
        "--root", help="directory the CSV's relative file entries are under (default: the CSV's)"
    )
    parser.add_argument(
        "--hashes", help="use this existing `sparkhash hash` output instead of hashing the corpus"
    )
    parser.add_argument(
        "--algorithms",
        type=_algorithm_list,
        default=list(algorithms),
        help=f"comma-separated from {','.join(ALGORITHMS)} (default: {','.join(algorithms)})",
    )
    parser.add_argument(
        "--max-threshold", type=int, help="largest threshold tabled (default: largest distance seen)"
    )
    parser.add_argument(
        "--target-fpr",
        type=_fpr_list,
        default=list(fprs),
        help=f"false-positive rates to pick thresholds for (default: {','.join(f'{v:g}' for v in fprs)})",
    )
    parser.add_argument(
        "--plot-fpr",
        type=float,
        default=plot_fpr,
        help=f"target FPR of the per-edit recall plot and table (default: {plot_fpr:g})",
    )
    parser.add_argument(
        "--reference-edit",
        default=reference,
        help=f"edit name of each group's original (default: {reference})",
    )
    parser.add_argument(
        "--exclude-groups",
        default="",
        help="comma-separated group labels to leave out (e.g. groups that are not distinct)",
    )
    parser.add_argument(
        "--check-join",
        type=_check_threshold,
        nargs="?",
        const=DEFAULT_CHECK,
        metavar="THRESHOLD",
        help="also run the dups job's join at THRESHOLD and check it finds the same pairs "
        "(without THRESHOLD: at each algorithm's default, what dups and match use when not told: "
        f"{threshold_defaults()})",
    )
    parser.add_argument("--no-plots", action="store_true", help="write the tables only")
    add_spark_arguments(parser)


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    spark = session_for(args, "sparkhash-evaluate")
    target_fprs = sorted(set(args.target_fpr) | {args.plot_fpr})
    request = EvaluationRequest(
        truth_csv=args.truth,
        output=Path(args.output),
        root=args.root,
        hashes=args.hashes,
        algorithms=tuple(args.algorithms),
        max_threshold=args.max_threshold,
        target_fprs=tuple(target_fprs),
        plot_fpr=args.plot_fpr,
        reference_edit=args.reference_edit,
        exclude_groups=tuple(g.strip() for g in args.exclude_groups.split(",") if g.strip()),
        plots=not args.no_plots,
        check_join=args.check_join,
    )
    result = evaluate(spark, request)
    print(result.summary_line(time.monotonic() - started))
    if result.join_check is not None and not result.join_check["same"].all():
        return 1
    return 0
