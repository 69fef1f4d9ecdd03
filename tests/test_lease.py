"""OUTPUT's lease: exclusive create, refusal naming the holder, stale take-over, loss detection."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from sparkhash.spark import lease
from sparkhash.spark.lease import LeaseHeld, LeaseInfo, LeaseLost


def write_lease(output, **changes) -> LeaseInfo:
    now = time.time()
    values = dict(
        run_id="20260101T000000000000Z-dead0000",
        command="sparkhash hash",
        host="other-host",
        pid=1,
        started=now,
        heartbeat=now,
    )
    values.update(changes)
    info = LeaseInfo(**values)
    output.mkdir(parents=True, exist_ok=True)
    (output / lease.LEASE_FILE).write_bytes(info.to_bytes())
    return info


def test_second_writer_is_refused_with_one_line_naming_the_run(tmp_path):
    with lease.acquire(None, str(tmp_path / "out"), "sparkhash hash") as first:
        with pytest.raises(LeaseHeld) as refused:
            lease.acquire(None, str(tmp_path / "out"), "sparkhash hash")
        message = str(refused.value)
        assert first.run_id in message and socket.gethostname() in message and "\n" not in message
        assert json.loads((tmp_path / "out" / lease.LEASE_FILE).read_text())["pid"] == os.getpid()
    assert not (tmp_path / "out" / lease.LEASE_FILE).exists()  # released
    with lease.acquire(None, str(tmp_path / "out"), "sparkhash hash") as again:
        assert again.run_id > first.run_id


def test_live_foreign_lease_is_kept_until_its_heartbeat_is_older_than_the_timeout(tmp_path):
    output = tmp_path / "out"
    write_lease(output, heartbeat=time.time() - 30)
    with pytest.raises(LeaseHeld, match="dead0000"):
        lease.acquire(None, str(output), "sparkhash hash", timeout=60)
    write_lease(output, heartbeat=time.time() - 61)
    with lease.acquire(None, str(output), "sparkhash hash", timeout=60) as taken:
        assert "dead0000" not in taken.run_id
    assert sorted(p.name for p in output.iterdir()) == []  # the stale file was moved away, then deleted


def test_lease_of_an_ended_process_on_this_host_is_taken_over_at_once(tmp_path):
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    write_lease(tmp_path / "out", host=socket.gethostname(), pid=int(ended.stdout))
    with lease.acquire(None, str(tmp_path / "out"), "sparkhash hash") as taken:
        assert taken.held


def test_heartbeat_refreshes_and_a_taken_over_lease_is_noticed(tmp_path):
    output = tmp_path / "out"
    with lease.acquire(None, str(output), "sparkhash hash", heartbeat=0.05) as held:
        first = json.loads((output / lease.LEASE_FILE).read_text())["heartbeat"]
        time.sleep(0.3)
        assert json.loads((output / lease.LEASE_FILE).read_text())["heartbeat"] > first
        held.check()
        write_lease(output, run_id="20260101T000000000000Z-thief000")  # someone took it over
        with pytest.raises(LeaseLost):
            held.check()
    assert "thief000" in (output / lease.LEASE_FILE).read_text()  # not deleted: not ours


@pytest.mark.spark
def test_hadoop_store_creates_exclusively(spark, tmp_path):
    store = lease.HadoopStore(spark, f"file:{tmp_path}")
    path = f"file:{tmp_path}/out/{lease.LEASE_FILE}"
    assert store.create_exclusive(path, b"one")
    assert not store.create_exclusive(path, b"two")
    assert store.read(path) == b"one"
    store.replace(path, b"three")
    assert store.read(path) == b"three"
    assert store.rename(path, path + ".aside") and store.read(path) is None
    store.delete(path + ".aside")
    assert store.read(path + ".aside") is None
