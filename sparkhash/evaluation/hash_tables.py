"""The hashes and segments of the labelled files, made by the hash job's own code.

Either read from an existing `sparkhash hash` output, or computed now with
`sparkhash.spark.api.hash_images` over the labelled files (cached once, so the images are
decoded a single time), which is what `sparkhash hash` runs.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from sparkhash.core.params import HashParams
from sparkhash.core.registry import EXPLODED_TABLES
from sparkhash.spark.api import exploded_table, hash_images, hashes_table
from sparkhash.spark.tables import ExplodedTables, path_exists, read_hash_output


def hash_labelled_files(
    spark: SparkSession,
    labelled: DataFrame,
    algorithms: tuple[str, ...],
    params: HashParams,
) -> tuple[DataFrame, ExplodedTables]:
    """Hash the labelled files with the hash job's DataFrame API (cached: hashed once).

    Missing files are left out here; the evaluation counts them as never matched."""
    paths = [row.path for row in labelled.select("path").collect() if path_exists(spark, row.path)]
    if not paths:
        raise FileNotFoundError("none of the labelled files exists")
    files = spark.read.format("binaryFile").load(paths)
    hashed = hash_images(files, algorithms=algorithms, params=params).drop("content").cache()
    hashed.count()
    exploded = ExplodedTables(
        {t: exploded_table(hashed, r, "evaluate") for t, r in EXPLODED_TABLES.items() if r.name in algorithms}
    )  # the multi-hash algorithms' tables (segments, pdq_dihedral)
    return hashes_table(hashed, "evaluate"), exploded


def hash_tables(
    spark: SparkSession,
    labelled: DataFrame,
    existing: str | None,
    algorithms: tuple[str, ...],
    params: HashParams,
) -> tuple[DataFrame, ExplodedTables]:
    """(hashes, exploded tables by name): read from `existing` output when given, else hashed now."""
    if existing:
        return read_hash_output(spark, existing)
    return hash_labelled_files(spark, labelled, algorithms, params)
