"""The review's data, computed on Spark: cluster ranking, totals, and the members of the top clusters.

Inputs are the dups job's tables (clusters: path, cluster, keep; pairs: path_a, path_b,
algorithm, distance, matched_segments, the relation columns, ...) and, when available, the
hash table's file attributes (path, length, width, height). Only the top clusters' members
reach the driver.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from sparkhash.core.registry import REGISTRY
from sparkhash.dedup import output as dups_output
from sparkhash.spark.schemas import conform_pairs

PAIRS = "pairs"
CLUSTERS = "clusters"

#: A pair's columns a member's link to the kept file carries as they are ...
PAIR_COLUMNS = ("algorithm", "distance", "matched_segments", "relation", "rotation", "mirrored", "differing")
#: ... and all of a link's columns (`top_members`): those, then the ones oriented from the member.
LINK_COLUMNS = (
    *PAIR_COLUMNS,
    "own_box",
    "other_box",
    "member_is_b",
    "other_is_original",
    "evidence",
    "label",
)

#: The columns a pairs table may have that name the row of a multi-hash record a pair matched
#: through (the registry's `label`: pdq_dihedral's `orientation`, what turns path_b into path_a).
LABELS = tuple(dict.fromkeys(record.label for record in REGISTRY.values() if record.label))


@dataclass
class Totals:
    """The page's summary figures, over all clusters (not only the shown ones)."""

    images: int
    clusters: int
    to_delete: int
    bytes_reclaimable: int | None  # None without file sizes
    bytes_total: int | None


def read_dups(spark: SparkSession, location: str) -> tuple[DataFrame, DataFrame]:
    """(clusters, pairs) of a `sparkhash dups` output directory (its latest committed run)."""
    tables = dups_output.read_dups(spark, location)
    return tables.clusters, tables.pairs


def file_attributes(hashes: DataFrame) -> DataFrame:
    """(path, length, width, height), one row per path (the latest run's row when run_id exists)."""
    wanted = [c for c in ("length", "width", "height") if c in hashes.columns]
    rows = hashes.select("path", *wanted, *(["run_id"] if "run_id" in hashes.columns else []))
    if "run_id" in rows.columns:
        latest = Window.partitionBy("path").orderBy(F.col("run_id").desc())
        rows = rows.withColumn("_n", F.row_number().over(latest)).where("_n = 1").drop("_n", "run_id")
    else:
        rows = rows.dropDuplicates(["path"])
    for name in ("length", "width", "height"):
        if name not in rows.columns:
            rows = rows.withColumn(name, F.lit(None).cast("long"))
    return rows.select(
        "path", F.col("length").cast("long"), F.col("width").cast("int"), F.col("height").cast("int")
    )


def cluster_stats(clusters: DataFrame, pairs: DataFrame, attributes: DataFrame | None) -> DataFrame:
    """One row per cluster: size, max/min pair distance, kept path, bytes of the non-kept files."""
    members = clusters.select("path", "cluster", "keep")
    if attributes is not None:
        members = members.join(attributes.select("path", "length"), "path", "left")
    else:
        members = members.withColumn("length", F.lit(None).cast("long"))
    sizes = members.groupBy("cluster").agg(
        F.count(F.lit(1)).alias("size"),
        F.max(F.when(F.col("keep"), F.col("path"))).alias("kept"),
        F.sum(F.when(~F.col("keep"), F.col("length"))).alias("reclaimable"),
        F.sum("length").alias("bytes"),
        F.count("length").alias("sized"),
    )
    in_cluster = pairs.join(members.select(F.col("path").alias("path_a"), "cluster"), "path_a")
    spread = in_cluster.groupBy("cluster").agg(
        F.max("distance").alias("max_distance"),
        F.min("distance").alias("min_distance"),
        F.count(F.lit(1)).alias("pairs"),
        F.array_sort(F.collect_set("algorithm")).alias("algorithms"),
    )
    return sizes.join(spread, "cluster", "left")


def ranked(stats: DataFrame) -> DataFrame:
    """Largest clusters first, then the most uncertain (largest max distance), then by id."""
    return stats.orderBy(F.col("size").desc(), F.col("max_distance").desc_nulls_last(), F.col("cluster"))


