"""The hashing job: files under INPUT -> a new committed run of OUTPUT's hashes and segments.

One pass hashes the new or changed files (everything on the first run) and writes the hashes
table straight into the new run's directory (and, with crop_resistant, the segments table from
the same hashed rows, kept by Spark in between: no image is decoded twice, no image bytes are
cached or written); the counts come from the written files' footers, and the run is committed
last (see `sparkhash.spark.tables` and its run store, `sparkhash.spark.runs`). The run holds
OUTPUT's lease throughout (`sparkhash.spark.lease`); what INPUT holds against what OUTPUT
knows — unreadable names, zero-byte, vanished and removed files — is `sparkhash.spark.inventory`.
The command line is `sparkhash.cli.hash`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pyspark import StorageLevel
from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkhash.core.decode import DecodeOptions
from sparkhash.core.params import HashParams
from sparkhash.core.registry import DEFAULT_ALGORITHMS, REGISTRY
from sparkhash.core.spec import HashSpec, specs_from_json
from sparkhash.core.validate import check_at_least, check_hash_params
from sparkhash.errors import IncompatibleOutputError, UsageError
from sparkhash.spark import delta, inventory, lease, listing, preflight, tables
from sparkhash.spark.api import (
    error_rows,
    exploded_table,
    hash_files,
    hash_images,
    hashes_table,
    normalise_algorithms,
    params_json,
)
from sparkhash.spark.inventory import list_input
from sparkhash.spark.paths import local_path
from sparkhash.spark.read import (
    DEFAULT_MAX_FILE_BYTES,
    MAX_FILE_BYTES_CONF,
    binary_files_at,
    oversize_error,
    within_size_cap,
)

#: Error of a zero-byte file (the core's wording; such files never reach the hashing step).
EMPTY_FILE_ERROR = "empty file (0 bytes)"


@dataclass(frozen=True)
class HashJobConfig:
    """Everything one run needs besides the Spark session."""

    input: str
    output: str
    #: None: the algorithms OUTPUT already holds (so a scheduled re-run keeps making what it
    #: made), or DEFAULT_ALGORITHMS for a new OUTPUT. Naming more adds them (see `_lacking`).
    algorithms: tuple[str, ...] | None = None
    params: HashParams = field(default_factory=HashParams)
    decode_options: DecodeOptions = field(default_factory=DecodeOptions)
    name_filter: str | None = None
    recursive: bool = True
    max_file_bytes: int | None = None  # None: the session's spark.sparkhash.maxFileBytes, or 64 MiB
    retry_errors: bool = False
    #: Exactly these files (binaryFile `path` values) instead of listing `input`, which then only
    #: labels the run (a streaming micro-batch: see `sparkhash.spark.stream`). Such a run does
    #: not retire files: it sees only its batch, not the whole of INPUT.
    files: tuple[str, ...] = ()
    follow_symlinks: bool = False  # follow links to directories (each real directory once)
    #: The tables' format: parquet (the run store's directories) or delta (Delta tables, the
    #: current rows MERGEd by path: `sparkhash.spark.delta`; needs Delta on the session).
    format: str = delta.PARQUET
    #: Format delta: also register the tables in the catalog as `table_prefix + table`
    #: (`catalog.schema.img_` -> catalog.schema.img_hashes, …; None: path tables only).
    table_prefix: str | None = None
    #: Format delta, a stream's micro-batch: the (txnAppId, txnVersion) of its commit. A batch
    #: whose commit is there already (a replay after a crash) writes nothing.
    delta_txn: tuple[str, int] | None = None


@dataclass(frozen=True)
class JobSummary:
    """Counts of one run; `run_id` is None when there was nothing new to hash."""

    files_seen: int
    hashed: int
    skipped: int
    failed: int
    seconds: float
    run_id: str | None
    output: str
    removed: int = 0  # files hashed before and gone now: retired (kept in history only)
    vanished: int = 0  # files listed but gone before their bytes were read: no row

    def line(self) -> str:
        """The one-line summary printed at the end of the job (removed and vanished files
        are counted only when there are some)."""
        processed = self.hashed + self.failed
        rate = processed / self.seconds if self.seconds > 0 else 0.0
        committed = f"committed run {self.run_id}" if self.run_id else "nothing new, no run committed"
        gone = "".join(
            f", {n} {label}" for n, label in ((self.removed, "removed"), (self.vanished, "vanished")) if n
        )
        return (
            f"sparkhash hash: {self.files_seen} files seen, {self.hashed} hashed, {self.skipped} skipped "
            f"(unchanged), {self.failed} failed{gone} in {self.seconds:.1f} s ({rate:.1f} images/s); "
            f"{committed} in {self.output}"
        )


def run_hash_job(spark: SparkSession, config: HashJobConfig) -> JobSummary:
    """Hash INPUT's new and changed files into a new committed run of OUTPUT.

    The run holds OUTPUT's lease from start to end (`sparkhash.spark.lease`): a second writer
    is refused with LeaseHeld, and only under the lease are crashed runs' leftovers removed."""
    started = time.perf_counter()
    output = tables.normalise_output(config.output)
    check_config(config)
    params = params_json(config.params, config.decode_options)
    delta.require_delta(spark, config.format)
    store = tables.run_store(spark, output, config.format, config.table_prefix)
    store.check_registered()  # catalog names taken by other tables: refused before any work
    max_file_bytes = config.max_file_bytes or int(
        spark.conf.get(MAX_FILE_BYTES_CONF, str(DEFAULT_MAX_FILE_BYTES))
    )
    # Resolved (and their parameters checked) before the lease too, so a refused run creates
    # nothing; then again under the lease, where the runs cannot change.
    run_algorithms(config, tables.committed_runs(spark, output))
    with store.acquire() as held:
        runs = tables.committed_runs(spark, output)
        check_format_compatible(spark, runs, config.format, output)
        algorithms = run_algorithms(config, runs)
        _check_compatible(runs, algorithms, params, output)
        tables.remove_uncommitted(spark, output, [r.run_id for r in runs], config.format)
        if config.format == delta.DELTA:  # with records a killed Delta commit left to write
            runs = tables.committed_runs(spark, output)
        if config.delta_txn is not None and store.txn_committed(config.delta_txn):
            return JobSummary(0, 0, 0, 0, time.perf_counter() - started, None, output)  # a replay
        summary = _hash_run(spark, config, output, runs, algorithms, params, max_file_bytes, held, started)
        store.register_tables()  # also after a run with nothing new (or a killed one's commit)
        return summary


