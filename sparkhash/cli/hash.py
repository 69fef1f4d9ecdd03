"""`sparkhash hash INPUT OUTPUT`: the command line of the hashing job (`sparkhash.spark.hash_job`).

Parses options into a `HashJobConfig` (hash parameters: one option per `HashParams` field),
starts or reuses a Spark session and prints the job's one-line summary.
"""

from __future__ import annotations

import argparse
import sys

from pyspark.errors import AnalysisException
from pyspark.sql import SparkSession

from sparkhash.cli.hash_params import add_hash_params, hash_params_from_args
from sparkhash.core.decode import DEFAULT_MAX_PIXELS, DecodeOptions
from sparkhash.core.registry import ALGORITHMS, DEFAULT_ALGORITHMS
from sparkhash.spark.api import normalise_algorithms
from sparkhash.spark.hash_job import HashJobConfig, IncompatibleOutputError, run_hash_job
from sparkhash.spark.read import MAX_FILE_BYTES_CONF
from sparkhash.spark.session import get_session, local_session_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `sparkhash hash` and `jobs/hash_images.py`."""
    parser.add_argument("input", help="directory, file or Hadoop glob of images (searched recursively)")
    parser.add_argument(
        "output", help="output directory; re-running with the same OUTPUT adds new/changed files"
    )
    parser.add_argument(
        "--algorithms",
        default=",".join(DEFAULT_ALGORITHMS),
        help=f"comma-separated, from {','.join(ALGORITHMS)} (default: the imagehash ones, {','.join(DEFAULT_ALGORITHMS)})",
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
    add_hash_params(parser.add_argument_group("hash parameters (imagehash's defaults)"))
    spark = parser.add_argument_group("Spark")
    spark.add_argument("--master", help="Spark master (default: spark-submit's, $SPARK_MASTER, or local[*])")
    spark.add_argument(
        "--profile", help="settings profile: local, cluster or a .conf path (default: by master)"
    )
    spark.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="extra Spark setting")


def config_from_args(args: argparse.Namespace) -> HashJobConfig:
    """The job configuration described by parsed command-line arguments."""
    params = hash_params_from_args(args)
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


def run(args: argparse.Namespace) -> int:
    """Run the job from parsed arguments; print the summary line. Exit code 0, or 2 on bad usage."""
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
