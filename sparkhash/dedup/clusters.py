"""Clusters: connected components of the pairs graph, as DataFrame operations, plus a keep rule.

Components use the alternating large-star / small-star rounds of Kiveris et al. (2014,
"Connected Components in MapReduce and Beyond"): O(log² n) rounds of joins and aggregations,
no graph on the driver, no GraphFrames, nothing Spark Connect lacks. At the fixed point every
component is a star around its smallest node, which becomes the cluster id.

Keep rule: in each cluster exactly one path has keep = true — by default the one with the most
pixels (width·height), then the largest file (length), then the smallest path; other policies
are in `sparkhash.dedup.keep`.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sparkhash.dedup.keep import DEFAULT_POLICY, KeepPolicy, with_keep_policy

MAX_ROUNDS = 100


def _normalise(edges: DataFrame) -> DataFrame:
    return (
        edges.select(F.least("src", "dst").alias("src"), F.greatest("src", "dst").alias("dst"))
        .filter(F.col("src") != F.col("dst"))
        .distinct()
    )


def _large_star(edges: DataFrame) -> DataFrame:
    """Connect every larger neighbour of u to the smallest node of u's neighbourhood."""
    both = edges.select(F.col("src").alias("u"), F.col("dst").alias("v")).unionByName(
        edges.select(F.col("dst").alias("u"), F.col("src").alias("v"))
    )
    smallest = both.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
    return _normalise(
        both.filter(F.col("v") > F.col("u"))
        .join(smallest.hint("merge"), "u")
        .select(F.col("v").alias("src"), F.col("m").alias("dst"))
    )


def _small_star(edges: DataFrame) -> DataFrame:
    """Connect u and its smaller neighbours to the smallest of them."""
    smallest = edges.groupBy(F.col("dst").alias("u")).agg(F.min("src").alias("m"))
    spokes = edges.join(smallest.hint("merge"), edges["dst"] == smallest["u"]).select(
        F.col("src").alias("src"), F.col("m").alias("dst")
    )
    centre = smallest.select(F.col("u").alias("src"), F.col("m").alias("dst"))
    return _normalise(spokes.unionByName(centre))


def connected_components(edges: DataFrame, max_rounds: int = MAX_ROUNDS) -> DataFrame:
    """(node, component) for every node of the undirected graph `edges` (src, dst; any orderable type).

    component is the smallest node of the component.
    """
    current = _normalise(edges).localCheckpoint(eager=True)
    for _ in range(max_rounds):
        nxt = _small_star(_large_star(current)).localCheckpoint(eager=True)
        changed = (
            nxt.withColumn("in_next", F.lit(True))
            .join(current.withColumn("in_current", F.lit(True)).hint("merge"), ["src", "dst"], "full_outer")
            .filter(F.col("in_next").isNull() | F.col("in_current").isNull())
            .limit(1)
            .count()
        )
        if changed == 0:
            current = nxt
            break
        current = nxt
    else:
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    # A star forest: src (the smaller end) is the centre of each edge's component.
    leaves = current.select(F.col("dst").alias("node"), F.col("src").alias("component"))
    centres = current.select(F.col("src").alias("node"), F.col("src").alias("component"))
    return leaves.unionByName(centres).groupBy("node").agg(F.min("component").alias("component"))


def clusters(pairs: DataFrame, attributes: DataFrame, policy: KeepPolicy = DEFAULT_POLICY) -> DataFrame:
    """Clusters table (path, cluster, keep) from pairs (path_a, path_b) and attributes (path,
    pixels, length[, modification_time]), one kept file per cluster by `policy`."""
    comps = connected_components(pairs.select(F.col("path_a").alias("src"), F.col("path_b").alias("dst")))
    members = comps.select(F.col("node").alias("path"), F.col("component").alias("cluster"))
    return with_keep(members, attributes, policy)


def with_keep(members: DataFrame, attributes: DataFrame, policy: KeepPolicy = DEFAULT_POLICY) -> DataFrame:
    """Mark one keep path per cluster by `policy` (default: most pixels, then largest file, then
    smallest path)."""
    return with_keep_policy(members, attributes, policy)
