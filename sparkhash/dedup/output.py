"""The dups and match OUTPUTs: one run's tables, visible together or not at all.

Layout (plain Spark writes, so any Hadoop file system works):

    OUTPUT/run=<run_id>/pairs/      a dups run's tables (PAIRS_SCHEMA, CLUSTERS_SCHEMA, groups,
    OUTPUT/run=<run_id>/clusters/   and remove: `sparkhash.dedup.keep`)
    OUTPUT/run=<run_id>/groups/
    OUTPUT/run=<run_id>/matches/    a match run's table (MATCHES_SCHEMA, `sparkhash.dedup.match`)
    OUTPUT/commits/run_id=<run_id>/*.json   the run's commit record, written last
    OUTPUT/_lease                           held while a run writes (sparkhash.spark.lease)

Both are run stores (`sparkhash.spark.runs`) with this module's `DUPS_LAYOUT` and
`MATCH_LAYOUT`. `read_dups` and `read_matches` return the tables of the latest committed run,
so a run killed while writing leaves the previous result readable and whole. Read them with
`read_dups(spark, "out/dups").pairs` (or `.clusters`, `.groups`) and
`read_matches(spark, "out/matched")`, not by path. `read_dups` gives pairs with all of
PAIRS_SCHEMA's columns (`conform_pairs`: those an older sparkhash did not write are nulls). A directory holding plain `pairs/`,
`clusters/` and `groups/` tables, or a plain `matches/` table (written by older versions, or
by hand), is read as it is. The committing run then deletes uncommitted runs' files, those
plain tables, and all but the previous committed run (a reader may still be reading it).

With format delta (`format="delta"`, `--format delta`) each table is one Delta table with a
`run_id` column, which plain Spark reads:

    OUTPUT/pairs/  OUTPUT/clusters/  OUTPUT/groups/  OUTPUT/remove/     (dups)
    OUTPUT/matches/                                                    (match)
    OUTPUT/commits/run_id=<run_id>/*.json   the commit records, as for Parquet
    OUTPUT/staged/run=<run_id>/<table>/     a run's rows until its commit appends them

A run's rows are staged, then appended to each Delta table (idempotent: `txnAppId`
`sparkhash dups` / `sparkhash match`, `txnVersion` from the run id), then its record is
written. The result is the rows of the latest committed run, in every table together:
`read_dups` / `read_matches` take them, and so does plain SQL with

    SELECT * FROM delta.`OUTPUT/pairs`
    WHERE run_id = (SELECT max(run_id) FROM json.`OUTPUT/commits`)

Rows of a run killed before its record are never read so, and the next run deletes them
(with the rows of committed runs but the last KEEP_RUNS) in a Delta DELETE.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType

from sparkhash.errors import UsageError
from sparkhash.spark import delta
from sparkhash.spark.runs import Layout, RunStore
from sparkhash.spark.schemas import conform_pairs
from sparkhash.spark.tables import normalise_output, path_exists

PAIRS = "pairs"
CLUSTERS = "clusters"
GROUPS = "groups"
REMOVE = "remove"  # the files a keep policy does not keep (`sparkhash.dedup.keep`)
TABLES = (PAIRS, CLUSTERS, GROUPS)
MATCHES = "matches"
COMMITS = "commits"
#: Committed runs kept: the latest, and the one before for readers still reading it.
KEEP_RUNS = 2

#: The commit record: pair count, time, the keep policy and (for a dups output kept up to date
#: by a hash stream) the last hash run the result covers — switched together with the tables.
COMMIT_DDL = "pairs long, finished string, keep string, covered string"
DUPS_LAYOUT = Layout(
    kind="dups",
    records=COMMITS,
    per_table=False,
    tables=(*TABLES, REMOVE),
    record_schema=StructType(
        [
            StructField("pairs", LongType(), True),
            StructField("finished", StringType(), True),
            StructField("keep", StringType(), True),
            StructField("covered", StringType(), True),
        ]
    ),
    keep=KEEP_RUNS,
    plain=TABLES,
)
#: A match run's commit record: matches, distinct queries matched, time.
MATCH_LAYOUT = Layout(
    kind="match",
    records=COMMITS,
    per_table=False,
    tables=(MATCHES,),
    record_schema=StructType(
        [
            StructField("matches", LongType(), True),
            StructField("queries", LongType(), True),
            StructField("finished", StringType(), True),
        ]
    ),
    keep=KEEP_RUNS,
    plain=(MATCHES,),
)


def _store(
    spark: SparkSession, output: str, layout: Layout, fmt: str | None, table_prefix: str | None
) -> RunStore:
    if fmt is None:  # a reader: the format of the tables OUTPUT holds
        fmt = RunStore(spark, output, layout).held_format()
    return RunStore(spark, output, layout, fmt, table_prefix)


def dups_store(
    spark: SparkSession, output: str, fmt: str | None = None, table_prefix: str | None = None
) -> RunStore:
    """The run store of a dups OUTPUT in format `fmt` (None: the format OUTPUT holds); format
    delta with `table_prefix`: its tables are registered as `table_prefix + table` too."""
    return _store(spark, output, DUPS_LAYOUT, fmt, table_prefix)


def match_store(
    spark: SparkSession, output: str, fmt: str | None = None, table_prefix: str | None = None
) -> RunStore:
    """The run store of a match OUTPUT (see `dups_store`)."""
    return _store(spark, output, MATCH_LAYOUT, fmt, table_prefix)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class DupsTables:
    """The tables of one dups result (groups is None in a plain directory without one)."""

    pairs: DataFrame
    clusters: DataFrame
    groups: DataFrame | None
    run_id: str | None  # None for a plain directory
    remove: DataFrame | None = None  # None when the result has no remove listing
    policy: str | None = None  # the keep policy the clusters were kept by (None: not recorded)
    covered: str | None = None  # the last hash run covered (`sparkhash.dedup.live`)


def run_dir(output: str, run_id: str) -> str:
    return f"{normalise_output(output)}/run={run_id}"


def committed_run_ids(spark: SparkSession, output: str) -> list[str]:
    """Committed runs of a dups (or match) OUTPUT, oldest first ([] for none or a plain directory)."""
    return dups_store(spark, output).committed_ids()


def read_dups(spark: SparkSession, location: str) -> DupsTables:
    """The latest committed result of a dups OUTPUT, or a directory of plain tables
    (UsageError when `location` is neither)."""
    base = normalise_output(location)
    store = dups_store(spark, base)
    latest = store.latest()
    if latest:
        tables = {name: store.read(name, [latest]) for name in TABLES}
        remove = store.read(REMOVE, [latest]) if store.has_table(REMOVE, latest) else None
        record = store.record(latest)
        return DupsTables(
            conform_pairs(tables[PAIRS]),
            tables[CLUSTERS],
            tables[GROUPS],
            latest,
            remove,
            record["keep"] if record is not None else None,
            record["covered"] if record is not None else None,
        )
    if store.format == delta.DELTA or not path_exists(spark, f"{base}/{PAIRS}"):
        raise UsageError(f"{location} is not a `sparkhash dups` OUTPUT (no committed run, no pairs table)")
    groups = f"{base}/{GROUPS}"
    return DupsTables(
        conform_pairs(spark.read.parquet(f"{base}/{PAIRS}")),
        spark.read.parquet(f"{base}/{CLUSTERS}"),
        spark.read.parquet(groups) if path_exists(spark, groups) else None,
        None,
    )


def write_dups(
    spark: SparkSession,
    output: str,
    run_id: str,
    pairs: DataFrame,
    clusters: DataFrame,
    groups: DataFrame,
    before_commit: Callable[[], None] = lambda: None,
    remove: DataFrame | None = None,
    policy: str | None = None,
    covered: str | None = None,
    fmt: str = delta.PARQUET,
    table_prefix: str | None = None,
) -> int:
    """Write one run's tables under its run directory, then its commit record; returns the
    number of pairs. Call while holding OUTPUT's lease (the run id is the lease's);
    `before_commit` may raise to stop the commit (`Lease.check`). `remove`, `policy` and
    `covered` become visible with the rest (see `DupsTables`). `fmt`: the tables' format
    (delta: registered as `table_prefix + table` too, if given)."""
    store = dups_store(spark, output, fmt, table_prefix)
    frames = [(PAIRS, pairs), (CLUSTERS, clusters), (GROUPS, groups)]
    if remove is not None:
        frames.append((REMOVE, remove))
    for name, frame in frames:
        store.write_table(frame, name, run_id)
    written = int(spark.read.parquet(store.table_dir(PAIRS, run_id)).agg(F.count(F.lit(1))).first()[0])
    record = {"pairs": written, "finished": _now(), "keep": policy, "covered": covered}
    store.commit(run_id, record, before_commit)
    return written


def remove_old_runs(spark: SparkSession, output: str, fmt: str = delta.PARQUET) -> None:
    """Delete uncommitted runs, committed runs but the last KEEP_RUNS, and plain tables of an
    older layout (`RunStore.collect_garbage`; IncompatibleOutputError when OUTPUT holds tables
    of the other format). Call while holding OUTPUT's lease."""
    dups_store(spark, output, fmt).collect_garbage()


