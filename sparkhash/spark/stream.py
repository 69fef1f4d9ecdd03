"""Streaming ingestion: new files under INPUT hashed as they land, one committed run per micro-batch.

    query = start_hash_stream(spark, StreamConfig(HashJobConfig(input, output), checkpoint))

A `readStream.format("binaryFile")` source (explicit schema, `maxBytesPerTrigger` or
`maxFilesPerTrigger`) feeds
`foreachBatch`, which hashes exactly the micro-batch's files with the batch job
(`run_hash_job` with `HashJobConfig.files`) and commits them as one run of OUTPUT with the
usual protocol (`sparkhash.spark.tables`): batch readers see the same tables, the same
error rows, the same size cap. `trigger(availableNow=True)` processes what is there and stops,
for a scheduled job.

Exactly once across a killed and restarted stream. Spark writes a batch's offsets (for the
file source: its list of files) to the checkpoint before the batch runs and its commit entry
after `foreachBatch` returns; a restarted stream re-runs an uncommitted batch with the same
files. Either the killed attempt committed its run — then every file of the batch is already
a current, unchanged row of OUTPUT, the re-run finds nothing new and commits nothing — or it
did not, and what it wrote is uncommitted, removed, and written again. Each run's record
names its batch in `input` ("INPUT (stream batch N)"). With format delta the batch's MERGE is
idempotent by the micro-batch id (txnAppId `sparkhash hash stream CHECKPOINT`, txnVersion the
batch id, named in its userMetadata): a replayed batch whose commit is there writes nothing,
even when its files changed meanwhile.

The files of a batch are read from the file source's log in the checkpoint (Spark's file scan
skips zero-byte files, which must still get an error row): the batch's own log entry, united
with the batch's own paths only when the checkpoint's offsets do not show that entry to be the
whole batch (that scan looks every file up again). Per micro-batch the stream adds to a batch
run only the file source's work: its listing, its log, and a listing of the batch's files,
bounded to the session's cores (`bound_listing`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery
from pyspark.sql.types import BinaryType, LongType, StringType, StructField, StructType, TimestampType

from sparkhash.spark import tables
from sparkhash.spark.api import params_json
from sparkhash.spark.delta import DELTA, require_delta, stream_app_id
from sparkhash.spark.faults import fault_point
from sparkhash.spark.hash_job import (
    HashJobConfig,
    JobSummary,
    _check_compatible,
    _cores,
    check_format_compatible,
    run_algorithms,
    run_hash_job,
)
from sparkhash.spark.read import hadoop_path

#: The binaryFile source's schema, given explicitly (a stream cannot infer it).
BINARY_FILE_SCHEMA = StructType(
    [
        StructField("path", StringType(), False),
        StructField("modificationTime", TimestampType(), True),
        StructField("length", LongType(), True),
        StructField("content", BinaryType(), True),
    ]
)
#: Bytes of new files per micro-batch when no file count is given (the file source's
#: `maxBytesPerTrigger`): ~13,000 photos of 300 KB, so a batch's fixed cost (a run: lease,
#: listing, comparison with the inventory, commit) is a few per cent of its hashing, while one
#: batch's bytes stay bounded. 1,000 files a batch cost a third of the batch job's rate.
DEFAULT_MAX_BYTES_PER_TRIGGER = 4 * 1024**3

#: For every micro-batch the file source builds a file index whose root paths are the batch's
#: files, and Spark lists more than 32 root paths with a job of one task per path, up to this
#: setting (default 10,000): 10,000 tasks for a batch of 10,000 files, ~8 ms of CPU each (phash
#: of a photo costs ~13). The stream bounds it to the session's cores (each task then
#: looks up a share of the files), on the session it reads from: see `bound_listing`.
LISTING_PARALLELISM_CONF = "spark.sql.sources.parallelPartitionDiscovery.parallelism"
#: Spark's default of LISTING_PARALLELISM_CONF: a value set by the user is left as it is.
SPARK_LISTING_PARALLELISM = "10000"


@dataclass(frozen=True)
class StreamConfig:
    """A hash stream: the job's settings (`job.input` is the watched directory or glob), the
    checkpoint directory, and the trigger. `on_batch(spark, batch_id, summary)` is called on the
    driver after every batch, also one that committed nothing (under Spark Connect, on the
    server); e.g. `sparkhash.dedup.live.dups_after_each_batch` for incremental dups."""

    job: HashJobConfig
    checkpoint: str
    available_now: bool = False
    processing_time: str | None = None  # e.g. "5 minutes"; None: the next batch as soon as possible
    #: Files per micro-batch (`maxFilesPerTrigger`); None: sized by bytes instead
    max_files_per_trigger: int | None = None
    #: Bytes per micro-batch (`maxBytesPerTrigger`) when no file count is given
    max_bytes_per_trigger: int = DEFAULT_MAX_BYTES_PER_TRIGGER
    query_name: str | None = None
    on_batch: Callable[[SparkSession, int, JobSummary], None] | None = None


def binary_file_stream(
    spark: SparkSession,
    input_path: str,
    name_filter: str | None = None,
    recursive: bool = True,
    max_files_per_trigger: int | None = None,
    max_bytes_per_trigger: int = DEFAULT_MAX_BYTES_PER_TRIGGER,
) -> DataFrame:
    """New files under `input_path` as a streaming binaryFile DataFrame (BINARY_FILE_SCHEMA),
    `max_files_per_trigger` files per micro-batch, or else `max_bytes_per_trigger` bytes."""
    reader = spark.readStream.format("binaryFile").schema(BINARY_FILE_SCHEMA)
    if max_files_per_trigger is not None:
        reader = reader.option("maxFilesPerTrigger", str(max_files_per_trigger))
    else:  # the source refuses both options at once
        reader = reader.option("maxBytesPerTrigger", str(max_bytes_per_trigger))
    if recursive:
        reader = reader.option("recursiveFileLookup", "true")
    if name_filter:
        reader = reader.option("pathGlobFilter", name_filter)
    return reader.load(input_path)


def _log_lines(spark: SparkSession, root: str, names: list[str] | None = None) -> list[str]:
    """The lines of the checkpoint log files `names` under `root` (all of them when None),
    those that exist; raises when the folder cannot be read."""
    local = tables.local_path(root)
    if local is not None:
        files = sorted(local.iterdir()) if names is None else [local / n for n in names]
        return [
            line
            for f in files
            if not f.name.startswith((".", "_")) and f.is_file()
            for line in f.read_text().splitlines()
        ]
    if names is None:
        return [r[0] for r in spark.read.text(root).collect()]
    found = [f"{root}/{n}" for n in names if tables.path_exists(spark, f"{root}/{n}")]
    return [r[0] for r in spark.read.text(found).collect()] if found else []


def _log_offset(spark: SparkSession, checkpoint: str, batch_id: int) -> int | None:
    """The file source's log offset that micro-batch `batch_id` ends at (offsets/N: a version
    line, the batch's metadata, then the source's offset `{"logOffset":K}`), None if unknown."""
    try:
        lines = _log_lines(spark, f"{checkpoint}/offsets", [str(batch_id)])
        return int(json.loads(lines[2])["logOffset"])
    except Exception:  # noqa: BLE001 - missing, purged or foreign: unknown
        return None


def logged_batch_files(spark: SparkSession, checkpoint: str, batch_id: int) -> list[str]:
    """The files the file source assigned to `batch_id`, from its log in the checkpoint
    (sources/0/N and N.compact: a version line, then one JSON entry per file). [] if unreadable.
    Only the batch's own log file is read (N, or N.compact when the log compacted there)."""
    root = f"{tables.normalise_output(checkpoint)}/sources/0"
    try:
        lines = _log_lines(spark, root, [str(batch_id), f"{batch_id}.compact"])
        if not lines:  # an unexpected layout: every log file
            lines = _log_lines(spark, root)
    except Exception:  # noqa: BLE001 - a missing or foreign log: fall back to the batch's paths
        return []
    found = set()
    for line in lines:
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("batchId") == batch_id and "path" in entry:
            found.add(hadoop_path(entry["path"]))
    return sorted(found)