def check_format_compatible(spark: SparkSession, runs: list, fmt: str, output: str) -> None:
    """Refuse (one line) a run in another format than OUTPUT's committed runs."""
    if runs and tables.output_format(spark, output) != fmt:
        held = tables.output_format(spark, output)
        raise IncompatibleOutputError(
            f"{output} holds {held} tables, this run asks for format {fmt}: use format {held}, or another OUTPUT",
            "format",
        )


def check_config(config: HashJobConfig) -> tuple[str, ...] | None:
    """Refuse (UsageError, one line) what could only give a run of error rows, or a run `dups`
    could not join, before any work; returns the algorithms asked for in canonical order (None:
    OUTPUT's own, known once its runs are read: `run_algorithms` checks them then)."""
    algorithms = _requested(config)
    if algorithms is not None:
        check_hash_params(config.params, algorithms)
    elif _new_local_output(config.output):  # it will get the defaults: check them now
        check_hash_params(config.params, normalise_algorithms(DEFAULT_ALGORITHMS))
    delta.check_format(config.format)
    delta.check_table_prefix(config.table_prefix, config.format)
    check_at_least(config.max_file_bytes, 1, "max_file_bytes")
    check_at_least(config.decode_options.max_pixels, 1, "max_pixels")
    preflight.check_output(config.output, "hash", config.input)
    return algorithms


