"""DataFrame API: any DataFrame with image bytes -> hashed rows -> hashes and segments tables.

    files = spark.read.format("binaryFile").load("/data/images")
    hashed = hash_images(files, algorithms=("phash", "dhash", "crop_resistant"))
    hashed.write.parquet(staging)                 # hash once ...
    staged = spark.read.parquet(staging)
    hashes_table(staged, run_id), segments_table(staged, run_id)   # ... derive both tables

`hash_images` is one `mapInArrow` pass over the core's one-decode-many-hashes function; the
image bytes go into the Python worker and do not come out. `hash_files` does the same for a
listing of local (`file:`) files, which the Python workers read themselves. Everything here is plain DataFrame
API (no RDDs, no SparkContext), so it runs on classic Spark and on Spark Connect alike.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import to_arrow_schema  # Spark's own Spark -> Arrow type mapping
from pyspark.sql.types import (
    ArrayType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from sparkhash.core import spec
from sparkhash.core.decode import DecodeOptions
from sparkhash.core.params import SINGLE_ALGORITHMS, HashParams
from sparkhash.core.registry import DEFAULT_ALGORITHMS as _DEFAULTS
from sparkhash.core.registry import EXPLODED_TABLES, Algorithm, parse_algorithms
from sparkhash.spark.schemas import exploded_schema, hashes_schema, row_struct
from sparkhash.spark.udf import batch_hasher

#: What `hash_images` computes when not told otherwise: every algorithm.
DEFAULT_ALGORITHMS: tuple[str, ...] = _DEFAULTS
DEFAULT_PARAMS = HashParams()
DEFAULT_DECODE_OPTIONS = DecodeOptions()


def normalise_algorithms(algorithms: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    """Validate algorithm names (a list or a comma-separated string) and put them in canonical order."""
    return parse_algorithms(algorithms)


def params_json(params: HashParams, decode_options: DecodeOptions = DEFAULT_DECODE_OPTIONS) -> str:
    """The `params` value written with every row: HashParams' canonical JSON, the format
    versions other than 1 (`"robust_version":4`) and the bit-affecting decode settings not at
    their default (`"exif_orientation":true`); see `sparkhash.core.spec`."""
    return spec.params_json(params, decode_options)


def hashed_schema(algorithms: tuple[str, ...]) -> StructType:
    """Schema of `hash_images`' output: the hashes columns (without run_id) plus one array
    column per exploded table (`segments`: the rows of that table for the image)."""
    fields = [f for f in hashes_schema(algorithms).fields if f.name != "run_id"]
    position = [f.name for f in fields].index("error")
    fields[position:position] = [
        StructField(table, ArrayType(row_struct(record), False), True)
        for table, record in EXPLODED_TABLES.items()
    ]
    return StructType(fields)


def hash_images(
    df: DataFrame,
    algorithms: tuple[str, ...] | list[str] | str = DEFAULT_ALGORITHMS,
    params: HashParams = DEFAULT_PARAMS,
    decode_options: DecodeOptions = DEFAULT_DECODE_OPTIONS,
    content_col: str = "content",
    path_col: str = "path",
    length_col: str = "length",
    modification_time_col: str = "modificationTime",
) -> DataFrame:
    """Hash every row's image bytes; one output row per input row (errors in `error`).

    The defaults fit `spark.read.format("binaryFile")`. Any other DataFrame works too: name its
    binary column and an identifying string column; a missing length column is computed from
    the bytes, a missing modification-time column becomes null. Output columns:
    `hashed_schema(algorithms)` — path, length, modification_time, width, height, one hex column
    per single-image algorithm, segment_count, segments (array of structs, when crop_resistant
    is requested), error, params. Lazy: each action re-hashes, so write it once and derive both
    tables from what was written (see `hashes_table`, `segments_table`).
    """
    algorithms = normalise_algorithms(algorithms)
    columns = set(df.columns)
    for name in (content_col, path_col):
        if name not in columns:
            raise ValueError(f"column {name!r} not found; the DataFrame has {sorted(columns)}")
    length = F.col(length_col) if length_col in columns else F.length(F.col(content_col))
    mtime = F.col(modification_time_col) if modification_time_col in columns else F.lit(None)
    prepared = df.select(
        F.col(path_col).cast(StringType()).alias("path"),
        length.cast(LongType()).alias("length"),
        mtime.cast(TimestampType()).alias("modification_time"),
        F.col(content_col).alias("content"),
    )
    return _map_hasher(prepared, algorithms, params, decode_options, None)


def hash_files(
    files: DataFrame,
    algorithms: tuple[str, ...] | list[str] | str = DEFAULT_ALGORITHMS,
    params: HashParams = DEFAULT_PARAMS,
    decode_options: DecodeOptions = DEFAULT_DECODE_OPTIONS,
    max_file_bytes: int | None = None,
) -> DataFrame:
    """`hash_images` for a binaryFile *listing* of `file:` paths (path, length, modificationTime,
    no content): each Python worker reads its files itself, so no image byte passes through the
    JVM (no copies into rows and Arrow, no socket transfer). The files must be readable at
    their paths wherever the tasks run (as for binaryFile itself with `file:` paths). A file
    deleted since the listing gets no row; one over `max_file_bytes` when read, an error row."""
    algorithms = normalise_algorithms(algorithms)
    prepared = files.select(
        F.col("path").cast(StringType()).alias("path"),
        F.col("length").cast(LongType()).alias("length"),
        F.col("modificationTime").cast(TimestampType()).alias("modification_time"),
    )
    return _map_hasher(prepared, algorithms, params, decode_options, max_file_bytes)


def _map_hasher(
    prepared: DataFrame,
    algorithms: tuple[str, ...],
    params: HashParams,
    decode_options: DecodeOptions,
    max_file_bytes: int | None,
) -> DataFrame:
    schema = hashed_schema(algorithms)
    function = batch_hasher(
        algorithms,
        params,
        decode_options,
        params_json(params, decode_options),
        to_arrow_schema(schema, timezone="UTC"),
        max_file_bytes,
    )
    return prepared.mapInArrow(function, schema=schema)


def error_rows(files: DataFrame, error: Column, algorithms: tuple[str, ...], params: str) -> DataFrame:
    """Rows in `hashed_schema` form for files that are not hashed at all (e.g. over the size cap).

    `files` has path, length and modificationTime (the binaryFile listing columns)."""
    schema = hashed_schema(normalise_algorithms(algorithms))
    values = {
        "path": F.col("path"),
        "length": F.col("length"),
        "modification_time": F.col("modificationTime"),
        "error": error,
        "params": F.lit(params),
    }
    return files.select(
        *[values.get(f.name, F.lit(None)).cast(f.dataType).alias(f.name) for f in schema.fields]
    )


def hashes_table(hashed: DataFrame, run_id: str) -> DataFrame:
    """The hashes table's rows (`schemas.hashes_schema`) from `hash_images`' output."""
    algorithms = tuple(a for a in SINGLE_ALGORITHMS if a in hashed.columns)
    return hashed.select(
        *[
            (F.lit(run_id) if f.name == "run_id" else F.col(f.name)).cast(f.dataType).alias(f.name)
            for f in hashes_schema(algorithms).fields
        ]
    )


def exploded_table(hashed: DataFrame, record: Algorithm, run_id: str) -> DataFrame:
    """The rows of a multi-hash algorithm's exploded table (`schemas.exploded_schema(record)`):
    one per signature (none when the algorithm was not requested or the image failed)."""
    exploded = hashed.select("path", "params", F.explode(record.table).alias("s"))
    values = {"path": F.col("path"), "params": F.col("params"), "run_id": F.lit(run_id)}
    return exploded.select(
        *[
            values.get(f.name, F.col(f"s.{f.name}")).cast(f.dataType).alias(f.name)
            for f in exploded_schema(record).fields
        ]
    )


def segments_table(hashed: DataFrame, run_id: str) -> DataFrame:
    """The segments table's rows (`schemas.SEGMENTS_SCHEMA`): one per crop-resistant segment
    (none when crop_resistant was not requested or the image failed)."""
    return exploded_table(hashed, EXPLODED_TABLES["segments"], run_id)
