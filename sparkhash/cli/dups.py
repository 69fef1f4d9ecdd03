"""`sparkhash dups HASHES OUTPUT`: the command line of the near-duplicate job (`sparkhash.dedup.job`)."""

from __future__ import annotations

import argparse
import sys

from sparkhash.cli.fields import default, threshold_defaults
from sparkhash.cli.output_options import add_output_arguments
from sparkhash.cli.spark_options import add_spark_arguments, session_for
from sparkhash.core.registry import ALGORITHMS
from sparkhash.dedup.job import DupsConfig, check_config, keep_policy, run_dups
from sparkhash.dedup.plan import MODES
from sparkhash.errors import ParamsMismatch


def add_arguments(parser: argparse.ArgumentParser) -> None:
    def defaults(name: str) -> dict:  # an option's default is the DupsConfig field's
        return {"default": default(DupsConfig, name)}

    parser.add_argument("hashes", help="OUTPUT of `sparkhash hash` (current rows), or a Parquet hashes table")
    parser.add_argument(
        "output", help="output directory: one committed run of pairs, clusters, groups and remove"
    )
    parser.add_argument(
        "--algorithm",
        **defaults("algorithm"),
        choices=ALGORITHMS,
        help="robust: sparkhash's own matcher (mirrors, crops, borders, captions) at its documented "
        "operating point; --threshold, --mode and the band options do not apply to it. "
        "crop_resistant: segment matching alone (the segment options apply, --segments may name its table)",
    )
    parser.add_argument(
        "--threshold",
        type=int,
        **defaults("threshold"),
        help="largest Hamming distance of a pair (of a row pair for an exploded algorithm, unless "
        f"--hamming-cutoff or --bit-error-rate say; default: the algorithm's: {threshold_defaults()})",
    )
    parser.add_argument(
        "--mode", choices=MODES, **defaults("mode"), help="exact (guaranteed) or approx (LSH)"
    )
    parser.add_argument(
        "--recall",
        type=float,
        **defaults("recall"),
        help=f"approx mode: target recall at the threshold (default {default(DupsConfig, 'recall')})",
    )
    parser.add_argument(
        "--segments",
        nargs="?",
        const="auto",
        default=None,
        metavar="SEGMENTS",
        help="also match crop-resistant segments (default: the hash job's segments table of HASHES)",
    )
    parser.add_argument(
        "--region-cutoff",
        type=int,
        **defaults("region_cutoff"),
        help=f"segments: matched segments needed ({default(DupsConfig, 'region_cutoff')})",
    )
    parser.add_argument("--hamming-cutoff", type=float, default=None, help="segments: cutoff in bits")
    parser.add_argument(
        "--bit-error-rate", type=float, default=None, help="segments: cutoff as bit fraction (0.25)"
    )
    parser.add_argument(
        "--segment-shared-limit",
        type=int,
        default=None,
        help="segments: ignore segment hashes shared by more images than this",
    )
    parser.add_argument(
        "--expand-limit",
        type=int,
        **defaults("expand_limit"),
        help="identical groups larger than this are written in compact form",
    )
    parser.add_argument(
        "--hot-bucket",
        type=int,
        **defaults("hot_bucket"),
        help="band buckets larger than this are split on sub-bands",
    )
    parser.add_argument(
        "--previous", metavar="DUPS_OUTPUT", help="incremental: output of the previous dups run"
    )
    parser.add_argument(
        "--previous-hashes",
        metavar="HASHES",
        help="incremental: hashes table of the previous run (HASHES then holds only new files)",
    )
    parser.add_argument(
        "--previous-run",
        metavar="RUN_ID",
        help="incremental: rows of HASHES with run_id <= RUN_ID are old, later ones new",
    )
    parser.add_argument(
        "--keep",
        **defaults("keep"),
        metavar="POLICY",
        help="which file of a cluster is kept: original (the one the others are copies of, by the pairs' "
        "relations: the default for robust), most-pixels (the default for the others), largest-file, oldest, "
        "newest, shortest-path or prefer:PREFIX[,PREFIX...]; the others are listed in the remove listing "
        "(read_dups(...).remove) with the reason",
    )
    add_output_arguments(
        parser,
        DupsConfig,
        "pairs, clusters, groups, remove",
        "one Delta table per table with a run_id column",
    )
    add_spark_arguments(parser)


def config_from_args(args: argparse.Namespace) -> DupsConfig:
    """The DupsConfig of parsed options."""
    names = DupsConfig.__dataclass_fields__
    return DupsConfig(**{name: getattr(args, name) for name in names})


def _print_progress(line: str) -> None:
    print(f"sparkhash dups: {line}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    check_config(config)  # before Spark starts
    keep_policy(config)  # a bad policy is refused before Spark starts
    spark = session_for(args, "sparkhash-dups")
    try:
        result = run_dups(spark, config, progress=_print_progress)
    except ParamsMismatch as exc:
        print(f"sparkhash dups: refusing to join: {exc}", file=sys.stderr)
        return 2
    print(
        f"sparkhash dups: {result.written} pairs written to {result.output} (run {result.run_id})",
        file=sys.stderr,
    )
    return 0