def _new_local_output(output: str) -> bool:
    """Whether OUTPUT is on the driver's file system and holds nothing yet."""
    path = local_path(tables.normalise_output(output))
    if path is None:
        return False
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def _requested(config: HashJobConfig) -> tuple[str, ...] | None:
    if config.algorithms is None:
        return None
    try:
        return normalise_algorithms(config.algorithms)
    except ValueError as exc:
        raise UsageError(str(exc), "algorithms") from None


def run_algorithms(config: HashJobConfig, runs: list[tables.RunRecord]) -> tuple[str, ...]:
    """The algorithms a run makes: those asked for, else those OUTPUT holds (its committed runs'),
    else DEFAULT_ALGORITHMS; their parameters checked (UsageError)."""
    algorithms = _requested(config)
    if algorithms is None:
        held = [a for run in runs for a in run.algorithms.split(",") if a]
        algorithms = normalise_algorithms(tuple(dict.fromkeys(held)) or DEFAULT_ALGORITHMS)
        check_hash_params(config.params, algorithms)
    return algorithms


def _list(spark: SparkSession, config: HashJobConfig) -> inventory.InputListing:
    """INPUT's listing, or exactly the configured files (a streaming micro-batch)."""
    if config.files:
        return inventory.listed_files(spark, list(config.files))
    return list_input(spark, config.input, config.name_filter, config.recursive, config.follow_symlinks)


