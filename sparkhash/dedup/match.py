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

`run_match` writes them as a committed run of a match OUTPUT (`sparkhash.dedup.output`).

How an algorithm matches is its registry record's matcher kind (`sparkhash.dedup.matchers`):
`match` calls the kind's implementation here (`match_lake_hamming`, `match_lake_exploded`,
`match_lake_verified`), never a test of the algorithm's name. An exploded algorithm
(crop_resistant) matches multi-hashes as `sparkhash.dedup.segments` does for pairs: a (query,
lake image) match when at least `region_cutoff` rows of one have a row of the other within the
row cutoff (imagehash's ImageMultiHash.matches, in either direction).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType, StringType, StructField, StructType

from sparkhash.core.params import ALGORITHMS, CROP_RESISTANT, HashParams
from sparkhash.core.registry import Algorithm, get
from sparkhash.core.spec import settings_from_json
from sparkhash.dedup.join import join_within
from sparkhash.dedup.output import match_store, read_matches, write_matches
from sparkhash.dedup.pairs import ParamsMismatch, Prepared, checked_params, prepare, valid_hashes
from sparkhash.dedup.plan import DEFAULT_HOT_BUCKET, DEFAULT_THRESHOLD, planner_for
from sparkhash.dedup.robust import find_robust_pairs
from sparkhash.dedup.segments import segment_cutoff
from sparkhash.errors import QueryError
from sparkhash.spark import delta, preflight
from sparkhash.spark.api import hash_images
from sparkhash.spark.read import binary_files
from sparkhash.spark.record_tables import record_table
from sparkhash.spark.tables import local_path, read_hash_output

QUERY_FORMATS = ("auto", "images", "output", "table")
#: Columns tried, in order, for a query table's id when none is named.
ID_COLUMNS = ("id", "query", "path")

MATCHES_SCHEMA = StructType(
    [
        StructField("query", StringType(), False),
        StructField("path", StringType(), False),
        StructField("algorithm", StringType(), False),
        StructField("distance", IntegerType(), True),
        StructField("matched_segments", IntegerType(), True),
    ]
)


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
    #: The OUTPUT's format: parquet, or delta (a Delta `matches` table with a `run_id` column,
    #: `sparkhash.dedup.output`; needs Delta on the session).
    format: str = delta.PARQUET
    #: Format delta: also register the matches table in the catalog as `table_prefix + matches`.
    table_prefix: str | None = None

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise QueryError(
                f"unknown algorithm {self.algorithm!r}; choose from {', '.join(ALGORITHMS)}", "algorithm"
            )
        if self.query_format not in QUERY_FORMATS:
            raise QueryError(
                f"query_format must be one of {', '.join(QUERY_FORMATS)}, not {self.query_format!r}",
                "query_format",
            )
        if self.threshold is not None and self.threshold < 0:
            raise QueryError(f"threshold must be >= 0, not {self.threshold}", "threshold")
        delta.check_format(self.format)
        delta.check_table_prefix(self.table_prefix, self.format)


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
    params, options = settings_from_json(params_text)
    files = binary_files(spark, source, config.name_filter, config.recursive)
    hashed = hash_images(files, (algorithm,), params, options).where(F.col("error").isNull())
    record = get(algorithm)
    if record.multi:
        seg = hashed.select("path", F.explode(record.table).alias("s"))
        return seg.select(
            F.col("path").alias("query"),
            F.col("s.segment").alias("segment"),
            F.lower(f"s.{record.hash_field}").alias("hex"),
        )
    return hashed.select(F.col("path").alias("query"), F.lower(F.col(record.hash_field)).alias("hex"))


def output_queries(spark: SparkSession, source: str, algorithm: str, lake_rows: DataFrame) -> DataFrame:
    """The current rows of a hash OUTPUT (or hashes table) as queries; refuses other parameters."""
    record = get(algorithm)
    hashes, segments = read_hash_output(spark, source)
    if record.multi:
        rows = record_table(record, hashes, segments)
        if rows is None:
            raise QueryError(f"{source} has no {record.table} table: it was not hashed with {algorithm}")
        _same_params(lake_rows, rows, algorithm)
        return rows.select(F.col("path").alias("query"), "segment", F.lower(record.hash_field).alias("hex"))
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
    `id_column`, else the first of id, query, path. For an exploded algorithm (crop_resistant)
    every row is one segment hash of its id (an optional `segment` column numbers them)."""
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
    if get(algorithm).multi:
        segment = F.col("segment").cast("int") if "segment" in columns else F.monotonically_increasing_id()
        return rows.select(query, segment.alias("segment"), hex_col)
    return rows.select(query, hex_col)


def _same_params(lake_rows: DataFrame, query_rows: DataFrame, algorithm: str) -> None:
    try:
        checked_params([lake_rows, query_rows], algorithm)
    except ParamsMismatch as exc:
        raise QueryError(f"queries and lake were hashed with different parameters: {exc}") from exc


def read_queries(spark: SparkSession, query: str, lake_rows: DataFrame, config: MatchConfig) -> DataFrame:
    """The queries in normal form: (query, hex), or (query, segment, hex) for an exploded
    algorithm (crop_resistant).

    lake_rows: the lake's hashes (or exploded, e.g. segments) table with its params column."""
    kind = guess_query_format(query) if config.query_format == "auto" else config.query_format
    if kind == "images":
        return image_queries(
            spark, query, config.algorithm, _lake_params(lake_rows, config.algorithm), config
        )
    if kind == "output":
        return output_queries(spark, query, config.algorithm, lake_rows)
    return table_queries(spark, query, config.algorithm, config, lake_rows)


# ---------------------------------------------------------------------------------- the join


def _check_widths(lake: Prepared, queries: DataFrame) -> None:
    """Refuses queries whose hex length is not the lake's (other hash size or algorithm)."""
    other = [r[0] for r in queries.select(F.length("hex")).distinct().collect()]
    wrong = sorted(n for n in other if n != lake.width)
    if wrong:
        raise QueryError(
            f"query hashes have {', '.join(map(str, wrong))} hex digits, the lake's have {lake.width}: "
            "they were made with other parameters or another algorithm"
        )


def query_lake_pairs(
    lake: Prepared, queries: DataFrame, threshold: int, hot_bucket: int = DEFAULT_HOT_BUCKET
) -> DataFrame:
    """(a_w.. = query hash, b_w.. = lake hash, distance) for every distinct pair within `threshold`.

    lake: the prepared lake rows, the build side; queries: rows with its word columns, the
    broadcast probe side. The plan is exact."""
    wcols = lake.wcols
    lake_distinct = lake.rows.select(*wcols).distinct().localCheckpoint(eager=True)
    query_distinct = queries.select(*wcols).distinct()
    pairs, _ = join_within(
        lake_distinct,
        threshold,
        probe=query_distinct,
        planner=planner_for("exact", hot_bucket=hot_bucket),
        nbits=lake.nbits,
        words=lake.words,
        broadcast_probe=True,
    )
    return pairs


def match_hashes(
    queries: DataFrame, lake: DataFrame, algorithm: str, threshold: int, hot_bucket: int = DEFAULT_HOT_BUCKET
) -> DataFrame:
    """Every (query, lake path) whose `algorithm` hashes are within `threshold` (MATCHES_SCHEMA).

    queries: (query, hex); lake: a hashes table (rows with errors are skipped)."""
    prep = prepare([lake], algorithm)
    _check_widths(prep, queries)
    query_members = prep.with_words(queries.select("query", "hex"))
    pairs = query_lake_pairs(prep, query_members, threshold, hot_bucket)
    wcols = prep.wcols
    qa = query_members.select(*[F.col(w).alias(f"a_{w}") for w in wcols], "query")
    lb = prep.rows.select(*[F.col(w).alias(f"b_{w}") for w in wcols], "path")
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
    algorithm: str = CROP_RESISTANT,
) -> DataFrame:
    """(query, lake path) pairs that match as multi-hashes (MATCHES_SCHEMA), e.g. crop-resistant.

    queries: (query, segment, hex); lake_segments: the exploded table of `algorithm` (a
    segments table). threshold: the segment cutoff in bits (default: imagehash's, a quarter of
    the segment hash's bits). distance is the closest segment pair's, matched_segments the
    larger of the two directions' counts."""
    lake_rows = lake_segments.select("path", "segment", F.lower("hash").alias("hex"))
    prep = prepare([lake_segments], algorithm, lake_rows)
    _check_widths(prep, queries)
    cutoff = segment_cutoff(prep.nbits) if threshold is None else threshold
    query_members = prep.with_words(queries.select("query", "segment", "hex"))
    pairs = query_lake_pairs(prep, query_members, cutoff, hot_bucket)
    wcols = prep.wcols
    qa = query_members.select(
        *[F.col(w).alias(f"a_{w}") for w in wcols], "query", F.col("segment").alias("sq")
    )
    lb = prep.rows.select(*[F.col(w).alias(f"b_{w}") for w in wcols], "path", F.col("segment").alias("sl"))
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
        F.lit(algorithm).alias("algorithm"),
        F.col("distance").cast("int").alias("distance"),
        matched.cast("int").alias("matched_segments"),
    )


