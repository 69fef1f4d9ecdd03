"""The Python side of the hashing step: Arrow batches of files in, Arrow batches of hash rows out.

`batch_hasher(...)` returns the iterator function that `DataFrame.mapInArrow` runs on the
executors (iterator form: per-task set-up happens once, then batch after batch). A batch holds
path, length and modification_time, and either each file's bytes (`content`, a binary column:
any DataFrame, any file system) or nothing more: then the worker reads each `file:` path itself
(the job does this for local and mounted inputs, so image bytes never pass through the JVM).
Results are built directly as Arrow arrays (no pandas, no per-row dicts). Every input row
gives exactly one output row (except a file deleted since the listing, which is skipped as
Spark's `ignoreMissingFiles` does); any exception while hashing one image becomes that row's
`error` string, so no input file can fail a task. Image bytes live one image at a time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from urllib.parse import unquote

import pyarrow as pa

from sparkhash.core.allocator import keep_freed_memory
from sparkhash.core.decode import DecodeOptions
from sparkhash.core.multi import compute_hashes
from sparkhash.core.params import HashParams
from sparkhash.core.registry import REGISTRY, Algorithm
from sparkhash.errors import ImageDecodeError
from sparkhash.spark.faults import fault_point

#: Columns `batch_hasher` passes through unchanged from its input batches.
PASSTHROUGH_COLUMNS: tuple[str, ...] = ("path", "length", "modification_time")

MAX_ERROR_CHARS = 300


def error_message(exc: BaseException) -> str:
    """A short one-line reason for a failed image."""
    if isinstance(exc, ImageDecodeError):
        text = str(exc)
    elif isinstance(exc, MemoryError):
        text = "out of memory while hashing the image"
    elif isinstance(exc, OSError) and exc.filename is not None:
        text = f"cannot read file: {exc.strerror or type(exc).__name__}"
    else:
        text = f"cannot hash image: {type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def local_file(path: str) -> str:
    """The local file name of a `file:` path as binaryFile spells it ("file:/a b", "file:///a")."""
    if not path.startswith("file:"):
        raise ValueError(f"not a file: path: {path!r}")
    rest = path[len("file:") :]
    if rest.startswith("//"):  # file://host/a or file:///a (a URI: percent-encoded)
        rest = unquote(rest[rest.index("/", 2) :])
    return rest


def read_file(path: str, max_file_bytes: int | None = None) -> bytes:
    """The bytes of a `file:` path; an error when over `max_file_bytes` (the file grew since the
    listing). The size is checked before reading, so no buffer of the cap's size is allocated."""
    with open(local_file(path), "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if max_file_bytes is not None and size > max_file_bytes:
            raise ValueError(f"file is {size} bytes, over the limit of {max_file_bytes}")
        data = handle.read()
    if max_file_bytes is not None and len(data) > max_file_bytes:
        raise ValueError(f"file is over the limit of {max_file_bytes} bytes")
    return data


class _Columns:
    """Output columns of one batch, appended to image by image.

    Each requested algorithm's record says which columns it fills (`columns`, from its value
    by `cells`) or which exploded-table array (`table`, rows from `cells`, counted in
    `count_column`); the Arrow types are the output schema's (generated from the records)."""

    def __init__(self, records: list[Algorithm]) -> None:
        self.singles = [r for r in records if not r.multi]
        self.exploded = [r for r in records if r.multi]
        self.keep: list[int] = []
        self.width: list[int | None] = []
        self.height: list[int | None] = []
        self.values: dict[str, list] = {c.name: [] for r in self.singles for c in r.columns}
        self.values.update({r.table: [] for r in self.exploded})
        self.values.update({r.count_column: [] for r in self.exploded if r.count_column})
        self.error: list[str | None] = []

    def add(self, row: int, content: bytes, algorithms, params, decode_options) -> None:
        self.keep.append(row)
        try:
            result = compute_hashes(content, algorithms, params, decode_options)
            values: dict[str, object] = {}
            for record in self.singles:
                cells = record.cells(result.hashes[record.name])
                values.update(zip((c.name for c in record.columns), cells, strict=True))
            for record in self.exploded:
                names = [f.name for f in record.rows]
                rows = record.cells(result.signatures.get(record.name) or [])
                values[record.table] = [dict(zip(names, cells, strict=True)) for cells in rows]
                if record.count_column:
                    values[record.count_column] = len(rows)
        except Exception as exc:  # one bad file must never fail the task
            self.fail(row, error_message(exc), keep=False)
            return
        self.width.append(int(result.width))
        self.height.append(int(result.height))
        for name, column in self.values.items():
            column.append(values[name])
        self.error.append(None)

    def fail(self, row: int, message: str, keep: bool = True) -> None:
        if keep:
            self.keep.append(row)
        self.width.append(None)
        self.height.append(None)
        for column in self.values.values():
            column.append(None)
        self.error.append(message)

    def batch(self, source: pa.RecordBatch, schema: pa.Schema, params_json: str) -> pa.RecordBatch:
        rows = len(self.keep)
        kept = source if rows == source.num_rows else source.take(pa.array(self.keep, pa.int64()))
        arrays = {name: kept.column(name).cast(schema.field(name).type) for name in PASSTHROUGH_COLUMNS}
        arrays["width"] = pa.array(self.width, pa.int32())
        arrays["height"] = pa.array(self.height, pa.int32())
        for name, values in self.values.items():
            arrays[name] = pa.array(values, schema.field(name).type)
        arrays["error"] = pa.array(self.error, pa.string())
        arrays["params"] = pa.array([params_json] * rows, pa.string())
        # what no requested algorithm fills (e.g. `segments` without crop_resistant): nulls
        return pa.RecordBatch.from_arrays(
            [arrays[f.name] if f.name in arrays else pa.nulls(rows, f.type) for f in schema], schema=schema
        )


def batch_hasher(
    algorithms: tuple[str, ...],
    params: HashParams,
    decode_options: DecodeOptions,
    params_json: str,
    schema: pa.Schema,
    max_file_bytes: int | None = None,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The mapInArrow function: batches with path/length/modification_time (and `content`, or
    else the files are read by path, up to `max_file_bytes`) in, batches of `schema` (the Arrow
    form of `sparkhash.spark.api.hashed_schema(algorithms)`) out."""
    records = [REGISTRY[a] for a in algorithms]

    def hash_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        keep_freed_memory()  # a dedicated hashing process: reuse memory between images
        for number, batch in enumerate(batches):
            fault_point(f"worker-batch-{number}")  # (tests) e.g. a worker dying mid-task once
            columns = _Columns(records)
            if "content" in batch.schema.names:
                contents = batch.column("content")
                for row in range(batch.num_rows):
                    content = contents[row].as_py()
                    columns.add(
                        row, content if content is not None else b"", algorithms, params, decode_options
                    )
                    del content
            else:
                for row, path in enumerate(batch.column("path").to_pylist()):
                    try:
                        content = read_file(path, max_file_bytes)
                    except FileNotFoundError:
                        continue  # deleted since the listing: skipped, as binaryFile would
                    except (OSError, ValueError) as exc:
                        columns.fail(row, error_message(exc))
                        continue
                    columns.add(row, content, algorithms, params, decode_options)
                    del content
            out = columns.batch(batch, schema, params_json)
            del batch, columns  # release the image bytes before the next batch arrives
            yield out

    return hash_batches
