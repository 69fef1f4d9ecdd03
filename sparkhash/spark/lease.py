"""One writer per OUTPUT: an exclusive lease file, `OUTPUT/_lease`, held while a run writes.

A run creates the lease with the file system's create-if-absent and deletes it when it ends
(normally, on an exception or on Ctrl-C). While it runs, a daemon thread refreshes the lease's
heartbeat every HEARTBEAT_SECONDS. Another writer that finds the lease refuses with one line
naming the running run. Readers never look at the lease: they see committed runs only.

A lease is *stale*, and is taken over, when its heartbeat is older than LEASE_TIMEOUT_SECONDS
(a killed or hung run on any host), or at once when it was taken on this host by a process
that no longer exists (`kill -9`, a crashed driver). Taking over renames the stale file away
first (only one of several contenders can rename it) and then creates a new lease as usual.
Before committing, a run checks that it still holds its lease (`Lease.check`): a run that was
paused for longer than the timeout and lost its lease commits nothing.

Where the lease can be created atomically:
- OUTPUT that the driver's Python can reach (local disk, NFS/FUSE mounts, dbfs:/ via /dbfs):
  `os.open(O_CREAT | O_EXCL)`; this holds under Spark Connect too when client and server share
  the path.
- Any other Hadoop file system on classic Spark, through the JVM: on S3A (Hadoop 3.5, as in the
  pyspark 4.3 wheel) `createFile(path)` with `fs.option.create.conditional.overwrite`, a
  conditional PUT (`If-None-Match: *`) that S3 refuses when the object exists — atomic, where a
  plain create(overwrite=false) is a check-then-write; elsewhere `FileSystem.create(path,
  overwrite=False)` — atomic on HDFS, ABFS and GCS. (An S3A older than Hadoop 3.5, or an S3
  store without conditional writes, gets the check-then-write: run one writer at a time there.)
- Spark Connect with an OUTPUT only the server can reach: the client has neither the path nor
  the JVM, so no lease is taken (`acquire` returns a lease that holds nothing, `held` False).
  Run one writer at a time there.

The lease file is a small JSON document: run_id, command, host, pid, started and heartbeat
(seconds since the epoch on the holder's clock: hosts sharing an OUTPUT need clocks that agree
to well within the timeout).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from pyspark.sql import SparkSession

from sparkhash.errors import LeaseHeld, LeaseLost
from sparkhash.spark.paths import local_path, normalise_output

LEASE_FILE = "_lease"
#: A lease whose heartbeat is older than this is stale and may be taken over.
LEASE_TIMEOUT_SECONDS = 120.0
#: How often the holder refreshes its heartbeat.
HEARTBEAT_SECONDS = 10.0


def new_run_id() -> str:
    """A unique id that sorts in commit order (UTC time to the microsecond, then random)."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:8]


#: Hadoop's create option for a conditional create (S3A sends `If-None-Match: *`).
CONDITIONAL_CREATE = "fs.option.create.conditional.overwrite"
#: What a refused conditional create says (S3A: HTTP 412 PreconditionFailed on close).
CREATE_REFUSED = ("PreconditionFailed", "FileAlreadyExistsException", "Status Code: 412")
#: What a file system that does not know CONDITIONAL_CREATE says ("Unknown mandatory key ...").
OPTION_UNKNOWN = ("IllegalArgumentException", "mandatory key", "UnsupportedOperationException")


@dataclass(frozen=True)
class LeaseInfo:
    """What a lease file holds."""

    run_id: str
    command: str
    host: str
    pid: int
    started: float
    heartbeat: float

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()

    @staticmethod
    def parse(data: bytes) -> LeaseInfo | None:
        """The lease in `data`, or None when it is not a complete lease (being rewritten)."""
        try:
            return LeaseInfo(**json.loads(data.decode()))
        except (ValueError, TypeError):
            return None

    def describe(self, now: float) -> str:
        return (
            f"run {self.run_id} ({self.command}, host {self.host}, pid {self.pid}, "
            f"heartbeat {max(now - self.heartbeat, 0):.0f} s ago)"
        )


def is_stale(info: LeaseInfo, now: float, timeout: float = LEASE_TIMEOUT_SECONDS) -> bool:
    """Whether a lease may be taken over: its heartbeat is too old, or its holder was a process
    on this host that has ended."""
    if now - info.heartbeat > timeout:
        return True
    return info.host == socket.gethostname() and not _process_alive(info.pid)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class Store(Protocol):
    """The few file operations a lease and a run store (`sparkhash.spark.runs`) need, on one
    file system."""

    def create_exclusive(self, path: str, data: bytes) -> bool: ...  # False if it exists
    def read(self, path: str) -> bytes | None: ...  # None if it does not exist
    def replace(self, path: str, data: bytes) -> None: ...
    def rename(self, source: str, target: str) -> bool: ...  # False if source is gone
    def delete(self, path: str) -> None: ...
    def mtime(self, path: str) -> float | None: ...
    def list_dir(self, path: str) -> list[str]: ...  # names in a directory; [] if it does not exist
    def delete_tree(self, path: str) -> None: ...  # a file or directory with its contents, if any


