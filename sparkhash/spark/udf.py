"""The Python side of the hashing step: pandas batches of image bytes in, hash rows out.

`batch_hasher(...)` returns the iterator function that `DataFrame.mapInPandas` runs on the
executors (iterator form: per-task set-up happens once, then batch after batch). Every row of
input gives exactly one row of output; any exception while hashing one image becomes that
row's `error` string, so no input file can fail a task. Image bytes are released after each
batch and never leave this function.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pandas as pd

from sparkhash.core.allocator import keep_freed_memory
from sparkhash.core.decode import DecodeOptions, ImageDecodeError
from sparkhash.core.multi import compute_hashes
from sparkhash.core.params import CROP_RESISTANT, SINGLE_ALGORITHMS, HashParams

#: Columns `batch_hasher` passes through unchanged from its input batches.
PASSTHROUGH_COLUMNS: tuple[str, ...] = ("path", "length", "modification_time")
SEGMENT_FIELDS: tuple[str, ...] = ("segment", "hash", "left", "top", "right", "bottom", "pixels")

#: Test hook: when set to a file path that does not exist yet, the first Python worker to reach
#: its second batch creates the file and exits abruptly (simulates a worker dying mid-task once).
CRASH_ONCE_ENV = "SPARKHASH_TEST_CRASH_ONCE"

MAX_ERROR_CHARS = 300


def error_message(exc: BaseException) -> str:
    """A short one-line reason for a failed image."""
    if isinstance(exc, ImageDecodeError):
        text = str(exc)
    elif isinstance(exc, MemoryError):
        text = "out of memory while hashing the image"
    else:
        text = f"cannot hash image: {type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def hash_image_row(
    content: bytes | None,
    algorithms: tuple[str, ...],
    params: HashParams,
    decode_options: DecodeOptions,
) -> dict:
    """Hash one image's bytes into a row dict (width, height, hex per algorithm, segments, error)."""
    singles = [a for a in algorithms if a in SINGLE_ALGORITHMS]
    row: dict = {
        "width": None,
        "height": None,
        **dict.fromkeys(singles),
        "segment_count": None,
        "segments": None,
        "error": None,
    }
    try:
        result = compute_hashes(content if content is not None else b"", algorithms, params, decode_options)
        hexes = {a: str(result.hashes[a]) for a in singles}
        segments = None
        if CROP_RESISTANT in algorithms:
            segments = [
                {
                    "segment": int(s.index),
                    "hash": str(s.hash),
                    "left": int(s.box[0]),
                    "top": int(s.box[1]),
                    "right": int(s.box[2]),
                    "bottom": int(s.box[3]),
                    "pixels": int(s.pixels),
                }
                for s in (result.segments or [])
            ]
    except Exception as exc:  # one bad file must never fail the task
        row["error"] = error_message(exc)
        return row
    row.update(hexes)
    row["width"], row["height"] = int(result.width), int(result.height)
    if segments is not None:
        row["segments"] = segments
        row["segment_count"] = len(segments)
    return row


def batch_hasher(
    algorithms: tuple[str, ...],
    params: HashParams,
    decode_options: DecodeOptions,
    params_json: str,
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The mapInPandas function: batches with path/length/modification_time/content in,
    batches of `sparkhash.spark.api.hashed_schema(algorithms)` out."""
    singles = [a for a in algorithms if a in SINGLE_ALGORITHMS]
    columns = [
        *PASSTHROUGH_COLUMNS,
        "width",
        "height",
        *singles,
        "segment_count",
        "segments",
        "error",
        "params",
    ]

    def hash_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        keep_freed_memory()  # a dedicated hashing process: reuse memory between images
        crash_marker = os.environ.get(CRASH_ONCE_ENV)
        for number, batch in enumerate(batches):
            if crash_marker and number == 1:
                _crash_once(crash_marker)
            rows = [
                hash_image_row(content, algorithms, params, decode_options) for content in batch["content"]
            ]
            out = pd.DataFrame(
                rows, index=batch.index, columns=[c for c in columns if c not in PASSTHROUGH_COLUMNS]
            )
            for name in PASSTHROUGH_COLUMNS:
                out[name] = batch[name]
            out["width"] = out["width"].astype("Int32")
            out["height"] = out["height"].astype("Int32")
            out["segment_count"] = out["segment_count"].astype("Int32")
            out["params"] = params_json
            del batch  # release the image bytes before the next batch arrives
            yield out[columns]

    return hash_batches


def _crash_once(marker: str) -> None:
    """Exit the worker process abruptly, once per marker file (fault-injection tests only)."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    os._exit(17)
