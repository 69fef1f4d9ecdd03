# Databricks notebook source
# MAGIC %md
# MAGIC # sparkhash walkthrough: hash → duplicates → review
# MAGIC
# MAGIC This notebook runs the three steps of a near-duplicate clean-up on a small generated sample:
# MAGIC
# MAGIC 1. **hash** every image once (perceptual hashes, bit-exact with `imagehash` 4.3.2) into a hashes table,
# MAGIC 2. **dups**: find near-duplicate pairs within a Hamming threshold and group them into clusters
# MAGIC    (one file per cluster marked `keep`),
# MAGIC 3. **review** the clusters in a self-contained HTML page before deleting anything.
# MAGIC
# MAGIC It works the same on your own images: point `IMAGES` at a directory (DBFS, a Unity Catalog volume,
# MAGIC `s3://`, `abfss://`, ...) and skip the sample cell. Every step is also a command
# MAGIC (`sparkhash hash|dups|report`) for jobs and schedules; see `docs/running-on-clusters.md`.
# MAGIC
# MAGIC **Cluster:** Databricks Runtime with Spark 4 (Python 3.10+), classic compute (single user or no
# MAGIC isolation shared). Install the library on the cluster, or run the next cell.

# COMMAND ----------

# MAGIC %pip install "sparkhash[report]"

# COMMAND ----------

# MAGIC %md
# MAGIC ## Where things go
# MAGIC
# MAGIC Use a location the driver can also read as a local path (a Unity Catalog volume under `/Volumes/...`,
# MAGIC or DBFS through `/dbfs/...`): the sample is written and the report read with plain Python file I/O.

# COMMAND ----------

# ruff: noqa: E402, F821 (spark, display and displayHTML are notebook globals; each cell imports what it uses)
import os

BASE = os.environ.get(
    "SPARKHASH_DEMO_BASE", "/Volumes/main/default/sparkhash_demo"
)  # or "/dbfs/tmp/sparkhash_demo"
IMAGES = f"{BASE}/images"  # the images to de-duplicate
HASHES = f"{BASE}/hashes"  # `sparkhash hash` OUTPUT (hashes/, segments/, runs/)
DUPS = f"{BASE}/dups"  # `sparkhash dups` OUTPUT (committed runs: read_dups)
REPORT = f"{BASE}/review.html"

ALGORITHM = "phash"  # see docs/evaluation.md for choosing the algorithm ...
THRESHOLD = 4  # ... and the threshold

# COMMAND ----------

# MAGIC %md
# MAGIC ## 0. A sample to try it on
# MAGIC
# MAGIC Eight groups of a generated "photo" and its edited copies (resized, recompressed, cropped, brighter,
# MAGIC greyscale, WebP), plus three broken files. Skip this cell for your own images.

# COMMAND ----------

from sparkhash.sample import write_sample

written = write_sample(IMAGES, groups=8)
print(f"{len(written)} files under {IMAGES}")

# COMMAND ----------

# MAGIC %md
# MAGIC ## 1. Hash
# MAGIC
# MAGIC One pass over the files: each image is decoded once and every requested hash is computed from it.
# MAGIC The run is committed atomically; running the cell again hashes only new or changed files
# MAGIC (incremental), so the same cell serves a scheduled job. Unreadable files get a row with an `error`.

# COMMAND ----------

from sparkhash.spark.hash_job import HashJobConfig, run_hash_job
from sparkhash.spark.tables import read_hashes

summary = run_hash_job(
    spark, HashJobConfig(input=IMAGES, output=HASHES, algorithms=("phash", "dhash", "crop_resistant"))
)
print(summary.line())

hashes = read_hashes(spark, HASHES)  # the current row of every file
display(hashes.select("path", "width", "height", "phash", "dhash", "segment_count", "error"))

# COMMAND ----------

# MAGIC %md
# MAGIC The same step as a command (e.g. a Databricks job's Python-wheel or spark-submit task):
# MAGIC
# MAGIC ```
# MAGIC sparkhash hash /Volumes/main/default/sparkhash_demo/images /Volumes/main/default/sparkhash_demo/hashes
# MAGIC ```

# COMMAND ----------

# MAGIC %md
# MAGIC ## 2. Near-duplicate pairs and clusters
# MAGIC
# MAGIC `run_dups` is an exact banded self-join: every pair within `THRESHOLD` is found, without comparing
# MAGIC all pairs. Clusters are the connected components of the pairs; in each, the file with the most
# MAGIC pixels (then the largest file) is marked `keep` (`DupsConfig(keep=...)` chooses another policy).

# COMMAND ----------

from sparkhash import DupsConfig, read_dups, run_dups

# One committed dups run (pairs, clusters, groups and the remove listing become visible together).
result = run_dups(spark, DupsConfig(hashes=HASHES, output=DUPS, algorithm=ALGORITHM, threshold=THRESHOLD))
dups = read_dups(spark, DUPS)  # the latest committed run: .pairs, .clusters, .groups, .remove
display(dups.pairs.orderBy("distance"))

# COMMAND ----------

# MAGIC %md
# MAGIC As a command, with crop-resistant segment matching added (finds crops the whole-image hashes miss):
# MAGIC
# MAGIC ```
# MAGIC sparkhash dups /Volumes/main/default/sparkhash_demo/hashes /Volumes/main/default/sparkhash_demo/dups \
# MAGIC     --algorithm phash --threshold 4 --segments
# MAGIC ```

# COMMAND ----------

# MAGIC %md
# MAGIC ## 3. Review before deleting
# MAGIC
# MAGIC The report is one HTML file with the thumbnails embedded (no external assets), the largest and most
# MAGIC uncertain clusters first, 50 clusters per page. It opens in any browser; here it is also shown inline.

# COMMAND ----------

from pathlib import Path

from sparkhash.report.build import ReportRequest, build_report

report = build_report(spark, ReportRequest(dups=DUPS, output=Path(REPORT), hashes=hashes, top=1000))
print(
    f"{report.clusters} clusters, {report.to_delete} files not kept, {report.bytes_reclaimable} bytes reclaimable"
)
displayHTML(Path(REPORT).read_text())

# COMMAND ----------

# MAGIC %md
# MAGIC As a command: `sparkhash report /Volumes/main/default/sparkhash_demo/dups review.html --hashes /Volumes/main/default/sparkhash_demo/hashes`
# MAGIC
# MAGIC ## 4. Act on it
# MAGIC
# MAGIC The files to delete (or move to a quarantine location) are the dups run's remove listing: every
# MAGIC cluster member not kept, with the kept file and the reason. Review first; nothing here deletes anything.

# COMMAND ----------

to_delete = read_dups(spark, DUPS).remove  # path, cluster, kept_path, reason
display(to_delete)

# COMMAND ----------

# MAGIC %md
# MAGIC ## Next
# MAGIC
# MAGIC * Schedule the hash and dups commands as a Databricks job (incremental runs): `docs/running-on-clusters.md`.
# MAGIC * Choose the algorithm and threshold for your kind of edits with `sparkhash evaluate` on a labelled
# MAGIC   sample of your own data: `docs/evaluation.md`.
