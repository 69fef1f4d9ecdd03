"""The hashing job: files under INPUT -> a new committed run of OUTPUT's hashes and segments.

One pass hashes the new or changed files (everything on the first run) and writes the hashes
table straight into the new run's directory (and, with crop_resistant, the segments table from
the same hashed rows, kept by Spark in between: no image is decoded twice, no image bytes are
cached or written); the counts come from the written files' footers, and the run is committed
last (see `sparkhash.spark.tables`). Used by `sparkhash hash` and `jobs/hash_images.py`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone

from pyspark import StorageLevel
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkhash.core.decode import DEFAULT_MAX_PIXELS, DecodeOptions
from sparkhash.core.params import ALGORITHMS, CROP_RESISTANT, SEGMENT_HASHES, HashParams
from sparkhash.spark import tables
from sparkhash.spark.api import (
    error_rows,
    hash_files,
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


class IncompatibleOutputError(ValueError):
    """OUTPUT already holds hashes made with other algorithms or parameters."""


@dataclass(frozen=True)
class HashJobConfig:
    """Everything one run needs besides the Spark session."""

    input: str
    output: str
    algorithms: tuple[str, ...] = ALGORITHMS
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
    # Local (or mounted) files: the Python workers read them by path; no byte passes the JVM.
    by_path = bool(input_files) and all(uri.startswith("file:") for uri in input_files)
    if by_path:
        candidates = _new_or_changed(files.select(*LISTING_COLUMNS), known, config.retry_errors)
        hashed = hash_files(
            within_size_cap(candidates, max_file_bytes),
            algorithms,
            config.params,
            config.decode_options,
            max_file_bytes,
        )
    else:
        candidates = _files_to_hash(spark, files, known, config.retry_errors)
        hashed = hash_images(
            within_size_cap(candidates, max_file_bytes), algorithms, config.params, config.decode_options
        )
    rows = hashed.unionByName(
        error_rows(
            over_size_cap(candidates, max_file_bytes), oversize_error(max_file_bytes), algorithms, params
        )
    )
    if files.select("path").count() < files_seen:  # Spark's scan skips zero-byte files
        empties = _new_or_changed(empty_files(spark, files, input_files), known, config.retry_errors)
        rows = rows.unionByName(error_rows(empties, F.lit(EMPTY_FILE_ERROR), algorithms, params))

    # Each table is written once, straight into the run's directories (invisible to readers
    # until the commit record exists). With segments too, the hashed rows (no image bytes) are
    # kept by Spark between the two writes, so no image is read or decoded twice.
    run_id = tables.new_run_id()
    with_segments = CROP_RESISTANT in algorithms
    if with_segments:
        rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        tables.write_run_table(hashes_table(rows, run_id), output, tables.HASHES, run_id)
        written, failed = tables.hashes_counts(spark, output, run_id)
        if written == 0:
            tables.remove_run_files(output, run_id, (tables.HASHES,))
            return JobSummary(files_seen, 0, files_seen, 0, time.perf_counter() - started, None, output)
        segments = 0
        if with_segments:
            tables.write_run_table(segments_table(rows, run_id), output, tables.SEGMENTS, run_id)
            segments = tables.segments_count(spark, output, run_id)
    finally:
        if with_segments:
            rows.unpersist()
    seconds = time.perf_counter() - started
    record = tables.RunRecord(
        run_id=run_id,
        input=config.input,
        algorithms=",".join(algorithms),
        params=params,
        files_seen=files_seen,
        hashed=written - failed,
        skipped=max(files_seen - written, 0),
        failed=failed,
        segments=segments,
        seconds=round(seconds, 3),
        finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    tables.commit_run(spark, output, record)
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `sparkhash hash` and `jobs/hash_images.py`."""
    defaults = HashParams()
    parser.add_argument("input", help="directory, file or Hadoop glob of images (searched recursively)")
    parser.add_argument(
        "output", help="output directory; re-running with the same OUTPUT adds new/changed files"
    )
    parser.add_argument(
        "--algorithms",
        default=",".join(ALGORITHMS),
        help=f"comma-separated, from {','.join(ALGORITHMS)} (default: all)",
    )
    parser.add_argument(
        "--name-filter", help='glob on file names, e.g. "*.{jpg,jpeg,png}" (default: every file)'
    )
    parser.add_argument("--no-recursive", action="store_true", help="do not search sub-directories")
    parser.add_argument(
        "--max-file-bytes",
        type=int,
        help=f"files bigger than this get an error row unread (default: {MAX_FILE_BYTES_CONF} or 64 MiB)",
    )
    parser.add_argument(
        "--max-pixels",
        type=int,
        default=DEFAULT_MAX_PIXELS,
        help="images with more pixels get an error row (decompression bombs; 0: no limit)",
    )
    parser.add_argument(
        "--exif-orientation", action="store_true", help="apply EXIF rotation first (not imagehash's bits)"
    )
    parser.add_argument(
        "--retry-errors", action="store_true", help="hash again unchanged files that failed before"
    )
    params = parser.add_argument_group("hash parameters (imagehash's defaults)")
    params.add_argument("--hash-size", type=int, default=defaults.hash_size)
    params.add_argument("--highfreq-factor", type=int, default=defaults.highfreq_factor)
    params.add_argument("--whash-mode", default=defaults.whash_mode, choices=("haar", "db4"))
    params.add_argument("--whash-image-scale", type=int, default=defaults.whash_image_scale)
    params.add_argument("--colorhash-binbits", type=int, default=defaults.colorhash_binbits)
    params.add_argument("--segment-hash", default=defaults.segment_hash, choices=SEGMENT_HASHES)
    params.add_argument("--limit-segments", type=int, default=defaults.limit_segments)
    params.add_argument("--segment-threshold", type=int, default=defaults.segment_threshold)
    params.add_argument("--min-segment-size", type=int, default=defaults.min_segment_size)
    params.add_argument("--segmentation-image-size", type=int, default=defaults.segmentation_image_size)
    spark = parser.add_argument_group("Spark")
    spark.add_argument("--master", help="Spark master (default: spark-submit's, $SPARK_MASTER, or local[*])")
    spark.add_argument(
        "--profile", help="settings profile: local, cluster or a .conf path (default: by master)"
    )
    spark.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="extra Spark setting")


