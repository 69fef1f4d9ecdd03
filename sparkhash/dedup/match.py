"""Match queries against a lake: every lake image within k of any query, exact and banded.

The question "is this already in the lake?" (a new upload, a batch of files, a list of known
hashes): the lake is the build side of the banded join in `sparkhash.dedup.join` — one row per
(distinct hash, band), never exploded into probe variants — and the few query hashes are the
probe side, sent to every task with `F.broadcast` (a DataFrame hint, so it works on Spark
Connect, which has no `sc.broadcast`). Every (query, lake file) pair within k is found: the
bands are an exact (pigeonhole) plan, verified in the JVM.

Queries come as
- images (a directory, file or glob), hashed here with the lake's own parameters;
- a `sparkhash hash` OUTPUT (or plain hashes table), refused when its parameters differ;
- a CSV or Parquet table of hex hashes with an id column (e.g. strings written by imagehash),
  refused when it carries other parameters in a `params` column or hashes of another length.

crop_resistant matches multi-hashes as `sparkhash.dedup.segments` does for pairs: a (query,
lake image) match when at least `region_cutoff` segments of one have a segment of the other
within the segment cutoff (imagehash's ImageMultiHash.matches, in either direction).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType, StringType, StructField, StructType

from sparkhash.core.decode import DecodeOptions
from sparkhash.core.params import ALGORITHMS, CROP_RESISTANT, HashParams
from sparkhash.dedup.bands import DEFAULT_HOT_BUCKET, hash_bits, word_columns, words_for
from sparkhash.dedup.join import hash_pairs
from sparkhash.dedup.pairs import (
    ParamsMismatch,
    checked_params,
    hex_width,
    make_plan,
    valid_hashes,
    with_words,
)
from sparkhash.dedup.robust import ROBUST, find_robust_pairs
from sparkhash.dedup.segments import segment_cutoff
from sparkhash.errors import UsageError
from sparkhash.spark.api import hash_images
from sparkhash.spark.read import binary_files
from sparkhash.spark.tables import local_path, read_hash_output

QUERY_FORMATS = ("auto", "images", "output", "table")
#: Columns tried, in order, for a query table's id when none is named.
ID_COLUMNS = ("id", "query", "path")
DEFAULT_THRESHOLD = 4

MATCHES_SCHEMA = StructType(
    [
        StructField("query", StringType(), False),
        StructField("path", StringType(), False),
        StructField("algorithm", StringType(), False),
        StructField("distance", IntegerType(), True),
        StructField("matched_segments", IntegerType(), True),
    ]
)


class QueryError(UsageError):
    """The queries cannot be read or compared with the lake (a user error: one line, exit 2)."""


@dataclass(frozen=True)
class MatchConfig:
    """How to read the queries and what counts as a match.

    threshold: largest Hamming distance (for crop_resistant: of a segment pair; default
    imagehash's cutoff, a quarter of the segment hash's bits). query_format: auto guesses from
    the path (a .csv/.parquet file, a directory of Parquet files, a hash OUTPUT, else images).
    """

    algorithm: str = "phash"
    threshold: int | None = None
    query_format: str = "auto"
    id_column: str | None = None
    hash_column: str | None = None
    region_cutoff: int = 1
    name_filter: str | None = None
    recursive: bool = True
    hot_bucket: int = DEFAULT_HOT_BUCKET

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise QueryError(f"unknown algorithm {self.algorithm!r}; choose from {', '.join(ALGORITHMS)}")
        if self.query_format not in QUERY_FORMATS:
            raise QueryError(
                f"query format must be one of {', '.join(QUERY_FORMATS)}, not {self.query_format!r}"
            )
        if self.threshold is not None and self.threshold < 0:
            raise QueryError(f"threshold must be >= 0, not {self.threshold}")


# ---------------------------------------------------------------------------------- queries


def guess_query_format(query: str) -> str:
    """images, output or table for a query location (see MatchConfig.query_format)."""
    lowered = query.lower().rstrip("/")
    if lowered.endswith((".csv", ".parquet")):
        return "table"
    local = local_path(query)
    if local is not None and local.is_dir():
        if (local / "runs").is_dir() or (local / "hashes").is_dir():
            return "output"
        if any(local.glob("*.parquet")):
            return "table"
    return "images"


def _lake_params(lake_rows: DataFrame, algorithm: str) -> str:
    """The params text of the lake's rows (one shared parameter set, or ParamsMismatch)."""
    checked_params([lake_rows], algorithm)
    first = lake_rows.select("params").limit(1).collect()
    return first[0][0] if first else HashParams().to_json()


