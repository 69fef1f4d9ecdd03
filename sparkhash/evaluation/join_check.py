"""Cross-check: does the dups job's banded join find exactly the pairs the evaluation counts?

The evaluation forms all labelled pairs; `sparkhash dups` never does, it band-joins. For each
algorithm this runs the dups job's own pair finder (its matcher kind's, exact mode,
identical-hash groups fully expanded) on the labelled files at one threshold and compares its pair count with the
evaluation's tp + fp at that threshold. Every pair the finder returns is verified within the
threshold, so equal counts mean equal pair sets: the table's numbers are what users get.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sparkhash.core.params import HashParams
from sparkhash.core.registry import get
from sparkhash.dedup.matchers import matcher_for
from sparkhash.dedup.plan import hash_bits, threshold_or_default
from sparkhash.evaluation.truth import path_key
from sparkhash.spark.record_tables import record_table

CHECK_COLUMNS = ["algorithm", "threshold", "evaluation_pairs", "dups_pairs", "same"]


def default_thresholds(algorithms: Sequence[str], params: HashParams | None = None) -> dict[str, int]:
    """The threshold `dups` and `match` use for each algorithm when not told one (its registry
    record's, `plan.threshold_or_default`), for hashes made with `params`; algorithms without
    distances (robust) are left out."""
    params = params or HashParams()
    found = {a: threshold_or_default(None, a, hash_bits(a, params)) for a in algorithms}
    return {a: t for a, t in found.items() if t is not None and matcher_for(a).distances}


def _labelled_only(table: DataFrame, labelled: DataFrame) -> DataFrame:
    keys = labelled.select("key")
    return table.withColumn("key", path_key(F.col("path"))).join(keys, "key", "left_semi").drop("key")


def check_join(
    labelled: DataFrame,
    hashes: DataFrame,
    segments: DataFrame | None,
    algorithms: Sequence[str],
    threshold: int | None,
    metrics: pd.DataFrame,
    params: HashParams | None = None,
) -> pd.DataFrame:
    """One row per algorithm: pairs within `threshold` by the evaluation and by the dups join
    (threshold None: each algorithm's default, `default_thresholds`)."""
    rows = []
    defaults = default_thresholds(algorithms, params)
    given = threshold
    for algorithm in algorithms:
        threshold = defaults.get(algorithm) if given is None else given
        if threshold is None:
            continue
        at = metrics[(metrics["algorithm"] == algorithm) & (metrics["threshold"] == threshold)]
        expected = int(at["tp"].iloc[0] + at["fp"].iloc[0]) if len(at) else None
        record = get(algorithm)
        matcher = matcher_for(record)
        if not matcher.distances:  # its pairs are the dups job's own (robust_distances): nothing to compare
            continue
        table = record_table(record, hashes, segments)
        if table is None:
            continue
        count = matcher.within(record, _labelled_only(table, labelled), threshold).count()
        rows.append(
            {
                "algorithm": algorithm,
                "threshold": threshold,
                "evaluation_pairs": expected,
                "dups_pairs": count,
                "same": expected == count,
            }
        )
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)
