"""Run by test_spark_connect.py in its own process: the DataFrame API and the job through a
Spark Connect session (`remote("local[2]")` starts a local Connect server for this process).

Prints one JSON object: the session's class, hashed rows, segment rows and the job summary.
"""

from __future__ import annotations

import json
import sys

from pyspark.sql import SparkSession

from sparkhash.spark.api import hash_images, hashes_table, segments_table
from sparkhash.spark.hash_job import HashJobConfig, run_hash_job
from sparkhash.spark.read import binary_files
from sparkhash.spark.tables import read_hashes, read_segments


def main(input_dir: str, work_dir: str) -> None:
    spark = SparkSession.builder.remote("local[2]").getOrCreate()
    staged_path = f"{work_dir}/staged"
    hash_images(binary_files(spark, input_dir), algorithms="ahash,phash,crop_resistant").write.parquet(
        staged_path
    )
    staged = spark.read.parquet(staged_path)
    hashes = [r.asDict() for r in hashes_table(staged, "connect").drop("modification_time").collect()]
    segments = [r.asDict() for r in segments_table(staged, "connect").collect()]
    summary = run_hash_job(
        spark, HashJobConfig(input_dir, f"{work_dir}/out", algorithms=("dhash", "crop_resistant"))
    )
    job_hashes = {r["path"]: r["dhash"] for r in read_hashes(spark, f"{work_dir}/out").collect()}
    job_segments = read_segments(spark, f"{work_dir}/out").count()
    print(
        json.dumps(
            {
                "session": type(spark).__module__,
                "hashes": hashes,
                "segments": segments,
                "summary": summary.line(),
                "job_hashes": job_hashes,
                "job_segments": job_segments,
            }
        )
    )
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
