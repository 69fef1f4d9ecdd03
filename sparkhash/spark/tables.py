"""The OUTPUT directory: runs committed atomically, and readers that see only committed runs.

Layout (every write is a plain Spark write, so any Hadoop file system works):

    OUTPUT/hashes/run_id=<run_id>/*.parquet   the run's hashes rows
    OUTPUT/segments/run_id=<run_id>/*.parquet the run's segments rows (when crop_resistant is on)
    OUTPUT/<table>/run_id=<run_id>/*.parquet  the rows of any other multi-hash algorithm's
                                              exploded table (pdq_dihedral), when it is on
    OUTPUT/removed/run_id=<run_id>/*.parquet  paths of files gone since an earlier run (retired)
    OUTPUT/inventory/run_id=<run_id>/*.parquet  (path, length, modification_time, error, run_id)
                                              of every current row once the run is committed
                                              (the latest committed run's only)
    OUTPUT/runs/run_id=<run_id>/*.json        the run's commit record, written last
    OUTPUT/_lease                             the lease of the run writing now (sparkhash.spark.lease)

Runs are written, committed, listed and collected by the run store (`sparkhash.spark.runs`,
with this module's `LAYOUT`). A run is committed once its record exists. Spark's output
committer moves a job's files into place only when the job succeeds, and the record is a single
file written by a single task, so the record appears whole or not at all. Readers take only
committed runs' directories, so whatever a crashed run left behind is ignored, and removed by
the next run (wherever the run store can list OUTPUT: a driver-local path, or any Hadoop file
system on classic Spark; under Spark Connect with a server-only OUTPUT it stays, unread;
earlier versions' `_staging` leftovers are cleaned up too). Every committed run is kept: the
history is what `read_hashes(current=False)` and incremental dups read.

A file's *current* row is the one from the latest committed run that hashed it: a changed file
is hashed again by a later run, and `read_hashes` returns exactly one row per path. A file
that is gone is *retired* by the first run that notices (its path in that run's `removed`
table): its rows stay in the history, but it has no current row until it is hashed again.
"""

from __future__ import annotations

import posixpath
from dataclasses import asdict, dataclass, fields

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

from sparkhash.core.registry import EXPLODED_TABLES, Algorithm
from sparkhash.spark import delta
from sparkhash.spark.lease import new_run_id  # noqa: F401 - re-exported: it used to live here
from sparkhash.spark.paths import local_path, normalise_output
from sparkhash.spark.runs import Layout, RunStore
from sparkhash.spark.schemas import SEGMENTS_SCHEMA, exploded_schema, hashes_schema

HASHES = "hashes"
SEGMENTS = "segments"
REMOVED = "removed"
#: A compact copy of the current rows' file keys as of each run (`sparkhash.spark.inventory`):
#: what the next run compares its listing with, instead of every run's hashes rows.
INVENTORY = "inventory"
RUNS = "runs"  # not "_runs": Spark warns about reading a path whose name starts with "_"
STAGING = "_staging"


@dataclass(frozen=True)
class RunRecord:
    """What a committed run did; `algorithms` is comma-separated, `params` the rows' params."""

    run_id: str
    input: str
    algorithms: str
    params: str
    files_seen: int
    hashed: int
    skipped: int
    failed: int
    segments: int
    seconds: float
    finished: str
    removed: int = 0  # files retired by this run (gone since they were hashed)
    vanished: int = 0  # files listed but gone before their bytes were read


RUNS_SCHEMA = StructType(
    [
        StructField(
            f.name,
            {"int": LongType(), "float": DoubleType()}.get(str(f.type), StringType()),
            True,
        )
        for f in fields(RunRecord)
    ]
)


#: The hash OUTPUT's layout in the run store: `<table>/run_id=<id>/`, records in `runs/`.
LAYOUT = Layout(
    kind="hash",
    records=RUNS,
    per_table=True,
    tables=(HASHES, *EXPLODED_TABLES, REMOVED, INVENTORY),
    record_schema=StructType([f for f in RUNS_SCHEMA.fields if f.name != "run_id"]),
    obsolete=(STAGING,),
    current=HASHES,  # format delta: hashes MERGEd by path, removed paths deleted from it
    gone=REMOVED,
)


