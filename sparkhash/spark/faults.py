"""Fault injection for tests: named points where a run can be made to die or wait.

Production code calls `fault_point(name)` at the few places where a crash matters to a
guarantee (a run store between writing a table and committing, a stream between committing a
batch's run and recording the batch, a Python worker between batches). Nothing happens unless
the environment variable SPARKHASH_FAULT names the point; it holds comma-separated entries:

    NAME               exit the process there at once (os._exit(FAULT_EXIT): no clean-up, no
                       lease release, as abrupt as kill -9)
    NAME=once:MARKER   the same, but only for the process that creates the file MARKER (so the
                       fault fires once, e.g. one Python worker, whatever is retried after it)
    NAME=pause:DIR     create DIR/reached, then wait until DIR/go exists (a run held mid-write,
                       e.g. so that a second run can be started against it)

The points in use: `<kind>-after-<table>` and `<kind>-before-commit` of a run store (kind hash,
dups or match: `sparkhash.spark.runs`; format delta also `<kind>-delta-after-<table>` after an
appended Delta table and `<kind>-after-delta-commit` between the MERGE and the record), `stream-after-commit-<batch>` (`sparkhash.spark.stream`)
and `worker-batch-<n>` (`sparkhash.spark.udf`, n counted from 0 in each task).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

#: The one environment variable that switches fault points on.
FAULT_ENV = "SPARKHASH_FAULT"
#: Exit code of a process ended by a fault point.
FAULT_EXIT = 70
#: How long a paused point waits for its go file at most.
PAUSE_LIMIT_SECONDS = 600.0


def fault_action(name: str) -> str | None:
    """The action SPARKHASH_FAULT sets for point `name` ("" for a plain exit), or None."""
    for entry in os.environ.get(FAULT_ENV, "").split(","):
        point, _, action = entry.strip().partition("=")
        if point == name:
            return action
    return None


def fault_point(name: str) -> None:
    """Die or wait here when SPARKHASH_FAULT names this point (see the module docstring)."""
    action = fault_action(name)
    if action is None:
        return
    kind, _, argument = action.partition(":")
    if kind == "":
        os._exit(FAULT_EXIT)
    if kind == "once":
        try:
            fd = os.open(argument, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os._exit(FAULT_EXIT)
    if kind == "pause":
        directory = Path(argument)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "reached").write_text(str(os.getpid()))
        deadline = time.monotonic() + PAUSE_LIMIT_SECONDS
        while not (directory / "go").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return
    raise ValueError(f"{FAULT_ENV}: unknown action {action!r} for fault point {name!r}")
