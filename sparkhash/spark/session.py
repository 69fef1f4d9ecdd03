"""Getting a SparkSession with the project's settings from `conf/`."""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

from sparkhash.conf import profile_settings


def get_session(
    master: str | None = None,
    profile: str | None = None,
    app_name: str = "sparkhash",
    extra: dict[str, str] | None = None,
) -> SparkSession:
    """Return the active session, or build one.

    An active session (a notebook's, Spark Connect's) is returned unchanged, and with
    SPARK_REMOTE set a Spark Connect session is made (its settings are the server's).
    Under spark-submit the settings are spark-submit's (`--properties-file conf/cluster.conf`)
    unless a profile or master is given here. Otherwise: with no master given and none
    configured (SPARK_MASTER), an embedded local Spark with conf/local.conf; with a master,
    conf/cluster.conf.
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if os.environ.get("SPARK_REMOTE"):
        return SparkSession.builder.getOrCreate()
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # the JVM was started by spark-submit
    master = master or os.environ.get("SPARK_MASTER")
    if profile is None and not (submitted and master is None):
        profile = "local" if master is None or master.startswith("local") else "cluster"
    settings = profile_settings(profile) if profile else {}
    if settings.get("spark.master", master or "").startswith("local") or (master or "").startswith("local"):
        # Python workers on this machine: the driver's interpreter (its venv has the packages).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if submitted and master is None:
        settings.pop("spark.master", None)
    if master is not None:
        settings["spark.master"] = master
    settings.update(extra or {})
    builder = SparkSession.builder.appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


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
