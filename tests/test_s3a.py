"""Every command on object storage: s3a:// INPUT and OUTPUT on a real local S3 server (moto's,
on 127.0.0.1), through Hadoop's S3A with the JARs .ci/fetch_jars.sh fetches.

The same guarantees as on local files (tests/test_spark_guarantees.py): one writer per OUTPUT
with a lease that is a conditional PUT, a killed run, deleted and vanished objects, re-runs, a
listing of more than one page (S3 lists at most 1,000 keys per request), and a stalled store
that fails in bounded time with one line.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import S3_JARS_ENV, s3_jars
from PIL import Image
from spark_helpers import REPO, expected_hashes, photo_like, write_image_set

from sparkhash import cli
from sparkhash.dedup.output import read_dups, read_matches
from sparkhash.spark import hash_job, lease
from sparkhash.spark.hash_job import HashJobConfig, run_hash_job
from sparkhash.spark.tables import committed_runs, read_hashes

pytestmark = pytest.mark.spark

REGION = "us-east-1"


@dataclass
class Lake:
    """The local S3 server: its endpoint, a boto3 client, and the S3A settings that reach it."""

    endpoint: str
    client: object
    settings: dict[str, str]

    def bucket(self) -> str:
        name = f"lake-{uuid.uuid4().hex[:10]}"
        self.client.create_bucket(Bucket=name)
        return name

    def upload(self, directory: Path, bucket: str, prefix: str) -> dict[str, Path]:
        """Every file under `directory` as an object under `prefix`: s3a URI -> local file."""
        uploaded = {}
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            key = f"{prefix}/{path.relative_to(directory).as_posix()}"
            self.client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            uploaded[f"s3a://{bucket}/{key}"] = path
        return uploaded

    def delete(self, uri: str) -> None:
        bucket, key = uri[len("s3a://") :].split("/", 1)
        self.client.delete_object(Bucket=bucket, Key=key)

    def exists(self, bucket: str, key: str) -> bool:
        return self.client.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0) > 0

    def conf_arguments(self) -> list[str]:
        """--conf options that give a `sparkhash` process the JARs and this server."""
        settings = {"spark.jars": ",".join(s3_jars())}
        settings.update({f"spark.hadoop.{k}": v for k, v in self.settings.items()})
        return [arg for k, v in settings.items() for arg in ("--conf", f"{k}={v}")]


def s3a_settings(endpoint: str) -> dict[str, str]:
    """S3A settings for an S3-compatible server at `endpoint` (plain HTTP, path-style URLs)."""
    return {
        "fs.s3a.endpoint": endpoint,
        "fs.s3a.endpoint.region": REGION,
        "fs.s3a.access.key": "testing",
        "fs.s3a.secret.key": "testing",
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": "false",
    }


@pytest.fixture(scope="module")
def s3(spark):
    if not s3_jars():
        reason = f"no s3a JARs: run .ci/fetch_jars.sh and set {S3_JARS_ENV} to the folder it prints"
        if os.environ.get("CI"):
            pytest.fail(reason)  # CI (.ci/run) fetches them: the suite must run there
        pytest.skip(reason)
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    settings = s3a_settings(endpoint)
    hadoop = spark._jsc.hadoopConfiguration()  # the shared session: no second Spark start-up
    for key, value in settings.items():
        hadoop.set(key, value)
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    yield Lake(endpoint, client, settings)
    server.stop()


def job(input_path: str, output: str, **options) -> HashJobConfig:
    return HashJobConfig(input_path, output, algorithms=("phash", "dhash"), **options)


def current(spark, output: str) -> dict[str, dict]:
    return {r["path"]: r.asDict() for r in read_hashes(spark, output).collect()}


def sparkhash_process(s3: Lake, *args: str, cwd: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYSPARK_PYTHON=sys.executable)
    env.pop("SPARK_REMOTE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "sparkhash.cli", *args, "--master", "local[1]", *s3.conf_arguments()],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_object(s3: Lake, process: subprocess.Popen, bucket: str, key: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not s3.exists(bucket, key):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.1)


def test_lease_is_a_conditional_put(spark, s3, monkeypatch):
    """Two writers that both found no lease: the conditional PUT lets only the first through.
    (A check-then-write would let the second overwrite the first's lease.)"""
    bucket = s3.bucket()
    output = f"s3a://{bucket}/out"
    store = lease.store_for(spark, output)
    assert isinstance(store, lease.HadoopStore)
    path = lease.lease_path(output)
    assert store.create_exclusive(path, b"one")
    assert not store.create_exclusive(path, b"two")
    assert store.read(path) == b"one"

    raced = f"s3a://{bucket}/raced/{lease.LEASE_FILE}"
    opened = store._create_new

    def another_writer_gets_there_first(target):
        stream = opened(target)  # the existence check has passed: no object yet
        s3.client.put_object(Bucket=bucket, Key=f"raced/{lease.LEASE_FILE}", Body=b"theirs")
        return stream

    monkeypatch.setattr(store, "_create_new", another_writer_gets_there_first)
    assert not store.create_exclusive(raced, b"mine")
    assert store.read(raced) == b"theirs"


def test_hash_dups_match_report_evaluate_and_stream_on_s3a(spark, s3, tmp_path, capsys):
    bucket = s3.bucket()
    lake = f"s3a://{bucket}"
    local = tmp_path / "in"
    images = write_image_set(local, count=4, seed=31)
    (local / "sub" / "copy_of_first.png").write_bytes(images[0].read_bytes())
    (local / "broken.jpg").write_bytes(b"not an image")
    files = s3.upload(local, bucket, "in")
    copy, first = f"{lake}/in/sub/copy_of_first.png", f"{lake}/in/{images[0].name}"

    assert cli.main(["hash", f"{lake}/in", f"{lake}/hashes", "--algorithms", "phash,dhash"]) == 0
    assert capsys.readouterr().out.startswith(
        "sparkhash hash: 6 files seen, 5 hashed, 0 skipped (unchanged), 1 failed"
    )
    rows = current(spark, f"{lake}/hashes")
    assert set(rows) == set(files)
    for uri, path in files.items():
        if path.name == "broken.jpg":
            assert rows[uri]["error"] and rows[uri]["phash"] is None
        else:
            assert {a: rows[uri][a] for a in ("phash", "dhash")} == expected_hashes(path, ("phash", "dhash"))

    assert (
        cli.main(["dups", f"{lake}/hashes", f"{lake}/dups", "--algorithm", "phash", "--threshold", "0"]) == 0
    )
    pairs = {frozenset((r["path_a"], r["path_b"])) for r in read_dups(spark, f"{lake}/dups").pairs.collect()}
    assert pairs == {frozenset((copy, first))}

    queries = tmp_path / "queries"
    queries.mkdir()
    Image.open(images[0]).save(queries / "again.png")
    s3.upload(queries, bucket, "queries")
    argv = ["match", f"{lake}/queries", f"{lake}/hashes", f"{lake}/matched", "--threshold", "0"]
    assert cli.main(argv) == 0
    found = {(r.path, r.distance) for r in read_matches(spark, f"{lake}/matched").collect()}
    assert found == {(first, 0), (copy, 0)}

    page = tmp_path / "review.html"
    capsys.readouterr()
    assert cli.main(["report", f"{lake}/dups", str(page), "--hashes", f"{lake}/hashes"]) == 0
    assert page.read_text().count("data:image/jpeg;base64,") == 2  # both images read from s3a
    assert "placeholder" not in capsys.readouterr().out

    truth = "file,group,edit\nsub/copy_of_first.png,first,copy\n" + "".join(
        f"{p.relative_to(local).as_posix()},{'first' if p == images[0] else p.stem},orig\n" for p in images
    )
    s3.client.put_object(Bucket=bucket, Key="truth.csv", Body=truth.encode())
    argv = ["evaluate", f"{lake}/truth.csv", str(tmp_path / "eval"), "--root", f"{lake}/in"]
    assert cli.main([*argv, "--algorithms", "phash", "--no-plots"]) == 0
    assert (tmp_path / "eval" / "metrics.csv").is_file()

    argv = ["hash", f"{lake}/in", f"{lake}/streamed", "--algorithms", "phash", "--stream"]
    argv += ["--checkpoint", f"{lake}/checkpoint", "--available-now", "--max-files-per-trigger", "4"]
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.count("committed run") == 2  # 6 files, 4 per micro-batch
    assert set(current(spark, f"{lake}/streamed")) == set(files)
    assert not s3.exists(bucket, f"hashes/{lease.LEASE_FILE}")
    assert not s3.exists(bucket, f"dups/{lease.LEASE_FILE}")


def test_rerun_deleted_and_vanished_objects_on_s3a(spark, s3, tmp_path, monkeypatch):
    bucket = s3.bucket()
    lake = f"s3a://{bucket}"
    write_image_set(tmp_path / "in", count=4, seed=41)
    uris = sorted(s3.upload(tmp_path / "in", bucket, "in"))

    summary = run_hash_job(spark, job(f"{lake}/in", f"{lake}/out"))
    assert (summary.files_seen, summary.hashed, summary.failed) == (4, 4, 0)
    summary = run_hash_job(spark, job(f"{lake}/in", f"{lake}/out"))  # re-run: nothing new
    assert (summary.hashed, summary.skipped, summary.removed) == (0, 4, 0)

    s3.delete(uris[0])  # deleted: retired by the next run, kept in the history
    summary = run_hash_job(spark, job(f"{lake}/in", f"{lake}/out"))
    assert (summary.removed, summary.hashed, summary.skipped) == (1, 0, 3)
    assert sorted(current(spark, f"{lake}/out")) == uris[1:]
    assert read_hashes(spark, f"{lake}/out", current=False).count() == 4

    # vanished: listed, then gone before its bytes are read
    late = io.BytesIO()
    photo_like(90, 70, 5).save(late, "PNG")
    s3.client.put_object(Bucket=bucket, Key="in/late.png", Body=late.getvalue())
    real_list_input = hash_job.list_input

    def delete_after_listing(spark_, *args):
        listed = real_list_input(spark_, *args)
        s3.delete(f"{lake}/in/late.png")
        return listed

    monkeypatch.setattr(hash_job, "list_input", delete_after_listing)
    summary = run_hash_job(spark, job(f"{lake}/in", f"{lake}/out"))
    assert (summary.hashed, summary.vanished, summary.skipped) == (0, 1, 3)
    assert sorted(current(spark, f"{lake}/out")) == uris[1:]
    assert len(committed_runs(spark, f"{lake}/out")) == 2  # runs that change nothing commit nothing


@pytest.mark.slow
def test_two_writers_on_s3a_the_second_is_refused_and_the_first_loses_nothing(spark, s3, tmp_path):
    bucket = s3.bucket()
    lake = f"s3a://{bucket}"
    write_image_set(tmp_path / "in", count=16)
    files = s3.upload(tmp_path / "in", bucket, "in")
    first = sparkhash_process(
        s3, "hash", f"{lake}/in", f"{lake}/out", "--algorithms", "phash,dhash", cwd=tmp_path
    )
    try:
        wait_for_object(s3, first, bucket, f"out/{lease.LEASE_FILE}")
        with pytest.raises(lease.LeaseHeld, match="is being written by run .* pid " + str(first.pid)):
            run_hash_job(spark, job(f"{lake}/in", f"{lake}/out"))
        out, err = first.communicate(timeout=300)
    finally:
        first.kill()
    assert first.returncode == 0, err
    assert out.startswith("sparkhash hash: 16 files seen, 16 hashed")
    assert sorted(current(spark, f"{lake}/out")) == sorted(files)
    assert len(committed_runs(spark, f"{lake}/out")) == 1
    assert not s3.exists(bucket, f"out/{lease.LEASE_FILE}")


@pytest.mark.slow
def test_killed_run_on_s3a_commits_nothing_and_the_next_run_takes_over(spark, s3, tmp_path):
    bucket = s3.bucket()
    lake = f"s3a://{bucket}"
    write_image_set(tmp_path / "in", count=12)
    files = s3.upload(tmp_path / "in", bucket, "in")
    killed = sparkhash_process(s3, "hash", f"{lake}/in", f"{lake}/out", "--algorithms", "phash", cwd=tmp_path)
    try:
        wait_for_object(s3, killed, bucket, "out/hashes/")  # writing its hashes: kill it now
        killed.send_signal(signal.SIGKILL)
        killed.communicate(timeout=60)
    finally:
        killed.kill()
    assert s3.exists(bucket, f"out/{lease.LEASE_FILE}")  # left behind: its holder is gone
    assert committed_runs(spark, f"{lake}/out") == []
    assert read_hashes(spark, f"{lake}/out") is None

    summary = run_hash_job(spark, job(f"{lake}/in", f"{lake}/out"))  # takes the dead run's lease
    assert (summary.files_seen, summary.hashed) == (12, 12)
    assert sorted(current(spark, f"{lake}/out")) == sorted(files)  # one row each, none doubled
    assert read_hashes(spark, f"{lake}/out", current=False).count() == 12
    assert len(committed_runs(spark, f"{lake}/out")) == 1


@pytest.mark.slow
def test_listing_more_than_a_thousand_objects_gives_one_row_each(spark, s3, tmp_path):
    """S3 lists at most 1,000 keys per request: 1,100 objects take two pages."""
    bucket = s3.bucket()
    lake = f"s3a://{bucket}"
    buffer = io.BytesIO()
    photo_like(16, 12, 3).save(buffer, "PNG")
    body = buffer.getvalue()
    keys = [f"in/{i // 100:02d}/tiny{i:04d}.png" for i in range(1100)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda key: s3.client.put_object(Bucket=bucket, Key=key, Body=body), keys))

    summary = run_hash_job(spark, HashJobConfig(f"{lake}/in", f"{lake}/out", algorithms=("dhash",)))
    assert (summary.files_seen, summary.hashed, summary.failed) == (1100, 1100, 0)
    rows = read_hashes(spark, f"{lake}/out").select("path").collect()
    assert sorted(r.path for r in rows) == sorted(f"{lake}/{key}" for key in keys)


