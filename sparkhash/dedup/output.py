"""Writing a dups OUTPUT: pairs, clusters, groups, the remove listing and the keep policy.

Also the incremental dups a hash stream runs after each micro-batch (`update_dups`): OUTPUT
records the last hash run it covers (`OUTPUT/covered`, written last), so a batch re-run after
a crash, or a batch that committed nothing, recomputes nothing twice and misses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkhash.dedup.clusters import clusters as make_clusters
from sparkhash.dedup.incremental import find_pairs_incremental
from sparkhash.dedup.keep import (
    DEFAULT_POLICY,
    KeepPolicy,
    keep_attributes,
    remove_listing,
    with_keep_policy,
    write_policy,
)
from sparkhash.dedup.pairs import find_pairs
from sparkhash.spark.tables import committed_runs, path_exists, read_hashes

PAIRS, CLUSTERS, GROUPS, REMOVE, COVERED = "pairs", "clusters", "groups", "remove", "covered"


def write_dups_output(
    spark: SparkSession,
    output: str,
    pairs: DataFrame,
    clusters: DataFrame,
    groups: DataFrame,
    attributes: DataFrame,
    policy: KeepPolicy = DEFAULT_POLICY,
) -> None:
    """Write OUTPUT/pairs, clusters, groups, remove (REMOVE_SCHEMA) and keep_policy.

    clusters' keep column is recomputed by `policy`; attributes: keep_attributes() rows."""
    base = output.rstrip("/")
    kept = with_keep_policy(clusters.select("path", "cluster"), attributes, policy).localCheckpoint(
        eager=True
    )
    pairs.write.mode("overwrite").parquet(f"{base}/{PAIRS}")
    groups.write.mode("overwrite").parquet(f"{base}/{GROUPS}")
    kept.write.mode("overwrite").parquet(f"{base}/{CLUSTERS}")
    remove_listing(kept, attributes, policy).write.mode("overwrite").parquet(f"{base}/{REMOVE}")
    write_policy(spark, base, policy)


@dataclass(frozen=True)
class DupsConfig:
    """What `update_dups` finds (the options of `sparkhash dups` it supports)."""

    output: str
    algorithm: str = "phash"
    threshold: int = 4
    mode: str = "exact"
    policy: KeepPolicy = field(default_factory=KeepPolicy)


def covered_run(spark: SparkSession, output: str) -> str | None:
    """The last hash run a dups OUTPUT covers (None: none yet, or an output it cannot extend)."""
    base = output.rstrip("/")
    needed = [f"{base}/{t}/_SUCCESS" for t in (PAIRS, CLUSTERS)] + [f"{base}/{COVERED}"]
    if not all(path_exists(spark, p) for p in needed):
        return None
    row = spark.read.schema("run_id string").json(f"{base}/{COVERED}").first()
    return row["run_id"] if row is not None else None


def update_dups(spark: SparkSession, hashes_output: str, config: DupsConfig) -> str | None:
    """Bring the dups OUTPUT up to the latest committed run of `hashes_output`: incrementally
    from the run it covers, or in full the first time. Returns the run now covered (None when
    there are no runs); does nothing when it is already covered."""
    runs = committed_runs(spark, hashes_output)
    if not runs:
        return None
    latest = runs[-1].run_id
    covered = covered_run(spark, config.output)
    if covered == latest:
        return latest
    hashes = read_hashes(spark, hashes_output)
    common = dict(algorithm=config.algorithm, threshold=config.threshold, mode=config.mode)
    base = config.output.rstrip("/")
    if covered is None:
        result = find_pairs(hashes, **common)
        pairs = result.pairs.localCheckpoint(eager=True)
        clusters = make_clusters(pairs, keep_attributes(hashes))
        groups = result.groups
    else:
        old = hashes.where(F.col("run_id") <= covered)
        new = hashes.where(F.col("run_id") > covered)
        result = find_pairs_incremental(
            old,
            new,
            spark.read.parquet(f"{base}/{PAIRS}"),
            spark.read.parquet(f"{base}/{CLUSTERS}"),
            **common,
        )
        pairs, clusters, groups = result.pairs, result.clusters, result.groups
    # materialised before anything under OUTPUT is overwritten: the inputs may be read from there
    pairs = pairs.localCheckpoint(eager=True)
    clusters = clusters.localCheckpoint(eager=True)
    groups = groups.localCheckpoint(eager=True)
    write_dups_output(spark, base, pairs, clusters, groups, keep_attributes(hashes), config.policy)
    spark.createDataFrame([(latest,)], "run_id string").coalesce(1).write.mode("overwrite").json(
        f"{base}/{COVERED}"
    )
    return latest


def dups_after_each_batch(
    hashes_output: str, config: DupsConfig
) -> Callable[[SparkSession, int, object], None]:
    """A hash stream's `on_batch` that keeps the dups OUTPUT up to date (see `update_dups`)."""

    def on_batch(spark: SparkSession, batch_id: int, summary: object) -> None:
        update_dups(spark, hashes_output, config)

    return on_batch
