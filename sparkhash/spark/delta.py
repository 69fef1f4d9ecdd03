"""Delta Lake output tables (`format="delta"`, `--format delta`).

A hash OUTPUT written with `format="delta"` holds its tables as Delta tables that plain Spark
reads (`spark.read.format("delta").load(OUTPUT/hashes)`, ``SELECT … FROM delta.`OUTPUT/hashes` ``):

    OUTPUT/hashes     Delta: the *current* row of every path (its `run_id` names the run that
                      hashed it); an incremental run MERGEs its rows in by path and deletes the
                      rows of files gone since, in one Delta commit
    OUTPUT/segments   Delta: every run's segments rows, appended (the current ones are those
                      whose (path, run_id) is a current hashes row: `read_segments`)
    OUTPUT/runs       the run store's commit records, as for Parquet
    OUTPUT/staged     a run's rows while it runs (Parquet), merged in at its commit, then deleted

The run store (`sparkhash.spark.runs`) writes them: the run's rows are staged as for Parquet,
and its commit MERGEs them into the Delta tables, the hashes MERGE last. That MERGE is the run's
commit: Delta makes it atomic, so a killed run leaves the previous table version readable. It
carries the run record as its commit's `userMetadata` (`DESCRIBE HISTORY` shows it), so a run
killed after it and before its record is written gets its record back from the table's
history under the next run's lease. Every write is idempotent (`txnAppId` `sparkhash <kind>`,
`txnVersion` the run id's time in microseconds: a retried write of a run is skipped by Delta).
OUTPUT's lease still serialises writers.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from pyspark.sql import DataFrame, SparkSession

from sparkhash.errors import UsageError

PARQUET = "parquet"
DELTA = "delta"
FORMATS = (PARQUET, DELTA)

#: Where a Delta OUTPUT keeps a run's rows until its commit merges them in.
STAGED = "staged"

#: Session settings Delta reads for SQL writes (MERGE, DELETE): idempotent writes, commit info.
TXN_APP_ID = "spark.databricks.delta.write.txnAppId"
TXN_VERSION = "spark.databricks.delta.write.txnVersion"
USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata"

#: What a session needs for Delta (open source Delta Lake; Databricks has it built in).
DELTA_SESSION_SETTINGS = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}
#: Environment variable: comma-separated Delta JARs a local session started by sparkhash loads.
DELTA_JARS_ENV = "SPARKHASH_DELTA_JARS"


def check_format(fmt: str) -> None:
    """Refuse (UsageError naming `format`) a format other than parquet or delta."""
    if fmt not in FORMATS:
        raise UsageError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}", "format")


def delta_available(spark: SparkSession) -> bool:
    """Whether the session can read and write Delta tables (its data source resolves)."""
    try:
        spark.read.format(DELTA).load("/nonexistent/sparkhash-delta-probe").schema  # noqa: B018
    except Exception as exc:  # noqa: BLE001 - any error but "no such source" means Delta is there
        text = str(exc)
        return "DATA_SOURCE_NOT_FOUND" not in text and "Failed to find data source" not in text
    return True


def require_delta(spark: SparkSession, fmt: str) -> None:
    """With `fmt` delta, refuse (one line, UsageError naming `format`) a session without Delta."""
    check_format(fmt)
    if fmt == DELTA and not delta_available(spark):
        raise UsageError(
            "format delta needs Delta Lake on the Spark session (built into Databricks; elsewhere "
            f"the delta-spark JARs and its SQL extension: set {DELTA_JARS_ENV} or use --conf), "
            "or use format parquet",
            "format",
        )


def txn_version(run_id: str) -> int:
    """A run's Delta `txnVersion`: its id's UTC time in microseconds (ids sort in commit order)."""
    stamp = datetime.strptime(run_id.split("-", 1)[0], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=timezone.utc)
    return int(stamp.timestamp()) * 1_000_000 + stamp.microsecond


def is_delta_table(spark: SparkSession, path: str) -> bool:
    """Whether `path` holds a Delta table (its `_delta_log`)."""
    from sparkhash.spark.tables import path_exists

    return path_exists(spark, f"{path}/_delta_log")


class _Txn:
    """Session settings of one idempotent Delta write, unset afterwards."""

    def __init__(self, spark: SparkSession, app_id: str, version: int, metadata: dict | None) -> None:
        self.spark = spark
        self.settings = {TXN_APP_ID: app_id, TXN_VERSION: str(version)}
        if metadata is not None:
            self.settings[USER_METADATA] = json.dumps(metadata, sort_keys=True)

    def __enter__(self) -> None:
        for key, value in self.settings.items():
            self.spark.conf.set(key, value)

    def __exit__(self, *exc) -> None:
        for key in self.settings:
            self.spark.conf.unset(key)


def append(frame: DataFrame, path: str, app_id: str, version: int) -> None:
    """Append `frame` to the Delta table at `path` (made if absent), once per (app_id, version)."""
    (
        frame.write.format(DELTA)
        .mode("append")
        .option("txnAppId", app_id)
        .option("txnVersion", str(version))
        .option("mergeSchema", "true")
        .save(path)
    )


def merge_current(
    spark: SparkSession,
    frame: DataFrame,
    gone: list[str],
    path: str,
    app_id: str,
    version: int,
    metadata: dict,
) -> None:
    """One Delta commit at `path`: `frame`'s rows become the current rows of their paths
    (updated or inserted), and the rows of the `gone` paths are deleted. The table is made by
    the first commit. Skipped by Delta when (app_id, version) was committed already; the
    commit's userMetadata is `metadata` (JSON)."""
    if not is_delta_table(spark, path):
        (
            frame.write.format(DELTA)
            .mode("append")
            .option("txnAppId", app_id)
            .option("txnVersion", str(version))
            .option("userMetadata", json.dumps(metadata, sort_keys=True))
            .save(path)
        )
        return
    columns = frame.columns
    held = set(spark.read.format(DELTA).load(path).columns)
    added = [f for f in frame.schema.fields if f.name not in held]
    if added:  # a run adding algorithms: their columns first (null in the earlier rows)
        spec = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in added)
        spark.sql(f"ALTER TABLE delta.`{path}` ADD COLUMNS ({spec})")
    marked = frame.selectExpr("*", "false AS _sparkhash_gone")
    if gone:
        deleted = spark.createDataFrame([(p,) for p in gone], "path string")
        filler = [c for c in columns if c != "path"]
        deleted = deleted.selectExpr("path", *[f"NULL AS `{c}`" for c in filler], "true AS _sparkhash_gone")
        marked = marked.unionByName(
            deleted.select(*[frame.schema[c].name for c in columns], "_sparkhash_gone")
        )
    view = f"sparkhash_merge_{version}"
    marked.createOrReplaceTempView(view)
    sets = ", ".join(f"`{c}` = s.`{c}`" for c in columns)
    names = ", ".join(f"`{c}`" for c in columns)
    values = ", ".join(f"s.`{c}`" for c in columns)
    try:
        with _Txn(spark, app_id, version, metadata):
            spark.sql(
                f"MERGE INTO delta.`{path}` t USING {view} s ON t.path = s.path "
                "WHEN MATCHED AND s._sparkhash_gone THEN DELETE "
                f"WHEN MATCHED THEN UPDATE SET {sets} "
                f"WHEN NOT MATCHED AND NOT s._sparkhash_gone THEN INSERT ({names}) VALUES ({values})"
            )
    finally:
        spark.catalog.dropTempView(view)


def committed_metadata(spark: SparkSession, path: str, limit: int = 50) -> list[dict]:
    """The userMetadata (JSON) of the latest `limit` commits of the Delta table at `path` that
    carry one, oldest first ([] when there is no table)."""
    if not is_delta_table(spark, path):
        return []
    rows = (
        spark.sql(f"DESCRIBE HISTORY delta.`{path}` LIMIT {int(limit)}")
        .where("userMetadata IS NOT NULL")
        .select("version", "userMetadata")
        .collect()
    )
    found = []
    for row in sorted(rows, key=lambda r: r["version"]):
        try:
            found.append(json.loads(row["userMetadata"]))
        except ValueError:
            continue
    return found
