"""Keep policies: which file of each duplicate cluster survives, and the listing of the others.

A policy orders a cluster's members, best first; the first is kept. Every order ends with the
smallest path, so ties are broken the same way on every run.

    most-pixels        most pixels (width x height), then largest file (the default, as before)
    largest-file       largest file, then most pixels
    oldest             earliest modification time (unknown last), then most pixels
    newest             latest modification time (unknown last), then most pixels
    shortest-path      shortest path string
    prefer:P1[,P2...]  files under the first matching prefix win (P1 over P2 over the rest),
                       then most pixels; a prefix matches the path as written ("file:/a/...")
                       or without its "file:" scheme ("/a/...")

`remove_listing` gives, for every file not kept: path, cluster, kept_path and a one-line reason,
the input of a deletion job.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from sparkhash.dedup.output import read_dups
from sparkhash.errors import KeepPolicyError, UsageError

NAMES = ("most-pixels", "largest-file", "oldest", "newest", "shortest-path")
PREFER = "prefer:"

REMOVE_SCHEMA = StructType(
    [
        StructField("path", StringType(), False),
        StructField("cluster", StringType(), False),
        StructField("kept_path", StringType(), False),
        StructField("reason", StringType(), False),
    ]
)


@dataclass(frozen=True)
class KeepPolicy:
    """A keep policy: one of NAMES, or prefer with its prefixes (most preferred first)."""

    name: str = "most-pixels"
    prefixes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.name == "prefer":
            if not self.prefixes or any(not p for p in self.prefixes):
                raise KeepPolicyError("prefer: needs one or more non-empty prefixes, e.g. prefer:/archive/")
        elif self.name not in NAMES:
            raise KeepPolicyError(
                f"unknown keep policy {self.name!r}; choose from {', '.join(NAMES)} or prefer:PREFIX[,PREFIX...]"
            )

    def describe(self) -> str:
        """The policy as written on the command line."""
        return PREFER + ",".join(self.prefixes) if self.name == "prefer" else self.name


DEFAULT_POLICY = KeepPolicy()


def parse_policy(text: str) -> KeepPolicy:
    """A KeepPolicy from its command-line spelling (see the module docstring)."""
    text = text.strip()
    if text.startswith(PREFER):
        return KeepPolicy("prefer", tuple(p.strip() for p in text[len(PREFER) :].split(",")))
    return KeepPolicy(text)


def keep_attributes(hashes: DataFrame) -> DataFrame:
    """What the policies look at, from a hashes table: path, pixels, length, modification_time.

    Missing columns become nulls (which every policy ranks last)."""
    cols = hashes.columns
    pixels = F.col("width").cast("long") * F.col("height").cast("long") if "width" in cols else F.lit(None)
    length = F.col("length") if "length" in cols else F.lit(None)
    mtime = F.col("modification_time") if "modification_time" in cols else F.lit(None)
    return hashes.select(
        "path",
        pixels.cast("long").alias("pixels"),
        length.cast("long").alias("length"),
        mtime.cast("timestamp").alias("modification_time"),
    )


def _prefix_rank(prefixes: tuple[str, ...]) -> Column:
    """Index of the first prefix the path starts with; len(prefixes) for none."""
    bare = F.regexp_replace(F.col("path"), "^file:", "")
    rank = F.lit(len(prefixes))
    for i in reversed(range(len(prefixes))):
        p = F.lit(prefixes[i])
        rank = F.when(F.col("path").startswith(p) | bare.startswith(p), F.lit(i)).otherwise(rank)
    return rank


def policy_order(policy: KeepPolicy) -> list[Column]:
    """Sort keys of a cluster's members, best first, ending with the path (a total order)."""
    pixels = F.col("pixels").desc_nulls_last()
    length = F.col("length").desc_nulls_last()
    path = F.col("path").asc()
    if policy.name == "most-pixels":
        return [pixels, length, path]
    if policy.name == "largest-file":
        return [length, pixels, path]
    if policy.name == "oldest":
        return [F.col("modification_time").asc_nulls_last(), pixels, length, path]
    if policy.name == "newest":
        return [F.col("modification_time").desc_nulls_last(), pixels, length, path]
    if policy.name == "shortest-path":
        return [F.length("path").asc(), path]
    return [_prefix_rank(policy.prefixes).asc(), pixels, length, path]


