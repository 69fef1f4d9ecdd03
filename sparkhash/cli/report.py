"""`sparkhash report DUPS_OUTPUT REPORT.html`: the command line of `sparkhash.report.build`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from sparkhash.cli.fields import default
from sparkhash.cli.spark_options import add_spark_arguments, session_for
from sparkhash.core.validate import check_at_least
from sparkhash.dedup.output import read_dups
from sparkhash.errors import UsageError
from sparkhash.report.build import ReportRequest, build_report
from sparkhash.report.hashes import find_hashes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    top, max_members, size, page_size, workers = (
        default(ReportRequest, name)
        for name in ("top", "max_members", "thumbnail_size", "page_size", "workers")
    )
    parser.add_argument("dups", help="output directory of `sparkhash dups` (pairs/, clusters/)")
    parser.add_argument("output", help="HTML file to write")
    parser.add_argument(
        "--hashes",
        help="`sparkhash hash` output (or its hashes table) for file sizes and dimensions "
        "(default: a hashes/ directory next to the dups output, if there is one)",
    )
    parser.add_argument(
        "--top",
        type=int,
        default=top,
        help=f"clusters included, largest/most uncertain first (default {top})",
    )
    parser.add_argument(
        "--max-members",
        type=int,
        default=max_members,
        help=f"images shown per cluster, kept file first (default {max_members})",
    )
    parser.add_argument("--thumbnail-size", type=int, default=size, help=f"pixels (default {size})")
    parser.add_argument(
        "--page-size",
        type=int,
        default=page_size,
        help=f"clusters per page (default {page_size})",
    )
    parser.add_argument(
        "--workers", type=int, default=workers, help=f"threads making thumbnails (default {workers})"
    )
    add_spark_arguments(parser)


def _human(n: int | None) -> str:
    if n is None:
        return "unknown"
    value, units, i = float(n), ["B", "KB", "MB", "GB", "TB", "PB"], 0
    while value >= 1024 and i < len(units) - 1:
        value, i = value / 1024, i + 1
    return f"{value:.1f} {units[i]}"


def thumbnail_progress(done: int, total: int) -> None:
    """A progress line on stderr: redrawn in place on a terminal, every 10 % otherwise."""
    if sys.stderr.isatty():
        end = "\n" if done == total else ""
        print(f"\rreport: thumbnails {done:,}/{total:,}", end=end, file=sys.stderr, flush=True)
    elif done == total or done % max(1, total // 10) == 0:
        print(f"report: thumbnails {done:,}/{total:,}", file=sys.stderr, flush=True)


def check_args(args: argparse.Namespace) -> Path:
    """The report's path, after checking the options (UsageError, one line)."""
    check_at_least(args.top, 1, "top")
    check_at_least(args.max_members, 1, "max_members")
    check_at_least(args.thumbnail_size, 16, "thumbnail_size")
    check_at_least(args.page_size, 1, "page_size")
    check_at_least(args.workers, 1, "workers")
    output = Path(os.path.abspath(args.output))
    if output.is_dir():
        raise UsageError(f"REPORT {args.output} is a directory; name the HTML file to write")
    if not output.parent.is_dir():
        raise UsageError(f"REPORT {args.output}: folder {output.parent} does not exist")
    return output


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    output = check_args(args)  # before Spark starts
    spark = session_for(args, "sparkhash-report")
    read_dups(spark, args.dups)  # UsageError unless DUPS is a dups output
    hashes = find_hashes(spark, args.hashes, args.dups)
    request = ReportRequest(
        dups=args.dups,
        output=output,
        hashes=hashes,
        top=args.top,
        max_members=args.max_members,
        thumbnail_size=args.thumbnail_size,
        page_size=args.page_size,
        workers=args.workers,
        progress=thumbnail_progress,
    )
    r = build_report(spark, request)
    print(
        f"report: {r.images:,} images in {r.clusters:,} clusters, {r.to_delete:,} not kept, "
        f"{_human(r.bytes_reclaimable)} reclaimable; {r.shown:,} clusters shown with {r.thumbnails:,} "
        f"thumbnails ({r.placeholders:,} unreadable); wrote {request.output} ({_human(r.html_bytes)}) "
        f"in {time.monotonic() - started:.1f} s"
    )
    return 0
