"""The options of every command that writes an OUTPUT: --format and --table-prefix.

One place, so that hash, dups and match describe and default them alike (each default is the
command's config field's).
"""

from __future__ import annotations

import argparse
from typing import Any

from sparkhash.cli.fields import default
from sparkhash.spark.delta import FORMATS


def add_output_arguments(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, config: Any, tables: str, delta_layout: str
) -> None:
    """Add --format and --table-prefix; `tables` names the command's tables (for the help),
    `delta_layout` says what a Delta OUTPUT of this command holds."""
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=default(config, "format"),
        help=f"the tables' format: parquet (default) or delta ({delta_layout}; needs Delta on the "
        "Spark session, built into Databricks)",
    )
    parser.add_argument(
        "--table-prefix",
        default=default(config, "table_prefix"),
        metavar="[CATALOG.][SCHEMA.]PREFIX",
        help=f"--format delta: also register the tables in the catalog as PREFIX + {tables} "
        "(e.g. main.media.img_)",
    )