def write_matches(
    spark: SparkSession,
    output: str,
    run_id: str,
    matches: DataFrame,
    before_commit: Callable[[], None] = lambda: None,
    fmt: str = delta.PARQUET,
    table_prefix: str | None = None,
) -> tuple[int, int]:
    """Write one match run's table, then its commit record; returns (matches, distinct
    queries matched). Call while holding OUTPUT's lease (the run id is the lease's)."""
    store = match_store(spark, output, fmt, table_prefix)
    written = spark.read.parquet(store.write_table(matches, MATCHES, run_id))
    row = written.agg(F.count(F.lit(1)).alias("n"), F.countDistinct("query").alias("q")).first()
    counts = int(row["n"]), int(row["q"])
    store.commit(run_id, {"matches": counts[0], "queries": counts[1], "finished": _now()}, before_commit)
    return counts


def read_matches(spark: SparkSession, location: str) -> DataFrame:
    """The matches of the latest committed run of a match OUTPUT (MATCHES_SCHEMA), or of a
    plain `matches` table an older version wrote there (UsageError when there is neither)."""
    store = match_store(spark, location)
    latest = store.latest()
    if latest:
        return store.read(MATCHES, [latest])
    plain = f"{store.output}/{MATCHES}"
    if store.format == delta.DELTA or not path_exists(spark, plain):
        raise UsageError(f"{location} is not a `sparkhash match` OUTPUT (no committed run, no matches table)")
    return spark.read.parquet(plain)
