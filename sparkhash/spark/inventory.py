"""What INPUT holds now, against what OUTPUT knows: the listing and the files it cannot read,
zero-byte files, files gone between listing and reading (vanished), files gone since they were
hashed (removed). Used by the hash job (`sparkhash.spark.hash_job`); see docs/spark-job.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pyspark.errors import AnalysisException, IllegalArgumentException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkhash.errors import UsageError
from sparkhash.spark import listing, tables
from sparkhash.spark.paths import is_path_not_found
from sparkhash.spark.read import (
    BINARY_FILE_SCHEMA,
    LISTING_COLUMNS,
    binary_files,
    binary_files_at,
    hadoop_path,
)


@dataclass(frozen=True)
class InputListing:
    """INPUT's files: the binaryFile DataFrame, every listed file's URI (`inputFiles`, zero-byte
    files included) and the files listed in Python that cannot be read through Hadoop."""

    files: DataFrame
    input_files: list[str]
    unreadable: list[listing.Unreadable]
    vanished: tuple[str, ...] = ()  # walked, then gone before Spark listed them


def input_scope(input_path: str) -> str | None:
    """The `path` prefix of the files under a driver-local INPUT directory (None otherwise)."""
    root = listing.walkable(input_path)
    return None if root is None else f"file:{os.path.abspath(root).rstrip('/')}/"


def list_input(
    spark: SparkSession,
    input_path: str,
    name_filter: str | None = None,
    recursive: bool = True,
    follow_symlinks: bool = False,
) -> InputListing:
    """List INPUT once. A driver-local directory is walked in Python first; when its tree has
    symbolic links to directories, broken links or `:` names (where Spark's listing would loop,
    double or fail) exactly the walked files are loaded, else Spark lists the tree itself."""
    root = listing.walkable(input_path)
    if root is not None:
        walked = listing.walk(root, name_filter, recursive, follow_symlinks)
        if walked.differs_from_spark:
            files, gone = _load_existing(spark, walked.files)
            return InputListing(
                files, files.inputFiles(), walked.unreadable, tuple(f"file:{p}" for p in gone)
            )
    try:
        files = binary_files(spark, input_path, name_filter, recursive)
    except IllegalArgumentException as exc:  # e.g. a ':' in a name under a glob
        raise UsageError(
            f"INPUT {input_path} cannot be listed by Hadoop ({str(exc).splitlines()[0]}); "
            "a ':' in a name needs INPUT to be a directory, not a glob"
        ) from None
    return InputListing(files, files.inputFiles(), [])


def _load_existing(spark: SparkSession, paths: list[str]) -> tuple[DataFrame, list[str]]:
    """binaryFile rows of these local files, and those deleted since the walk (Spark's load
    refuses a missing path, so they are left out and counted as vanished)."""
    gone: list[str] = []
    while paths:
        try:
            return binary_files_at(spark, paths), gone
        except AnalysisException as exc:
            if not is_path_not_found(exc):
                raise
            gone += [p for p in paths if not os.path.exists(p)]
            paths = [p for p in paths if os.path.exists(p)]
    return spark.createDataFrame([], BINARY_FILE_SCHEMA), gone


def unreadable_path() -> Column:
    """Paths that Hadoop lists but cannot open: a ':' after the scheme and authority."""
    return F.regexp_replace("path", r"^[A-Za-z][A-Za-z0-9+.-]*:(//[^/]*)?", "").contains(":")


def unreadable_listing(spark: SparkSession, files: DataFrame, walked: list[listing.Unreadable]) -> DataFrame:
    """Listing columns and an `error` of the files that get an error row unread."""
    listed = files.where(unreadable_path()).select(
        *LISTING_COLUMNS, F.lit(listing.COLON_ERROR).alias("error")
    )
    if not walked:
        return listed
    rows = [(u.path, u.length, u.modification_time, u.error) for u in walked]
    schema = "path string, length long, modificationTime timestamp, error string"
    return listed.unionByName(spark.createDataFrame(rows, schema))


def unscanned(
    spark: SparkSession, files: DataFrame, input_files: list[str], scanned: int | None = None
) -> list[str]:
    """Listed paths that Spark's scan of `files` leaves out now: zero-byte files, and files
    deleted since the listing (the binaryFile reader looks every file up again and, with
    spark.sql.files.ignoreMissingFiles, skips the missing ones). Paths go through the driver.
    `scanned` is the scan's row count when the caller has just counted it."""
    if scanned is None:
        scanned = files.select("path").count()
    if scanned >= len(input_files):
        return []
    every_file = spark.createDataFrame([(hadoop_path(u),) for u in input_files], "path string")
    return [r["path"] for r in every_file.join(files.select("path"), on="path", how="left_anti").collect()]


def zero_byte_listing(spark: SparkSession, paths: list[str]) -> DataFrame:
    return spark.createDataFrame(
        [(p, 0, None) for p in paths], "path string, length long, modificationTime timestamp"
    )


def vanished_paths(
    spark: SparkSession, files: DataFrame, input_files: list[str], staged: DataFrame, empty: set[str]
) -> list[str]:
    """Listed paths with no row from this run that are gone now (deleted after the listing).
    Run after the write: a file the scan or a Python worker skipped as missing is missing
    from this scan too, so this one pass covers files read by path as well."""
    gone = [
        p for p in unscanned(spark, files, input_files) if p not in empty or not tables.path_exists(spark, p)
    ]
    if not gone:
        return []
    rows = {r["path"] for r in staged.where(F.col("path").isin(gone)).select("path").collect()}
    return [p for p in gone if p not in rows]


def removed_paths(
    spark: SparkSession,
    known: DataFrame | None,
    input_files: list[str],
    walked: list[listing.Unreadable],
    vanished: list[str],
    scope: str | None = None,
) -> list[str]:
    """Current paths of OUTPUT whose files are gone: not listed now (or vanished) and not found
    on the file system (a file outside this run's INPUT keeps its row). `scope`, a path prefix
    (INPUT's directory as Spark spells it), limits the candidates to the files under it, so a
    run over one folder does not look up every other file of OUTPUT."""
    if known is None:
        return []
    if scope is not None:
        known = known.where(F.col("path").startswith(scope))
    listed = spark.createDataFrame(
        [(hadoop_path(u),) for u in input_files] + [(u.path,) for u in walked], "path string"
    )
    unlisted = known.select("path").join(listed, on="path", how="left_anti")
    candidates = sorted({row["path"] for row in unlisted.collect()} | set(vanished))
    if not candidates:
        return []
    current = {row["path"] for row in known.where(F.col("path").isin(candidates)).select("path").collect()}
    return [p for p in candidates if p in current and not tables.path_exists(spark, p)]
