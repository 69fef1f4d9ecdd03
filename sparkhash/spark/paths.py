"""Paths and URIs as the jobs write them (binaryFile's `path`, OUTPUT directories).

Spark writes file URIs percent-encoded (`file:/data/my%20photos/a.jpg`); Python on the driver
needs the decoded local path. The one place that turns a URI into a local path.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["local_path"]


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
