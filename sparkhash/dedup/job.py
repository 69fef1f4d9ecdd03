"""The near-duplicate job: a hashes table -> pairs, clusters and groups (`sparkhash dups`).

Writes OUTPUT/pairs (PAIRS_SCHEMA), OUTPUT/clusters (CLUSTERS_SCHEMA) and OUTPUT/groups
(path, anchor, algorithm, size: groups of identical hashes written in compact form).
The command line is `sparkhash.cli.dups`; this module takes a `DupsConfig`.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkhash.core.robust import FORMAT_VERSION as ROBUST_FORMAT
from sparkhash.dedup.bands import DEFAULT_HOT_BUCKET
from sparkhash.dedup.clusters import clusters as make_clusters
from sparkhash.dedup.incremental import find_pairs_incremental
from sparkhash.dedup.pairs import DEFAULT_EXPAND_LIMIT, find_pairs, valid_hashes
from sparkhash.dedup.robust import ROBUST, find_robust_pairs, valid_signatures
from sparkhash.dedup.segments import find_segment_pairs
from sparkhash.errors import UsageError
from sparkhash.spark.tables import read_hash_output


@dataclass(frozen=True)
class DupsConfig:
    """One run of the near-duplicate job (the options of `sparkhash dups`).

    hashes: a `sparkhash hash` OUTPUT or a Parquet hashes table; segments: None (no segment
    matching), "auto" (the hash job's segments table of `hashes`) or a Parquet path;
    previous + previous_hashes or previous_run: an incremental run on top of a previous output.
    """

    hashes: str
    output: str | None = None
    algorithm: str = "phash"
    threshold: int = 4
    mode: str = "exact"
    recall: float = 0.95
    segments: str | None = None
    region_cutoff: int = 1
    hamming_cutoff: float | None = None
    bit_error_rate: float | None = None
    segment_shared_limit: int | None = None
    expand_limit: int = DEFAULT_EXPAND_LIMIT
    hot_bucket: int = DEFAULT_HOT_BUCKET
    previous: str | None = None
    previous_hashes: str | None = None
    previous_run: str | None = None


@dataclass(frozen=True)
class DupsResult:
    """What `run_dups` wrote: the pairs read back from OUTPUT and their count."""

    pairs: DataFrame
    clusters: DataFrame
    groups: DataFrame
    written: int
    output: str


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


def find_duplicates(spark: SparkSession, config: DupsConfig) -> tuple[DataFrame, DataFrame, DataFrame]:
    """Pairs, clusters and groups of `config` (not written). UsageError for an incomplete
    incremental request, ParamsMismatch for hashes that cannot be compared."""
    args = config
    hashes = read_hashes_table(spark, args.hashes)
    if args.algorithm == ROBUST:
        return _robust_duplicates(spark, args, hashes)
    common = dict(
        algorithm=args.algorithm,
        threshold=args.threshold,
        mode=args.mode,
        target_recall=args.recall,
        expand_limit=args.expand_limit,
        hot_bucket=args.hot_bucket,
    )
    if args.previous:
        if args.previous_run:
            old = hashes.filter(F.col("run_id") <= args.previous_run)
            hashes = hashes.filter(F.col("run_id") > args.previous_run)
        elif args.previous_hashes:
            old = read_hashes_table(spark, args.previous_hashes)
        else:
            raise UsageError("--previous needs --previous-hashes or --previous-run")
        result = find_pairs_incremental(
            old,
            hashes,
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


def _robust_duplicates(
    spark: SparkSession, args: DupsConfig, hashes: DataFrame
) -> tuple[DataFrame, DataFrame, DataFrame]:
    """`--algorithm robust`: its own candidate join and verification (`dedup.robust`), at the
    documented operating point (`--threshold` and the band options do not apply)."""
    old = None
    if args.previous:
        if args.previous_run:
            old = hashes.filter(F.col("run_id") <= args.previous_run)
            hashes = hashes.filter(F.col("run_id") > args.previous_run)
        elif args.previous_hashes:
            old = read_hashes_table(spark, args.previous_hashes)
        else:
            raise UsageError("--previous needs --previous-hashes or --previous-run")
    pairs = find_robust_pairs(hashes, old)
    attributes = valid_signatures(hashes)
    if old is not None:
        previous = spark.read.parquet(os.path.join(args.previous, "pairs")).filter(
            F.col("algorithm") == ROBUST
        )
        pairs = (
            previous.select(*pairs.columns)
            .unionByName(pairs)
            .dropDuplicates(["path_a", "path_b", "algorithm"])
        )
        attributes = attributes.unionByName(
            valid_signatures(old).join(attributes.select("path"), "path", "left_anti")
        )
    pairs = pairs.localCheckpoint(eager=True)
    print(f"sparkhash dups: robust format {ROBUST_FORMAT}, default operating point", file=sys.stderr)
    clusters = make_clusters(pairs, attributes.select("path", "pixels", "length"))
    groups = spark.createDataFrame([], "path string, anchor string, algorithm string, size long")
    return pairs, clusters, groups


def run_dups(spark: SparkSession, config: DupsConfig) -> DupsResult:
    """Find the duplicates of `config` and write pairs/, clusters/ and groups/ under its output."""
    if not config.output:
        raise UsageError("no output directory given")
    pairs, clusters, groups = find_duplicates(spark, config)
    pairs.write.mode("overwrite").parquet(os.path.join(config.output, "pairs"))
    clusters.write.mode("overwrite").parquet(os.path.join(config.output, "clusters"))
    groups.write.mode("overwrite").parquet(os.path.join(config.output, "groups"))
    written_pairs = spark.read.parquet(os.path.join(config.output, "pairs"))
    written = written_pairs.agg(F.count("*")).first()[0]
    return DupsResult(
        pairs=written_pairs,
        clusters=spark.read.parquet(os.path.join(config.output, "clusters")),
        groups=spark.read.parquet(os.path.join(config.output, "groups")),
        written=written,
        output=config.output,
    )