def _hash_run(
    spark: SparkSession,
    config: HashJobConfig,
    output: str,
    runs: list[tables.RunRecord],
    algorithms: tuple[str, ...],
    params: str,
    max_file_bytes: int,
    held: lease.Lease,
    started: float,
) -> JobSummary:
    listed = _list(spark, config)
    files, input_files = listed.files, listed.input_files
    files_seen = len(input_files) + len(listed.unreadable) + len(listed.vanished)
    # What OUTPUT knows: the latest run's inventory (compact), read once per run.
    known, rebuilt = inventory.read_known(spark, output, runs, config.format)
    if rebuilt:  # from hashes rows (an OUTPUT without inventory yet): read them only once
        known = known.persist(StorageLevel.MEMORY_AND_DISK)
    reusable = _reusable(_lacking(runs, algorithms), max_file_bytes, config.decode_options.max_pixels)
    if config.retry_errors:
        reusable = reusable & F.col("error").isNull()
    keys = None if known is None else _known_keys(known, reusable)
    retires = not config.files  # a streaming micro-batch sees only its own files
    # One pass sorts every listed file (and every known file no longer listed).
    compared = inventory.compare(
        files, known, reusable, max_file_bytes, retires, inventory.input_scope(config.input)
    )
    rows = None
    exploded = [REGISTRY[a] for a in algorithms if REGISTRY[a].multi]  # e.g. crop_resistant's segments
    try:
        # Spark's scan skips zero-byte files (and files gone since the listing)
        unscanned = _unscanned(spark, compared, input_files)
        empty = [p for p in unscanned if tables.path_exists(spark, p)]
        unscanned_gone = [p for p in unscanned if p not in set(empty)]
        walked = None
        if listed.unreadable:  # walked files Hadoop cannot read: error rows, unread
            walked = _new_or_changed(inventory.walked_listing(spark, listed.unreadable), keys)
        empties = _new_or_changed(inventory.zero_byte_listing(spark, empty), keys) if empty else None
        counts = compared.counts
        refused = (inventory.HASH, inventory.OVERSIZE, inventory.UNREADABLE, inventory.EMPTY)
        nothing_new = (
            sum(counts[a] for a in refused) == 0
            and (walked is None or walked.isEmpty())
            and (empties is None or empties.isEmpty())
        )
        vanished = unscanned_gone + list(listed.vanished)
        # An OUTPUT whose latest run has no inventory (older versions) gets one from the first
        # run, even with nothing new, so that the next runs read it instead of the hashes rows.
        upgrade = rebuilt and config.format == delta.PARQUET
        if nothing_new and not upgrade:
            removed = _retired(spark, compared, vanished, listed, retires)
            if not removed:  # a listing and one comparison: no Spark write at all
                return _nothing_written(files_seen, vanished, started, output)
        to_hash = counts[inventory.HASH]
        # Local (or mounted) files: the Python workers read them by path; no byte passes the JVM.
        by_path = bool(input_files) and all(uri.startswith("file:") for uri in input_files)
        if by_path:
            hashed = hash_files(
                _spread(spark, compared.of(inventory.HASH), to_hash),
                algorithms,
                config.params,
                config.decode_options,
                max_file_bytes,
            )
        else:
            readable = files.where(~inventory.unreadable_path())
            candidates = _files_to_hash(spark, readable, keys, compared)
            hashed = hash_images(
                within_size_cap(candidates, max_file_bytes), algorithms, config.params, config.decode_options
            )
        rows = hashed.unionByName(
            error_rows(compared.of(inventory.OVERSIZE), oversize_error(max_file_bytes), algorithms, params)
        )
        unreadable = compared.of(inventory.UNREADABLE).withColumn("error", F.lit(listing.COLON_ERROR))
        if walked is not None:
            unreadable = unreadable.unionByName(walked)
        rows = rows.unionByName(error_rows(unreadable, F.col("error"), algorithms, params))
        if counts[inventory.EMPTY]:  # zero-byte files of a walked listing
            listed_empty = compared.of(inventory.EMPTY)
            empties = listed_empty if empties is None else listed_empty.unionByName(empties)
        if empties is not None:
            rows = rows.unionByName(error_rows(empties, F.lit(EMPTY_FILE_ERROR), algorithms, params))

        # Each table is written once, straight into the run's directories (invisible to readers
        # until the commit record exists). With segments too, the hashed rows (no image bytes)
        # are kept by Spark between the two writes, so no image is read or decoded twice.
        run_id = held.run_id
        if exploded:
            rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
        fmt = config.format
        tables.write_run_table(hashes_table(rows, run_id), output, tables.HASHES, run_id, fmt)
        written, failed = tables.hashes_counts(spark, output, run_id, fmt)
        # Never silently skip this run's own files, whatever spark.sql.files.ignoreMissingFiles says.
        written_rows = spark.read.option("ignoreMissingFiles", "false").parquet(
            tables.run_dir(output, tables.HASHES, run_id, fmt)
        )
        if to_hash:  # files to hash with no row: deleted after the comparison, before being read
            missing = compared.of(inventory.HASH).select("path").join(written_rows, "path", "left_anti")
            vanished += [r["path"] for r in missing.collect() if not tables.path_exists(spark, r["path"])]
        removed = _retired(spark, compared, vanished, listed, retires)
        if written == 0 and not removed and not upgrade:
            tables.remove_run_files(spark, output, run_id, fmt)
            return _nothing_written(files_seen, vanished, started, output)
        segments = 0
        for record in exploded:
            tables.write_run_table(exploded_table(rows, record, run_id), output, record.table, run_id, fmt)
        if any(record.table == tables.SEGMENTS for record in exploded):
            segments = tables.segments_count(spark, output, run_id, fmt)
        if removed:
            tables.write_removed(spark, output, run_id, removed, fmt)
        if fmt == delta.PARQUET:  # Delta's hashes table is its own inventory
            inventory.write_inventory(spark, output, run_id, known, written_rows, removed)
    finally:
        if rows is not None and exploded:
            rows.unpersist()
        compared.release()
        if rebuilt:
            known.unpersist()
    seconds = time.perf_counter() - started
    record = tables.RunRecord(
        run_id=run_id,
        input=config.input,
        algorithms=",".join(algorithms),
        params=params,
        files_seen=files_seen,
        hashed=written - failed,
        skipped=max(files_seen - written - len(vanished), 0),
        failed=failed,
        segments=segments,
        seconds=round(seconds, 3),
        finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        removed=len(removed),
        vanished=len(vanished),
    )
    tables.commit_run(
        spark, output, record, held.check, config.format, config.delta_txn
    )  # a run that lost its lease commits nothing
    if config.format == delta.PARQUET:
        inventory.drop_older_inventories(spark, output, run_id)
    return JobSummary(
        files_seen,
        record.hashed,
        record.skipped,
        failed,
        seconds,
        run_id,
        output,
        removed=record.removed,
        vanished=record.vanished,
    )