def _log_is_the_batch(spark: SparkSession, checkpoint: str, batch_id: int) -> bool:
    """Whether micro-batch `batch_id` is exactly the source log's entry `batch_id`: its offset
    ends there and the previous batch's ended one before (one log entry per micro-batch, as a
    single file source gives). Then the log alone names the batch's files."""
    checkpoint = tables.normalise_output(checkpoint)
    if _log_offset(spark, checkpoint, batch_id) != batch_id:
        return False
    return batch_id == 0 or _log_offset(spark, checkpoint, batch_id - 1) == batch_id - 1


def batch_files(spark: SparkSession, checkpoint: str, batch: DataFrame, batch_id: int) -> list[str]:
    """Every file of a micro-batch that still exists: the source log's entries (zero-byte files
    too, which Spark's scan of the batch skips) and, unless the checkpoint shows that the log
    entry is the whole batch, the batch's rows (only the path column is read, never the bytes:
    still a Spark job that looks every file up). A file deleted since it was listed is left
    out, as a batch run would not list it: otherwise the batch, whose files are fixed in the
    checkpoint, would fail on every restart."""
    paths = set(logged_batch_files(spark, checkpoint, batch_id))
    if not paths or not _log_is_the_batch(spark, checkpoint, batch_id):
        paths |= {r[0] for r in batch.select("path").collect()}
    return sorted(p for p in paths if tables.path_exists(spark, p))


