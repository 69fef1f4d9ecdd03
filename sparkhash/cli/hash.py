"""`sparkhash hash INPUT OUTPUT`: the command line of the hashing job (`sparkhash.spark.hash_job`).

Parses options into a `HashJobConfig` (hash parameters: one option per `HashParams` field),
starts or reuses a Spark session and prints the job's one-line summary.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from pyspark.errors import AnalysisException
from pyspark.sql import SparkSession

from sparkhash.cli.fields import default, threshold_defaults
from sparkhash.cli.hash_params import add_hash_params, hash_params_from_args
from sparkhash.cli.output_options import add_output_arguments
from sparkhash.cli.spark_options import add_spark_arguments, session_for
from sparkhash.core.decode import DECODE_MODES, DEFAULT_MAX_PIXELS, DecodeOptions
from sparkhash.core.registry import ALGORITHMS, DEFAULT_ALGORITHMS, SINGLE_ALGORITHMS
from sparkhash.dedup.job import DupsConfig, keep_policy
from sparkhash.dedup.live import dups_after_each_batch
from sparkhash.errors import UsageError
from sparkhash.spark.api import normalise_algorithms
from sparkhash.spark.hash_job import (
    HashJobConfig,
    IncompatibleOutputError,
    JobSummary,
    check_config,
    run_hash_job,
)
from sparkhash.spark.paths import is_path_not_found
from sparkhash.spark.read import MAX_FILE_BYTES_CONF
from sparkhash.spark.session import local_session_settings
from sparkhash.spark.stream import DEFAULT_MAX_BYTES_PER_TRIGGER, StreamConfig, run_hash_stream

#: The --dups options of a stream and the DupsConfig fields they set (`cli.fields` maps back).
_DUPS_OPTIONS = {"dups_algorithm": "algorithm", "dups_threshold": "threshold", "keep": "keep"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `sparkhash hash` and `jobs/hash_images.py`."""
    parser.add_argument("input", help="directory, file or Hadoop glob of images (searched recursively)")
    parser.add_argument(
        "output", help="output directory; re-running with the same OUTPUT adds new/changed files"
    )
    parser.add_argument(
        "--algorithms",
        default=None,
        help=f"comma-separated, from {','.join(ALGORITHMS)} (default: the ones OUTPUT already holds; for a new "
        f"OUTPUT the imagehash ones, {','.join(DEFAULT_ALGORITHMS)}). Naming more adds them to every file",
    )
    parser.add_argument(
        "--name-filter", help='glob on file names, e.g. "*.{jpg,jpeg,png}" (default: every file)'
    )
    parser.add_argument("--no-recursive", action="store_true", help="do not search sub-directories")
    parser.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="follow symbolic links to directories, each real directory once (default: not followed)",
    )
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
        "--decode",
        choices=DECODE_MODES,
        default="exact",
        help="exact: every pixel, imagehash's bits (default); reduced: JPEGs decoded at 1/2-1/8 "
        "scale, several times faster, NOT imagehash's bits (an OUTPUT holds one mode only)",
    )
    parser.add_argument(
        "--retry-errors", action="store_true", help="hash again unchanged files that failed before"
    )
    add_output_arguments(
        parser, HashJobConfig, "hashes, segments", "Delta Lake tables, incremental runs MERGE by path"
    )
    add_hash_params(parser.add_argument_group("hash parameters (imagehash's defaults)"))
    stream = parser.add_argument_group(
        "streaming: hash new files as they land, one committed run per micro-batch"
    )
    stream.add_argument(
        "--stream", action="store_true", help="run as a Structured Streaming query over INPUT"
    )
    stream.add_argument(
        "--checkpoint", metavar="DIR", help="the stream's checkpoint directory (needed with --stream)"
    )
    stream.add_argument(
        "--available-now", action="store_true", help="hash what is there, then stop (for a schedule)"
    )
    stream.add_argument(
        "--trigger-interval",
        metavar="INTERVAL",
        help='time between micro-batches, e.g. "5 minutes" (default: none)',
    )
    stream.add_argument(
        "--max-files-per-trigger",
        type=int,
        metavar="N",
        help="files per micro-batch (default: sized by --max-bytes-per-trigger)",
    )
    stream.add_argument(
        "--max-bytes-per-trigger",
        type=int,
        metavar="BYTES",
        help=f"bytes of new files per micro-batch (default {DEFAULT_MAX_BYTES_PER_TRIGGER}, 4 GiB)",
    )
    stream.add_argument(
        "--dups", metavar="DUPS_OUTPUT", help="keep this dups OUTPUT up to date after each micro-batch"
    )
    algorithm, threshold, keep = (default(DupsConfig, name) for name in _DUPS_OPTIONS.values())
    stream.add_argument(
        "--dups-algorithm",
        default=algorithm,
        choices=SINGLE_ALGORITHMS,
        help=f"--dups: algorithm ({algorithm})",
    )
    stream.add_argument(
        "--dups-threshold",
        type=int,
        default=threshold,
        help=f"--dups: largest distance of a pair (default: the algorithm's: {threshold_defaults()})",
    )
    stream.add_argument(
        "--keep",
        default=keep,
        metavar="POLICY",
        help="--dups: keep policy (default: original for robust, most-pixels for the others)",
    )
    add_spark_arguments(parser.add_argument_group("Spark"))


