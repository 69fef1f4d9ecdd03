"""The command line in a real process: a successful run prints its summary and nothing else,
an unreachable Spark Connect server and Ctrl-C each end with one line."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from spark_helpers import REPO, write_image_set

from sparkhash.spark import lease, session

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sparkhash.cli", *args]


def environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYSPARK_PYTHON=sys.executable)
    env.pop("SPARK_REMOTE", None)
    env.update(extra)
    return env


def test_glob_input_run_prints_only_its_summary(tmp_path):
    for name in ("a", "b"):
        write_image_set(tmp_path / "in" / name, count=2, seed=ord(name))
    out = tmp_path / "out"
    done = subprocess.run(
        command(
            "hash", f"{tmp_path}/in/{{a,b,c}}", str(out), "--algorithms", "phash", "--master", "local[1]"
        ),
        env=environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""  # no start-up warnings, no listing warning for the missing c/
    assert done.stdout.count("\n") == 1 and done.stdout.startswith("sparkhash hash: 4 files seen, 4 hashed")


def test_unanswering_spark_connect_server_fails_fast_in_one_line(tmp_path):
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    write_image_set(tmp_path / "in", count=1, seed=1)
    started = time.monotonic()
    done = subprocess.run(
        command("hash", str(tmp_path / "in"), str(tmp_path / "out")),
        env=environment(SPARK_REMOTE=f"sc://127.0.0.1:{port}"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert time.monotonic() - started < 60
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "does not answer" in lines[0]


def test_silent_spark_connect_server_fails_within_the_timeout_in_one_line(tmp_path):
    """A server that accepts the connection and never says a word (the case that used to hang
    for good): the gRPC handshake times out after CONNECT_TIMEOUT_SECONDS."""
    accepted: list[socket.socket] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]

        def accept_and_stay_silent() -> None:
            with contextlib.suppress(OSError):  # the listening socket is closed at the end
                while True:
                    accepted.append(server.accept()[0])

        threading.Thread(target=accept_and_stay_silent, daemon=True).start()
        write_image_set(tmp_path / "in", count=1, seed=1)
        started = time.monotonic()
        try:
            done = subprocess.run(
                command("hash", str(tmp_path / "in"), str(tmp_path / "out")),
                env=environment(SPARK_REMOTE=f"sc://127.0.0.1:{port}"),
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            for connection in accepted:
                connection.close()
    elapsed = time.monotonic() - started
    assert accepted, "the command never connected"
    assert elapsed < session.CONNECT_TIMEOUT_SECONDS + 50  # start-up, then the 10 s timeout
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0], done.stderr
    assert f"does not answer within {session.CONNECT_TIMEOUT_SECONDS:.0f} s" in lines[0]
    assert "handshake" in lines[0]
    assert not (tmp_path / "out").exists()


def test_ctrl_c_ends_with_one_line_and_releases_the_lease(tmp_path):
    write_image_set(tmp_path / "in", count=40, seed=3)
    out = tmp_path / "out"
    running = subprocess.Popen(
        command("hash", str(tmp_path / "in"), str(out), "--master", "local[1]"),
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not (out / lease.LEASE_FILE).exists():
            assert running.poll() is None and time.monotonic() < deadline, running.communicate()
            time.sleep(0.05)
        time.sleep(1)
        running.send_signal(signal.SIGINT)
        stdout, stderr = running.communicate(timeout=120)
    finally:
        running.kill()
    assert running.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["sparkhash hash: interrupted"]
    assert not (out / lease.LEASE_FILE).exists()


def test_an_error_raised_while_ctrl_c_is_handled_is_the_interruption():
    """Py4J's cleanup of a Java call broken off by Ctrl-C raises its own error when the
    gateway is gone (seen in CI under load: exit 1, "Gateway must be connected to send cancel
    cmd."); the command still ends as interrupted. Other errors stay errors."""
    from py4j.protocol import Py4JError

    from sparkhash.cli import interrupted

    def py4j_cleanup_after_ctrl_c():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise Py4JError("Gateway must be connected to send cancel cmd.")  # noqa: B904 - as Py4J does

    with pytest.raises(Py4JError) as raised:
        py4j_cleanup_after_ctrl_c()
    assert interrupted(raised.value)
    try:
        raise RuntimeError("wrapped") from raised.value
    except RuntimeError as exc:
        assert interrupted(exc)
    assert not interrupted(Py4JError("Gateway must be connected to send cancel cmd."))
    try:
        raise ValueError("bad input") from OSError("disk")
    except ValueError as exc:
        assert not interrupted(exc)
