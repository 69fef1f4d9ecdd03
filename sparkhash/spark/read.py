"""Input listing: image files as a binaryFile DataFrame, split at the file-size cap.

The binaryFile source reads `content` only when a query needs it, and applies filters on
`length` to the file status *before* reading the bytes. So one scan serves two purposes:
`.where(length <= cap)` hashes the files within the cap (their bytes are read), and the
listing columns of `.where(length > cap)` become error rows (their bytes are never read).
The source's own `spark.sql.sources.binaryFile.maxLength` would instead fail the whole job.

Spark's file sources silently skip zero-byte files; `empty_files` recovers them from the file
index (`DataFrame.inputFiles`, which lists every file) so that they get an error row too.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import BinaryType, LongType, StringType, StructField, StructType, TimestampType

#: Default per-file cap: bigger files get an error row instead of being read into memory.
DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024
#: Spark setting (conf/*.conf or --conf) that overrides DEFAULT_MAX_FILE_BYTES for the job.
MAX_FILE_BYTES_CONF = "spark.sparkhash.maxFileBytes"

LISTING_COLUMNS: tuple[str, ...] = ("path", "length", "modificationTime")

#: The binaryFile source's schema (for an empty listing).
BINARY_FILE_SCHEMA = StructType(
    [
        StructField("path", StringType(), True),
        StructField("modificationTime", TimestampType(), True),
        StructField("length", LongType(), True),
        StructField("content", BinaryType(), True),
    ]
)


def binary_files(
    spark: SparkSession, input_path: str, name_filter: str | None = None, recursive: bool = True
) -> DataFrame:
    """All files under `input_path` (a directory, file or Hadoop glob) as a binaryFile DataFrame:
    path, modificationTime, length, content.

    `name_filter` is a glob on file names (binaryFile's `pathGlobFilter`, e.g. "*.{jpg,png}").
    With `recursive` sub-directories are searched too (and directory names are never taken
    as partition columns). Like every Spark file source, names starting with "_" or "." are
    skipped.
    """
    reader = spark.read.format("binaryFile")
    if recursive:
        reader = reader.option("recursiveFileLookup", "true")
    if name_filter:
        reader = reader.option("pathGlobFilter", name_filter)
    return reader.load(input_path)


def binary_files_at(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Exactly these files (binaryFile `path` values) as a binaryFile DataFrame."""
    return spark.read.format("binaryFile").load([escape_glob(p) for p in paths])


def escape_glob(path: str) -> str:
    """A literal path for Spark's `load`, which treats *, ?, [, ], {, } and \\ as a Hadoop glob."""
    return "".join("\\" + c if c in "\\*?[]{}" else c for c in path)


def within_size_cap(files: DataFrame, max_file_bytes: int) -> DataFrame:
    """Files whose bytes will be read and hashed (all binaryFile columns)."""
    return files.where(F.col("length") <= F.lit(max_file_bytes))


def over_size_cap(files: DataFrame, max_file_bytes: int) -> DataFrame:
    """Files over the cap: listing columns only, so their bytes are never read."""
    return files.where(F.col("length") > F.lit(max_file_bytes)).select(*LISTING_COLUMNS)


def oversize_error(max_file_bytes: int) -> Column:
    """The error text of an oversized file."""
    return F.format_string("file is %d bytes, over the limit of %d", F.col("length"), F.lit(max_file_bytes))


def hadoop_path(uri: str) -> str:
    """A URI as `DataFrame.inputFiles` gives it ("file:///a%20b") spelled as binaryFile's `path`
    column spells it ("file:/a b")."""
    parts = urlsplit(uri)
    authority = f"//{parts.netloc}" if parts.netloc else ""
    return f"{parts.scheme}:{authority}{unquote(parts.path)}" if parts.scheme else unquote(parts.path)


def empty_files(spark: SparkSession, files: DataFrame, input_files: list[str] | None = None) -> DataFrame:
    """The zero-byte files of a binaryFile DataFrame: path, length (0), modificationTime (null).

    `input_files` is `files.inputFiles()` when the caller already has it. The paths go through
    the driver, so this costs driver memory in proportion to the number of files."""
    uris = files.inputFiles() if input_files is None else input_files
    every_file = spark.createDataFrame([(hadoop_path(u),) for u in uris], "path string")
    return every_file.join(files.select("path"), on="path", how="left_anti").select(
        "path",
        F.lit(0).cast(LongType()).alias("length"),
        F.lit(None).cast(TimestampType()).alias("modificationTime"),
    )