def run_store(
    spark: SparkSession, output: str, fmt: str = delta.PARQUET, table_prefix: str | None = None
) -> RunStore:
    """The run store of a hash OUTPUT (`sparkhash.spark.runs`) in format `fmt` (delta: its
    tables registered in the catalog as `table_prefix + table`, if given)."""
    return RunStore(spark, output, LAYOUT, fmt, table_prefix)


def run_dir(output: str, table: str, run_id: str, fmt: str = delta.PARQUET) -> str:
    """Directory of one run's part of `table` (hashes, segments, removed, runs); with format
    delta, where the run stages its rows until its commit."""
    output = normalise_output(output)
    if table == RUNS:
        return LAYOUT.record_dir(output, run_id)
    root = f"{output}/{delta.STAGED}" if fmt == delta.DELTA else output
    return LAYOUT.table_dir(root, table, run_id)


def output_format(spark: SparkSession, output: str) -> str:
    """The format of a hash OUTPUT's tables: delta when its hashes table is a Delta table."""
    return (
        delta.DELTA if delta.is_delta_table(spark, f"{normalise_output(output)}/{HASHES}") else delta.PARQUET
    )


def committed_runs(spark: SparkSession, output: str) -> list[RunRecord]:
    """The committed runs of OUTPUT, oldest first ([] when there are none yet)."""
    rows = run_store(spark, output).records()
    defaults = {f.name: f.default for f in fields(RunRecord) if isinstance(f.default, int)}
    records = [
        RunRecord(**{f.name: _or(row[f.name], defaults.get(f.name)) for f in fields(RunRecord)})
        for row in rows
    ]
    return sorted(records, key=lambda r: r.run_id)


def _or(value, default):
    return default if value is None else value


REMOVED_SCHEMA = StructType(
    [StructField("path", StringType(), False), StructField("run_id", StringType(), True)]
)


def write_removed(
    spark: SparkSession, output: str, run_id: str, paths: list[str], fmt: str = delta.PARQUET
) -> None:
    """Write the paths a run retires (before its commit record)."""
    frame = spark.createDataFrame([(p,) for p in paths], "path string")
    run_store(spark, output, fmt).write_table(frame.coalesce(1), REMOVED, run_id)


def commit_run(
    spark: SparkSession,
    output: str,
    record: RunRecord,
    check=lambda: None,
    fmt: str = delta.PARQUET,
    txn: tuple[str, int] | None = None,
) -> None:
    """Write the run's record after `check()` (`Lease.check`): from now on readers include the
    run. Format delta: its rows are MERGEd into the Delta tables first (`RunStore.commit`;
    `txn`: the MERGE's txnAppId and txnVersion, a stream's micro-batch)."""
    run_store(spark, output, fmt).commit(record.run_id, asdict(record), check, txn)


def write_run_table(frame: DataFrame, output: str, table: str, run_id: str, fmt: str = delta.PARQUET) -> None:
    """Write one run's rows of `table` (hashes or segments) into its run directory."""
    run_store(frame.sparkSession, output, fmt).write_table(frame.drop("run_id"), table, run_id)


def hashes_counts(spark: SparkSession, output: str, run_id: str, fmt: str = delta.PARQUET) -> tuple[int, int]:
    """(rows, rows with an error) of one run's written hashes: from the Parquet footers (row
    counts and the `error` column's null counts) when OUTPUT is driver-local, else one small
    Spark job over the written files' `error` column."""
    directory = run_dir(normalise_output(output), HASHES, run_id, fmt)
    footers = _footers(directory)
    if footers is not None:
        rows = errors = 0
        for meta in footers:
            rows += meta.num_rows
            column = meta.schema.names.index("error")
            for group in range(meta.num_row_groups):
                stats = meta.row_group(group).column(column).statistics
                if stats is None or not stats.has_null_count:
                    return _counted(spark, directory)
                errors += meta.row_group(group).num_rows - stats.null_count
        return rows, errors
    return _counted(spark, directory)


def segments_count(spark: SparkSession, output: str, run_id: str, fmt: str = delta.PARQUET) -> int:
    """Rows of one run's written segments (footers when driver-local, else a Spark count)."""
    directory = run_dir(normalise_output(output), SEGMENTS, run_id, fmt)
    footers = _footers(directory)
    if footers is not None:
        return sum(meta.num_rows for meta in footers)
    return spark.read.schema(StructType(SEGMENTS_SCHEMA.fields[:1])).parquet(directory).count()