class LocalStore:
    """A file system the driver's Python reaches (paths are plain local paths)."""

    def create_exclusive(self, path: str, data: bytes) -> bool:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return True

    def read(self, path: str) -> bytes | None:
        try:
            return Path(path).read_bytes()
        except FileNotFoundError:
            return None

    def replace(self, path: str, data: bytes) -> None:
        temporary = f"{path}.{uuid.uuid4().hex}.tmp"
        Path(temporary).write_bytes(data)
        os.replace(temporary, path)  # atomic: readers see the old or the new lease, whole

    def rename(self, source: str, target: str) -> bool:
        try:
            os.rename(source, target)
        except FileNotFoundError:
            return False
        return True

    def delete(self, path: str) -> None:
        Path(path).unlink(missing_ok=True)

    def mtime(self, path: str) -> float | None:
        try:
            return os.stat(path).st_mtime
        except FileNotFoundError:
            return None

    def list_dir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(path))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def delete_tree(self, path: str) -> None:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            Path(path).unlink(missing_ok=True)


class HadoopStore:
    """Any Hadoop file system, through classic Spark's JVM."""

    def __init__(self, spark: SparkSession, output: str) -> None:
        self._jvm = spark._jvm  # noqa: SLF001 - classic Spark only
        hadoop_path = self._jvm.org.apache.hadoop.fs.Path(output)
        self._fs = hadoop_path.getFileSystem(spark._jsc.hadoopConfiguration())  # noqa: SLF001

    def _path(self, path: str):
        return self._jvm.org.apache.hadoop.fs.Path(path)

    def create_exclusive(self, path: str, data: bytes) -> bool:
        from py4j.protocol import Py4JJavaError

        target = self._path(path)
        try:
            stream = self._create_new(target)
        except Py4JJavaError:
            if self._fs.exists(target):
                return False
            raise
        try:
            try:
                stream.write(bytearray(data))
            finally:
                stream.close()  # an object store's PUT happens here, and its precondition is checked
        except Py4JJavaError as exc:
            if any(sign in str(exc) for sign in CREATE_REFUSED):
                return False  # another writer's object got there first
            raise
        return True

    def _create_new(self, target):
        """An output stream that creates `target` only if it does not exist. Where the file
        system knows CONDITIONAL_CREATE (S3A in Hadoop 3.5), the write is a conditional PUT
        (`If-None-Match: *`), so of two writers that both found no lease only one succeeds
        (the other's close fails). Other file systems refuse the unknown mandatory option and
        get `create(overwrite=False)` (or ignore it): atomic on HDFS, ABFS and GCS."""
        try:
            builder = self._fs.createFile(target).overwrite(False)
            return builder.must(CONDITIONAL_CREATE, True).build()
        except Exception as exc:  # PySpark turns Java's IllegalArgumentException into its own
            if not any(sign in f"{type(exc).__name__}: {exc}" for sign in OPTION_UNKNOWN):
                raise
        return self._fs.create(target, False)

    def read(self, path: str) -> bytes | None:
        if not self._fs.exists(self._path(path)):
            return None
        stream = self._fs.open(self._path(path))
        try:
            return bytes(self._jvm.org.apache.commons.io.IOUtils.toByteArray(stream))
        finally:
            stream.close()

    def replace(self, path: str, data: bytes) -> None:
        stream = self._fs.create(self._path(path), True)
        try:
            stream.write(bytearray(data))
        finally:
            stream.close()

    def rename(self, source: str, target: str) -> bool:
        return bool(self._fs.rename(self._path(source), self._path(target)))

    def delete(self, path: str) -> None:
        self._fs.delete(self._path(path), False)

    def mtime(self, path: str) -> float | None:
        if not self._fs.exists(self._path(path)):
            return None
        return self._fs.getFileStatus(self._path(path)).getModificationTime() / 1000.0

    def list_dir(self, path: str) -> list[str]:
        if not self._fs.exists(self._path(path)):
            return []
        return sorted(str(status.getPath().getName()) for status in self._fs.listStatus(self._path(path)))

    def delete_tree(self, path: str) -> None:
        self._fs.delete(self._path(path), True)


