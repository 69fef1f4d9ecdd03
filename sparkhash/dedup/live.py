"""A dups OUTPUT kept up to date by a hash stream: incremental dups after every micro-batch.

Each dups result records the last hash run it covers in its commit record (committed with the
tables, `sparkhash.dedup.output`), so a micro-batch re-run after a crash, or one that committed nothing, neither
recomputes a run twice nor misses one: each update extends the output from the covered run to
the latest committed one with the dups job's incremental mode (`--previous OUTPUT
--previous-run COVERED`), or runs it in full the first time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from pyspark.sql import SparkSession

from sparkhash.dedup.job import DupsConfig, Progress, no_progress, run_dups
from sparkhash.dedup.output import committed_run_ids, read_dups
from sparkhash.spark.tables import committed_runs


def covered_run(spark: SparkSession, output: str) -> str | None:
    """The last hash run a dups OUTPUT covers (None: none yet, or an output it cannot extend)."""
    if not committed_run_ids(spark, output):
        return None
    return read_dups(spark, output).covered


def update_dups(spark: SparkSession, config: DupsConfig, progress: Progress = no_progress) -> str | None:
    """Bring the dups OUTPUT `config.output` up to the latest committed run of the hash OUTPUT
    `config.hashes` (the run's plans go to `progress`). Returns the run now covered (None
    before the first run)."""
    runs = committed_runs(spark, config.hashes)
    if not runs:
        return None
    latest = runs[-1].run_id
    covered = covered_run(spark, config.output)
    if covered == latest:
        return latest
    step = config if covered is None else replace(config, previous=config.output, previous_run=covered)
    run_dups(spark, step, covered=latest, progress=progress)
    return latest


def dups_after_each_batch(
    config: DupsConfig, progress: Progress = no_progress
) -> Callable[[SparkSession, int, object], None]:
    """A hash stream's `on_batch` keeping the dups OUTPUT up to date (see `update_dups`)."""

    def on_batch(spark: SparkSession, batch_id: int, summary: object) -> None:
        update_dups(spark, config, progress)

    return on_batch
