"""The run store: how every sparkhash OUTPUT (hash, dups, match) is written, committed and read.

A *run* writes its tables into directories of its own, then a *commit record*, last; readers
take committed runs only, so a run that is killed, fails or loses its lease leaves the
previous result readable and whole. One writer at a time holds OUTPUT's lease
(`sparkhash.spark.lease`) while it writes; only under the lease is garbage collected.

    store = RunStore(spark, output, LAYOUT)
    with store.acquire() as held:                  # LeaseHeld: another run is writing
        store.collect_garbage()                    # what killed runs left behind
        store.write_table(frame, "pairs", held.run_id)
        store.commit(held.run_id, {"pairs": n, ...}, held.check)
    store.latest()                                 # the current run's id (or None)

Each output keeps the layout it has always had (a `Layout`): the hash output one directory
per table with a `run_id=<id>` directory per run (`<table>/run_id=<id>/`, records in `runs/`),
as its readers union every committed run; dups and match one directory per run holding its
tables (`run=<id>/<table>/`, records in `commits/`), as their readers take the latest run.
Either way a commit record is `<records>/run_id=<id>/part-*.json`, one JSON line written by one
Spark task: Spark's output committer moves it into place whole or not at all, so a run is
committed exactly when its record directory holds a visible `.json` file.

With format delta (`sparkhash.spark.delta`) the run's tables are staged under `staged/` and
its commit first moves them into one Delta table per table, `OUTPUT/<table>`, with a `run_id`
column. The hash output MERGEs its current rows by path (`Layout.current`, `Layout.gone`): one
Delta commit that carries the record as `userMetadata`, which the next run's garbage
collection writes back as the record if the run died before writing it. Dups and match
outputs append the run's rows to each table (idempotent, one Delta commit per table); their
result is the rows whose `run_id` is the latest committed run (the record, written last, makes
the run's tables visible together), and garbage collection deletes the rows of uncommitted
runs and of committed runs beyond `keep` with a Delta DELETE.

Listing and garbage collection go through the lease's `Store` (the driver's file system, or
any Hadoop file system on classic Spark). Under Spark Connect with an OUTPUT only the server
can reach there is no store: committed runs are listed by reading the records with Spark, and
nothing is collected (uncommitted leftovers stay, unread).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

from sparkhash.errors import IncompatibleOutputError
from sparkhash.spark import delta, lease
from sparkhash.spark.faults import fault_point
from sparkhash.spark.paths import is_path_not_found, local_path, normalise_output

RUN_ID = "run_id"


@dataclass(frozen=True)
class Layout:
    """Where one kind of OUTPUT keeps its runs.

    kind: hash, dups or match (the lease's command is `sparkhash <kind>`; fault points are
    `<kind>-after-<table>` and `<kind>-before-commit`). records: the directory of commit
    records. per_table: True for `<table>/run_id=<id>`, False for `run=<id>/<table>`.
    tables: the tables a run may write. record_schema: a commit record's fields (run_id is
    the record directory's). keep: committed runs kept by garbage collection (None: all, the
    history; else the latest `keep`, the one before the latest for readers still reading it).
    plain: entries of an older layout, removed once OUTPUT has a committed run. obsolete:
    entries of earlier versions, always removed."""

    kind: str
    records: str
    per_table: bool
    tables: tuple[str, ...]
    record_schema: StructType
    keep: int | None = None
    plain: tuple[str, ...] = ()
    obsolete: tuple[str, ...] = ()
    #: Delta OUTPUTs (`format="delta"`, `sparkhash.spark.delta`): the table holding one current
    #: row per path (MERGEd by path at the commit; None: every table is appended), and the
    #: table listing the paths a run deletes from it.
    current: str | None = None
    gone: str | None = None

    def table_dir(self, output: str, table: str, run_id: str) -> str:
        """The directory of one run's part of `table`."""
        if self.per_table:
            return f"{output}/{table}/{RUN_ID}={run_id}"
        return f"{output}/run={run_id}/{table}"

    def record_dir(self, output: str, run_id: str) -> str:
        return f"{output}/{self.records}/{RUN_ID}={run_id}"

    def read_schema(self) -> StructType:
        """The record schema with the run id (the partition column of the records directory)."""
        return StructType([*self.record_schema.fields, StructField(RUN_ID, StringType(), True)])