def test_stalled_store_fails_in_bounded_time_with_one_line(spark, s3, capsys):
    """A store that accepts connections and never answers: S3A gives each request up after its
    request timeout (15 s at least) and retries it retry.limit times (0 here; 3 in conf/*.conf)."""
    accepted: list[socket.socket] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        port = server.getsockname()[1]

        def accept_and_stay_silent() -> None:
            try:
                while True:
                    accepted.append(server.accept()[0])
            except OSError:
                return

        threading.Thread(target=accept_and_stay_silent, daemon=True).start()
        bucket = f"stalled-{uuid.uuid4().hex[:8]}"
        hadoop = spark._jsc.hadoopConfiguration()
        for key, value in {
            "endpoint": f"http://127.0.0.1:{port}",
            "connection.timeout": "5s",
            "connection.request.timeout": "15s",
            "retry.limit": "0",
        }.items():
            hadoop.set(f"fs.s3a.bucket.{bucket}.{key}", value)  # per-bucket: only this one stalls
        started = time.monotonic()
        try:
            code = cli.main(["hash", f"s3a://{bucket}/in", f"s3a://{bucket}/out"])
        finally:
            for connection in accepted:
                connection.close()
    elapsed = time.monotonic() - started
    assert accepted, "S3A never connected to the stalled store"
    assert code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sparkhash hash: error: "), lines
    # names the request (the first one: the committed runs' listing under OUTPUT) and its bucket
    assert "AWSApiCallTimeoutException" in lines[0] and f"s3a://{bucket}/" in lines[0]
    assert elapsed < 120  # one 15 s request and no retry: it does not hang
