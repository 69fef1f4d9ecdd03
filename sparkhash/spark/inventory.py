"""What INPUT holds now, against what OUTPUT knows: the listing and the files it cannot read,
zero-byte files, files gone between listing and reading (vanished), files gone since they were
hashed (removed). Used by the hash job (`sparkhash.spark.hash_job`); see docs/spark-job.md.

What OUTPUT knows is its *inventory*: per current row, the file's key (path, length,
modification time) with the row's `error` and `run_id` (whether the file is hashed again anyway).
Every committed Parquet run writes it whole (`OUTPUT/inventory/run_id=<id>/`, before its commit
record), so the next run reads one compact table instead of every run's hashes rows
(`read_known`), and one pass over listing ⋈ inventory (`compare`) sorts every file: unchanged,
to hash, refused unread (over the size cap, unreadable name) or not listed any more. Runs
committed without one (OUTPUTs of older versions, or written by one) are read as before, on
top of the latest inventory there is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pyspark import StorageLevel
from pyspark.errors import IllegalArgumentException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

from sparkhash.errors import UsageError
from sparkhash.spark import delta, listing, tables
from sparkhash.spark.paths import local_path
from sparkhash.spark.read import LISTING_COLUMNS, binary_files, binary_files_at, hadoop_path


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
        return InputListing(
            walked_files(spark, walked), [Path(p).as_uri() for p in walked.files], walked.unreadable
        )
    try:
        files = binary_files(spark, input_path, name_filter, recursive)
    except IllegalArgumentException as exc:  # e.g. a ':' in a name under a glob
        raise UsageError(
            f"INPUT {input_path} cannot be listed by Hadoop ({str(exc).splitlines()[0]}); "
            "a ':' in a name needs INPUT to be a directory, not a glob"
        ) from None
    return InputListing(files, files.inputFiles(), [])


def listed_files(spark: SparkSession, paths: list[str]) -> InputListing:
    """Exactly these files (binaryFile `path` values; a streaming micro-batch's). Driver-local
    files are looked up in Python (no Spark listing job); a file gone since is vanished."""
    if paths and all(p.startswith("file:") for p in paths):
        found = listing.Walk()
        gone = []
        for uri in paths:
            local = str(local_path(uri))
            try:
                info = os.stat(local)
            except OSError:
                gone.append(uri)
                continue
            found.files.append(local)
            found.stats[local] = (info.st_size, info.st_mtime_ns // 1_000_000)
        return InputListing(
            walked_files(spark, found), [Path(p).as_uri() for p in found.files], [], tuple(gone)
        )
    files = binary_files_at(spark, paths)
    return InputListing(files, files.inputFiles(), [])


def walked_files(spark: SparkSession, walked: listing.Walk) -> DataFrame:
    """The listing columns (path, modificationTime, length; no content) of the walked files,
    spelled as binaryFile spells them; zero-byte files without a modification time, as the
    zero-byte rows have always been written. The driver has them already: no Spark listing,
    no scan."""
    import pyarrow as pa

    paths = walked.files
    lengths = [walked.stats[p][0] for p in paths]
    mtimes = [walked.stats[p][1] if n else None for p, n in zip(paths, lengths, strict=True)]
    table = pa.table(
        {
            "path": pa.array([f"file:{p}" for p in paths], pa.string()),
            "modificationTime": pa.array(mtimes, pa.int64()).cast(pa.timestamp("ms", tz="UTC")),
            "length": pa.array(lengths, pa.int64()),
        }
    )
    return spark.createDataFrame(table, "path string, modificationTime timestamp, length long")


def unreadable_path() -> Column:
    """Paths that Hadoop lists but cannot open: a ':' after the scheme and authority."""
    return F.regexp_replace("path", r"^[A-Za-z][A-Za-z0-9+.-]*:(//[^/]*)?", "").contains(":")


def walked_listing(spark: SparkSession, walked: list[listing.Unreadable]) -> DataFrame:
    """Listing columns and an `error` of the walked files that get an error row unread."""
    rows = [(u.path, u.length, u.modification_time, u.error) for u in walked]
    return spark.createDataFrame(rows, "path string, length long, modificationTime timestamp, error string")


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


#: The inventory: what decides, for a listed file, whether its current row still stands.
INVENTORY_SCHEMA = StructType(
    [
        StructField("path", StringType(), True),
        StructField("length", LongType(), True),
        StructField("modification_time", TimestampType(), True),
        StructField("error", StringType(), True),
        StructField("run_id", StringType(), True),
    ]
)


def read_known(
    spark: SparkSession, output: str, runs: list[tables.RunRecord], fmt: str = delta.PARQUET
) -> tuple[DataFrame | None, bool]:
    """(OUTPUT's inventory before this run — one row per current path, INVENTORY_SCHEMA — or None
    before the first run; whether it was rebuilt from hashes rows, i.e. is worth caching).

    The latest committed run's inventory when it has one. Committed runs after the latest
    inventory (OUTPUTs written before inventories existed, or by an older version since) are
    read from their hashes and removed tables — only the inventory's columns — on top of it,
    with `read_hashes`' current-row rule. Delta: the current rows of the Delta table."""
    if not runs:
        return None, False
    columns = INVENTORY_SCHEMA.fieldNames()
    if fmt == delta.DELTA:
        return tables.read_hashes(spark, output).select(*columns), False
    store = tables.run_store(spark, output)
    with_inventory = store.runs_with(tables.INVENTORY)
    if with_inventory is None:  # OUTPUT cannot be listed here (Spark Connect): the hashes rows
        return tables.read_hashes(spark, output).select(*columns), False
    ids = [r.run_id for r in runs]
    base = next((i for i in range(len(ids) - 1, -1, -1) if ids[i] in with_inventory), None)
    later = runs if base is None else runs[base + 1 :]
    snapshot = None
    if base is not None:
        directory = tables.run_dir(output, tables.INVENTORY, ids[base])
        snapshot = spark.read.schema(INVENTORY_SCHEMA).parquet(directory)
        if not later:
            return snapshot, False
    rows = store.read(tables.HASHES, [r.run_id for r in later], INVENTORY_SCHEMA).select(*columns)
    if snapshot is not None:
        rows = snapshot.unionByName(rows)
    return tables.current_of(spark, output, rows, later).select(*columns), True


def write_inventory(
    spark: SparkSession,
    output: str,
    run_id: str,
    known: DataFrame | None,
    written: DataFrame,
    removed: list[str],
) -> None:
    """Write the run's inventory (before its commit record): the known rows, less those the run
    hashed again or retired, plus the run's written rows."""
    new = written.select(
        "path", "length", "modification_time", "error", F.lit(run_id).cast(StringType()).alias("run_id")
    )
    rows = new
    if known is not None:
        kept = known.join(new.select("path"), on="path", how="left_anti")
        if removed:
            gone = spark.createDataFrame([(p,) for p in removed], "path string")
            kept = kept.join(gone, on="path", how="left_anti")
        rows = kept.unionByName(new)
    tables.run_store(spark, output).write_table(rows, tables.INVENTORY, run_id)


def drop_older_inventories(spark: SparkSession, output: str, run_id: str) -> None:
    """Delete every inventory but `run_id`'s, just committed (only the latest is ever read).
    Under the lease, after the commit: a run killed before this leaves them to the next run."""
    store = tables.run_store(spark, output)
    for other in sorted(store.runs_with(tables.INVENTORY) or ()):
        if other < run_id:
            store.delete_table(tables.INVENTORY, other)


#: What a run does with a file (`compare`).
UNCHANGED, HASH, OVERSIZE, UNREADABLE, EMPTY, UNLISTED = (
    "unchanged",
    "hash",
    "oversize",
    "unreadable",
    "empty",
    "unlisted",
)


@dataclass
class Comparison:
    """The listing against the inventory, in one pass: every listed file (path, length,
    modificationTime) and every known path not listed now (within the scope asked for), each
    with its `action` and whether it has a current row (`known`); kept by Spark
    (memory and disk) until `release`, so later steps never list or look files up again."""

    rows: DataFrame
    scanned: int  # listed files the scan found
    counts: dict[str, int]

    def of(self, action: str) -> DataFrame:
        """The listing columns of the files with this action."""
        return self.rows.where(F.col("action") == action).select(*LISTING_COLUMNS)

    def listed(self) -> DataFrame:
        return self.rows.where(F.col("action") != UNLISTED).select("path")

    def paths(self, action: str) -> list[str]:
        if not self.counts.get(action):
            return []
        return [r["path"] for r in self.of(action).select("path").collect()]

    def known_among(self, paths: list[str]) -> set[str]:
        """Those of `paths` that have a current row."""
        if not paths:
            return set()
        rows = self.rows.where(F.col("path").isin(paths) & F.col("known")).select("path").collect()
        return {r["path"] for r in rows}

    def release(self) -> None:
        self.rows.unpersist()


def compare(
    files: DataFrame,
    known: DataFrame | None,
    reusable: Column,
    max_file_bytes: int,
    unlisted: bool,
    scope: str | None = None,
) -> Comparison:
    """Sort INPUT's listing against the inventory `known` in one pass (one Spark job, which also
    counts): a listed file is unchanged when a known row with `reusable` true has its path,
    length and modification time; else it is refused unread (unreadable name, over
    `max_file_bytes`) or hashed. With `unlisted`, known paths under `scope` (all when None) that
    are not listed are kept too (candidates for retirement)."""
    listing = files.select(*LISTING_COLUMNS).withColumn("_listed", F.lit(True))
    if known is None:
        joined = listing.select(
            "*",
            F.lit(None).cast(StringType()).alias("_path"),
            F.lit(None).cast(LongType()).alias("_length"),
            F.lit(None).cast(TimestampType()).alias("_mtime"),
            F.lit(None).cast("boolean").alias("_reusable"),
        )
    else:
        keys = known.select(
            F.col("path").alias("_path"),
            F.col("length").alias("_length"),
            F.col("modification_time").alias("_mtime"),
            reusable.alias("_reusable"),
        )
        if unlisted and scope is not None:
            keys = keys.where(F.col("_path").startswith(scope))
        how = "full_outer" if unlisted else "left_outer"
        joined = listing.join(keys, on=listing["path"] == keys["_path"], how=how)
    same = (
        F.coalesce(F.col("_reusable"), F.lit(False))
        & (F.col("length") == F.col("_length"))
        & F.col("modificationTime").eqNullSafe(F.col("_mtime"))
    )
    action = (
        F.when(F.col("_listed").isNull(), F.lit(UNLISTED))
        .when(same, F.lit(UNCHANGED))
        .when(unreadable_path(), F.lit(UNREADABLE))
        .when(F.col("length") == 0, F.lit(EMPTY))  # listed in Python: Spark's scan skips them
        .when(F.col("length") > F.lit(max_file_bytes), F.lit(OVERSIZE))
        .otherwise(F.lit(HASH))
    )
    rows = joined.select(
        F.coalesce(F.col("path"), F.col("_path")).alias("path"),
        F.col("length"),
        F.col("modificationTime"),
        action.alias("action"),
        F.col("_path").isNotNull().alias("known"),
    ).persist(StorageLevel.MEMORY_AND_DISK)
    actions = (UNCHANGED, HASH, OVERSIZE, UNREADABLE, EMPTY, UNLISTED)
    row = rows.agg(*[F.count(F.when(F.col("action") == a, True)).alias(a) for a in actions]).first()
    counts = {a: int(row[a]) for a in actions}
    return Comparison(rows, sum(counts[a] for a in actions if a != UNLISTED), counts)
