"""Checks of INPUT and OUTPUT locations before any work (driver-local paths; others pass).

Each raises UsageError with one line. They run before the job starts Spark work, so a run
never writes into a place it should not: OUTPUT inside INPUT (every re-run would hash its own
Parquet files), a directory sparkhash did not write (its `_staging/` and `*/run_id=*` would be
cleaned), a regular file, or a place that cannot be written. Paths the driver cannot see
(object stores, HDFS, Spark Connect servers) are checked by the writes themselves.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sparkhash.errors import UsageError
from sparkhash.spark.paths import local_path
from sparkhash.spark.tables import normalise_output

#: Entries a `sparkhash hash` OUTPUT may hold.
HASH_OUTPUT_ENTRIES = frozenset(
    {"hashes", "segments", "removed", "inventory", "runs", "staged", "_staging", "_lease"}
)
#: Entries a `sparkhash dups` OUTPUT may hold (besides run=<id> directories).
DUPS_OUTPUT_ENTRIES = frozenset(
    {"pairs", "clusters", "groups", "remove", "commits", "staged", "_lease", "_SUCCESS"}
)
#: Entries a `sparkhash match` OUTPUT may hold (besides run=<id> directories).
MATCH_OUTPUT_ENTRIES = frozenset({"matches", "commits", "staged", "_lease", "_SUCCESS"})

_GLOB = set("*?[]{}")


def check_output(output: str, kind: str, input_path: str | None = None) -> None:
    """Refuse an OUTPUT that is a file, a directory of something else, inside INPUT or not
    writable. `kind` is "hash", "dups" or "match" (which entries an existing OUTPUT may hold)."""
    local = local_path(normalise_output(output))
    if local is None:
        return
    if local.exists() and not local.is_dir():
        raise UsageError(f"OUTPUT {output} is a file, not a directory")
    if input_path is not None:
        _check_not_inside_input(local, output, input_path)
    if local.is_dir():
        foreign = sorted(p.name for p in local.iterdir() if not _ours(p.name, kind))
        if foreign:
            raise UsageError(
                f"OUTPUT {output} is a directory that sparkhash {kind} did not write (it holds "
                f"{', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); choose a new or empty directory"
            )
    _check_writable(local, output)


def _ours(name: str, kind: str) -> bool:
    if kind == "hash":
        return name in HASH_OUTPUT_ENTRIES or name.startswith("_lease.")
    entries = MATCH_OUTPUT_ENTRIES if kind == "match" else DUPS_OUTPUT_ENTRIES
    return name in entries or name.startswith(("run=", "_lease."))


def input_root(input_path: str) -> Path | None:
    """The local directory (or file) INPUT names, up to its first glob character; None when
    INPUT is not driver-local."""
    local = local_path(input_path)
    if local is None:
        return None
    parts = []
    for part in local.parts:
        if _GLOB & set(part):
            break
        parts.append(part)
    return Path(*parts) if parts else None


def _check_not_inside_input(local: Path, output: str, input_path: str) -> None:
    root = input_root(input_path)
    if root is None:
        return
    inside, out = os.path.realpath(root), os.path.realpath(local)
    if out == inside or out.startswith(inside.rstrip(os.sep) + os.sep):
        raise UsageError(
            f"OUTPUT {output} is inside INPUT {input_path}: its own Parquet files would be hashed; "
            "choose an OUTPUT outside INPUT"
        )


def _check_writable(local: Path, output: str) -> None:
    target = local
    while not target.exists():
        if target.parent == target:
            break
        target = target.parent
    if target.exists() and not target.is_dir():
        raise UsageError(f"OUTPUT {output} cannot be created: {target} is a file")
    try:
        with tempfile.NamedTemporaryFile(dir=target, prefix=".sparkhash-write-check-"):
            pass
    except OSError as exc:
        raise UsageError(f"OUTPUT {output} is not writable: {exc.strerror or exc} ({target})") from None
