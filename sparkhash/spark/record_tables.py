"""Which table of a hash OUTPUT holds an algorithm's output: the one seam between the registry
records (`Algorithm.table`) and the tables read from an OUTPUT.

`sparkhash.spark.tables.read_hash_output` reads (hashes, exploded tables by name); a
single-hash algorithm's columns are in the hashes table, a multi-hash algorithm's rows in its
exploded table (`segments` for crop_resistant, `pdq_dihedral`). `dups`, `match` and `evaluate`
ask `record_table` instead of naming tables.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import DataFrame

from sparkhash.core.registry import Algorithm
from sparkhash.spark.tables import HASHES, SEGMENTS


def record_table(
    record: Algorithm, hashes: DataFrame, exploded: Mapping[str, DataFrame] | DataFrame | None
) -> DataFrame | None:
    """The table holding `record`'s output in a hash OUTPUT read as (hashes, exploded tables):
    the hashes table for a single-hash algorithm, its exploded table for a multi-hash one (None
    when the OUTPUT has none). `exploded` may also be a segments table alone (or None)."""
    if exploded is None or isinstance(exploded, DataFrame):
        exploded = {SEGMENTS: exploded}
    return {**exploded, HASHES: hashes}.get(record.table)