def store_for(spark: SparkSession | None, output: str) -> Store | None:
    """The store that can hold OUTPUT's lease, or None (Spark Connect, server-only path)."""
    if local_path(output) is not None:
        return LocalStore()
    if spark is None:
        return None
    try:
        return HadoopStore(spark, output)
    except Exception:  # noqa: BLE001 - Spark Connect has no JVM gateway
        return None


class Lease:
    """A held lease (a context manager: released on exit, whatever the exit)."""

    def __init__(self, store: Store | None, path: str, info: LeaseInfo, heartbeat: float) -> None:
        self._store, self.path, self.info = store, path, info
        self._interval = heartbeat
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def run_id(self) -> str:
        return self.info.run_id

    @property
    def held(self) -> bool:
        """False when no lease could be taken (see the module docstring)."""
        return self._store is not None

    def start(self) -> Lease:
        if self._store is not None:
            self._thread = threading.Thread(target=self._beat, name="sparkhash-lease", daemon=True)
            self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            if not self._still_mine():
                self._lost.set()
                return
            fresh = LeaseInfo(**{**asdict(self.info), "heartbeat": time.time()})
            try:
                self._store.replace(self.path, fresh.to_bytes())
            except Exception:  # noqa: BLE001 - a missed beat is retried; check() decides
                continue

    def _still_mine(self) -> bool:
        try:
            current = LeaseInfo.parse(self._store.read(self.path) or b"")
        except Exception:  # noqa: BLE001 - unreadable for a moment: not proof of loss
            return True
        return current is not None and current.run_id == self.info.run_id

    def check(self) -> None:
        """Raise LeaseLost unless this run still holds the lease (call before committing)."""
        if self._store is None:
            return
        if self._lost.is_set() or not self._still_mine():
            raise LeaseLost(
                f"the lease on {self.path.rsplit('/', 1)[0]} was taken over while run "
                f"{self.run_id} was paused; nothing was committed"
            )

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._store is not None and self._still_mine():
            self._store.delete(self.path)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lease_path(output: str) -> str:
    output = normalise_output(output)
    local = local_path(output)
    return str(local / LEASE_FILE) if local is not None else f"{output}/{LEASE_FILE}"


def acquire(
    spark: SparkSession | None,
    output: str,
    command: str,
    timeout: float = LEASE_TIMEOUT_SECONDS,
    heartbeat: float = HEARTBEAT_SECONDS,
) -> Lease:
    """Take OUTPUT's lease for a new run (its id is `Lease.run_id`), or raise LeaseHeld.

    The run id is made just before the lease is created, so run ids sort in the order in
    which runs held the lease."""
    store = store_for(spark, output)
    path = lease_path(output)
    for _ in range(3):  # a stale lease is taken over at most twice before giving up
        now = time.time()
        info = LeaseInfo(new_run_id(), command, socket.gethostname(), os.getpid(), now, now)
        if store is None:
            return Lease(None, path, info, heartbeat)
        if store.create_exclusive(path, info.to_bytes()):
            return Lease(store, path, info, heartbeat).start()
        _take_over_if_stale(store, path, timeout, output)
    raise LeaseHeld(f"{output} is being written by another run (its lease keeps changing); try again later")


def _take_over_if_stale(store: Store, path: str, timeout: float, output: str) -> None:
    """Move a stale lease out of the way; raise LeaseHeld when the lease is live."""
    now = time.time()
    data = store.read(path)
    if data is None:
        return  # released meanwhile: try to create it again
    holder = LeaseInfo.parse(data)
    if holder is None:  # being rewritten, or a foreign file: stale only when old
        modified = store.mtime(path)
        if modified is not None and now - modified <= timeout:
            raise LeaseHeld(f"{output} is being written by another run (its lease {path} is in use)")
    elif not is_stale(holder, now, timeout):
        raise LeaseHeld(
            f"{output} is being written by {holder.describe(now)}; wait for it to finish "
            f"(a lease without heartbeat is taken over after {timeout:.0f} s)"
        )
    aside = f"{path}.stale-{uuid.uuid4().hex[:8]}"
    if not store.rename(path, aside):
        return  # another contender moved it first
    moved = LeaseInfo.parse(store.read(aside) or b"")
    if holder is not None and (moved is None or moved.run_id != holder.run_id):
        # We moved a lease that a faster contender had just created: give it back if we can.
        if not store.create_exclusive(path, store.read(aside) or b""):
            pass  # a third contender holds the path now; theirs stands
        store.delete(aside)
        raise LeaseHeld(f"{output} was just taken by another run; try again later")
    store.delete(aside)
