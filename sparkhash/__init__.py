"""sparkhash: perceptual image hashing bit-exact with imagehash 4.3.2, and near-duplicate
detection on Apache Spark.

    from sparkhash import hash_images, find_pairs, clusters, read_hashes, hamming_distance
    from sparkhash import match, run_match, read_matches, run_hash_stream, parse_policy   # lake workflows
    from sparkhash import UsageError, ParamsMismatch, DupsResult   # errors and result types

The names below are imported on first use (PEP 562), so `import sparkhash` does not import
pyspark; `sparkhash.core` is the portable imagehash drop-in (no Spark).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> module that defines it (imported when the name is first read).
_LAZY: dict[str, str] = {
    "hash_images": "sparkhash.spark.api",
    "read_hashes": "sparkhash.spark.tables",
    "find_pairs": "sparkhash.dedup.api",
    "find_segment_pairs": "sparkhash.dedup.segments",
    "clusters": "sparkhash.dedup.clusters",
    "hamming_distance": "sparkhash.dedup.api",
    "HashParams": "sparkhash.core.params",
    "DecodeOptions": "sparkhash.core.decode",
    "HashJobConfig": "sparkhash.spark.hash_job",
    "run_hash_job": "sparkhash.spark.hash_job",
    "DupsConfig": "sparkhash.dedup.job",
    "run_dups": "sparkhash.dedup.job",
    "read_dups": "sparkhash.dedup.output",
    "read_matches": "sparkhash.dedup.output",
    "match": "sparkhash.dedup.match",
    "MatchConfig": "sparkhash.dedup.match",
    "run_match": "sparkhash.dedup.match",
    "StreamConfig": "sparkhash.spark.stream",
    "start_hash_stream": "sparkhash.spark.stream",
    "run_hash_stream": "sparkhash.spark.stream",
    "KeepPolicy": "sparkhash.dedup.keep",
    "parse_policy": "sparkhash.dedup.keep",
    # what the jobs and joins return
    "JobSummary": "sparkhash.spark.hash_job",
    "DupsResult": "sparkhash.dedup.job",
    "PairsResult": "sparkhash.dedup.pairs",
    "SegmentPairsResult": "sparkhash.dedup.segments",
    "IncrementalResult": "sparkhash.dedup.incremental",
    # every exception (sparkhash.errors: no pyspark)
    **{
        name: "sparkhash.errors"
        for name in (
            "UsageError",
            "ParamsMismatch",
            "QueryError",
            "KeepPolicyError",
            "IncompatibleOutputError",
            "SparkUnavailable",
            "LeaseHeld",
            "LeaseLost",
            "ImageDecodeError",
            "EmptyImageError",
            "NotAnImageError",
            "TruncatedImageError",
            "ImageTooLargeError",
        )
    },
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sparkhash' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
