"""Getting a SparkSession with the project's settings from `conf/`."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import tempfile
import threading
import time
from urllib.parse import urlsplit

from pyspark.sql import SparkSession

from sparkhash.conf import profile_settings
from sparkhash.errors import SparkUnavailable

#: How long a Spark Connect server (SPARK_REMOTE) may take to accept a connection and answer
#: the gRPC handshake.
CONNECT_TIMEOUT_SECONDS = 10.0
#: Spark Connect's default port.
CONNECT_DEFAULT_PORT = 15002

#: log4j2 settings of a quiet driver JVM: nothing below FATAL reaches the console (start-up
#: warnings, the glob listing's FileNotFoundException warning, task errors that Python reports
#: as one exception anyway). The commands use it unless --debug.
QUIET_LOG4J2 = """\
rootLogger.level = fatal
rootLogger.appenderRef.stderr.ref = console
# Spark resets the root level to its initialising class's logger level (WARN when that logger
# has no configuration of its own) and says so on stderr: configure those loggers too.
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = fatal
logger.context.name = org.apache.spark.SparkContext
logger.context.level = fatal
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = fatal
logger.submit.name = org.apache.spark.deploy.SparkSubmit
logger.submit.level = fatal
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
"""


def check_connect_server(remote: str, timeout: float = CONNECT_TIMEOUT_SECONDS) -> None:
    """Raise SparkUnavailable (one line) unless `remote` (sc://host:port/;...) accepts a TCP
    connection and completes the gRPC (HTTP/2) handshake within `timeout` seconds in all.
    Spark Connect's client would otherwise retry silently for minutes, or wait forever on a
    server that accepts connections and never answers."""
    parts = urlsplit(remote.split(";", 1)[0])
    host, port = parts.hostname or "localhost", parts.port or CONNECT_DEFAULT_PORT
    deadline = time.monotonic() + timeout
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise SparkUnavailable(
            f"Spark Connect server {host}:{port} (SPARK_REMOTE) does not answer within {timeout:.0f} s: "
            f"{exc.strerror or exc}"
        ) from None
    if not _grpc_handshake(remote, max(deadline - time.monotonic(), 0.1)):
        raise SparkUnavailable(
            f"Spark Connect server {host}:{port} (SPARK_REMOTE) does not answer within {timeout:.0f} s: "
            "it accepts connections but never completes the gRPC handshake"
        )


def _grpc_handshake(remote: str, timeout: float) -> bool:
    """Whether a gRPC channel to `remote`, built as Spark Connect's client builds it (TLS and
    token included), becomes ready within `timeout` seconds: the server must answer HTTP/2's
    connection preface. True when that cannot be checked here (the client's own error, for a
    malformed URL or missing packages, says more)."""
    try:
        import grpc
        from pyspark.sql.connect.client.core import DefaultChannelBuilder

        channel = DefaultChannelBuilder(remote).toChannel()
    except Exception:  # noqa: BLE001 - see the docstring
        return True
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
        return True
    except grpc.FutureTimeoutError:
        return False
    finally:
        channel.close()


def quiet_java_options(existing: str | None = None) -> str:
    """Driver JVM options that make its console logging quiet (QUIET_LOG4J2), after `existing`."""
    path = os.path.join(tempfile.gettempdir(), f"sparkhash-log4j2-quiet-{os.getuid()}.properties")
    if not os.path.exists(path) or open(path).read() != QUIET_LOG4J2:
        with open(path, "w") as out:
            out.write(QUIET_LOG4J2)
    return f"{existing or ''} -Dlog4j2.configurationFile=file:{path}".strip()


def get_session(
    master: str | None = None,
    profile: str | None = None,
    app_name: str = "sparkhash",
    extra: dict[str, str] | None = None,
    quiet: bool = False,
) -> SparkSession:
    """Return the active session, or build one.

    An active session (a notebook's, Spark Connect's) is returned unchanged, and with
    SPARK_REMOTE set a Spark Connect session is made (its settings are the server's).
    Under spark-submit the settings are spark-submit's (`--properties-file conf/cluster.conf`)
    unless a profile or master is given here. Otherwise: with no master given and none
    configured (SPARK_MASTER), an embedded local Spark with conf/local.conf; with a master,
    conf/cluster.conf.

    With `quiet` (the commands, unless --debug), a driver JVM started here logs nothing below
    FATAL to the console. A Spark Connect server that does not accept a connection and answer
    the gRPC handshake within CONNECT_TIMEOUT_SECONDS raises SparkUnavailable.
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if os.environ.get("SPARK_REMOTE"):
        if os.environ["SPARK_REMOTE"].startswith("sc://"):
            check_connect_server(os.environ["SPARK_REMOTE"])
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
    settings.update(delta_settings(settings))  # after extra: its spark.jars keeps the given ones
    if quiet and not submitted:
        key = "spark.driver.extraJavaOptions"
        settings[key] = quiet_java_options(settings.get(key))
        if not sys.stderr.isatty():
            settings["spark.ui.showConsoleProgress"] = "false"  # progress bars are for terminals
    builder = SparkSession.builder.appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    if quiet and not submitted:
        with _jvm_stderr_filtered():
            return builder.getOrCreate()
    return builder.getOrCreate()


def delta_settings(settings: dict[str, str]) -> dict[str, str]:
    """With SPARKHASH_DELTA_JARS (comma-separated paths of the delta-spark and delta-storage
    JARs), what a session started here needs for Delta Lake tables (`format="delta"`): the JARs
    on spark.jars and Delta's SQL extension and catalog. Nothing without it."""
    from sparkhash.spark.delta import DELTA_JARS_ENV, DELTA_SESSION_SETTINGS

    jars = os.environ.get(DELTA_JARS_ENV, "").strip()
    if not jars:
        return {}
    given = settings.get("spark.jars", "")
    return {"spark.jars": f"{given},{jars}" if given else jars, **DELTA_SESSION_SETTINGS}


#: Lines the JVM prints at start-up, before any logging configuration applies.
JVM_STARTUP_NOISE = ("WARNING: Using incubator modules",)


@contextlib.contextmanager
def _jvm_stderr_filtered():
    """Start the driver JVM with its stderr going through a filter thread that drops
    JVM_STARTUP_NOISE and passes every other line on to this process's stderr."""
    try:
        sys.stderr.flush()
        original = os.dup(2)
        read_end, write_end = os.pipe()
    except OSError:  # no usable stderr: nothing to filter
        yield
        return

    def forward() -> None:
        with os.fdopen(read_end, "rb") as lines, os.fdopen(os.dup(original), "wb", buffering=0) as out:
            for line in lines:
                if not line.decode(errors="replace").startswith(JVM_STARTUP_NOISE):
                    out.write(line)

    threading.Thread(target=forward, name="sparkhash-jvm-stderr", daemon=True).start()
    os.dup2(write_end, 2)  # the JVM started now inherits the pipe as its stderr
    os.close(write_end)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(original, 2)  # this process writes to the real stderr again
        os.close(original)


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


def shuffle_partitions(spark: SparkSession) -> int:
    """The session's spark.sql.shuffle.partitions (classic and Spark Connect sessions)."""
    return int(spark.conf.get("spark.sql.shuffle.partitions"))
