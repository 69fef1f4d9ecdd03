"""The options of every command that starts Spark: --master, --profile, --conf KEY=VALUE.

One place, so that each command can be given a Spark setting the same way (e.g. `--conf
spark.driver.memory=6g` for a dups run over ten million hashes on the embedded local Spark).
"""

from __future__ import annotations

import argparse

from pyspark.sql import SparkSession

from sparkhash.errors import UsageError
from sparkhash.spark.session import get_session


def add_spark_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Add --master, --profile and --conf (repeatable) to a command's parser or option group."""
    parser.add_argument(
        "--master", default=None, help="Spark master (default: spark-submit's, $SPARK_MASTER, or local[*])"
    )
    parser.add_argument(
        "--profile",
        default=None,
        help="settings profile: local, cluster or a .conf path (default: by master)",
    )
    parser.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra Spark setting, e.g. spark.driver.memory=6g (repeatable)",
    )


def conf_settings(args: argparse.Namespace) -> dict[str, str]:
    """The --conf settings as a dict; UsageError for an item that is not KEY=VALUE."""
    settings = {}
    for item in getattr(args, "conf", None) or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--conf takes KEY=VALUE, not {item!r}")
        settings[key.strip()] = value
    return settings


def session_settings(args: argparse.Namespace, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The settings a command adds to its profile's: `extra` (the command's own defaults),
    then --conf, which wins."""
    return {**(extra or {}), **conf_settings(args)}


def session_for(args: argparse.Namespace, app_name: str, extra: dict[str, str] | None = None) -> SparkSession:
    """The session a command runs on: `get_session` with the parsed Spark options and
    `session_settings`, quiet unless --debug. An active session (a notebook's) is used as it
    is: settings then belong to whoever started it."""
    return get_session(
        master=args.master,
        profile=args.profile,
        app_name=app_name,
        extra=session_settings(args, extra),
        quiet=not getattr(args, "debug", False),
    )
