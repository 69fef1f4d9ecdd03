"""Shared fixtures: one local Spark session per test session (starting one takes ~10 s)."""

from __future__ import annotations

import glob
import os
import sys
import tempfile
from pathlib import Path

import pytest

#: Folder of the JARs that give Spark an s3a:// file system (hadoop-aws and the AWS SDK bundle).
#: `.ci/fetch_jars.sh` fetches them into ~/.cache/sparkhash/jars/s3-hadoop-<version> (the Hadoop
#: of the installed pyspark), where the tests find them; this variable names another folder.
#: Without them the s3a tests (tests/test_s3a.py) are skipped, except under CI, where they fail.
S3_JARS_ENV = "SPARKHASH_S3_JARS"


def s3_jars() -> list[str]:
    folder = os.environ.get(S3_JARS_ENV)
    if not folder:
        import pyspark

        client = glob.glob(os.path.join(os.path.dirname(pyspark.__file__), "jars", "hadoop-client-api-*.jar"))
        version = os.path.basename(client[0])[len("hadoop-client-api-") : -len(".jar")] if client else "?"
        cache = os.environ.get("SPARKHASH_JAR_CACHE", os.path.expanduser("~/.cache/sparkhash/jars"))
        folder = os.path.join(cache, f"s3-hadoop-{version}")
        if not os.path.exists(os.path.join(folder, ".complete")):
            return []
    return sorted(glob.glob(os.path.join(folder, "*.jar")))


# Every driver JVM these tests start gets the s3a JARs, whoever starts it first: the shared
# session below, or a command run in-process (`sparkhash.cli.main` starts its own session when
# none is active, e.g. after a Spark Connect test stopped one). JARs cannot be added to a
# running JVM, and a session without them fails every s3a:// path.
# spark-submit's --jars replaces a session's spark.jars, so Delta's (SPARKHASH_DELTA_JARS, the
# Delta suite's environment) go there too.
_DRIVER_JARS = s3_jars() + [j for j in os.environ.get("SPARKHASH_DELTA_JARS", "").split(",") if j]
if _DRIVER_JARS and "PYSPARK_SUBMIT_ARGS" not in os.environ:
    os.environ["PYSPARK_SUBMIT_ARGS"] = f"--jars {','.join(_DRIVER_JARS)} pyspark-shell"

# Spark's Python workers must run the same interpreter as the tests.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


#: Test modules whose scripts start an in-process Spark Connect server (`remote("local[2]")`):
#: it binds Spark Connect's default port, so one such module runs at a time on this machine
#: (pytest-xdist's workers — the README's test command runs two — or another pytest run).
SPARK_CONNECT_MODULES = {"test_spark_connect", "test_dedup_connect", "test_dedup_match_connect"}


@pytest.fixture(scope="module", autouse=True)
def _one_spark_connect_server_at_a_time(request: pytest.FixtureRequest):
    if request.module.__name__.rpartition(".")[2] not in SPARK_CONNECT_MODULES:
        yield
        return
    from spark_helpers import machine_lock

    with machine_lock(Path(tempfile.gettempdir()) / "sparkhash-spark-connect.lock"):
        yield


@pytest.fixture(scope="session")
def spark():
    from sparkhash.spark.session import get_session

    extra = {
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.showConsoleProgress": "false",
    }
    if s3_jars():  # on the one session from the start: JARs cannot be added to a running one
        extra["spark.jars"] = ",".join(s3_jars())
    session = get_session(master="local[2]", profile="local", app_name="sparkhash-tests", extra=extra)
    yield session
    session.stop()