def _counted(spark: SparkSession, directory: str) -> tuple[int, int]:
    row = (
        spark.read.schema(StructType([StructField("error", StringType(), True)]))
        .parquet(directory)
        .agg(F.count(F.lit(1)).alias("rows"), F.count("error").alias("errors"))
        .first()
    )
    return int(row["rows"]), int(row["errors"])


def _footers(directory: str) -> list | None:
    """Parquet footers of a written directory's data files, or None if the driver cannot read them."""
    local = local_path(directory)
    if local is None or not local.is_dir():
        return None
    import pyarrow.parquet as pq

    parts = [
        p
        for p in local.iterdir()
        if p.is_file() and p.name.endswith(".parquet") and not p.name.startswith((".", "_"))
    ]
    return [pq.read_metadata(p) for p in parts]


def read_hashes(spark: SparkSession, output: str, current: bool = True) -> DataFrame | None:
    """The hashes table of OUTPUT: with `current`, exactly one row per path (from the latest
    committed run that hashed it); otherwise every committed row. None before the first run."""
    output = normalise_output(output)
    runs = committed_runs(spark, output)
    if not runs:
        return None
    algorithms = tuple(runs[-1].algorithms.split(","))
    if output_format(spark, output) == delta.DELTA:
        # the Delta table holds the current rows (history: Delta's time travel)
        columns = hashes_schema(algorithms).fieldNames()
        return spark.read.format(delta.DELTA).load(f"{output}/{HASHES}").select(*columns)
    rows = _read_runs(spark, output, HASHES, hashes_schema(algorithms), [r.run_id for r in runs])
    if not current:
        return rows
    return current_of(spark, output, rows, runs)


def current_of(spark: SparkSession, output: str, rows: DataFrame, runs: list[RunRecord]) -> DataFrame:
    """The current rows among `rows` (hashes rows of committed runs, with `run_id`): per path the
    latest run's row, unless one of `runs` retired the path after that run."""
    latest = Window.partitionBy("path").orderBy(F.col("run_id").desc())
    current_rows = rows.withColumn("_rank", F.row_number().over(latest)).where("_rank = 1").drop("_rank")
    retiring = [r.run_id for r in runs if r.removed > 0]
    if not retiring:
        return current_rows
    gone = (
        _read_runs(spark, normalise_output(output), REMOVED, REMOVED_SCHEMA, retiring)
        .groupBy(F.col("path").alias("_gone_path"))
        .agg(F.max("run_id").alias("_gone_run"))
    )
    retired = (current_rows["path"] == gone["_gone_path"]) & (current_rows["run_id"] < gone["_gone_run"])
    return current_rows.join(F.broadcast(gone), on=retired, how="left_anti")


def new_hash_rows(spark: SparkSession, output: str, after_run: str) -> DataFrame | None:
    """Format delta: the current rows of OUTPUT hashed by runs after the committed run
    `after_run` (those whose run_id is later), read from the hashes table's change data feed
    instead of the whole table (`delta.changes_after`). None when OUTPUT is not Delta or its
    feed cannot say (the caller then filters the current rows by run_id)."""
    output = normalise_output(output)
    if output_format(spark, output) != delta.DELTA:
        return None
    runs = committed_runs(spark, output)
    if after_run not in [r.run_id for r in runs]:
        return None
    changed = delta.changes_after(spark, f"{output}/{HASHES}", after_run)
    if changed is None:
        return None
    return changed.select(*hashes_schema(tuple(runs[-1].algorithms.split(","))).fieldNames())


def read_segments(spark: SparkSession, output: str, current: bool = True) -> DataFrame | None:
    """The segments table of OUTPUT: with `current`, only the segments of each path's current
    hashes row. None when no committed run wrote segments."""
    output = normalise_output(output)
    runs = [r.run_id for r in committed_runs(spark, output) if r.segments > 0]
    if not runs:
        return None
    if output_format(spark, output) == delta.DELTA:
        rows = (
            spark.read.format(delta.DELTA).load(f"{output}/{SEGMENTS}").select(*SEGMENTS_SCHEMA.fieldNames())
        )
    else:
        rows = _read_runs(spark, output, SEGMENTS, SEGMENTS_SCHEMA, runs)
    if not current:
        return rows
    current_rows = read_hashes(spark, output).select("path", "run_id")
    return rows.join(current_rows, on=["path", "run_id"], how="left_semi")


