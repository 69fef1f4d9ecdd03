"""`sparkhash hash` on s3a:// vs local files: the same images, the same cores, one run.

    SPARKHASH_S3_JARS=$(.ci/fetch_jars.sh) python benchmarks/bench_s3a.py [--corpus CORPUS]
        [--files 300] [--rounds 2] [--algorithms phash] [--master local[2]]

Input: the first `--files` files of CORPUS/images (the dev corpus, real photos; repeated under
new names if there are fewer), as local files and as objects of a local S3 server (moto's, in
its own process on 127.0.0.1, path-style, plain HTTP) read through Hadoop's S3A. One Spark
session with the S3A JARs runs every job (`run_hash_job`, INPUT and OUTPUT on the same store, a
fresh OUTPUT each time); each round runs, in alternating order, FEW files and all N files on
each store. Marginal throughput = (N - FEW) / (time(N) - time(FEW)): the per-file cost, with
the per-run fixed cost (listing, lease, commit) taken out; that fixed cost is reported too.
The S3 server shares the machine's cores with Spark (a real store would not): the s3a figure
is a pessimistic bound of S3A's own per-file cost. Prints Markdown.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sparkhash.spark.hash_job import HashJobConfig, run_hash_job
from sparkhash.spark.session import get_session

DEFAULT_CORPUS = Path.home() / ".cache" / "sparkhash" / "corpus"
FEW = 8


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--algorithms", default="phash")
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    jars = sorted(glob.glob(os.path.join(os.environ.get("SPARKHASH_S3_JARS", ""), "*.jar")))
    if not jars:
        sys.exit("set SPARKHASH_S3_JARS to the folder .ci/fetch_jars.sh prints")
    sources = sorted(p for p in (args.corpus / "images").rglob("*") if p.is_file())
    if not sources:
        sys.exit(f"no images under {args.corpus / 'images'}")
    import boto3

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        for _ in range(100):
            try:
                client.list_buckets()
                break
            except Exception:  # noqa: BLE001 - still starting
                time.sleep(0.2)
        run(args, jars, sources, endpoint, client)
    finally:
        server.terminate()
        server.wait(timeout=30)


def run(args, jars, sources, endpoint, client) -> None:
    settings = {
        "spark.jars": ",".join(jars),
        "spark.ui.showConsoleProgress": "false",
        "spark.hadoop.fs.s3a.endpoint": endpoint,
        "spark.hadoop.fs.s3a.endpoint.region": "us-east-1",
        "spark.hadoop.fs.s3a.access.key": "x",
        "spark.hadoop.fs.s3a.secret.key": "x",
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
    }
    spark = get_session(master=args.master, profile="local", app_name="bench-s3a", extra=settings, quiet=True)
    work = Path(tempfile.mkdtemp(prefix="bench-s3a-"))
    files = [
        (f"c{i // len(sources)}_{i:05d}{sources[i % len(sources)].suffix}", sources[i % len(sources)])
        for i in range(args.files)
    ]
    bucket = "bench"
    client.create_bucket(Bucket=bucket)
    inputs = {}
    for label, chosen in (("few", files[:FEW]), ("many", files)):
        local = work / label
        local.mkdir()
        for name, source in chosen:
            data = source.read_bytes()
            (local / name).write_bytes(data)
            client.put_object(Bucket=bucket, Key=f"{label}/{name}", Body=data)
        inputs[("local", label)] = str(local)
        inputs[("s3a", label)] = f"s3a://{bucket}/{label}"
    total_bytes = sum(source.stat().st_size for _, source in files)
    algorithms = tuple(args.algorithms.split(","))
    run_hash_job(spark, HashJobConfig(inputs[("local", "few")], str(work / "warm"), algorithms=algorithms))

    times: dict[tuple[str, str], list[float]] = {}
    for round_ in range(args.rounds):
        order = [("local", "few"), ("local", "many"), ("s3a", "few"), ("s3a", "many")]
        if round_ % 2:
            order.reverse()
        for store, label in order:
            out = (
                str(work / f"out-{uuid.uuid4().hex[:8]}")
                if store == "local"
                else f"s3a://{bucket}/out-{uuid.uuid4().hex[:8]}"
            )
            started = time.perf_counter()
            summary = run_hash_job(spark, HashJobConfig(inputs[(store, label)], out, algorithms=algorithms))
            elapsed = time.perf_counter() - started
            expected = FEW if label == "few" else args.files
            assert summary.hashed == expected, summary.line()
            times.setdefault((store, label), []).append(elapsed)
            print(f"  round {round_ + 1} {store:5} {label:4}: {elapsed:6.1f} s", file=sys.stderr)
    spark.stop()

    print(
        f"`python benchmarks/bench_s3a.py --files {args.files} --rounds {args.rounds} --algorithms "
        f"{args.algorithms} --master {args.master}` ({datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()}, {os.cpu_count()} cores, load average at the end "
        f"{os.getloadavg()[0]:.1f}); {args.files} photos, {total_bytes / 1e6:.1f} MB\n"
    )
    print("| store | round | FEW run (s) | N run (s) | marginal (images/s) |")
    print("|---|---|---|---|---|")
    marginal: dict[str, list[float]] = {}
    for store in ("local", "s3a"):
        for i, (few, many) in enumerate(zip(times[(store, "few")], times[(store, "many")], strict=True)):
            rate = (args.files - FEW) / (many - few)
            marginal.setdefault(store, []).append(rate)
            print(f"| {store} | {i + 1} | {few:.1f} | {many:.1f} | {rate:.1f} |")
    ratio = statistics.median(marginal["s3a"]) / statistics.median(marginal["local"])
    print(f"\nmedian marginal s3a / local: {ratio:.2f}")


if __name__ == "__main__":
    main()