def _unscanned(spark: SparkSession, compared: inventory.Comparison, input_files: list[str]) -> list[str]:
    """Listed paths the comparison's scan left out: zero-byte files, files deleted since."""
    if compared.scanned >= len(input_files):
        return []
    return inventory.unscanned(spark, compared.listed(), input_files, compared.scanned)


def _retired(
    spark: SparkSession,
    compared: inventory.Comparison,
    vanished: list[str],
    listed: inventory.InputListing,
    retires: bool,
) -> list[str]:
    """Current paths of OUTPUT whose files are gone: not listed now (under INPUT's directory,
    or anywhere for a glob or remote INPUT) or vanished, and not on the file system."""
    if not retires:
        return []
    walked = {u.path for u in listed.unreadable}
    candidates = set(compared.paths(inventory.UNLISTED)) - walked
    candidates |= compared.known_among([p for p in vanished if p not in candidates])
    return sorted(p for p in candidates if not tables.path_exists(spark, p))


def _reusable(lacking: tuple[str, ...], max_file_bytes: int, max_pixels: int | None) -> Column:
    """On an inventory row: whether a listed file with its key is left as it is. Not for rows
    refused by a size cap that this run's caps no longer refuse, nor for files hashed before
    this run's algorithms were added (`_lacking`) without an error: those are hashed again."""
    error = F.coalesce(F.col("error"), F.lit(""))
    pixels = F.regexp_extract(error, r"^image is \d+x\d+ = (\d+) pixels, over the limit of", 1)
    bytes_lifted = error.rlike(r"^file is \d+ bytes, over the limit of") & (F.col("length") <= max_file_bytes)
    pixels_lifted = (pixels != "") & (
        F.lit(max_pixels is None) | (pixels.cast("long") <= F.lit(max_pixels or 0))
    )
    reusable = ~(bytes_lifted | pixels_lifted)
    if lacking:
        reusable = reusable & ~(F.col("run_id").isin(list(lacking)) & F.col("error").isNull())
    return reusable


def committed_specs(runs: list[tables.RunRecord]) -> dict[str, HashSpec]:
    """{algorithm: spec} of the hashes OUTPUT holds (each from the latest run that made them)."""
    specs: dict[str, HashSpec] = {}
    for run in runs:
        specs.update(specs_from_json(run.algorithms, run.params))
    return specs


def _check_compatible(
    runs: list[tables.RunRecord], algorithms: tuple[str, ...], params: str, output: str
) -> None:
    """Refuse (one line) a run whose hashes could not stand beside OUTPUT's: one that leaves out
    an algorithm OUTPUT holds (its new rows would lack it), or makes an algorithm OUTPUT holds
    with another spec (`sparkhash.core.spec`). A run may add algorithms: see `_lacking`."""
    held = committed_specs(runs)
    missing = [a for a in held if a not in algorithms]
    if missing:
        wanted = ",".join(dict.fromkeys([*algorithms, *missing]))
        raise IncompatibleOutputError(
            f"{output} also holds {','.join(missing)} hashes: every run of an OUTPUT makes all of its "
            f"algorithms (ask for {wanted}), or use another OUTPUT"
        )
    wanted = specs_from_json(algorithms, params)
    for algorithm, spec in held.items():
        difference = wanted[algorithm].difference(spec)
        if difference is not None:
            name, mine, theirs = difference
            raise IncompatibleOutputError(
                f"{output} holds {algorithm} hashes made with {name} {theirs}, this run asks for {mine}: "
                "they could not be compared. Use the same setting, or another OUTPUT"
            )