#: Prefix that keeps query ids apart from lake paths while both go through one robust join
#: (a query may be a lake file itself, e.g. another hash OUTPUT of the same files).
_QUERY_MARK = "sparkhash-query:"  # no file system URI starts so


def robust_queries(spark: SparkSession, query: str, lake: DataFrame, config: MatchConfig) -> DataFrame:
    """Queries of a verified algorithm (robust) as hashes rows (path = query id, its column,
    params, error): images hashed with the lake's parameters, or a hash OUTPUT's current rows
    (other parameters refused). A table of stored signatures is refused: robust signatures are
    not hex hashes."""
    name = config.algorithm
    kind = guess_query_format(query) if config.query_format == "auto" else config.query_format
    if kind == "images":
        params_text = _lake_params(lake, name)
        params, options = settings_from_json(params_text)
        files = binary_files(spark, query, config.name_filter, config.recursive)
        hashed = hash_images(files, (name,), params, options)
        return hashed.select("path", name, "params", "error")
    if kind == "output":
        hashes, _ = read_hash_output(spark, query)
        if name not in hashes.columns:
            raise QueryError(
                f"{query} has no {name} signatures: hash it with {name} in algorithms", "algorithms"
            )
        _same_params(lake, hashes, name)
        return hashes.select("path", name, "params", *[c for c in ("error",) if c in hashes.columns])
    raise QueryError(f"{name} queries are images or a `sparkhash hash` OUTPUT, not a table of hex hashes")