def config_from_args(args: argparse.Namespace) -> HashJobConfig:
    """The job configuration described by parsed command-line arguments."""
    params = hash_params_from_args(args)
    try:
        algorithms = None if args.algorithms is None else normalise_algorithms(args.algorithms)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return HashJobConfig(
        input=args.input,
        output=args.output,
        algorithms=algorithms,
        params=params,
        decode_options=DecodeOptions(
            max_pixels=args.max_pixels or None,
            apply_exif_orientation=args.exif_orientation,
            decode=args.decode,
        ),
        name_filter=args.name_filter,
        recursive=not args.no_recursive,
        max_file_bytes=args.max_file_bytes,
        retry_errors=args.retry_errors,
        follow_symlinks=args.follow_symlinks,
        format=args.format,
        table_prefix=args.table_prefix,
    )


def stream_config_from_args(args: argparse.Namespace, job: HashJobConfig) -> StreamConfig | None:
    """The StreamConfig of `--stream` and its options (None without --stream)."""
    stream_only = (
        "checkpoint",
        "available_now",
        "trigger_interval",
        "max_files_per_trigger",
        "max_bytes_per_trigger",
        "dups",
    )
    if not args.stream:
        given = [name for name in stream_only if getattr(args, name)]
        if given:
            raise UsageError(f"--{given[0].replace('_', '-')} needs --stream")
        return None
    if not args.checkpoint:
        raise UsageError("--stream needs --checkpoint DIR")
    if args.available_now and args.trigger_interval:
        raise UsageError("--available-now and --trigger-interval exclude each other")
    if args.max_files_per_trigger is not None and args.max_bytes_per_trigger is not None:
        raise UsageError("--max-files-per-trigger and --max-bytes-per-trigger exclude each other")
    for name in ("max_files_per_trigger", "max_bytes_per_trigger"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    dups = None
    changed = [
        option for option, name in _DUPS_OPTIONS.items() if getattr(args, option) != default(DupsConfig, name)
    ]
    if changed and not args.dups:
        raise UsageError(f"--{changed[0].replace('_', '-')} needs --dups DUPS_OUTPUT")
    if args.dups:
        dups_config = DupsConfig(
            hashes=job.output,
            output=args.dups,
            algorithm=args.dups_algorithm,
            threshold=args.dups_threshold,
            keep=args.keep,
            format=job.format,  # the dups tables in the hash tables' format (and catalog)
            table_prefix=job.table_prefix,
        )
        keep_policy(dups_config)  # a bad policy is refused before Spark starts
        dups = dups_after_each_batch(
            dups_config,
            progress=lambda line: print(f"sparkhash dups: {line}", file=sys.stderr, flush=True),
        )
    return StreamConfig(
        job=job,
        checkpoint=args.checkpoint,
        available_now=args.available_now,
        processing_time=args.trigger_interval,
        max_files_per_trigger=args.max_files_per_trigger,
        max_bytes_per_trigger=args.max_bytes_per_trigger or DEFAULT_MAX_BYTES_PER_TRIGGER,
        on_batch=_batch_printer(dups),
    )


def _batch_printer(then: Callable | None) -> Callable:
    """on_batch: print the batch's summary line, then run `then` (the --dups update)."""

    def on_batch(spark: SparkSession, batch_id: int, summary: JobSummary) -> None:
        print(f"batch {batch_id}: {summary.line()}", flush=True)
        if then is not None:
            then(spark, batch_id, summary)

    return on_batch


def run(args: argparse.Namespace) -> int:
    """Run the job from parsed arguments; print the summary line. Exit code 0, or 2 on bad usage."""
    config = config_from_args(args)
    check_config(config)  # before Spark starts (UsageError: one line, exit 2)
    stream = stream_config_from_args(args, config)
    owned = SparkSession.getActiveSession() is None  # a session we start, we stop
    spark = session_for(args, "sparkhash hash", extra=local_session_settings(args.master))
    try:
        if stream is not None:
            run_hash_stream(spark, stream)
            return 0
        summary = run_hash_job(spark, config)
    except IncompatibleOutputError as exc:
        print(f"sparkhash hash: {exc}", file=sys.stderr)
        return 2
    except AnalysisException as exc:
        if not is_path_not_found(exc):
            raise
        print(f"sparkhash hash: input not found: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    finally:
        if owned:
            spark.stop()
    print(summary.line(), flush=True)
    return 0
