"""Getting a SparkSession with the project's settings from `conf/`."""

from __future__ import annotations

import os

from pyspark.sql import SparkSession

from sparkhash.conf import profile_settings


def get_session(
    master: str | None = None,
    profile: str | None = None,
    app_name: str = "sparkhash",
    extra: dict[str, str] | None = None,
) -> SparkSession:
    """Return the active session, or build one.

    An active session (a notebook's, spark-submit's, Spark Connect's) is returned unchanged.
    Otherwise: with no master given and none configured (SPARK_MASTER / spark-submit), an
    embedded local Spark with conf/local.conf; with a master, conf/cluster.conf.
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = master or os.environ.get("SPARK_MASTER")
    if profile is None:
        profile = "local" if master is None or master.startswith("local") else "cluster"
    settings = profile_settings(profile)
    if master is not None:
        settings["spark.master"] = master
    settings.update(extra or {})
    builder = SparkSession.builder.appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