class RunStore:
    """The runs of one OUTPUT laid out as `layout` says (see the module docstring)."""

    def __init__(
        self,
        spark: SparkSession,
        output: str,
        layout: Layout,
        fmt: str = delta.PARQUET,
        table_prefix: str | None = None,
    ) -> None:
        self.spark, self.layout, self.format = spark, layout, fmt
        #: Format delta: the tables are also catalog tables named `table_prefix + table`.
        self.table_prefix = table_prefix
        self.output = normalise_output(output)
        self._store = lease.store_for(spark, self.output)
        # Delta: a run's rows are staged apart from the Delta tables until its commit merges them
        self._tables_root = f"{self.output}/{delta.STAGED}" if fmt == delta.DELTA else self.output

    # ------------------------------------------------------------------------- writing

    def acquire(self) -> lease.Lease:
        """Take OUTPUT's lease for a new run (its id is the lease's `run_id`), or LeaseHeld."""
        return lease.acquire(self.spark, self.output, f"sparkhash {self.layout.kind}")

    def table_dir(self, table: str, run_id: str) -> str:
        """Where a run writes its rows of `table` (Delta: staged until the commit)."""
        return self.layout.table_dir(self._tables_root, table, run_id)

    def delta_table(self, table: str) -> str:
        """The Delta table of `table` (format delta)."""
        return f"{self.output}/{table}"

    def delta_tables(self) -> dict[str, str]:
        """Every table of the layout and its Delta table's path (format delta)."""
        return {t: self.delta_table(t) for t in self.layout.tables if t != self.layout.gone}

    def check_registered(self) -> None:
        """With a table prefix: refuse (UsageError naming `table_prefix`) catalog names already
        taken by tables elsewhere. Before any work."""
        if self.table_prefix is not None:
            delta.check_registered(self.spark, self.table_prefix, self.delta_tables())

    def register_tables(self) -> list[str]:
        """With a table prefix: register OUTPUT's Delta tables in the catalog (idempotent)."""
        if self.table_prefix is None or self.format != delta.DELTA:
            return []
        return delta.register(self.spark, self.table_prefix, self.delta_tables())

    def write_table(self, frame: DataFrame, table: str, run_id: str) -> str:
        """Write one run's rows of `table` (Parquet) into its directory; returns the directory.
        Invisible to readers until the run is committed."""
        target = self.table_dir(table, run_id)
        frame.write.mode("overwrite").parquet(target)
        fault_point(f"{self.layout.kind}-after-{table}")
        return target

    def commit(
        self,
        run_id: str,
        values: dict,
        check: Callable[[], None] = lambda: None,
        txn: tuple[str, int] | None = None,
    ) -> None:
        """Write the run's commit record (the layout's record fields from `values`), after
        `check()` (`Lease.check`: raises when the run lost its lease, and nothing is committed).
        From now on readers see the run. Format delta: `txn` is the (txnAppId, txnVersion) of
        the current-rows MERGE (a stream's micro-batch), else the run's own."""
        fault_point(f"{self.layout.kind}-before-commit")
        check()  # last, just before the record: a run paused past the lease timeout stops here
        if self.format == delta.DELTA:
            self._commit_delta(run_id, values, txn)
            fault_point(f"{self.layout.kind}-after-delta-commit")
        self._write_record(run_id, values)
        if self.format == delta.DELTA and self._store is not None:
            for path in self._run_paths().get(run_id, []):
                if path.startswith(f"{self._tables_root}/"):
                    self._store.delete_tree(path)  # merged in: the staged rows are done with
        self.register_tables()

    def _write_record(self, run_id: str, values: dict) -> None:
        schema = self.layout.record_schema
        record = self.spark.createDataFrame([tuple(values.get(f.name) for f in schema.fields)], schema)
        record.coalesce(1).write.mode("overwrite").json(self.layout.record_dir(self.output, run_id))

    def _commit_delta(self, run_id: str, values: dict, txn: tuple[str, int] | None = None) -> None:
        """Merge the run's staged rows into the Delta tables: appended tables first, then the
        current-rows table in one MERGE (the run's Delta commit, carrying its record; with
        `txn`, idempotent by it, which its userMetadata names too: `txn_committed`)."""
        app, version = f"sparkhash {self.layout.kind}", delta.txn_version(run_id)
        staged = {
            t: self.table_dir(t, run_id)
            for t in self.layout.tables
            if self._exists(self.table_dir(t, run_id))
        }
        metadata = {**values, RUN_ID: run_id, "sparkhash": self.layout.kind}
        for table, directory in staged.items():
            if table in (self.layout.current, self.layout.gone):
                continue
            delta.append(
                self._staged_rows(directory, run_id), self.delta_table(table), app, version, metadata
            )
            fault_point(f"{self.layout.kind}-delta-after-{table}")
        if self.layout.current is None:
            return
        gone = []
        if self.layout.gone in staged:
            gone = [
                r["path"] for r in self.spark.read.parquet(staged[self.layout.gone]).select("path").collect()
            ]
        if self.layout.current in staged:
            rows = self._staged_rows(staged[self.layout.current], run_id)
        else:  # a run that only deletes
            rows = self.spark.read.format(delta.DELTA).load(self.delta_table(self.layout.current)).limit(0)
        if txn is not None:
            app, version = txn
            metadata = {**metadata, delta.TXN_META: [app, version]}
        delta.merge_current(
            self.spark, rows, gone, self.delta_table(self.layout.current), app, version, metadata
        )

    def _staged_rows(self, directory: str, run_id: str) -> DataFrame:
        """A staged table's rows with the run's id (every Delta table has a `run_id` column)."""
        rows = self.spark.read.parquet(directory)
        if RUN_ID not in rows.columns:
            rows = rows.withColumn(RUN_ID, F.lit(run_id))
        return rows

    def _exists(self, path: str) -> bool:
        if self._store is not None:
            parent, _, name = path.rpartition("/")
            return name in self._store.list_dir(parent)
        from sparkhash.spark.tables import path_exists

        return path_exists(self.spark, path)

    def txn_committed(self, txn: tuple[str, int]) -> bool:
        """Format delta: whether a commit with this (txnAppId, txnVersion) (`commit`'s txn, a
        stream's micro-batch) is in the current-rows table's recent history."""
        if self.format != delta.DELTA or self.layout.current is None:
            return False
        return any(
            meta.get(delta.TXN_META) == [txn[0], txn[1]]
            for meta in delta.committed_metadata(self.spark, self.delta_table(self.layout.current))
        )

    def recover_delta_records(self, committed: list[str]) -> list[str]:
        """Delta: write the records of runs whose Delta commit happened but whose record did
        not (killed in between), from the commits' userMetadata; returns their ids."""
        if self.format != delta.DELTA or self.layout.current is None:
            return []
        recovered = []
        for meta in delta.committed_metadata(self.spark, self.delta_table(self.layout.current)):
            run_id = meta.get(RUN_ID)
            if meta.get("sparkhash") == self.layout.kind and run_id and run_id not in committed:
                self._write_record(run_id, meta)
                recovered.append(run_id)
        return recovered

    def discard(self, run_id: str) -> None:
        """Delete what an uncommitted run wrote (when there is a store; else it stays, unread)."""
        if self._store is None:
            return
        for path in self._run_paths().get(run_id, []):
            self._store.delete_tree(path)

    # ------------------------------------------------------------------------- reading

    def committed_ids(self) -> list[str]:
        """Ids of the committed runs, oldest first ([] when there are none)."""
        if self._store is None:
            return sorted({row[RUN_ID] for row in self.records()})
        root = f"{self.output}/{self.layout.records}"
        ids = []
        for name in self._store.list_dir(root):
            if name.startswith(f"{RUN_ID}=") and any(
                part.endswith(".json") and not part.startswith((".", "_"))
                for part in self._store.list_dir(f"{root}/{name}")
            ):
                ids.append(name[len(RUN_ID) + 1 :])
        return sorted(ids)

    def latest(self) -> str | None:
        """The id of the latest committed run, or None."""
        ids = self.committed_ids()
        return ids[-1] if ids else None

    def records(self) -> list[Row]:
        """Every committed run's record (record fields and run_id), oldest first."""
        root = f"{self.output}/{self.layout.records}"
        if self._store is not None and not self._store.list_dir(root):
            return []
        local = local_path(root)
        if local is not None:  # read by the driver: no Spark job (a run reads them several times)
            return self._local_records(local)
        try:
            rows = self.spark.read.schema(self.layout.read_schema()).json(root).collect()
        except AnalysisException as exc:
            if is_path_not_found(exc):
                return []
            raise
        return sorted(rows, key=lambda row: row[RUN_ID])

    def _local_records(self, root: Path) -> list[Row]:
        """`records` of a driver-local OUTPUT, each as Spark's JSON reader would give it."""
        schema = self.layout.read_schema()
        kinds = {f.name: {LongType(): int, DoubleType(): float}.get(f.dataType, str) for f in schema.fields}
        rows = []
        for name in sorted(os.listdir(root)) if root.is_dir() else []:
            if not name.startswith(f"{RUN_ID}="):
                continue
            for part in sorted((root / name).iterdir()):
                if not part.name.endswith(".json") or part.name.startswith((".", "_")):
                    continue
                for line in part.read_text().splitlines():
                    if not line.strip():
                        continue
                    values = {**json.loads(line), RUN_ID: name[len(RUN_ID) + 1 :]}
                    rows.append(
                        Row(
                            **{
                                f: None if values.get(f) is None else kinds[f](values[f])
                                for f in schema.fieldNames()
                            }
                        )
                    )
        return sorted(rows, key=lambda row: row[RUN_ID])

    def read(self, table: str, run_ids: list[str], schema: StructType | None = None) -> DataFrame:
        """The rows of `table` written by these (committed) runs; in the per-table layout with
        a `run_id` column (the directories' partition column). Format delta: the Delta table's
        rows of these runs (the same columns)."""
        if self.format == delta.DELTA:
            rows = self.spark.read.format(delta.DELTA).load(self.delta_table(table))
            rows = rows.where(F.col(RUN_ID).isin(list(run_ids)))
            if schema is not None:
                rows = rows.select(*[F.col(f.name).cast(f.dataType) for f in schema.fields])
            elif not self.layout.per_table:
                rows = rows.drop(RUN_ID)
            return rows
        reader = self.spark.read if schema is None else self.spark.read.schema(schema)
        if self.layout.per_table:
            reader = reader.option("basePath", f"{self.output}/{table}")
        return reader.parquet(*[self.table_dir(table, run_id) for run_id in run_ids])

    def has_table(self, table: str, run_id: str) -> bool:
        """Whether the committed run `run_id` wrote `table` (format delta: whether its Delta
        table exists)."""
        if self.format == delta.DELTA:
            return delta.is_delta_table(self.spark, self.delta_table(table))
        return self._exists(self.table_dir(table, run_id))

    def held_format(self) -> str:
        """The format of the tables OUTPUT holds: delta when its first table is a Delta table."""
        first = self.layout.current or self.layout.tables[0]
        return delta.DELTA if delta.is_delta_table(self.spark, self.delta_table(first)) else delta.PARQUET

    def check_format(self, committed: list[str] | None = None) -> None:
        """Refuse (IncompatibleOutputError naming `format`) a run in another format than the
        committed runs of OUTPUT (whose tables the other format's garbage collection would
        delete)."""
        committed = self.committed_ids() if committed is None else committed
        held = self.held_format() if committed else self.format
        if held != self.format:
            raise IncompatibleOutputError(
                f"{self.output} holds {held} tables, this run asks for format {self.format}: "
                f"use format {held}, or another OUTPUT",
                "format",
            )

    def runs_with(self, table: str) -> set[str] | None:
        """Ids of the runs (committed or not) with a directory of `table` in the per-table
        layout; None when OUTPUT cannot be listed here (no store: Spark Connect)."""
        if self._store is None:
            return None
        prefix = f"{RUN_ID}="
        names = self._store.list_dir(f"{self._tables_root}/{table}")
        return {name[len(prefix) :] for name in names if name.startswith(prefix)}

    def delete_table(self, table: str, run_id: str) -> None:
        """Delete one run's directory of `table` (when there is a store)."""
        if self._store is not None:
            self._store.delete_tree(self.table_dir(table, run_id))

    def record(self, run_id: str) -> Row | None:
        """One committed run's record, or None."""
        return (
            self.spark.read.schema(self.layout.record_schema)
            .json(self.layout.record_dir(self.output, run_id))
            .first()
        )

    # ------------------------------------------------------------------------- garbage

    def collect_garbage(self, committed: list[str] | None = None) -> list[str]:
        """Delete uncommitted runs, committed runs beyond the layout's `keep`, and entries of
        older layouts; returns the deleted runs' ids. A run in progress looks uncommitted:
        call this only while holding OUTPUT's lease. `committed`: the committed ids, if known."""
        if self._store is None:
            return []
        committed = self.committed_ids() if committed is None else committed
        self.check_format(committed)
        if self.format == delta.DELTA:
            committed = sorted([*committed, *self.recover_delta_records(committed)])
            # every staged run is done with: merged in (committed), or killed before its commit
            deleted = sorted(self._run_paths())
            for run_id in deleted:
                for path in self._run_paths().get(run_id, []):
                    if path.startswith(f"{self._tables_root}/"):
                        self._store.delete_tree(path)
            if self.layout.current is None:  # appended tables: keep the kept runs' rows only
                deleted = sorted({*deleted, *self._delete_delta_rows(committed)})
            return [r for r in deleted if r not in committed]
        keep = self.layout.keep
        kept = set(committed if keep is None else committed[-keep:] if keep > 0 else [])
        deleted = []
        for run_id, paths in sorted(self._run_paths().items()):
            if run_id in kept:
                continue
            records = f"{self.output}/{self.layout.records}/"
            # the record first: a run stops being committed before its tables go
            for path in sorted(paths, key=lambda p: not p.startswith(records)):
                self._store.delete_tree(path)
            deleted.append(run_id)
        entries = self.layout.obsolete + (self.layout.plain if committed else ())
        for name in entries:
            self._store.delete_tree(f"{self.output}/{name}")
        return deleted

    def _delete_delta_rows(self, committed: list[str]) -> list[str]:
        """Delete from the appended Delta tables the rows of runs that are not kept (killed
        before their record, or committed beyond `keep`); returns those runs' ids. The record
        of a run stops being visible before its rows go."""
        keep = self.layout.keep
        kept = committed if keep is None else committed[-keep:] if keep > 0 else []
        records = f"{self.output}/{self.layout.records}"
        for run_id in committed:
            if run_id not in kept:
                self._store.delete_tree(f"{records}/{RUN_ID}={run_id}")
        gone: set[str] = set()
        for table in self.layout.tables:
            path = self.delta_table(table)
            if not delta.is_delta_table(self.spark, path):
                continue
            held = {
                r[0]
                for r in self.spark.read.format(delta.DELTA).load(path).select(RUN_ID).distinct().collect()
            }
            drop = sorted(held - set(kept))
            if drop:
                delta.delete_runs(self.spark, path, drop)
                gone.update(drop)
        return sorted(gone)

    def _run_paths(self) -> dict[str, list[str]]:
        """Every run directory on disk (tables and record), by run id."""
        found: dict[str, list[str]] = {}
        prefix = f"{RUN_ID}="
        parents = [
            f"{self.output}/{self.layout.records}",
            *(f"{self._tables_root}/{t}" for t in (self.layout.tables if self.layout.per_table else ())),
        ]
        for parent in parents:
            for name in self._store.list_dir(parent):
                if name.startswith(prefix):
                    found.setdefault(name[len(prefix) :], []).append(f"{parent}/{name}")
        if not self.layout.per_table:
            for name in self._store.list_dir(self._tables_root):
                if name.startswith("run="):
                    found.setdefault(name[len("run=") :], []).append(f"{self._tables_root}/{name}")
        return found
