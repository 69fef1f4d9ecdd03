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
import re
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

#: Session setting: table properties of the Delta tables created meanwhile (the change data
#: feed is on for every table sparkhash creates: incremental dups reads the new hashes from it).
CDF_DEFAULT = "spark.databricks.delta.properties.defaults.enableChangeDataFeed"
#: The change data feed's own columns.
CDF_COLUMNS = ("_change_type", "_commit_version", "_commit_timestamp")

#: The userMetadata key naming a commit's (txnAppId, txnVersion) when a stream's micro-batch
#: gives them (`sparkhash.spark.stream`): a replayed batch finds its commit by it.
TXN_META = "txn"

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


#: A table prefix: up to two dot-separated names (catalog, schema), then the tables' prefix.
_PREFIX = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*\.){0,2}[A-Za-z0-9_]*$")


def check_table_prefix(prefix: str | None, fmt: str) -> None:
    """Refuse (UsageError naming `table_prefix`) a prefix that is not `[catalog.][schema.]prefix_`
    or is given without format delta."""
    if prefix is None:
        return
    if not prefix or not _PREFIX.match(prefix):  # "main.media." names main.media.hashes, …
        raise UsageError(
            f"table_prefix must be [CATALOG.][SCHEMA.]PREFIX (letters, digits, _), not {prefix!r}",
            "table_prefix",
        )
    if fmt != DELTA:
        raise UsageError(
            "table_prefix registers Delta tables: it needs format delta", ("table_prefix", "format")
        )


def table_name(prefix: str, table: str) -> str:
    """The quoted catalog name of `table` under `prefix` (`a.b.img_` + hashes: `a`.`b`.`img_hashes`)."""
    parts = (prefix + table).split(".")
    return ".".join(f"`{p}`" for p in parts)


def registered_location(spark: SparkSession, name: str) -> str | None:
    """The location of the catalog table `name` (quoted), or None when there is no such table."""
    from pyspark.errors import AnalysisException

    try:
        return spark.sql(f"DESCRIBE DETAIL {name}").first()["location"]
    except AnalysisException as exc:
        if "TABLE_OR_VIEW_NOT_FOUND" in str(exc) or "SCHEMA_NOT_FOUND" in str(exc) or "not found" in str(exc):
            return None
        raise


def same_location(a: str, b: str) -> bool:
    """Whether two table locations name the same directory (`file:/x/` and `/x` do)."""

    def norm(location: str) -> str:
        location = location.rstrip("/")
        for scheme in ("file://", "file:"):
            if location.startswith(scheme):
                return location[len(scheme) :] or "/"
        return location

    return norm(a) == norm(b)


def check_registered(spark: SparkSession, prefix: str, tables: dict[str, str]) -> None:
    """Refuse (UsageError naming `table_prefix`) a name of `tables` (table -> path) that the
    catalog already has for another location."""
    for table, path in tables.items():
        name = table_name(prefix, table)
        location = registered_location(spark, name)
        if location is not None and not same_location(location, path):
            raise UsageError(
                f"table {name.replace('`', '')} exists for {location}, not {path}: choose another table_prefix",
                "table_prefix",
            )


def register(spark: SparkSession, prefix: str, tables: dict[str, str]) -> list[str]:
    """Register the Delta tables (table -> path) that exist as catalog tables named
    `prefix + table`, over their location (`CREATE TABLE IF NOT EXISTS … USING DELTA
    LOCATION`); returns the names. Plain Spark SQL then reads them by name."""
    names = []
    for table, path in tables.items():
        if not is_delta_table(spark, path):
            continue
        name = table_name(prefix, table)
        location = path.replace("'", "\\'")
        spark.sql(f"CREATE TABLE IF NOT EXISTS {name} USING DELTA LOCATION '{location}'")
        names.append(name.replace("`", ""))
    return names


def stream_app_id(checkpoint: str) -> str:
    """The txnAppId of a hash stream's micro-batch commits: one per checkpoint (its batch ids
    are the txnVersions)."""
    return f"sparkhash hash stream {checkpoint.rstrip('/')}"


def txn_version(run_id: str) -> int:
    """A run's Delta `txnVersion`: its id's UTC time in microseconds (ids sort in commit order)."""
    stamp = datetime.strptime(run_id.split("-", 1)[0], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=timezone.utc)
    return int(stamp.timestamp()) * 1_000_000 + stamp.microsecond


