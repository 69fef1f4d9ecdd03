"""`sparkhash match QUERY HASHES OUTPUT`: the command line of lake matching (`sparkhash.dedup.match`)."""

from __future__ import annotations

import argparse
import sys

from sparkhash.cli.fields import default, threshold_defaults
from sparkhash.cli.output_options import add_output_arguments
from sparkhash.cli.spark_options import add_spark_arguments, session_for
from sparkhash.core.params import ALGORITHMS
from sparkhash.dedup.match import (
    HASH_COLUMNS,
    ID_COLUMNS,
    QUERY_FORMATS,
    MatchConfig,
    check_output,
    check_query,
    run_match,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "query",
        help="images (directory, file or glob), a `sparkhash hash` OUTPUT, or a CSV/Parquet of hex hashes",
    )
    parser.add_argument("hashes", help="the lake: a `sparkhash hash` OUTPUT or a Parquet hashes table")
    parser.add_argument("output", help="output directory (read it with sparkhash.read_matches)")
    parser.add_argument("--algorithm", default=default(MatchConfig, "algorithm"), choices=ALGORITHMS)
    parser.add_argument(
        "--threshold",
        type=int,
        default=default(MatchConfig, "threshold"),
        help="largest Hamming distance (of a row pair for an exploded algorithm such as crop_resistant; "
        f"default: the algorithm's: {threshold_defaults()})",
    )
    parser.add_argument(
        "--query-format",
        default=default(MatchConfig, "query_format"),
        choices=QUERY_FORMATS,
        help="what QUERY is (default: guessed from the path)",
    )
    parser.add_argument(
        "--id-column",
        help=f"query table: id column, reported as the match's query (default: the first of {', '.join(ID_COLUMNS)})",
    )
    parser.add_argument(
        "--hash-column",
        help=f"query table: hex column (default: the algorithm's name, else {', '.join(HASH_COLUMNS)}); "
        "the table's other columns are carried to the matches",
    )
    parser.add_argument(
        "--region-cutoff",
        type=int,
        default=default(MatchConfig, "region_cutoff"),
        help=f"crop_resistant: matched segments needed ({default(MatchConfig, 'region_cutoff')})",
    )
    parser.add_argument("--name-filter", help='image queries: glob on file names, e.g. "*.{jpg,png}"')
    parser.add_argument(
        "--no-recursive", action="store_true", help="image queries: do not search sub-directories"
    )
    add_output_arguments(parser, MatchConfig, "matches", "a Delta table with a run_id column")
    add_spark_arguments(parser)


def config_from_args(args: argparse.Namespace) -> MatchConfig:
    """The MatchConfig of parsed options."""
    return MatchConfig(
        algorithm=args.algorithm,
        threshold=args.threshold,
        query_format=args.query_format,
        id_column=args.id_column,
        hash_column=args.hash_column,
        region_cutoff=args.region_cutoff,
        name_filter=args.name_filter,
        recursive=not args.no_recursive,
        format=args.format,
        table_prefix=args.table_prefix,
    )


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    check_output(args.output)  # before Spark starts
    check_query(args.query, config)
    spark = session_for(args, "sparkhash-match")
    result = run_match(spark, args.query, args.hashes, args.output, config)
    print(
        f"sparkhash match: {result.written} matches of {result.queries} queries written to "
        f"{result.output} (run {result.run_id})",
        file=sys.stderr,
    )
    return 0
