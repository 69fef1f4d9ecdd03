"""Incremental runs: pairs among new files and between new and old ones, never old against old.

Only the new distinct hashes are probed; the build side holds all distinct hashes, and a
candidate whose both sides are old is dropped before verification. Clusters are recomputed
from the new pairs plus the previous clusters taken as star edges (path - cluster), which
connects exactly what the previous pairs connected without reading them again.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sparkhash.dedup.clusters import connected_components, with_keep
from sparkhash.dedup.join import join_within
from sparkhash.dedup.pairs import DEFAULT_EXPAND_LIMIT, expand_pairs, grouped_members, prepare, valid_hashes
from sparkhash.dedup.plan import (
    DEFAULT_HOT_BUCKET,
    DEFAULT_RECALL,
    BandPlan,
    Planner,
    planner_for,
    threshold_or_default,
)


@dataclass
class IncrementalResult:
    """new_pairs: pairs with at least one new path; pairs: previous ∪ new; clusters: recomputed."""

    new_pairs: DataFrame
    pairs: DataFrame
    clusters: DataFrame
    groups: DataFrame
    plan: BandPlan


def find_pairs_incremental(
    old_hashes: DataFrame,
    new_hashes: DataFrame,
    old_pairs: DataFrame,
    old_clusters: DataFrame,
    algorithm: str = "phash",
    threshold: int | None = None,
    mode: str = "exact",
    target_recall: float = DEFAULT_RECALL,
    expand_limit: int = DEFAULT_EXPAND_LIMIT,
    hot_bucket: int = DEFAULT_HOT_BUCKET,
    planner: Planner | None = None,
) -> IncrementalResult:
    """Extend a previous run (old hashes, its pairs and clusters) with newly hashed files.

    A path present in both tables is taken from `new_hashes`; its old pairs are kept as they were.
    `planner` replaces mode, target_recall and hot_bucket (see `pairs.find_pairs`).
    """
    new_rows = valid_hashes(new_hashes, algorithm).withColumn("new", F.lit(True))
    old_rows = (
        valid_hashes(old_hashes, algorithm)
        .join(new_rows.select("path"), "path", "left_anti")
        .withColumn("new", F.lit(False))
    )
    rows = old_rows.unionByName(new_rows)
    prep = prepare([old_hashes, new_hashes], algorithm, rows.select("path", "hex", "new"))
    grouped = grouped_members(prep.rows, prep.words, incremental=True)
    distinct = grouped.filter(F.col("path") == F.col("anchor")).select(
        *prep.wcols, F.col("group_new").alias("new")
    )
    hp, plan = join_within(
        distinct,
        threshold_or_default(threshold, algorithm, prep.nbits),
        probe=distinct.filter(F.col("new")).select(*prep.wcols),
        planner=planner or planner_for(mode, target_recall, hot_bucket),
        nbits=prep.nbits,
        words=prep.words,
        new_column="new",
    )
    new_pairs, groups = expand_pairs(grouped, hp, prep.words, algorithm, expand_limit)
    new_pairs = new_pairs.localCheckpoint(eager=True)
    pairs = (
        old_pairs.select(*new_pairs.columns)
        .unionByName(new_pairs)
        .dropDuplicates(["path_a", "path_b", "algorithm"])
    )
    edges = new_pairs.select(F.col("path_a").alias("src"), F.col("path_b").alias("dst")).unionByName(
        old_clusters.select(F.col("path").alias("src"), F.col("cluster").alias("dst"))
    )
    comps = connected_components(edges).select(
        F.col("node").alias("path"), F.col("component").alias("cluster")
    )
    clusters = with_keep(comps, rows.select("path", "pixels", "length"))
    return IncrementalResult(new_pairs=new_pairs, pairs=pairs, clusters=clusters, groups=groups, plan=plan)