def _unmarked(marked: F.Column) -> F.Column:
    """A marked query id without its mark."""
    return F.substring(marked, len(_QUERY_MARK) + 1, 1 << 30)


def match_robust(queries: DataFrame, lake: DataFrame, algorithm: str = "robust") -> DataFrame:
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
        F.lit(algorithm).alias("algorithm"),
        F.lit(None).cast("int").alias("distance"),
        F.col("matched_segments").cast("int").alias("matched_segments"),
    )


def _with_error(lake: DataFrame, *columns: str) -> list[str]:
    return [*columns, *[c for c in ("error",) if c in lake.columns]]


def match_lake_hamming(
    spark: SparkSession, query: str, location: str, lake: DataFrame, record: Algorithm, config: MatchConfig
) -> DataFrame:
    """HAMMING: the queries' hashes against the lake's column of the algorithm (`match_hashes`)."""
    algorithm = record.name
    if record.hash_field not in lake.columns:
        raise QueryError(f"{location} has no {algorithm} hashes (columns: {', '.join(lake.columns)})")
    # The lake is read several times (parameter and length checks, distinct hashes, paths of the
    # matches): materialise just the columns needed once, not the current-row window each time.
    lake = lake.select(*_with_error(lake, "path", record.hash_field, "params")).localCheckpoint(eager=True)
    queries = read_queries(spark, query, lake, config)
    threshold = DEFAULT_THRESHOLD if config.threshold is None else config.threshold
    return match_hashes(queries, lake, algorithm, threshold, config.hot_bucket)