def batch_label(input_path: str, batch_id: int) -> str:
    """The `input` recorded for a micro-batch's run."""
    return f"{input_path} (stream batch {batch_id})"


def commit_batch(spark: SparkSession, config: StreamConfig, batch: DataFrame, batch_id: int) -> JobSummary:
    """Hash one micro-batch's files into a committed run of OUTPUT (idempotent: see module doc)."""
    paths = batch_files(spark, config.checkpoint, batch, batch_id)
    if not paths:
        return JobSummary(0, 0, 0, 0, 0.0, None, tables.normalise_output(config.job.output))
    checkpoint = tables.normalise_output(config.checkpoint)
    txn = (stream_app_id(checkpoint), batch_id) if config.job.format == DELTA else None
    job = replace(
        config.job, input=batch_label(config.job.input, batch_id), files=tuple(paths), delta_txn=txn
    )
    summary = run_hash_job(spark, job)
    if summary.run_id is not None:
        # (tests) a driver killed after the batch's run committed, before Spark records the batch
        fault_point(f"stream-after-commit-{batch_id}")
    return summary


def check_output(spark: SparkSession, job: HashJobConfig) -> None:
    """Refuse (IncompatibleOutputError) an OUTPUT holding other algorithms or parameters, before
    the stream starts rather than in its first batch."""
    require_delta(spark, job.format)  # format delta without Delta on the session: one line, no stream
    runs = tables.committed_runs(spark, job.output)
    check_format_compatible(spark, runs, job.format, job.output)
    _check_compatible(
        runs, run_algorithms(job, runs), params_json(job.params, job.decode_options), job.output
    )


def bound_listing(spark: SparkSession) -> str | None:
    """Bound the listing jobs of the stream's micro-batches (LISTING_PARALLELISM_CONF) to the
    session's cores, unless the setting was changed from Spark's default or the cores are
    unknown (Spark Connect). The file source reads it from the session the stream was started
    on, at every micro-batch: it stays set on that session (`run_hash_stream` restores it when
    the stream ends). Returns the value it replaced, None if it changed nothing."""
    cores = _cores(spark)
    previous = spark.conf.get(LISTING_PARALLELISM_CONF, None)
    if cores is None or previous not in (None, SPARK_LISTING_PARALLELISM):
        return None
    spark.conf.set(LISTING_PARALLELISM_CONF, str(cores))
    return previous or SPARK_LISTING_PARALLELISM


def start_hash_stream(spark: SparkSession, config: StreamConfig) -> StreamingQuery:
    """Start the stream; returns the running query (`awaitTermination()` it, or `stop()` it).
    The session's listing parallelism is bounded for the stream (`bound_listing`)."""
    check_output(spark, config.job)
    bound_listing(spark)
    job = config.job
    source = binary_file_stream(
        spark,
        job.input,
        job.name_filter,
        job.recursive,
        config.max_files_per_trigger,
        config.max_bytes_per_trigger,
    )

    def each_batch(batch: DataFrame, batch_id: int) -> None:
        spark = batch.sparkSession
        summary = commit_batch(spark, config, batch, batch_id)
        if config.on_batch is not None:
            config.on_batch(spark, batch_id, summary)

    writer = source.writeStream.foreachBatch(each_batch).option("checkpointLocation", config.checkpoint)
    if config.query_name:
        writer = writer.queryName(config.query_name)
    if config.available_now:
        writer = writer.trigger(availableNow=True)
    elif config.processing_time:
        writer = writer.trigger(processingTime=config.processing_time)
    return writer.start()


def run_hash_stream(spark: SparkSession, config: StreamConfig) -> StreamingQuery:
    """Start the stream and wait until it ends (with `available_now`: once the files present at
    the start are committed). Raises the stream's failure, if any. The session's listing
    parallelism is as it was afterwards."""
    previous = spark.conf.get(LISTING_PARALLELISM_CONF, None)
    try:
        query = start_hash_stream(spark, config)
        query.awaitTermination()
    finally:
        if previous is None:
            spark.conf.unset(LISTING_PARALLELISM_CONF)
        else:
            spark.conf.set(LISTING_PARALLELISM_CONF, previous)
    return query