def config_from_args(args: argparse.Namespace) -> HashJobConfig:
    """The job configuration described by parsed command-line arguments."""
    names = {f.name for f in fields(HashParams)}
    params = HashParams(**{name: getattr(args, name) for name in names if hasattr(args, name)})
    return HashJobConfig(
        input=args.input,
        output=args.output,
        algorithms=normalise_algorithms(args.algorithms),
        params=params,
        decode_options=DecodeOptions(
            max_pixels=args.max_pixels or None, apply_exif_orientation=args.exif_orientation
        ),
        name_filter=args.name_filter,
        recursive=not args.no_recursive,
        max_file_bytes=args.max_file_bytes,
        retry_errors=args.retry_errors,
    )


#: Extra settings when this job starts an embedded local Spark: the driver JVM only moves bytes
#: between files and Python workers, so its C2 JIT compiler (tens of CPU seconds in the first
#: minutes, on the cores the decoders need) costs more than it gains; C1 alone is enough.
LOCAL_JOB_SETTINGS = {"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1"}


def local_session_settings(master: str | None) -> dict[str, str]:
    """LOCAL_JOB_SETTINGS when the job would start a local Spark (no master, or local[...])."""
    master = master or os.environ.get("SPARK_MASTER")
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ or os.environ.get("SPARK_REMOTE")
    if submitted or (master is not None and not master.startswith("local")):
        return {}
    return dict(LOCAL_JOB_SETTINGS)


def run(args: argparse.Namespace) -> int:
    """Run the job from parsed arguments; print the summary line. Exit code 0, or 2 on bad usage."""
    from sparkhash.spark.session import get_session

    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"sparkhash hash: {exc}", file=sys.stderr)
        return 2
    malformed = [item for item in args.conf if "=" not in item]
    if malformed:
        print(f"sparkhash hash: --conf takes KEY=VALUE, not {malformed[0]!r}", file=sys.stderr)
        return 2
    extra = {**local_session_settings(args.master), **dict(item.split("=", 1) for item in args.conf)}
    owned = SparkSession.getActiveSession() is None  # a session we start, we stop
    spark = get_session(master=args.master, profile=args.profile, app_name="sparkhash hash", extra=extra)
    try:
        summary = run_hash_job(spark, config)
    except IncompatibleOutputError as exc:
        print(f"sparkhash hash: {exc}", file=sys.stderr)
        return 2
    except AnalysisException as exc:
        if "PATH_NOT_FOUND" not in str(exc):
            raise
        print(f"sparkhash hash: input not found: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    finally:
        if owned:
            spark.stop()
    print(summary.line(), flush=True)
    return 0


def main(argv: list[str] | None = None, prog: str = "sparkhash hash") -> int:
    """Parse `argv` and run (the body of jobs/hash_images.py)."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))
