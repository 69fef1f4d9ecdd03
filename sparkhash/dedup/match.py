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
- a CSV or Parquet table of hex hashes with an id column (a known-hash list: e.g. strings
  written by imagehash, or a ThreatExchange-style list of PDQ hex), refused when it carries
  other parameters in a `params` column or hashes of another length. Its other columns (tags,
  sources, ...) are carried to the matches, by id (`query_metadata`). A local CSV is checked
  before any Spark work (`check_query`: its columns, and every hash is hex of one length).

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
from sparkhash.dedup.plan import DEFAULT_HOT_BUCKET, planner_for, threshold_or_default
from sparkhash.dedup.robust import find_robust_pairs
from sparkhash.dedup.segments import segment_cutoff, with_row_labels
from sparkhash.errors import QueryError
from sparkhash.spark import delta, preflight
from sparkhash.spark.api import hash_images
from sparkhash.spark.read import binary_files
from sparkhash.spark.record_tables import record_table
from sparkhash.spark.tables import local_path, read_hash_output

QUERY_FORMATS = ("auto", "images", "output", "table")
#: Columns tried, in order, for a query table's id when none is named.
ID_COLUMNS = ("id", "query", "path")
#: Columns tried, after the algorithm's name, for a query table's hex hashes when none is named.
HASH_COLUMNS = ("hash",)
#: A query table's columns that are not carried to the matches (`query_metadata`).
_NOT_METADATA = ("segment", "params")

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

    threshold: largest Hamming distance (of a row pair for an exploded algorithm); None: the
    algorithm's default (its registry record's `threshold`: 4, PDQ's 31, crop_resistant
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
        return _query_rows(
            seg.select(
                F.col("path").alias("query"),
                F.col("s.segment").alias("segment"),
                F.lower(f"s.{record.hash_field}").alias("hex"),
            ),
            record,
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
        return _query_rows(
            rows.select(F.col("path").alias("query"), "segment", F.lower(record.hash_field).alias("hex")),
            record,
        )
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
    table = _read_table(spark, source)
    columns = table.columns
    hash_col, id_col = table_columns(source, columns, algorithm, config)
    if "params" in columns:
        _same_params(lake_rows, table, algorithm)
    rows = table.where(F.col(hash_col).isNotNull() & (F.trim(F.col(hash_col)) != ""))
    query = F.col(id_col).cast("string").alias("query")
    hex_col = F.lower(F.trim(F.col(hash_col))).alias("hex")
    bad = rows.select(hex_col).where(~F.col("hex").rlike("^[0-9a-f]+$")).limit(1).collect()
    if bad:
        raise QueryError(f"{source}: {bad[0][0]!r} in column {hash_col} is not a hex hash")
    record = get(algorithm)
    if record.multi and record.query_segment is not None:  # each listed hash is a query row
        return rows.select(query, F.lit(record.query_segment).alias("segment"), hex_col)
    if record.multi:
        segment = F.col("segment").cast("int") if "segment" in columns else F.monotonically_increasing_id()
        return rows.select(query, segment.alias("segment"), hex_col)
    return rows.select(query, hex_col)


def table_columns(source: str, columns: list[str], algorithm: str, config: MatchConfig) -> tuple[str, str]:
    """(hash column, id column) of a query table with `columns` (QueryError naming them when
    one is missing): `hash_column`, else the algorithm's name, else hash; `id_column`, else
    the first of ID_COLUMNS."""
    candidates = (algorithm, *HASH_COLUMNS)
    hash_col = config.hash_column or next((c for c in candidates if c in columns), None)
    id_col = config.id_column or next((c for c in ID_COLUMNS if c in columns), None)
    if hash_col is None or hash_col not in columns:
        wanted = config.hash_column or " or ".join(candidates)
        raise QueryError(f"{source}: no hash column ({wanted}; columns: {', '.join(columns)})", "hash_column")
    if id_col is None or id_col not in columns:
        wanted = config.id_column or ", ".join(ID_COLUMNS)
        raise QueryError(f"{source}: no id column ({wanted}; columns: {', '.join(columns)})", "id_column")
    return hash_col, id_col


def check_query(query: str, config: MatchConfig) -> None:
    """What can be refused of a known-hash list before Spark starts (QueryError, one line): a
    driver-local CSV without its hash or id column, or with a hash that is not hex, or hex of
    several lengths, or — for an algorithm without parameters (pdq: 64 digits) — of a length
    its hashes never have. Other queries are checked when they are read."""
    kind = guess_query_format(query) if config.query_format == "auto" else config.query_format
    local = local_path(query)
    if kind != "table" or local is None or not query.lower().endswith(".csv") or not local.is_file():
        return
    import csv

    with local.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header:
            raise QueryError(f"{query}: empty CSV (a header with a hash and an id column is needed)")
        columns = [c.strip() for c in header]
        hash_col, _ = table_columns(query, columns, config.algorithm, config)
        at = columns.index(hash_col)
        record = get(config.algorithm)
        widths: dict[int, int] = {}
        for line, row in enumerate(reader, start=2):
            value = row[at].strip().lower() if at < len(row) else ""
            if not value:
                continue
            if any(c not in "0123456789abcdef" for c in value):
                raise QueryError(f"{query} line {line}: {row[at]!r} in column {hash_col} is not a hex hash")
            widths.setdefault(len(value), line)
    if len(widths) > 1:
        (w1, l1), (w2, l2) = sorted(widths.items(), key=lambda item: item[1])[:2]
        raise QueryError(
            f"{query}: hashes of {w1} hex digits (line {l1}) and of {w2} (line {l2}): one list holds one kind"
        )
    if widths and not record.fields and record.bits:
        width = record.hex_width(HashParams())
        if next(iter(widths)) != width:
            raise QueryError(
                f"{query}: {config.algorithm} hashes have {width} hex digits, the list's have "
                f"{next(iter(widths))} (line {next(iter(widths.values()))})"
            )


def query_metadata(spark: SparkSession, query: str, config: MatchConfig) -> DataFrame | None:
    """A query table's other columns (tags, sources, ...), one row per id (`query`; the first
    non-null value of each when an id has several rows), to carry to its matches; a column
    named like a matches column gets a `list_` prefix. None for other queries."""
    kind = guess_query_format(query) if config.query_format == "auto" else config.query_format
    if kind != "table":
        return None
    table = _read_table(spark, query)
    hash_col, id_col = table_columns(query, table.columns, config.algorithm, config)
    extra = [c for c in table.columns if c not in (hash_col, id_col, *_NOT_METADATA)]
    if not extra:
        return None
    taken = {*MATCHES_SCHEMA.fieldNames(), *(r.label for r in [get(config.algorithm)] if r.label)}
    return table.groupBy(F.col(id_col).cast("string").alias("query")).agg(
        *[F.first(c, ignorenulls=True).alias(f"list_{c}" if c in taken else c) for c in extra]
    )


def _read_table(spark: SparkSession, source: str) -> DataFrame:
    if source.lower().endswith(".csv"):
        return spark.read.option("header", "true").csv(source)
    return spark.read.parquet(source)


def _query_rows(queries: DataFrame, record: Algorithm) -> DataFrame:
    """The rows a query matches with: its `query_segment` row (pdq_dihedral: the original
    orientation, against the lake's 8), or all of them."""
    if record.query_segment is None:
        return queries
    return queries.where(F.col("segment") == F.lit(record.query_segment))


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
    queries: DataFrame,
    lake: DataFrame,
    algorithm: str,
    threshold: int | None = None,
    hot_bucket: int = DEFAULT_HOT_BUCKET,
) -> DataFrame:
    """Every (query, lake path) whose `algorithm` hashes are within `threshold` (MATCHES_SCHEMA;
    default: the algorithm's, `plan.threshold_or_default`).

    queries: (query, hex); lake: a hashes table (rows with errors are skipped)."""
    prep = prepare([lake], algorithm)
    _check_widths(prep, queries)
    query_members = prep.with_words(queries.select("query", "hex"))
    threshold = threshold_or_default(threshold, algorithm, prep.nbits)
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
    record = get(algorithm)
    labels = [record.label] if record.label else []
    lake_rows = lake_segments.select("path", "segment", *labels, F.lower("hash").alias("hex"))
    prep = prepare([lake_segments], algorithm, lake_rows)
    _check_widths(prep, queries)
    cutoff = segment_cutoff(prep.nbits, algorithm=algorithm) if threshold is None else threshold
    query_members = prep.with_words(queries.select("query", "segment", "hex"))
    pairs = query_lake_pairs(prep, query_members, cutoff, hot_bucket)
    wcols = prep.wcols
    qa = query_members.select(
        *[F.col(w).alias(f"a_{w}") for w in wcols], "query", F.col("segment").alias("sq")
    )
    lb = prep.rows.select(*[F.col(w).alias(f"b_{w}") for w in wcols], "path", F.col("segment").alias("sl"))
    found = pairs.join(F.broadcast(qa), [f"a_{w}" for w in wcols]).join(lb, [f"b_{w}" for w in wcols])
    closest = [F.min(F.struct("distance", F.col("sl").alias("row"))).alias("closest")] if labels else []
    counted = found.groupBy("query", "path").agg(
        F.countDistinct("sq").alias("query_segments"),
        F.countDistinct("sl").alias("lake_segments"),
        F.min("distance").alias("distance"),
        *closest,
    )
    matched = F.greatest("query_segments", "lake_segments")
    out = counted.where(matched >= region_cutoff).select(
        "query",
        "path",
        F.lit(algorithm).alias("algorithm"),
        F.col("distance").cast("int").alias("distance"),
        matched.cast("int").alias("matched_segments"),
        *([F.col("closest.row").alias("row")] if labels else []),
    )
    # the lake row of the closest row pair names how the lake file is turned into the query
    return with_row_labels(out, prep.rows, record) if labels else out


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
    # the record's other columns (pdq_quality) come with its matches: a low-quality lake file is
    # flagged in the matches themselves
    extra = [c.name for c in record.columns if c.name != record.hash_field and c.name in lake.columns]
    lake = lake.select(*_with_error(lake, "path", record.hash_field, *extra, "params")).localCheckpoint(
        eager=True
    )
    queries = read_queries(spark, query, lake, config)
    found = match_hashes(queries, lake, algorithm, config.threshold, config.hot_bucket)
    return found.join(lake.select("path", *extra), "path", "left") if extra else found


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
    labels = [record.label] if record.label else []
    rows = rows.select("path", "segment", *labels, record.hash_field, "params").localCheckpoint(eager=True)
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
    """Every file of the lake `hashes` (a hash OUTPUT or hashes table) near a query (MATCHES_SCHEMA;
    with the record's label column, e.g. pdq_dihedral's orientation, and a query table's other
    columns after them).

    The algorithm's matcher kind (its registry record) chooses the implementation
    (`sparkhash.dedup.matchers`). Raises QueryError for queries that cannot be read or were
    hashed with other parameters."""
    from sparkhash.dedup.matchers import matcher_for  # it imports this module's implementations

    config = config or MatchConfig()
    check_query(query, config)
    record = get(config.algorithm)
    lake, exploded = read_hash_output(spark, hashes)
    table = record_table(record, lake, exploded)
    found = matcher_for(record).lake(spark, query, hashes, table, record, config)
    metadata = query_metadata(spark, query, config)
    return found if metadata is None else found.join(F.broadcast(metadata), "query", "left")


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
    check_query(query, config)
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
