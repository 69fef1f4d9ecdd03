"""A dups OUTPUT kept up to date by a hash stream: incremental dups after every micro-batch.

The dups OUTPUT records the last hash run it covers (`OUTPUT/covered`, one JSON row, written
after the tables), so a micro-batch re-run after a crash, or one that committed nothing, neither
recomputes a run twice nor misses one: each update extends the output from the covered run to
the latest committed one with the dups job's incremental mode (`--previous OUTPUT
--previous-run COVERED`), or runs it in full the first time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from pyspark.sql import SparkSession

from sparkhash.dedup.job import DupsConfig, find_duplicates, read_hashes_table
from sparkhash.dedup.keep import keep_attributes, parse_policy, write_dups_output
from sparkhash.spark.tables import committed_runs, path_exists

COVERED = "covered"


def covered_run(spark: SparkSession, output: str) -> str | None:
    """The last hash run a dups OUTPUT covers (None: none yet, or an output it cannot extend)."""
    base = output.rstrip("/")
    needed = [f"{base}/pairs/_SUCCESS", f"{base}/clusters/_SUCCESS", f"{base}/{COVERED}"]
    if not all(path_exists(spark, p) for p in needed):
        return None
    row = spark.read.schema("run_id string").json(f"{base}/{COVERED}").first()
    return row["run_id"] if row is not None else None


def update_dups(spark: SparkSession, config: DupsConfig) -> str | None:
    """Bring the dups OUTPUT `config.output` up to the latest committed run of the hash OUTPUT
    `config.hashes`. Returns the run now covered (None before the first run)."""
    runs = committed_runs(spark, config.hashes)
    if not runs:
        return None
    latest = runs[-1].run_id
    covered = covered_run(spark, config.output)
    if covered == latest:
        return latest
    policy = parse_policy(config.keep)
    step = config if covered is None else replace(config, previous=config.output, previous_run=covered)
    pairs, clusters, groups = find_duplicates(spark, step)
    # materialised before anything under OUTPUT is overwritten: the previous tables are read from there
    clusters = clusters.localCheckpoint(eager=True)
    groups = groups.localCheckpoint(eager=True)
    attributes = keep_attributes(read_hashes_table(spark, config.hashes))
    write_dups_output(spark, config.output, pairs, clusters, groups, attributes, policy)
    frame = spark.createDataFrame([(latest,)], "run_id string")
    frame.coalesce(1).write.mode("overwrite").json(f"{config.output.rstrip('/')}/{COVERED}")
    return latest


def dups_after_each_batch(config: DupsConfig) -> Callable[[SparkSession, int, object], None]:
    """A hash stream's `on_batch` keeping the dups OUTPUT up to date (see `update_dups`)."""

    def on_batch(spark: SparkSession, batch_id: int, summary: object) -> None:
        update_dups(spark, config)

    return on_batch