def image_queries(
    spark: SparkSession, source: str, algorithm: str, params_text: str, config: MatchConfig
) -> DataFrame:
    """Images at `source` hashed with the lake's parameters: (query, hex) or (query, segment, hex).

    Images that cannot be hashed are left out (there is nothing to match them with)."""
    params = HashParams.from_json(params_text)
    options = DecodeOptions.from_params(params_text)
    files = binary_files(spark, source, config.name_filter, config.recursive)
    hashed = hash_images(files, (algorithm,), params, options).where(F.col("error").isNull())
    if algorithm == CROP_RESISTANT:
        seg = hashed.select("path", F.explode("segments").alias("s"))
        return seg.select(
            F.col("path").alias("query"), F.col("s.segment").alias("segment"), F.lower("s.hash").alias("hex")
        )
    return hashed.select(F.col("path").alias("query"), F.lower(F.col(algorithm)).alias("hex"))


def output_queries(spark: SparkSession, source: str, algorithm: str, lake_rows: DataFrame) -> DataFrame:
    """The current rows of a hash OUTPUT (or hashes table) as queries; refuses other parameters."""
    hashes, segments = read_hash_output(spark, source)
    if algorithm == CROP_RESISTANT:
        if segments is None:
            raise QueryError(f"{source} has no segments table: it was not hashed with crop_resistant")
        _same_params(lake_rows, segments, algorithm)
        return segments.select(F.col("path").alias("query"), "segment", F.lower("hash").alias("hex"))
    if algorithm not in hashes.columns:
        raise QueryError(f"{source} has no {algorithm} hashes (columns: {', '.join(hashes.columns)})")
    _same_params(lake_rows, hashes, algorithm)
    rows = valid_hashes(hashes, algorithm)
    return rows.select(F.col("path").alias("query"), "hex")


def table_queries(
    spark: SparkSession, source: str, algorithm: str, config: MatchConfig, lake_rows: DataFrame
) -> DataFrame:
    """A CSV (with a header) or Parquet table of hex hashes with an id column, as queries.

    The hash column is `hash_column`, else the algorithm's name, else `hash`; the id column is
    `id_column`, else the first of id, query, path. For crop_resistant every row is one segment
    hash of its id (an optional `segment` column numbers them)."""
    if source.lower().endswith(".csv"):
        table = spark.read.option("header", "true").csv(source)
    else:
        table = spark.read.parquet(source)
    columns = table.columns
    hash_col = config.hash_column or next((c for c in (algorithm, "hash") if c in columns), None)
    id_col = config.id_column or next((c for c in ID_COLUMNS if c in columns), None)
    if hash_col is None or hash_col not in columns:
        raise QueryError(f"{source}: no hash column ({algorithm} or hash; columns: {', '.join(columns)})")
    if id_col is None or id_col not in columns:
        raise QueryError(f"{source}: no id column ({', '.join(ID_COLUMNS)}; columns: {', '.join(columns)})")
    if "params" in columns:
        _same_params(lake_rows, table, algorithm)
    rows = table.where(F.col(hash_col).isNotNull())
    query = F.col(id_col).cast("string").alias("query")
    hex_col = F.lower(F.trim(F.col(hash_col))).alias("hex")
    if algorithm == CROP_RESISTANT:
        segment = F.col("segment").cast("int") if "segment" in columns else F.monotonically_increasing_id()
        return rows.select(query, segment.alias("segment"), hex_col)
    return rows.select(query, hex_col)


def _same_params(lake_rows: DataFrame, query_rows: DataFrame, algorithm: str) -> None:
    try:
        checked_params([lake_rows, query_rows], algorithm)
    except ParamsMismatch as exc:
        raise QueryError(f"queries and lake were hashed with different parameters: {exc}") from exc


def read_queries(spark: SparkSession, query: str, lake_rows: DataFrame, config: MatchConfig) -> DataFrame:
    """The queries in normal form: (query, hex), or (query, segment, hex) for crop_resistant.

    lake_rows: the lake's hashes (or segments, for crop_resistant) table with its params column."""
    kind = guess_query_format(query) if config.query_format == "auto" else config.query_format
    if kind == "images":
        return image_queries(
            spark, query, config.algorithm, _lake_params(lake_rows, config.algorithm), config
        )
    if kind == "output":
        return output_queries(spark, query, config.algorithm, lake_rows)
    return table_queries(spark, query, config.algorithm, config, lake_rows)


# ---------------------------------------------------------------------------------- the join


def _check_widths(lake: DataFrame, queries: DataFrame) -> int:
    """The lake's hex length; refuses queries of another length (other hash size or algorithm)."""
    width = hex_width(lake)
    other = [r[0] for r in queries.select(F.length("hex")).distinct().collect()]
    wrong = sorted(n for n in other if n != width)
    if wrong:
        raise QueryError(
            f"query hashes have {', '.join(map(str, wrong))} hex digits, the lake's have {width}: "
            "they were made with other parameters or another algorithm"
        )
    return width