def _nothing_written(files_seen: int, vanished: list, started: float, output: str) -> JobSummary:
    """The summary of a run that committed nothing: every listed file known or vanished."""
    return JobSummary(
        files_seen,
        0,
        files_seen - len(vanished),
        0,
        time.perf_counter() - started,
        None,
        output,
        vanished=len(vanished),
    )


def _lacking(runs: list[tables.RunRecord], algorithms: tuple[str, ...]) -> tuple[str, ...]:
    """Committed runs that did not make every one of `algorithms`: their files (the current rows
    without an error) are hashed again, so that every current row gets the added algorithms."""
    return tuple(r.run_id for r in runs if not set(algorithms) <= set(r.algorithms.split(",")))


#: Up to this many new or changed files, an incremental run reads only their bytes (by path);
#: beyond it, it scans every file's bytes once and drops the unchanged ones before decoding.
SMALL_INCREMENT = 10_000


def _files_to_hash(
    spark: SparkSession, files: DataFrame, keys: DataFrame | None, compared: inventory.Comparison
) -> DataFrame:
    """The binaryFile rows (with content) of the files the comparison found new or changed."""
    if keys is None:
        return files
    to_hash = compared.counts[inventory.HASH]
    if to_hash > SMALL_INCREMENT:
        return _new_or_changed(files, keys)
    if not to_hash:
        return files.where(F.lit(False))  # an empty plan: no file is read
    paths = compared.paths(inventory.HASH)
    try:
        chosen = binary_files_at(spark, paths)
        _ = chosen.schema  # resolve now (Spark Connect resolves lazily) so a missing path is caught here
        # Checked again: a file may have changed between the listing and this read.
        return _new_or_changed(chosen, keys)
    except AnalysisException:  # e.g. a file deleted since the listing: scan everything instead
        return _new_or_changed(files, keys)


def _new_or_changed(files: DataFrame, keys: DataFrame | None) -> DataFrame:
    """Files whose (path, length, modification time) is not among `keys` (`_known_keys`)."""
    if keys is None:
        return files
    # Broadcast: the scan side (with its image bytes) is never shuffled.
    return files.join(F.broadcast(keys), on=_same_file(files, keys), how="left_anti")


def _known_keys(known: DataFrame, reusable: Column) -> DataFrame:
    """(path, length, modification time) of the inventory rows that make a listed file
    unchanged (one per path: the inventory holds one row per path)."""
    return known.where(reusable).select(
        F.col("path").alias("_path"),
        F.col("length").alias("_length"),
        F.col("modification_time").alias("_mtime"),
    )


def _same_file(files: DataFrame, keys: DataFrame) -> Column:
    return (
        (files["path"] == keys["_path"])
        & (files["length"] == keys["_length"])
        & files["modificationTime"].eqNullSafe(keys["_mtime"])
    )


#: Files per hashing task, about what the scan packs into one (`conf/`: 1 GiB tasks, 1 MiB a
#: file): a task costs ~70 ms whatever its size, and a retried task redoes at most this many.
FILES_PER_TASK = 1000


def _spread(spark: SparkSession, files: DataFrame, count: int) -> DataFrame:
    """The files the workers read, dealt round-robin over a multiple of the cores.

    The scan packs files largest first into tasks of similar *counts*, so one task gets all
    the big images: on 3,695 photos its task held 8x the bytes of the last one and ran 3x as
    long, while the other core idled. Dealing the listing rows (no bytes: a tiny shuffle) mixes
    sizes in every task. Left as scanned when the cores are unknown (Spark Connect)."""
    cores = _cores(spark)
    if cores is None or count == 0:
        return files
    return files.repartition(cores * max(1, math.ceil(count / (cores * FILES_PER_TASK))))


def _cores(spark: SparkSession) -> int | None:
    """Spark's default parallelism (the cores of a classic session), None under Spark Connect."""
    try:
        return int(spark.sparkContext.defaultParallelism)
    except Exception:  # noqa: BLE001 - Spark Connect has no SparkContext
        return None
