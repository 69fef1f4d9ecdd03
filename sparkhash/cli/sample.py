"""`sparkhash sample DIR`: write a small generated image set to try the jobs on."""

from __future__ import annotations

import argparse

from sparkhash.cli.fields import default
from sparkhash.sample import write_sample


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", help="where to write the images")
    groups = default(write_sample, "groups")
    parser.add_argument(
        "--groups", type=int, default=groups, help=f"near-duplicate groups (7 files each; default {groups})"
    )


def run(args: argparse.Namespace) -> int:
    paths = write_sample(args.directory, args.groups)
    print(
        f"wrote {len(paths)} files ({args.groups} near-duplicate groups + 3 broken files) "
        f"under {args.directory}"
    )
    return 0
