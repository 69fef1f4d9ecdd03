"""`sparkhash dups HASHES OUTPUT`: near-duplicate pairs and clusters as Parquet.

Writes OUTPUT/pairs (PAIRS_SCHEMA), OUTPUT/clusters (CLUSTERS_SCHEMA) and OUTPUT/groups
(path, anchor, algorithm, size: groups of identical hashes written in compact form).
"""

from __future__ import annotations

import argparse
import os
import sys

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkhash.core.params import SINGLE_ALGORITHMS
from sparkhash.dedup.bands import DEFAULT_HOT_BUCKET
from sparkhash.dedup.clusters import clusters as make_clusters
from sparkhash.dedup.incremental import find_pairs_incremental
from sparkhash.dedup.pairs import DEFAULT_EXPAND_LIMIT, MODES, ParamsMismatch, find_pairs, valid_hashes
from sparkhash.dedup.segments import find_segment_pairs
from sparkhash.spark.tables import read_hash_output


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("hashes", help="OUTPUT of `sparkhash hash` (current rows), or a Parquet hashes table")
    parser.add_argument("output", help="output directory: pairs/, clusters/, groups/")
    parser.add_argument("--algorithm", default="phash", choices=SINGLE_ALGORITHMS)
    parser.add_argument("--threshold", type=int, default=4, help="largest Hamming distance of a pair (default 4)")
    parser.add_argument("--mode", choices=MODES, default="exact", help="exact (guaranteed) or approx (LSH)")
    parser.add_argument("--recall", type=float, default=0.95, help="approx mode: target recall at the threshold")
    parser.add_argument(
        "--segments",
        nargs="?",
        const="auto",
        default=None,
        metavar="SEGMENTS",
        help="also match crop-resistant segments (default: the hash job's segments table of HASHES)",
    )
    parser.add_argument("--region-cutoff", type=int, default=1, help="segments: matched segments needed (1)")
    parser.add_argument("--hamming-cutoff", type=float, default=None, help="segments: cutoff in bits")
    parser.add_argument("--bit-error-rate", type=float, default=None, help="segments: cutoff as bit fraction (0.25)")
    parser.add_argument("--segment-shared-limit", type=int, default=None,
                        help="segments: ignore segment hashes shared by more images than this")
    parser.add_argument("--expand-limit", type=int, default=DEFAULT_EXPAND_LIMIT,
                        help="identical groups larger than this are written in compact form")
    parser.add_argument("--hot-bucket", type=int, default=DEFAULT_HOT_BUCKET,
                        help="band buckets larger than this are split on sub-bands")
    parser.add_argument("--previous", metavar="DUPS_OUTPUT", help="incremental: output of the previous dups run")
    parser.add_argument("--previous-hashes", metavar="HASHES",
                        help="incremental: hashes table of the previous run (HASHES then holds only new files)")
    parser.add_argument("--previous-run", metavar="RUN_ID",
                        help="incremental: rows of HASHES with run_id <= RUN_ID are old, later ones new")
    parser.add_argument("--master", default=None, help="Spark master (default: embedded local Spark)")
    parser.add_argument("--profile", default=None, help="conf profile: local, cluster or a .conf path")


def read_hashes_table(spark: SparkSession, path: str) -> DataFrame:
    """Current rows of a `sparkhash hash` OUTPUT directory, or a plain Parquet hashes table."""
    return read_hash_output(spark, path)[0]


def read_segments_table(spark: SparkSession, hashes: str, segments: str) -> DataFrame:
    """The segments table: a given Parquet path; else, for `auto`, the segments of the hash job
    OUTPUT given as HASHES, or the directory `segments` next to a plain hashes table."""
    if segments != "auto":
        return spark.read.parquet(segments)
    table = read_hash_output(spark, hashes)[1]
    if table is None:
        raise FileNotFoundError(f"no segments table found for {hashes}; pass --segments PATH")
    return table


def find_duplicates(spark: SparkSession, args: argparse.Namespace) -> tuple[DataFrame, DataFrame, DataFrame]:
    """Pairs, clusters and groups for the parsed command-line arguments."""
    hashes = read_hashes_table(spark, args.hashes)
    common = dict(algorithm=args.algorithm, threshold=args.threshold, mode=args.mode, target_recall=args.recall,
                  expand_limit=args.expand_limit, hot_bucket=args.hot_bucket)
    if args.previous:
        if args.previous_run:
            old = hashes.filter(F.col("run_id") <= args.previous_run)
            hashes = hashes.filter(F.col("run_id") > args.previous_run)
        elif args.previous_hashes:
            old = read_hashes_table(spark, args.previous_hashes)
        else:
            raise SystemExit("--previous needs --previous-hashes or --previous-run")
        result = find_pairs_incremental(
            old, hashes,
            spark.read.parquet(os.path.join(args.previous, "pairs")),
            spark.read.parquet(os.path.join(args.previous, "clusters")),
            **common,
        )
        print(f"sparkhash dups: {result.plan.describe()}", file=sys.stderr)
        pairs, groups, clusters = result.pairs, result.groups, result.clusters
        attributes = valid_hashes(hashes, args.algorithm).unionByName(valid_hashes(old, args.algorithm))
    else:
        result = find_pairs(hashes, **common)
        print(f"sparkhash dups: {result.plan.describe()}", file=sys.stderr)
        pairs, groups, clusters = result.pairs, result.groups, None
        attributes = valid_hashes(hashes, args.algorithm)
    if args.segments:
        seg = find_segment_pairs(
            read_segments_table(spark, args.hashes, args.segments),
            region_cutoff=args.region_cutoff,
            hamming_cutoff=args.hamming_cutoff,
            bit_error_rate=args.bit_error_rate,
            mode=args.mode,
            target_recall=args.recall,
            shared_limit=args.segment_shared_limit,
            hot_bucket=args.hot_bucket,
        )
        print(f"sparkhash dups: segments cutoff {seg.cutoff}: {seg.plan.describe()}", file=sys.stderr)
        pairs = pairs.unionByName(seg.pairs).dropDuplicates(["path_a", "path_b", "algorithm"])
        clusters = None
    pairs = pairs.localCheckpoint(eager=True)
    if clusters is None:
        clusters = make_clusters(pairs, attributes.select("path", "pixels", "length"))
    return pairs, clusters, groups


def run(args: argparse.Namespace) -> int:
    from sparkhash.spark.session import get_session

    spark = get_session(master=args.master, profile=args.profile, app_name="sparkhash-dups")
    try:
        pairs, clusters, groups = find_duplicates(spark, args)
    except ParamsMismatch as exc:
        print(f"sparkhash dups: refusing to join: {exc}", file=sys.stderr)
        return 2
    pairs.write.mode("overwrite").parquet(os.path.join(args.output, "pairs"))
    clusters.write.mode("overwrite").parquet(os.path.join(args.output, "clusters"))
    groups.write.mode("overwrite").parquet(os.path.join(args.output, "groups"))
    written = spark.read.parquet(os.path.join(args.output, "pairs")).agg(F.count("*")).first()[0]
    print(f"sparkhash dups: {written} pairs written to {args.output}", file=sys.stderr)
    return 0