def with_keep_policy(
    members: DataFrame, attributes: DataFrame, policy: KeepPolicy = DEFAULT_POLICY
) -> DataFrame:
    """(path, cluster, keep) with exactly one keep = true per cluster, chosen by `policy`.

    members: (path, cluster); attributes: keep_attributes() columns (path unique or not: the
    largest value of each is used)."""
    aggregates = [
        F.max(c).alias(c) for c in ("pixels", "length", "modification_time") if c in attributes.columns
    ]
    attrs = attributes.groupBy("path").agg(*aggregates)
    ranked = members.join(attrs, "path", "left")
    for c in ("pixels", "length", "modification_time"):
        if c not in ranked.columns:
            ranked = ranked.withColumn(
                c, F.lit(None).cast("timestamp" if c == "modification_time" else "long")
            )
    order = Window.partitionBy("cluster").orderBy(*policy_order(policy))
    return ranked.select("path", "cluster", (F.row_number().over(order) == 1).alias("keep"))


def _reason(policy: KeepPolicy) -> Column:
    """Why a member lost to the kept file (k_ columns are the kept file's attributes)."""

    def text(c: Column) -> Column:
        return F.coalesce(c.cast("string"), F.lit("unknown"))

    pixels = F.format_string("%s pixels, the kept file %s", text(F.col("pixels")), text(F.col("k_pixels")))
    size = F.format_string("%s bytes, the kept file %s", text(F.col("length")), text(F.col("k_length")))
    mtime = F.format_string(
        "modified %s, the kept file %s", text(F.col("modification_time")), text(F.col("k_modification_time"))
    )
    tie = F.lit("; tie broken by path")
    if policy.name == "most-pixels":
        detail = F.concat(
            pixels,
            F.when(F.col("pixels").eqNullSafe(F.col("k_pixels")), F.concat(F.lit("; "), size)).otherwise(
                F.lit("")
            ),
        )
    elif policy.name == "largest-file":
        detail = size
    elif policy.name in ("oldest", "newest"):
        detail = mtime
    elif policy.name == "shortest-path":
        detail = F.format_string(
            "path of %d characters, the kept file's %d", F.length("path"), F.length("k_path")
        )
    else:
        names = F.array(*[F.lit(p) for p in policy.prefixes], F.lit("no preferred prefix"))
        detail = F.when(
            F.col("rank") != F.col("k_rank"),
            F.format_string(
                "under %s, the kept file under %s",
                F.element_at(names, F.col("rank") + 1),
                F.element_at(names, F.col("k_rank") + 1),
            ),
        ).otherwise(F.concat(F.lit("same prefix; "), pixels))
    return F.concat(F.lit(policy.describe() + ": "), detail, F.when(F.col("tied"), tie).otherwise(F.lit("")))


def remove_listing(
    clusters: DataFrame, attributes: DataFrame, policy: KeepPolicy = DEFAULT_POLICY
) -> DataFrame:
    """REMOVE_SCHEMA rows for every member with keep = false: its cluster, the kept path, why."""
    attrs = attributes.groupBy("path").agg(
        F.max("pixels").alias("pixels"),
        F.max("length").alias("length"),
        F.max("modification_time").alias("modification_time"),
    )
    rank = _prefix_rank(policy.prefixes) if policy.name == "prefer" else F.lit(0)
    members = clusters.select("path", F.col("cluster").cast("string").alias("cluster"), "keep").join(
        attrs, "path", "left"
    )
    members = members.withColumn("rank", rank)
    kept = members.where(F.col("keep")).select(
        "cluster",
        *[F.col(c).alias(f"k_{c}") for c in ("path", "pixels", "length", "modification_time", "rank")],
    )
    removed = members.where(~F.col("keep")).join(kept, "cluster")
    # a tie: the member equals the kept file on every policy key but the path
    same = {
        "most-pixels": ("pixels", "length"),
        "largest-file": ("length", "pixels"),
        "oldest": ("modification_time", "pixels", "length"),
        "newest": ("modification_time", "pixels", "length"),
        "shortest-path": (),
        "prefer": ("rank", "pixels", "length"),
    }[policy.name]
    tied = F.lit(True)
    for c in same:
        tied = tied & F.col(c).eqNullSafe(F.col(f"k_{c}"))
    if policy.name == "shortest-path":
        tied = F.length("path") == F.length("k_path")
    removed = removed.withColumn("tied", tied)
    return removed.select(
        "path", "cluster", F.col("k_path").alias("kept_path"), _reason(policy).alias("reason")
    )


def read_policy(spark: SparkSession, output: str) -> str:
    """The policy a dups OUTPUT's latest result was kept by (recorded in its commit); results
    written before policies existed used most-pixels."""
    try:
        recorded = read_dups(spark, output).policy
    except UsageError:
        recorded = None
    return recorded or DEFAULT_POLICY.describe()