def read_exploded(
    spark: SparkSession, output: str, record: Algorithm, current: bool = True
) -> DataFrame | None:
    """The exploded table of a multi-hash algorithm (`record.table`: segments, pdq_dihedral) of
    OUTPUT: with `current`, only the rows of each path's current hashes row. None when no
    committed run hashed with the algorithm."""
    if record.table == SEGMENTS:
        return read_segments(spark, output, current)
    output = normalise_output(output)
    runs = [r.run_id for r in committed_runs(spark, output) if record.name in r.algorithms.split(",")]
    if not runs:
        return None
    schema = exploded_schema(record)
    if output_format(spark, output) == delta.DELTA:
        rows = spark.read.format(delta.DELTA).load(f"{output}/{record.table}").select(*schema.fieldNames())
    else:
        rows = _read_runs(spark, output, record.table, schema, runs)
    if not current:
        return rows
    current_rows = read_hashes(spark, output).select("path", "run_id")
    return rows.join(current_rows, on=["path", "run_id"], how="left_semi")


class ExplodedTables(dict):
    """The exploded tables of a hash OUTPUT by table name (`segments`, `pdq_dihedral`: the
    ones it has), as `read_hash_output` returns them; `spark.record_tables.record_table` maps
    an algorithm's record to its table."""


def _read_runs(
    spark: SparkSession, output: str, table: str, schema: StructType, run_ids: list[str]
) -> DataFrame:
    return run_store(spark, output).read(table, run_ids, schema)


def read_hash_output(spark: SparkSession, location: str) -> tuple[DataFrame, ExplodedTables]:
    """(hashes, its exploded tables by name) at whatever a user points a command at: a
    `sparkhash hash` OUTPUT (the current rows of its committed runs); a directory holding plain
    Parquet `hashes/` (and `segments/`, `pdq_dihedral/`) tables; or a hashes table itself (with
    such tables beside it). `spark.record_tables.record_table` picks an algorithm's table."""
    base = location.rstrip("/")
    current = read_hashes(spark, base)
    if current is not None:
        found = {t: read_exploded(spark, base, r) for t, r in EXPLODED_TABLES.items()}
        return current, ExplodedTables({t: f for t, f in found.items() if f is not None})
    if path_exists(spark, f"{base}/{HASHES}"):
        hashes, parent = spark.read.parquet(f"{base}/{HASHES}"), base
    else:
        hashes, parent = spark.read.parquet(base), posixpath.dirname(base)
    found = {t: _parquet_if_exists(spark, f"{parent}/{t}" if parent else t) for t in EXPLODED_TABLES}
    return hashes, ExplodedTables({t: f for t, f in found.items() if f is not None})


def _parquet_if_exists(spark: SparkSession, path: str) -> DataFrame | None:
    return spark.read.parquet(path) if path_exists(spark, path) else None


def path_exists(spark: SparkSession, path: str) -> bool:
    """Whether `path` exists: through the driver's file system when it can see the path, else
    through Hadoop's (classic Spark). Under Spark Connect, remote paths are assumed to exist
    (reading them fails with a clear error if they do not)."""
    local = local_path(path)
    if local is not None:
        return local.exists()
    try:
        jvm_path = spark._jvm.org.apache.hadoop.fs.Path(path)  # noqa: SLF001 - classic Spark only
        return bool(jvm_path.getFileSystem(spark._jsc.hadoopConfiguration()).exists(jvm_path))  # noqa: SLF001
    except Exception:  # noqa: BLE001 - Spark Connect has no JVM gateway
        return True


def remove_run_files(spark: SparkSession, output: str, run_id: str, fmt: str = delta.PARQUET) -> None:
    """Delete what an uncommitted run wrote (where the run store can: `RunStore.discard`)."""
    run_store(spark, output, fmt).discard(run_id)


def remove_uncommitted(
    spark: SparkSession, output: str, committed: list[str], fmt: str = delta.PARQUET
) -> list[str]:
    """Delete what crashed runs left behind (and earlier versions' `_staging`); returns their
    run ids. A run in progress looks uncommitted: call this only while holding OUTPUT's lease
    (`sparkhash.spark.lease`), which keeps every other writer out."""
    return run_store(spark, output, fmt).collect_garbage(committed)
