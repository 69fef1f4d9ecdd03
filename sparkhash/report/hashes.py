"""Where the report finds file sizes and dimensions: the hash job's output, if there is one."""

from __future__ import annotations

import os

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession

from sparkhash.spark.tables import path_exists


def read_hash_rows(spark: SparkSession, location: str) -> DataFrame:
    """Hash rows from a `sparkhash hash` OUTPUT (current rows of committed runs) or a plain
    Parquet hashes table."""
    from sparkhash.spark.tables import read_hashes

    base = location.rstrip("/")
    if path_exists(spark, f"{base}/runs"):
        current = read_hashes(spark, base)
        if current is not None:
            return current
    if path_exists(spark, f"{base}/hashes"):
        try:
            rows = spark.read.parquet(f"{base}/hashes")
            rows.schema  # noqa: B018 - resolves the read: fails here if there is no table
            return rows
        except AnalysisException:
            pass
    return spark.read.parquet(base)


def find_hashes(spark: SparkSession, given: str | None, dups: str) -> DataFrame | None:
    """The hash rows named by --hashes, else from a `hashes` directory inside or next to the
    dups output (a `sparkhash hash` OUTPUT or a hashes table); None when there is none."""
    if given:
        return read_hash_rows(spark, given)
    base = dups.rstrip("/")
    parent = os.path.dirname(base)
    for candidate in (f"{base}/hashes", f"{parent}/hashes" if parent else "hashes"):
        if path_exists(spark, candidate):
            try:
                rows = read_hash_rows(spark, candidate)
                rows.schema  # noqa: B018 - resolves the read: fails here if there is no table
                return rows
            except AnalysisException:
                continue
    return None