def totals(stats: DataFrame) -> Totals:
    """Images in clusters, clusters, files not kept, bytes reclaimable (when every size is known)."""
    row = stats.agg(
        F.sum("size").alias("images"),
        F.count(F.lit(1)).alias("clusters"),
        F.sum("reclaimable").alias("reclaimable"),
        F.sum("bytes").alias("bytes"),
        F.sum("sized").alias("sized"),
    ).first()
    images, count = int(row["images"] or 0), int(row["clusters"] or 0)
    complete = int(row["sized"] or 0) == images  # (an empty output: 0 bytes, known)
    return Totals(
        images=images,
        clusters=count,
        to_delete=images - count,
        bytes_reclaimable=int(row["reclaimable"] or 0) if complete else None,
        bytes_total=int(row["bytes"] or 0) if complete else None,
    )


def top_members(
    clusters: DataFrame,
    pairs: DataFrame,
    attributes: DataFrame | None,
    top: pd.DataFrame,
    max_members: int,
) -> pd.DataFrame:
    """Members of the `top` clusters (the kept file first, then by distance to it, then path),
    at most `max_members` per cluster, with their links to the kept file and nearest distance.

    Columns: cluster, path, keep, length, width, height, rank, kept_links (list of
    (algorithm, distance, matched_segments, the pair's relation columns oriented from this
    member: own_box, other_box — the kept file's —, member_is_b, other_is_original, and
    label: "orientation: rotate_90" for a pair with a LABELS column, what turns path_b into
    path_a)), nearest (smallest distance of any pair of it).
    """
    spark = clusters.sparkSession
    chosen = spark.createDataFrame(
        top[["cluster", "kept"]].astype({"cluster": str}), "cluster string, kept string"
    )
    members = clusters.select("path", F.col("cluster").cast("string").alias("cluster"), "keep").join(
        F.broadcast(chosen), "cluster"
    )
    pairs = conform_pairs(pairs)
    labels = [
        F.when(F.col(n).isNotNull(), F.concat(F.lit(f"{n}: "), F.col(n)))
        for n in LABELS
        if n in pairs.columns
    ]
    label = F.coalesce(*labels) if labels else F.lit(None).cast("string")

    def oriented(this: str, other: str) -> DataFrame:
        # the relation columns describe path_b relative to path_a: `member_is_b` says which
        # side this member is, the boxes are this member's and the other file's
        return pairs.select(
            F.col(f"path_{this}").alias("path"),
            F.col(f"path_{other}").alias("other"),
            *PAIR_COLUMNS,
            F.col(f"box_{this}").alias("own_box"),
            F.col(f"box_{other}").alias("other_box"),
            F.lit(this == "b").alias("member_is_b"),
            (F.col("original") == F.lit(other)).alias("other_is_original"),
            "evidence",
            label.alias("label"),
        )

    both = oriented("a", "b").unionByName(oriented("b", "a"))
    linked = members.join(both, "path", "left")
    per_member = linked.groupBy("cluster", "path", "keep", "kept").agg(
        F.min("distance").alias("nearest"),
        F.array_sort(
            F.collect_list(
                F.when(
                    F.col("other") == F.col("kept"),
                    F.struct(*LINK_COLUMNS),
                )
            )
        ).alias("kept_links"),
        F.min(F.when(F.col("other") == F.col("kept"), F.col("distance"))).alias("to_kept"),
    )
    order = Window.partitionBy("cluster").orderBy(
        F.col("keep").desc(),
        F.col("to_kept").asc_nulls_last(),
        F.col("nearest").asc_nulls_last(),
        F.col("path"),
    )
    limited = per_member.withColumn("rank", F.row_number().over(order)).where(F.col("rank") <= max_members)
    if attributes is not None:
        limited = limited.join(attributes, "path", "left")
    else:
        limited = (
            limited.withColumn("length", F.lit(None).cast("long"))
            .withColumn("width", F.lit(None).cast("int"))
            .withColumn("height", F.lit(None).cast("int"))
        )
    return limited.select(
        "cluster", "path", "keep", "length", "width", "height", "rank", "kept_links", "nearest"
    ).toPandas()
