"""Where the report finds file sizes and dimensions: the hash job's output, if there is one."""

from __future__ import annotations

import os

from pyspark.sql import DataFrame, SparkSession


def _exists(spark: SparkSession, path: str) -> bool:
    jvm_path = spark._jvm.org.apache.hadoop.fs.Path(path)  # noqa: SLF001 - Hadoop FS check, classic Spark
    return jvm_path.getFileSystem(spark._jsc.hadoopConfiguration()).exists(jvm_path)  # noqa: SLF001


def read_hash_rows(spark: SparkSession, location: str) -> DataFrame:
    """Hash rows from a `sparkhash hash` OUTPUT (current rows of committed runs) or a plain
    Parquet hashes table."""
    base = location.rstrip("/")
    try:
        from sparkhash.spark.tables import read_hashes
    except ImportError:  # pragma: no cover - the hash job's reader is part of the package
        read_hashes = None
    if read_hashes is not None and _exists(spark, f"{base}/runs"):
        current = read_hashes(spark, base)
        if current is not None:
            return current
    if _exists(spark, f"{base}/hashes"):
        return spark.read.parquet(f"{base}/hashes")
    return spark.read.parquet(base)


def find_hashes(spark: SparkSession, given: str | None, dups: str) -> DataFrame | None:
    """The hash rows named by --hashes, else from a `hashes` directory inside or next to the
    dups output (a `sparkhash hash` OUTPUT or a hashes table); None when there is none."""
    if given:
        return read_hash_rows(spark, given)
    base = dups.rstrip("/")
    parent = os.path.dirname(base)
    for candidate in (f"{base}/hashes", f"{parent}/hashes" if parent else "hashes"):
        if _exists(spark, candidate):
            return read_hash_rows(spark, candidate)
    return None
