"""Thumbnails for the review page: image path -> small JPEG data URI, made on the driver.

Paths are those the jobs wrote (binaryFile URIs): `file:` and plain paths are read directly,
`dbfs:/x` through Databricks' /dbfs mount, other schemes (s3a://, gs://, hdfs://, abfss://)
through the session's Hadoop file systems when there is one on this side (classic Spark: the
jobs' own settings and credentials), else with pyarrow's file systems. Anything that cannot be read or decoded yields None, and the page
shows a placeholder instead: a missing file never stops the report.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image, ImageOps

from sparkhash.spark.paths import local_path

DEFAULT_SIZE = 160
JPEG_QUALITY = 72
#: Refuse to decode anything bigger than this (decompression bombs in a review page).
MAX_PIXELS = 200_000_000


@dataclass(frozen=True)
class Thumbnail:
    data_uri: str | None  # None: unreadable (placeholder shown)
    width: int | None  # of the original image
    height: int | None
    length: int | None  # bytes of the original file
    error: str | None = None


def read_bytes(uri: str, remote: Callable[[str], bytes] | None = None) -> bytes:
    """The file's bytes: locally, with `remote` (`sparkhash.spark.paths.hadoop_reader`), or
    through pyarrow's file systems."""
    path = local_path(uri)
    if path is not None:
        with open(path, "rb") as fh:
            return fh.read()
    if remote is not None:
        return remote(uri)
    from pyarrow import fs

    scheme, rest = uri.split("://", 1)
    if scheme in ("s3a", "s3n"):
        uri = "s3://" + rest
    filesystem, inner = fs.FileSystem.from_uri(uri)
    with filesystem.open_input_file(inner) as fh:
        return fh.read()


def make_thumbnail(
    uri: str, size: int = DEFAULT_SIZE, remote: Callable[[str], bytes] | None = None
) -> Thumbnail:
    """Read and shrink one image (EXIF orientation applied, as a viewer shows it)."""
    try:
        data = read_bytes(uri, remote)
    except OSError as exc:
        return Thumbnail(None, None, None, None, exc.strerror or type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - any other reading problem becomes a placeholder too
        return Thumbnail(None, None, None, None, f"{type(exc).__name__}: {exc}")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValueError(f"{width}x{height} is too large to preview")
            image.draft("RGB", (size, size))  # JPEG: decode at a reduced scale, much faster
            small = ImageOps.exif_transpose(image.convert("RGB"))
            small.thumbnail((size, size), Image.Resampling.BILINEAR)
            out = io.BytesIO()
            small.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except Exception as exc:  # noqa: BLE001 - undecodable files become a placeholder
        return Thumbnail(None, None, None, len(data), f"{type(exc).__name__}: {exc}")
    encoded = base64.b64encode(out.getvalue()).decode("ascii")
    return Thumbnail(f"data:image/jpeg;base64,{encoded}", width, height, len(data))


def make_thumbnails(
    uris: Iterable[str],
    size: int = DEFAULT_SIZE,
    workers: int = 4,
    progress: Callable[[int, int], None] | None = None,
    remote: Callable[[str], bytes] | None = None,
) -> dict[str, Thumbnail]:
    """Thumbnails of many images, a few at a time (decoding releases the GIL).

    `progress(done, total)` is called as thumbnails complete (for a progress line); `remote`
    reads the files that are not driver-local (see `read_bytes`)."""
    unique = list(dict.fromkeys(uris))
    out: dict[str, Thumbnail] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for done, (uri, thumb) in enumerate(
            zip(unique, pool.map(lambda u: make_thumbnail(u, size, remote), unique), strict=True), start=1
        ):
            out[uri] = thumb
            if progress is not None:
                progress(done, len(unique))
    return out