def is_delta_table(spark: SparkSession, path: str) -> bool:
    """Whether `path` holds a Delta table (its `_delta_log`)."""
    from sparkhash.spark.paths import local_path
    from sparkhash.spark.tables import path_exists

    if not path_exists(spark, f"{path}/_delta_log"):
        return False
    if local_path(path) is not None or getattr(spark, "_jvm", None) is not None:
        return True
    # Spark Connect with a path only the server sees: path_exists cannot tell, Delta can
    try:
        spark.read.format(DELTA).load(path).schema  # noqa: B018
    except Exception:  # noqa: BLE001 - not a Delta table (or no Delta on the server)
        return False
    return True


class _Settings:
    """Session settings for one Delta write, unset afterwards."""

    def __init__(self, spark: SparkSession, settings: dict[str, str]) -> None:
        self.spark, self.settings = spark, settings

    def __enter__(self) -> None:
        for key, value in self.settings.items():
            self.spark.conf.set(key, value)

    def __exit__(self, *exc) -> None:
        for key in self.settings:
            self.spark.conf.unset(key)


def _txn(spark: SparkSession, app_id: str, version: int, metadata: dict | None) -> _Settings:
    """The session settings of one idempotent SQL write (MERGE) carrying `metadata`."""
    settings = {TXN_APP_ID: app_id, TXN_VERSION: str(version)}
    if metadata is not None:
        settings[USER_METADATA] = json.dumps(metadata, sort_keys=True)
    return _Settings(spark, settings)


def _creating(spark: SparkSession) -> _Settings:
    """Tables created meanwhile get the change data feed (`CDF_DEFAULT`)."""
    return _Settings(spark, {CDF_DEFAULT: "true"})


def append(frame: DataFrame, path: str, app_id: str, version: int, metadata: dict | None = None) -> None:
    """Append `frame` to the Delta table at `path` (made if absent), once per (app_id, version);
    the commit's userMetadata is `metadata` (JSON), if given."""
    writer = (
        frame.write.format(DELTA)
        .mode("append")
        .option("txnAppId", app_id)
        .option("txnVersion", str(version))
        .option("mergeSchema", "true")
    )
    if metadata is not None:
        writer = writer.option("userMetadata", json.dumps(metadata, sort_keys=True))
    with _creating(frame.sparkSession):
        writer.save(path)


def delete_runs(spark: SparkSession, path: str, run_ids: list[str]) -> None:
    """Delete the rows of these runs (`run_id` column) from the Delta table at `path`."""
    listed = ", ".join("'" + r.replace("'", "''") + "'" for r in run_ids)
    spark.sql(f"DELETE FROM delta.`{path}` WHERE run_id IN ({listed})")


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
        with _creating(spark):
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
        with _txn(spark, app_id, version, metadata):
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


def changes_after(spark: SparkSession, path: str, run_id: str, key: str = "path") -> DataFrame | None:
    """The rows of the Delta table at `path` written by the commits after the one carrying run
    `run_id` (its userMetadata), as they are now: from the table's change data feed, the latest
    change of every `key`, deleted ones left out (the table's columns only). None when the feed
    cannot say: no such commit in the history, or no change data feed for those versions
    (a table made before it was switched on, or vacuumed)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    history = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").select("version", "userMetadata").collect()
    if not history:
        return None
    latest = max(row["version"] for row in history)
    found = None
    for row in history:
        try:
            meta = json.loads(row["userMetadata"]) if row["userMetadata"] else {}
        except ValueError:
            continue
        if isinstance(meta, dict) and meta.get("run_id") == run_id:
            found = row["version"] if found is None else max(found, row["version"])
    if found is None:
        return None
    table = spark.read.format(DELTA).option("versionAsOf", latest).load(path)
    if found >= latest:
        return table.limit(0)
    try:
        feed = (
            spark.read.format(DELTA)
            .option("readChangeFeed", "true")
            .option("startingVersion", found + 1)
            .option("endingVersion", latest)
            .load(path)
        )
        feed.schema  # noqa: B018 - resolves the read: a feed missing for the range fails here
    except Exception:  # noqa: BLE001 - no change data for those versions: the caller falls back
        return None
    last = Window.partitionBy(key).orderBy(F.col("_commit_version").desc())
    return (
        feed.where(F.col("_change_type") != "update_preimage")
        .withColumn("_sparkhash_rank", F.row_number().over(last))
        .where("_sparkhash_rank = 1 AND _change_type != 'delete'")
        .select(*table.columns)
    )