def query_lake_pairs(
    lake: DataFrame,
    queries: DataFrame,
    words: int,
    nbits: int,
    threshold: int,
    hot_bucket: int = DEFAULT_HOT_BUCKET,
) -> DataFrame:
    """(a_w.. = query hash, b_w.. = lake hash, distance) for every distinct pair within `threshold`.

    lake, queries: rows with word columns w0..; the lake is the build side, the queries the
    broadcast probe side."""
    wcols = word_columns(words)
    lake_distinct = lake.select(*wcols).distinct().localCheckpoint(eager=True)
    query_distinct = queries.select(*wcols).distinct()
    plan = make_plan(lake_distinct, nbits, words, min(threshold, nbits), "exact", hot_bucket=hot_bucket)
    build = lake_distinct.withColumn("new", F.lit(False))
    return hash_pairs(build, plan, probe=query_distinct, new_column="new", broadcast_probe=True)


def match_hashes(
    queries: DataFrame, lake: DataFrame, algorithm: str, threshold: int, hot_bucket: int = DEFAULT_HOT_BUCKET
) -> DataFrame:
    """Every (query, lake path) whose `algorithm` hashes are within `threshold` (MATCHES_SCHEMA).

    queries: (query, hex); lake: a hashes table (rows with errors are skipped)."""
    lake_rows = valid_hashes(lake, algorithm).select("path", "hex")
    width = _check_widths(lake_rows, queries)
    params = checked_params([lake], algorithm)
    words = words_for(width)
    nbits = min(hash_bits(algorithm, params), 4 * width)
    lake_members = with_words(lake_rows, words)
    query_members = with_words(queries.select("query", "hex"), words)
    pairs = query_lake_pairs(lake_members, query_members, words, nbits, threshold, hot_bucket)
    wcols = word_columns(words)
    qa = query_members.select(*[F.col(w).alias(f"a_{w}") for w in wcols], "query")
    lb = lake_members.select(*[F.col(w).alias(f"b_{w}") for w in wcols], "path")
    found = pairs.join(F.broadcast(qa), [f"a_{w}" for w in wcols]).join(lb, [f"b_{w}" for w in wcols])
    return found.select(
        "query",
        "path",
        F.lit(algorithm).alias("algorithm"),
        F.col("distance").cast("int").alias("distance"),
        F.lit(None).cast("int").alias("matched_segments"),
    ).dropDuplicates(["query", "path"])


def match_segments(
    queries: DataFrame,
    lake_segments: DataFrame,
    threshold: int | None = None,
    region_cutoff: int = 1,
    hot_bucket: int = DEFAULT_HOT_BUCKET,
) -> DataFrame:
    """(query, lake path) pairs that match as crop-resistant multi-hashes (MATCHES_SCHEMA).

    queries: (query, segment, hex); lake_segments: a segments table. threshold: the segment
    cutoff in bits (default: imagehash's, a quarter of the segment hash's bits). distance is the
    closest segment pair's, matched_segments the larger of the two directions' counts."""
    params = checked_params([lake_segments], CROP_RESISTANT)
    lake_rows = lake_segments.select("path", "segment", F.lower("hash").alias("hex"))
    width = _check_widths(lake_rows, queries)
    words = words_for(width)
    nbits = min(hash_bits(CROP_RESISTANT, params), 4 * width)
    cutoff = segment_cutoff(nbits) if threshold is None else threshold
    lake_members = with_words(lake_rows, words)
    query_members = with_words(queries.select("query", "segment", "hex"), words)
    pairs = query_lake_pairs(lake_members, query_members, words, nbits, cutoff, hot_bucket)
    wcols = word_columns(words)
    qa = query_members.select(
        *[F.col(w).alias(f"a_{w}") for w in wcols], "query", F.col("segment").alias("sq")
    )
    lb = lake_members.select(*[F.col(w).alias(f"b_{w}") for w in wcols], "path", F.col("segment").alias("sl"))
    found = pairs.join(F.broadcast(qa), [f"a_{w}" for w in wcols]).join(lb, [f"b_{w}" for w in wcols])
    counted = found.groupBy("query", "path").agg(
        F.countDistinct("sq").alias("query_segments"),
        F.countDistinct("sl").alias("lake_segments"),
        F.min("distance").alias("distance"),
    )
    matched = F.greatest("query_segments", "lake_segments")
    return counted.where(matched >= region_cutoff).select(
        "query",
        "path",
        F.lit(CROP_RESISTANT).alias("algorithm"),
        F.col("distance").cast("int").alias("distance"),
        matched.cast("int").alias("matched_segments"),
    )


#: Prefix that keeps query ids apart from lake paths while both go through one robust join
#: (a query may be a lake file itself, e.g. another hash OUTPUT of the same files).
_QUERY_MARK = "sparkhash-query:"  # no file system URI starts so


