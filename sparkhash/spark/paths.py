"""Paths and URIs as the jobs write them (binaryFile's `path`, OUTPUT directories).

Spark writes file URIs percent-encoded (`file:/data/my%20photos/a.jpg`); Python on the driver
needs the decoded local path. The one place that turns a URI into a local path, an OUTPUT
argument into the directory the jobs write, and that tells a Spark error about a missing path
from the others.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["hadoop_reader", "is_path_not_found", "local_path", "normalise_output"]


def local_path(uri: str) -> Path | None:
    """The driver-local path of `uri` (plain path, file: URI percent-decoded, or dbfs: through
    the /dbfs mount when it exists), or None when Python on the driver cannot reach it."""
    if uri.startswith("file://"):
        return Path(unquote(urlsplit(uri).path))
    if uri.startswith("file:"):
        return Path(unquote(uri[len("file:") :]))
    if uri.startswith("dbfs:/") and Path("/dbfs").is_dir():
        return Path("/dbfs") / uri[len("dbfs:/") :]
    if "://" in uri or ":" in uri.split("/", 1)[0]:
        return None
    return Path(uri)


def normalise_output(output: str | os.PathLike) -> str:
    """An absolute path for scheme-less local outputs (Spark would resolve them against the
    driver's working directory anyway); URIs are returned unchanged."""
    output = os.fspath(output)
    if "://" in output or output.startswith(("file:", "dbfs:")):
        return output.rstrip("/")
    return os.path.abspath(output)


def is_path_not_found(exc: BaseException) -> bool:
    """Whether a Spark error (AnalysisException, Py4J or Spark Connect) says a path does not
    exist (error class PATH_NOT_FOUND, or Hadoop's "Path does not exist" of older versions)."""
    text = str(exc)
    return "PATH_NOT_FOUND" in text or "Path does not exist" in text


def hadoop_reader(spark) -> Callable[[str], bytes] | None:
    """A function that reads a whole file through the session's Hadoop file systems (on classic
    Spark: s3a://, abfss://, gs://, hdfs://... with the very settings and credentials the jobs
    use), or None when the session has no JVM on this side (Spark Connect)."""
    try:
        jvm, conf = spark._jvm, spark._jsc.hadoopConfiguration()  # noqa: SLF001 - classic Spark only
    except Exception:  # noqa: BLE001 - Spark Connect has no JVM gateway
        return None
    if jvm is None:
        return None

    def read(uri: str) -> bytes:
        path = jvm.org.apache.hadoop.fs.Path(uri)
        stream = path.getFileSystem(conf).open(path)
        try:
            return bytes(jvm.org.apache.commons.io.IOUtils.toByteArray(stream))
        finally:
            stream.close()

    return read
