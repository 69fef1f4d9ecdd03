"""The dups OUTPUT: pairs, clusters and groups of one run, visible together or not at all.

Layout (plain Spark writes, so any Hadoop file system works):

    OUTPUT/run=<run_id>/pairs/      the run's tables (PAIRS_SCHEMA, CLUSTERS_SCHEMA, groups)
    OUTPUT/run=<run_id>/clusters/
    OUTPUT/run=<run_id>/groups/
    OUTPUT/commits/run_id=<run_id>/*.json   the run's commit record, written last
    OUTPUT/_lease                           held while a run writes (sparkhash.spark.lease)

`read_dups` returns the tables of the latest committed run, so a run killed while writing
leaves the previous result readable and whole. Read them with
`read_dups(spark, "out/dups").pairs` (or `.clusters`, `.groups`), not by path. A directory
holding plain `pairs/`, `clusters/` and `groups/` tables (written by older versions, or by
hand) is read as it is. On a driver-local OUTPUT the committing run then deletes uncommitted
runs' files and all but the previous committed run (a reader may still be reading it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkhash.errors import UsageError
from sparkhash.spark.paths import local_path
from sparkhash.spark.tables import normalise_output, path_exists

PAIRS = "pairs"
CLUSTERS = "clusters"
GROUPS = "groups"
REMOVE = "remove"  # the files a keep policy does not keep (`sparkhash.dedup.keep`)
TABLES = (PAIRS, CLUSTERS, GROUPS)
COMMITS = "commits"
#: Set SPARKHASH_FAULT to one of these to make a dups run exit abruptly there (tests).
FAULT_ENV = "SPARKHASH_FAULT"

#: The commit record: pair count, time, the keep policy and (for a dups output kept up to date
#: by a hash stream) the last hash run the result covers — switched together with the tables.
COMMIT_DDL = "pairs long, finished string, keep string, covered string"


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
    """Committed dups runs of OUTPUT, oldest first ([] for none or a plain directory)."""
    output = normalise_output(output)
    local = local_path(output)
    if local is not None:
        root = local / COMMITS
        if not root.is_dir():
            return []
        ids = [c.name[len("run_id=") :] for c in root.glob("run_id=*") if any(c.glob("*.json"))]
        return sorted(ids)
    try:
        rows = spark.read.schema(f"{COMMIT_DDL}, run_id string").json(f"{output}/{COMMITS}").collect()
    except AnalysisException as exc:
        if "PATH_NOT_FOUND" in str(exc) or "Path does not exist" in str(exc):
            return []
        raise
    return sorted({r["run_id"] for r in rows})


def read_dups(spark: SparkSession, location: str) -> DupsTables:
    """The latest committed result of a dups OUTPUT, or a directory of plain tables
    (UsageError when `location` is neither)."""
    base = normalise_output(location)
    runs = committed_run_ids(spark, base)
    if runs:
        root = run_dir(base, runs[-1])
        tables = {name: spark.read.parquet(f"{root}/{name}") for name in TABLES}
        remove = spark.read.parquet(f"{root}/{REMOVE}") if path_exists(spark, f"{root}/{REMOVE}") else None
        record = spark.read.schema(COMMIT_DDL).json(f"{base}/{COMMITS}/run_id={runs[-1]}").first()
        return DupsTables(
            tables[PAIRS],
            tables[CLUSTERS],
            tables[GROUPS],
            runs[-1],
            remove,
            record["keep"] if record is not None else None,
            record["covered"] if record is not None else None,
        )
    if not path_exists(spark, f"{base}/{PAIRS}"):
        raise UsageError(f"{location} is not a `sparkhash dups` OUTPUT (no committed run, no pairs table)")
    groups = f"{base}/{GROUPS}"
    return DupsTables(
        spark.read.parquet(f"{base}/{PAIRS}"),
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
) -> int:
    """Write one run's tables under its run directory, then its commit record; returns the
    number of pairs. Call while holding OUTPUT's lease (the run id is the lease's);
    `before_commit` may raise to stop the commit (`Lease.check`). `remove`, `policy` and
    `covered` become visible with the rest (see `DupsTables`)."""
    output = normalise_output(output)
    root = run_dir(output, run_id)
    frames = [(PAIRS, pairs), (CLUSTERS, clusters), (GROUPS, groups)]
    if remove is not None:
        frames.append((REMOVE, remove))
    for name, frame in frames:
        frame.write.mode("overwrite").parquet(f"{root}/{name}")
        _fault_point(f"dups-after-{name}")
    written = int(spark.read.parquet(f"{root}/{PAIRS}").agg(F.count(F.lit(1))).first()[0])
    before_commit()
    finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record = spark.createDataFrame([(written, finished, policy, covered)], COMMIT_DDL)
    record.coalesce(1).write.mode("overwrite").json(f"{output}/{COMMITS}/run_id={run_id}")
    return written


def remove_old_runs(spark: SparkSession, output: str, keep: int = 2) -> None:
    """Delete (driver-local OUTPUT only) uncommitted runs, committed runs older than the last
    `keep`, and plain tables of an older layout. Call while holding OUTPUT's lease."""
    root = local_path(normalise_output(output))
    if root is None or not root.is_dir():
        return
    committed = committed_run_ids(spark, output)
    kept = set(committed[-keep:])
    for child in root.glob("run=*"):
        if child.name[len("run=") :] not in kept:
            shutil.rmtree(child, ignore_errors=True)
    for child in (root / COMMITS).glob("run_id=*"):
        if child.name[len("run_id=") :] not in kept:
            shutil.rmtree(child, ignore_errors=True)
    if committed:
        for name in TABLES:
            shutil.rmtree(root / name, ignore_errors=True)


def _fault_point(name: str) -> None:
    if os.environ.get(FAULT_ENV) == name:
        os._exit(70)  # as abrupt as kill -9: no cleanup, no lease release