def robust_queries(spark: SparkSession, query: str, lake: DataFrame, config: MatchConfig) -> DataFrame:
    """Robust queries as hashes rows (path = query id, robust, params, error): images hashed
    with the lake's parameters, or a hash OUTPUT's current rows (other parameters refused).
    A table of stored signatures is refused: robust signatures are not hex hashes."""
    kind = guess_query_format(query) if config.query_format == "auto" else config.query_format
    if kind == "images":
        params_text = _lake_params(lake, ROBUST)
        options = DecodeOptions.from_params(params_text)
        files = binary_files(spark, query, config.name_filter, config.recursive)
        hashed = hash_images(files, (ROBUST,), HashParams.from_json(params_text), options)
        return hashed.select("path", ROBUST, "params", "error")
    if kind == "output":
        hashes, _ = read_hash_output(spark, query)
        if ROBUST not in hashes.columns:
            raise QueryError(f"{query} has no robust signatures: hash it with --algorithms robust")
        _same_params(lake, hashes, ROBUST)
        return hashes.select("path", ROBUST, "params", *[c for c in ("error",) if c in hashes.columns])
    raise QueryError("robust queries are images or a `sparkhash hash` OUTPUT, not a table of hex hashes")


def _unmarked(marked: F.Column) -> F.Column:
    """A marked query id without its mark."""
    return F.substring(marked, len(_QUERY_MARK) + 1, 1 << 30)


def match_robust(queries: DataFrame, lake: DataFrame) -> DataFrame:
    """(query, lake path) pairs that robust's verification accepts (MATCHES_SCHEMA; distance is
    null, matched_segments the inlier count). The dups path's incremental join does the work:
    the queries are its new rows, the lake its old ones, so lake pairs are never searched;
    query-query pairs it also finds are dropped."""
    marked = queries.withColumn("path", F.concat(F.lit(_QUERY_MARK), F.col("path")))
    pairs = find_robust_pairs(marked, lake)
    a_is_query = F.col("path_a").startswith(_QUERY_MARK)
    b_is_query = F.col("path_b").startswith(_QUERY_MARK)
    across = pairs.where(a_is_query != b_is_query)
    marked_query = F.when(a_is_query, F.col("path_a")).otherwise(F.col("path_b"))
    return across.select(
        _unmarked(marked_query).alias("query"),
        F.when(a_is_query, F.col("path_b")).otherwise(F.col("path_a")).alias("path"),
        F.lit(ROBUST).alias("algorithm"),
        F.lit(None).cast("int").alias("distance"),
        F.col("matched_segments").cast("int").alias("matched_segments"),
    )


def match(spark: SparkSession, query: str, hashes: str, config: MatchConfig | None = None) -> DataFrame:
    """Every file of the lake `hashes` (a hash OUTPUT or hashes table) near a query (MATCHES_SCHEMA).

    Raises QueryError for queries that cannot be read or were hashed with other parameters."""
    config = config or MatchConfig()
    lake, lake_segments = read_hash_output(spark, hashes)
    if config.algorithm == ROBUST:
        if ROBUST not in lake.columns:
            raise QueryError(f"{hashes} has no robust signatures: hash it with --algorithms robust first")
        if config.threshold is not None:
            raise QueryError("robust has one operating point: --threshold does not apply to it")
        needed = ["path", ROBUST, "params", *[c for c in ("error",) if c in lake.columns]]
        lake = lake.select(*needed).localCheckpoint(eager=True)
        return match_robust(robust_queries(spark, query, lake, config), lake)
    # The lake is read several times (parameter and length checks, distinct hashes, paths of the
    # matches): materialise just the columns needed once, not the current-row window each time.
    if config.algorithm == CROP_RESISTANT:
        if lake_segments is None:
            raise QueryError(f"{hashes} has no segments table: hash it with crop_resistant first")
        lake_segments = lake_segments.select("path", "segment", "hash", "params").localCheckpoint(eager=True)
        queries = read_queries(spark, query, lake_segments, config)
        return match_segments(
            queries, lake_segments, config.threshold, config.region_cutoff, config.hot_bucket
        )
    if config.algorithm not in lake.columns:
        raise QueryError(f"{hashes} has no {config.algorithm} hashes (columns: {', '.join(lake.columns)})")
    needed = ["path", config.algorithm, "params", *[c for c in ("error",) if c in lake.columns]]
    lake = lake.select(*needed).localCheckpoint(eager=True)
    queries = read_queries(spark, query, lake, config)
    threshold = DEFAULT_THRESHOLD if config.threshold is None else config.threshold
    return match_hashes(queries, lake, config.algorithm, threshold, config.hot_bucket)


def write_matches(matches: DataFrame, output: str) -> str:
    """Write OUTPUT/matches (Parquet, overwritten); returns its path."""
    target = f"{output.rstrip('/')}/matches"
    matches.write.mode("overwrite").parquet(target)
    return target
