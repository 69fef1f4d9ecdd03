"""The near-duplicate job: a hashes table -> pairs, clusters and groups (`sparkhash dups`).

Writes pairs (PAIRS_SCHEMA), clusters (CLUSTERS_SCHEMA, kept by a keep policy), groups (path,
anchor, algorithm, size: groups of identical hashes written in compact form) and remove
(REMOVE_SCHEMA: the files not kept, `sparkhash.dedup.keep`) of one run under OUTPUT, committed
together with the policy (`sparkhash.dedup.output`: read them with `read_dups`). The run holds
OUTPUT's lease.
The command line is `sparkhash.cli.dups`; this module takes a `DupsConfig`, reports how the
pairs are found (the band plans) through a `progress` callback and in `DupsResult.plans`, and
prints nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkhash.core.registry import EXPLODED_TABLES, REGISTRY, SINGLE_ALGORITHMS, Algorithm, get
from sparkhash.core.validate import check_at_least, check_recall, check_threshold
from sparkhash.dedup.clusters import clusters as make_clusters
from sparkhash.dedup.keep import (
    KeepPolicy,
    default_policy,
    keep_attributes,
    parse_policy,
    remove_listing,
    with_keep_policy,
)
from sparkhash.dedup.matchers import GROUPS_DDL, Previous, matcher_for
from sparkhash.dedup.output import dups_store, read_dups, remove_old_runs, write_dups
from sparkhash.dedup.pairs import DEFAULT_EXPAND_LIMIT, checked_params
from sparkhash.dedup.plan import DEFAULT_HOT_BUCKET, DEFAULT_RECALL, hash_bits, threshold_or_default
from sparkhash.errors import UsageError
from sparkhash.spark import delta, lease, preflight
from sparkhash.spark.paths import is_path_not_found
from sparkhash.spark.record_tables import record_table
from sparkhash.spark.schemas import conform_pairs
from sparkhash.spark.tables import SEGMENTS, committed_runs, new_hash_rows, read_hash_output

_PREVIOUS_FIELDS = ("previous", "previous_hashes", "previous_run")
_PREVIOUS_NEEDS = "previous needs previous_hashes or previous_run"


@dataclass(frozen=True)
class DupsConfig:
    """One run of the near-duplicate job (the options of `sparkhash dups`).

    hashes: a `sparkhash hash` OUTPUT or a Parquet hashes table; segments: None (no segment
    matching), "auto" (the hash job's segments table of `hashes`) or a Parquet path (for a
    multi-hash `algorithm` such as crop_resistant: where its table is, "auto" when None);
    previous + previous_hashes or previous_run: an incremental run on top of a previous output.
    threshold: None for the algorithm's default (its registry record's `threshold`: 4 for the
    imagehash algorithms, PDQ's 31); for a multi-hash algorithm the row cutoff, unless
    hamming_cutoff or bit_error_rate give it.
    """

    hashes: str
    output: str | None = None
    algorithm: str = "phash"
    threshold: int | None = None
    mode: str = "exact"
    recall: float = DEFAULT_RECALL
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
    #: the keep policy, as `parse_policy` reads it; None: the algorithm's default (`keep_policy`)
    keep: str | None = None
    #: The tables' format: parquet (the run store's directories) or delta (one Delta table per
    #: table with a `run_id` column: `sparkhash.dedup.output`; needs Delta on the session).
    format: str = delta.PARQUET
    #: Format delta: also register the tables in the catalog as `table_prefix + table`.
    table_prefix: str | None = None


@dataclass(frozen=True)
class DupsResult:
    """What `run_dups` wrote: the pairs read back from OUTPUT and their count; plans: how the
    pairs were found, one line each (e.g. the band plan's `describe()`)."""

    pairs: DataFrame
    clusters: DataFrame
    groups: DataFrame
    written: int
    output: str
    run_id: str | None = None
    plans: tuple[str, ...] = ()


#: A run's progress lines go to this callback (the command line prints them as they come).
Progress = Callable[[str], None]


def no_progress(line: str) -> None:
    """The default progress: nothing printed (the library never prints)."""


def read_hashes_table(spark: SparkSession, path: str) -> DataFrame:
    """Current rows of a `sparkhash hash` OUTPUT directory, or a plain Parquet hashes table
    (UsageError when `path` is neither)."""
    try:
        table = read_hash_output(spark, path)[0]
        columns = table.columns  # resolves the read: a missing path or a folder of images fails here
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - Spark's errors for "not Parquet" vary (footer, schema)
        if is_path_not_found(exc):
            raise UsageError(f"HASHES {path} not found") from None
        raise UsageError(
            f"HASHES {path} is not a `sparkhash hash` OUTPUT or a Parquet hashes table"
        ) from None
    if "path" not in columns:
        raise UsageError(f"HASHES {path} is not a hashes table (it has no path column)")
    return table


def read_segments_table(
    spark: SparkSession, hashes: str, segments: str, record: Algorithm = EXPLODED_TABLES[SEGMENTS]
) -> DataFrame:
    """The exploded table of `record` (the segments table): a given Parquet path; else, for
    `auto`, the one of the hash job OUTPUT given as HASHES, or the directory next to a plain
    hashes table."""
    if segments != "auto":
        return spark.read.parquet(segments)
    table = record_table(record, *read_hash_output(spark, hashes))
    if table is None:
        raise UsageError(f"no {record.table} table found for {hashes}; give segments a PATH", "segments")
    return table


def _exploded(config: DupsConfig) -> bool:
    """Whether `config.algorithm` has several signatures per image, in rows of its own table."""
    record = REGISTRY.get(config.algorithm)
    return record is not None and record.multi


def keep_policy(config: DupsConfig) -> KeepPolicy:
    """The keep policy of a run: `config.keep`, else the algorithm's default — original when
    its matcher explains its pairs (robust), most-pixels otherwise (`keep.default_policy`).
    KeepPolicyError for a policy that does not parse."""
    if config.keep is not None:
        return parse_policy(config.keep)
    record = REGISTRY.get(config.algorithm)
    return default_policy(record is not None and matcher_for(record).explains)


def check_config(config: DupsConfig) -> None:
    """What can be refused before Spark starts (UsageError, one line)."""
    check_recall(config.recall)
    check_at_least(config.threshold, 0, "threshold")
    check_at_least(config.region_cutoff, 1, "region_cutoff")
    check_at_least(config.hamming_cutoff, 0, "hamming_cutoff")
    check_at_least(config.expand_limit, 1, "expand_limit")
    check_at_least(config.hot_bucket, 1, "hot_bucket")
    check_at_least(config.segment_shared_limit, 1, "segment_shared_limit")
    if config.bit_error_rate is not None and not 0 <= config.bit_error_rate <= 1:
        raise UsageError(
            f"bit_error_rate must be between 0 and 1, not {config.bit_error_rate}", "bit_error_rate"
        )
    if config.previous and not (config.previous_run or config.previous_hashes):
        raise UsageError(_PREVIOUS_NEEDS, _PREVIOUS_FIELDS)
    if (config.previous_run or config.previous_hashes) and not config.previous:
        raise UsageError("previous_run and previous_hashes need previous (a DUPS_OUTPUT)", _PREVIOUS_FIELDS)
    if config.previous and _exploded(config):
        raise UsageError(
            f"previous does not apply to algorithm {config.algorithm}: its table is joined whole",
            ("previous", "algorithm"),
        )
    if not config.output:
        raise UsageError("no output directory given")
    delta.check_format(config.format)
    delta.check_table_prefix(config.table_prefix, config.format)
    preflight.check_output(config.output, "dups")


def check_against_hashes(spark: SparkSession, config: DupsConfig, hashes: DataFrame) -> None:
    """What needs the hashes table: the algorithm's column, the threshold against its bit
    count, and previous_run against the committed runs. (A multi-hash algorithm's rows are in
    its own table, read later; its cutoff is `hamming_cutoff`.)"""
    if _exploded(config):
        return
    if config.algorithm not in hashes.columns:
        held = [c for c in hashes.columns if c in SINGLE_ALGORITHMS]
        raise UsageError(
            f"HASHES {config.hashes} holds no {config.algorithm} hashes (it holds {', '.join(held) or 'none'}); "
            "choose algorithm among those",
            "algorithm",
        )
    if "params" in hashes.columns:
        bits = hash_bits(config.algorithm, checked_params([hashes], config.algorithm))
    else:  # a plain table of hex hashes: the bits its hex digits hold
        first = hashes.where(F.col(config.algorithm).isNotNull()).select(F.length(config.algorithm)).first()
        bits = 4 * int(first[0]) if first else 64
    threshold = threshold_or_default(config.threshold, config.algorithm, bits)
    if threshold is not None:  # a verified algorithm (robust) has no distance
        check_threshold(threshold, bits)
    if config.previous_run:
        runs = [r.run_id for r in committed_runs(spark, config.hashes)]
        if not runs and "run_id" in hashes.columns:
            runs = [r[0] for r in hashes.select("run_id").distinct().collect()]
        if config.previous_run not in runs:
            latest = f" (the latest is {max(runs)})" if runs else ""
            raise UsageError(
                f"previous_run {config.previous_run} is not a committed run of {config.hashes}{latest}",
                "previous_run",
            )


def find_duplicates(
    spark: SparkSession, config: DupsConfig, progress: Progress = no_progress
) -> tuple[DataFrame, DataFrame, DataFrame]:
    """Pairs, clusters and groups of `config` (not written); each plan chosen goes to `progress`.
    UsageError for an incomplete incremental request, ParamsMismatch for hashes that cannot be
    compared.

    The algorithm's matcher (its registry record's matcher kind, `dedup.matchers`) finds the
    pairs in the table the record writes (the hashes table, or its exploded table: `segments`
    then names where, "auto" or a path); for a single-hash algorithm `segments` adds the pairs
    of the segments table's exploded matcher."""
    args = config
    hashes = read_hashes_table(spark, args.hashes)
    check_against_hashes(spark, config, hashes)
    old = previous = None
    if args.previous:
        hashes, old = _split_previous(spark, args, hashes, progress)
        earlier = read_dups(spark, args.previous)
        previous = Previous(earlier.pairs, earlier.clusters)
    record = get(config.algorithm)
    table = (
        read_segments_table(spark, args.hashes, args.segments or "auto", record) if record.multi else hashes
    )
    found = matcher_for(record).duplicates(record, table, config, old, previous)
    progress(found.plan)
    pairs, groups, clusters = found.pairs, found.groups, found.clusters
    if args.segments and not record.multi:
        record = EXPLODED_TABLES[SEGMENTS]
        seg = matcher_for(record).duplicates(
            record, read_segments_table(spark, args.hashes, args.segments), config, None, None
        )
        progress(seg.plan)
        pairs = (
            conform_pairs(pairs)
            .unionByName(conform_pairs(seg.pairs), allowMissingColumns=True)
            .dropDuplicates(["path_a", "path_b", "algorithm"])
        )
        clusters = None
    # every algorithm's pairs get PAIRS_SCHEMA's columns (relation columns null where the
    # matcher does not explain its pairs)
    pairs = conform_pairs(pairs).localCheckpoint(eager=True)
    if clusters is None:
        attributes = found.attributes if found.attributes is not None else keep_attributes(hashes)
        clusters = make_clusters(pairs, attributes.select("path", "pixels", "length"))
    if groups is None:
        groups = spark.createDataFrame([], GROUPS_DDL)
    return pairs, clusters, groups


def _split_previous(
    spark: SparkSession, args: DupsConfig, hashes: DataFrame, progress: Progress = no_progress
) -> tuple[DataFrame, DataFrame]:
    """(new, old) hashes of an incremental run: split at previous_run (the new rows of a Delta
    hash OUTPUT from its change data feed), or the previous hashes table."""
    if args.previous_run:
        old = hashes.filter(F.col("run_id") <= args.previous_run)
        changed = new_hash_rows(spark, args.hashes, args.previous_run)
        if changed is not None:
            progress(f"new hashes: the change data feed of {args.hashes} after run {args.previous_run}")
            return changed, old
        return hashes.filter(F.col("run_id") > args.previous_run), old
    if args.previous_hashes:
        return hashes, read_hashes_table(spark, args.previous_hashes)
    raise UsageError(_PREVIOUS_NEEDS, _PREVIOUS_FIELDS)


def run_dups(
    spark: SparkSession, config: DupsConfig, covered: str | None = None, progress: Progress = no_progress
) -> DupsResult:
    """Find the duplicates of `config` and commit pairs, clusters (kept by `config.keep`),
    groups and remove as one new run of its output (`sparkhash.dedup.output`), holding the
    output's lease meanwhile. `covered` is recorded with the run (`sparkhash.dedup.live`).
    How the pairs are found goes to `progress` as it is chosen, and into the result's plans."""
    plans: list[str] = []

    def report(line: str) -> None:
        plans.append(line)
        progress(line)

    check_config(config)
    policy = keep_policy(config)
    delta.require_delta(spark, config.format)  # format delta without Delta: one line, no work
    dups_store(spark, config.output, config.format, config.table_prefix).check_registered()
    with lease.acquire(spark, config.output, "sparkhash dups") as held:
        remove_old_runs(spark, config.output, config.format)  # what killed runs left behind
        pairs, clusters, groups = find_duplicates(spark, config, report)
        attributes = keep_attributes(read_hashes_table(spark, config.hashes))
        if config.previous_hashes:
            attributes = attributes.unionByName(
                keep_attributes(read_hashes_table(spark, config.previous_hashes))
            )
        # materialised once: both the clusters and the remove listing are written from it
        kept = with_keep_policy(
            clusters.select("path", "cluster"), attributes, policy, pairs
        ).localCheckpoint(eager=True)
        written = write_dups(
            spark,
            config.output,
            held.run_id,
            pairs,
            kept,
            groups,
            held.check,
            remove=remove_listing(kept, attributes, policy, pairs),
            policy=policy.describe(),
            covered=covered,
            fmt=config.format,
            table_prefix=config.table_prefix,
        )
        remove_old_runs(spark, config.output, config.format)
    result = read_dups(spark, config.output)
    return DupsResult(
        pairs=result.pairs,
        clusters=result.clusters,
        groups=result.groups,
        written=written,
        output=config.output,
        run_id=held.run_id,
        plans=tuple(plans),
    )
