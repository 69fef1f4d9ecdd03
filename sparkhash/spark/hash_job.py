"""The hashing job: files under INPUT -> a new committed run of OUTPUT's hashes and segments.

One pass hashes the new or changed files (everything on the first run) and writes hashes and
segments together to a staging directory; both tables are then derived from the staged Parquet
(no image is decoded twice, no image bytes are cached or written), and the run is committed
last (see `sparkhash.spark.tables`). The command line is `sparkhash.cli.hash`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkhash.core.decode import DecodeOptions
from sparkhash.core.params import CROP_RESISTANT, HashParams
from sparkhash.core.registry import DEFAULT_ALGORITHMS
from sparkhash.errors import UsageError
from sparkhash.spark import tables
from sparkhash.spark.api import (
    error_rows,
    hash_images,
    hashes_table,
    normalise_algorithms,
    params_json,
    segments_table,
)
from sparkhash.spark.read import (
    DEFAULT_MAX_FILE_BYTES,
    LISTING_COLUMNS,
    MAX_FILE_BYTES_CONF,
    binary_files,
    binary_files_at,
    empty_files,
    over_size_cap,
    oversize_error,
    within_size_cap,
)

#: Error of a zero-byte file (the core's wording; such files never reach the hashing step).
EMPTY_FILE_ERROR = "empty file (0 bytes)"


class IncompatibleOutputError(UsageError):
    """OUTPUT already holds hashes made with other algorithms or parameters."""


@dataclass(frozen=True)
class HashJobConfig:
    """Everything one run needs besides the Spark session."""

    input: str
    output: str
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    params: HashParams = field(default_factory=HashParams)
    decode_options: DecodeOptions = field(default_factory=DecodeOptions)
    name_filter: str | None = None
    recursive: bool = True
    max_file_bytes: int | None = None  # None: the session's spark.sparkhash.maxFileBytes, or 64 MiB
    retry_errors: bool = False


@dataclass(frozen=True)
class JobSummary:
    """Counts of one run; `run_id` is None when there was nothing new to hash."""

    files_seen: int
    hashed: int
    skipped: int
    failed: int
    seconds: float
    run_id: str | None
    output: str

    def line(self) -> str:
        """The one-line summary printed at the end of the job."""
        processed = self.hashed + self.failed
        rate = processed / self.seconds if self.seconds > 0 else 0.0
        committed = f"committed run {self.run_id}" if self.run_id else "nothing new, no run committed"
        return (
            f"sparkhash hash: {self.files_seen} files seen, {self.hashed} hashed, {self.skipped} skipped "
            f"(unchanged), {self.failed} failed in {self.seconds:.1f} s ({rate:.1f} images/s); "
            f"{committed} in {self.output}"
        )


def run_hash_job(spark: SparkSession, config: HashJobConfig) -> JobSummary:
    """Hash INPUT's new and changed files into a new committed run of OUTPUT."""
    started = time.perf_counter()
    output = tables.normalise_output(config.output)
    algorithms = normalise_algorithms(config.algorithms)
    params = params_json(config.params, config.decode_options)
    max_file_bytes = config.max_file_bytes or int(
        spark.conf.get(MAX_FILE_BYTES_CONF, str(DEFAULT_MAX_FILE_BYTES))
    )

    runs = tables.committed_runs(spark, output)
    _check_compatible(runs, algorithms, params, output)
    tables.remove_uncommitted(output, [r.run_id for r in runs])

    files = binary_files(spark, config.input, config.name_filter, config.recursive)
    input_files = files.inputFiles()
    files_seen = len(input_files)
    known = tables.read_hashes(spark, output)
    candidates = _files_to_hash(spark, files, known, config.retry_errors)
    hashed = hash_images(
        within_size_cap(candidates, max_file_bytes), algorithms, config.params, config.decode_options
    )
    staged_rows = hashed.unionByName(
        error_rows(
            over_size_cap(candidates, max_file_bytes), oversize_error(max_file_bytes), algorithms, params
        )
    )
    if files.select("path").count() < files_seen:  # Spark's scan skips zero-byte files
        empties = _new_or_changed(empty_files(spark, files, input_files), known, config.retry_errors)
        staged_rows = staged_rows.unionByName(
            error_rows(empties, F.lit(EMPTY_FILE_ERROR), algorithms, params)
        )

    run_id = tables.new_run_id()
    staging = tables.run_dir(output, tables.STAGING, run_id)
    staged_rows.write.mode("overwrite").parquet(staging)
    staged = spark.read.parquet(staging)
    counts = staged.agg(
        F.count(F.lit(1)).alias("rows"),
        F.count("error").alias("failed"),
        F.coalesce(F.sum("segment_count"), F.lit(0)).alias("segments"),
    ).first()
    rows, failed, segments = int(counts["rows"]), int(counts["failed"]), int(counts["segments"])
    if rows == 0:
        tables.remove_run_files(output, run_id)
        return JobSummary(files_seen, 0, files_seen, 0, time.perf_counter() - started, None, output)

    tables.write_run_table(hashes_table(staged, run_id), output, tables.HASHES, run_id)
    if CROP_RESISTANT in algorithms:
        tables.write_run_table(segments_table(staged, run_id), output, tables.SEGMENTS, run_id)
    seconds = time.perf_counter() - started
    record = tables.RunRecord(
        run_id=run_id,
        input=config.input,
        algorithms=",".join(algorithms),
        params=params,
        files_seen=files_seen,
        hashed=rows - failed,
        skipped=max(files_seen - rows, 0),
        failed=failed,
        segments=segments,
        seconds=round(seconds, 3),
        finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    tables.commit_run(spark, output, record)
    tables.remove_run_files(output, run_id)
    return JobSummary(files_seen, record.hashed, record.skipped, failed, seconds, run_id, output)


def _check_compatible(
    runs: list[tables.RunRecord], algorithms: tuple[str, ...], params: str, output: str
) -> None:
    if not runs:
        return
    last = runs[-1]
    if last.algorithms != ",".join(algorithms) or last.params != params:
        raise IncompatibleOutputError(
            f"{output} holds hashes made with algorithms {last.algorithms} and params {last.params}; "
            f"this run asks for {','.join(algorithms)} with {params}. Use another OUTPUT."
        )


#: Up to this many new or changed files, an incremental run reads only their bytes (by path);
#: beyond it, it scans every file's bytes once and drops the unchanged ones before decoding.
SMALL_INCREMENT = 10_000


def _files_to_hash(
    spark: SparkSession, files: DataFrame, known: DataFrame | None, retry_errors: bool
) -> DataFrame:
    """The binaryFile rows (with content) of files that are new or changed since the last run."""
    if known is None:
        return files
    listed = _new_or_changed(files.select(*LISTING_COLUMNS), known, retry_errors)
    paths = [row["path"] for row in listed.select("path").limit(SMALL_INCREMENT + 1).collect()]
    if len(paths) > SMALL_INCREMENT:
        return _new_or_changed(files, known, retry_errors)
    if not paths:
        return files.where(F.lit(False))  # an empty plan: no file is read
    try:
        chosen = binary_files_at(spark, paths)
        _ = chosen.schema  # resolve now (Spark Connect resolves lazily) so a missing path is caught here
        # Checked again: a file may have changed between the listing and this read.
        return _new_or_changed(chosen, known, retry_errors)
    except AnalysisException:  # e.g. a file deleted since the listing: scan everything instead
        return _new_or_changed(files, known, retry_errors)


def _new_or_changed(files: DataFrame, known: DataFrame | None, retry_errors: bool) -> DataFrame:
    """Files whose (path, length, modification time) is not in the current hashes yet."""
    if known is None:
        return files
    if retry_errors:
        known = known.where(F.col("error").isNull())
    keys = known.select(
        F.col("path").alias("_path"),
        F.col("length").alias("_length"),
        F.col("modification_time").alias("_mtime"),
    )
    same = (
        (files["path"] == keys["_path"])
        & (files["length"] == keys["_length"])
        & files["modificationTime"].eqNullSafe(keys["_mtime"])
    )
    # Broadcast: the scan side (with its image bytes) is never shuffled.
    return files.join(F.broadcast(keys), on=same, how="left_anti")
