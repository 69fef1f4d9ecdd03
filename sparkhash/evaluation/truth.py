"""The labelled corpus: a CSV of file -> group (and optionally the edit applied).

Written by ../shared/data/build_dev_corpus.py as `file,group,edit`, with `file` relative to
the CSV's directory. Files of one group are near-duplicates of each other; files of different
groups are not.
"""

from __future__ import annotations

import os

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

#: The edit name of each group's unedited file; per-edit recall is measured against it.
REFERENCE_EDIT = "orig"


def path_key(path: Column) -> Column:
    """A join key for a file path: `file:/x`, `file:///x` and `/x` all become `/x`.

    Other schemes (s3a://, hdfs://, abfss://) are kept as they are: the truth root must then be
    given in the same scheme as the paths the hash job read.
    """
    return F.regexp_replace(path, r"^file:/*", "/")


def _has_scheme(path: str) -> bool:
    head, sep, _ = path.partition("://")
    return bool(sep) and head.replace("+", "").replace(".", "").replace("-", "").isalnum()


def default_root(truth_csv: str) -> str:
    """The directory of the CSV: what relative `file` entries are relative to."""
    if _has_scheme(truth_csv) or truth_csv.startswith("file:"):
        return truth_csv.rsplit("/", 1)[0]
    return os.path.dirname(os.path.abspath(truth_csv))


def read_truth(spark: SparkSession, truth_csv: str, root: str | None = None) -> DataFrame:
    """Labelled files as (key, path, group, edit): `path` is the absolute path or URI.

    `edit` is null when the CSV has no edit column. Duplicate file entries are an error.
    """
    root = (root or default_root(truth_csv)).rstrip("/")
    location = (
        truth_csv if _has_scheme(truth_csv) or truth_csv.startswith("file:") else os.path.abspath(truth_csv)
    )
    raw = spark.read.option("header", True).option("inferSchema", False).csv(location)
    missing = {"file", "group"} - set(raw.columns)
    if missing:
        raise ValueError(f"{truth_csv}: missing column(s) {sorted(missing)}; expected file,group[,edit]")
    edit = F.col("edit") if "edit" in raw.columns else F.lit(None).cast("string")
    absolute = F.col("file").rlike(r"^(/|[A-Za-z][A-Za-z0-9+.-]*:)")
    path = F.when(absolute, F.col("file")).otherwise(F.concat(F.lit(root + "/"), F.col("file")))
    labelled = raw.select(
        path.alias("path"),
        F.col("group").cast("string").alias("group"),
        edit.alias("edit"),
    ).withColumn("key", path_key(F.col("path")))
    duplicated = labelled.groupBy("key").count().where("count > 1").limit(3).collect()
    if duplicated:
        raise ValueError(f"{truth_csv}: files listed more than once, e.g. {[r.key for r in duplicated]}")
    return labelled.select("key", "path", "group", "edit")