def match_lake_exploded(
    spark: SparkSession,
    query: str,
    location: str,
    rows: DataFrame | None,
    record: Algorithm,
    config: MatchConfig,
) -> DataFrame:
    """HAMMING_EXPLODED: the queries' rows against the lake's exploded table (`match_segments`)."""
    if rows is None:
        raise QueryError(f"{location} has no {record.table} table: hash it with {record.name} first")
    rows = rows.select("path", "segment", record.hash_field, "params").localCheckpoint(eager=True)
    queries = read_queries(spark, query, rows, config)
    return match_segments(
        queries, rows, config.threshold, config.region_cutoff, config.hot_bucket, algorithm=record.name
    )


def match_lake_verified(
    spark: SparkSession, query: str, location: str, lake: DataFrame, record: Algorithm, config: MatchConfig
) -> DataFrame:
    """VERIFIED: candidates + verification of the queries against the lake (`match_robust`)."""
    name = record.name
    if name not in lake.columns:
        raise QueryError(
            f"{location} has no {name} signatures: hash it with {name} in algorithms first", "algorithms"
        )
    if config.threshold is not None:
        raise QueryError(f"{name} has one operating point: threshold does not apply to it", "threshold")
    lake = lake.select(*_with_error(lake, "path", name, "params")).localCheckpoint(eager=True)
    return match_robust(robust_queries(spark, query, lake, config), lake, name)


def match(spark: SparkSession, query: str, hashes: str, config: MatchConfig | None = None) -> DataFrame:
    """Every file of the lake `hashes` (a hash OUTPUT or hashes table) near a query (MATCHES_SCHEMA).

    The algorithm's matcher kind (its registry record) chooses the implementation
    (`sparkhash.dedup.matchers`). Raises QueryError for queries that cannot be read or were
    hashed with other parameters."""
    from sparkhash.dedup.matchers import matcher_for  # it imports this module's implementations

    config = config or MatchConfig()
    record = get(config.algorithm)
    lake, lake_segments = read_hash_output(spark, hashes)
    table = record_table(record, lake, lake_segments)
    return matcher_for(record).lake(spark, query, hashes, table, record, config)


@dataclass(frozen=True)
class MatchResult:
    """What `run_match` committed: the matches read back from OUTPUT and their counts."""

    matches: DataFrame
    written: int
    queries: int  # distinct queries with a match
    output: str
    run_id: str


def check_output(output: str) -> None:
    """Refuse (UsageError, one line) an OUTPUT that is a file, holds something other than match
    runs or cannot be written: what a match run would then delete or fail on."""
    preflight.check_output(output, "match")


def run_match(
    spark: SparkSession, query: str, hashes: str, output: str, config: MatchConfig | None = None
) -> MatchResult:
    """`match` the queries against the lake and commit the matches as one new run of OUTPUT
    (`sparkhash.dedup.output`: read them with `read_matches`), holding OUTPUT's lease meanwhile:
    a second writer is refused (LeaseHeld), and a run killed while writing leaves the previous
    result readable and whole."""
    check_output(output)
    config = config or MatchConfig()
    delta.require_delta(spark, config.format)  # format delta without Delta: one line, no work
    store = match_store(spark, output, config.format, config.table_prefix)
    store.check_registered()
    with store.acquire() as held:
        store.collect_garbage()  # what killed runs left behind
        written, queries = write_matches(
            spark,
            output,
            held.run_id,
            match(spark, query, hashes, config),
            held.check,
            config.format,
            config.table_prefix,
        )
        store.collect_garbage()
    return MatchResult(read_matches(spark, output), written, queries, store.output, held.run_id)
