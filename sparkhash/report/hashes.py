"""Where the report finds file sizes and dimensions: the hash job's output, if there is one."""

from __future__ import annotations

import os

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession

from sparkhash.spark.tables import path_exists, read_hash_output


def read_hash_rows(spark: SparkSession, location: str) -> DataFrame:
    """Hash rows from a `sparkhash hash` OUTPUT (current rows of committed runs) or a plain
    Parquet hashes table."""
    return read_hash_output(spark, location)[0]


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
