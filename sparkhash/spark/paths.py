"""Paths and URIs as the jobs write them (binaryFile's `path`, OUTPUT directories).

Spark writes file URIs percent-encoded (`file:/data/my%20photos/a.jpg`); Python on the driver
needs the decoded local path. The one place that turns a URI into a local path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["hadoop_reader", "local_path"]


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
