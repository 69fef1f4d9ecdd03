"""Spark adapters: pandas UDFs over the core, table schemas, input reading and output writing.

The public API, importable from here (loaded on first use, so `import sparkhash.spark.schemas`
stays cheap):

- `hash_images(df, ...)`, `hashes_table(hashed, run_id)`, `segments_table(hashed, run_id)` — api
- `binary_files(spark, input, name_filter, recursive)` — read
- `run_hash_job(spark, HashJobConfig(...)) -> JobSummary` — hash_job
- `read_hashes(spark, output)`, `read_segments(spark, output)`, `committed_runs(spark, output)` — tables
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "hash_images": "api",
    "hashes_table": "api",
    "segments_table": "api",
    "binary_files": "read",
    "run_hash_job": "hash_job",
    "HashJobConfig": "hash_job",
    "JobSummary": "hash_job",
    "read_hashes": "tables",
    "read_segments": "tables",
    "committed_runs": "tables",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"sparkhash.spark.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'sparkhash.spark' has no attribute {name!r}")
