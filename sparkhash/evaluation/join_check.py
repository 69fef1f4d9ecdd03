"""Cross-check: does the dups job's banded join find exactly the pairs the evaluation counts?

The evaluation forms all labelled pairs; `sparkhash dups` never does, it band-joins. For each
algorithm this runs the dups job's own pair finder (exact mode, identical-hash groups fully
expanded) on the labelled files at one threshold and compares its pair count with the
evaluation's tp + fp at that threshold. Every pair the finder returns is verified within the
threshold, so equal counts mean equal pair sets: the table's numbers are what users get.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sparkhash.core.params import CROP_RESISTANT
from sparkhash.dedup.pairs import find_pairs
from sparkhash.dedup.robust import ROBUST
from sparkhash.dedup.segments import find_segment_pairs
from sparkhash.evaluation.truth import path_key

CHECK_COLUMNS = ["algorithm", "threshold", "evaluation_pairs", "dups_pairs", "same"]


def _labelled_only(table: DataFrame, labelled: DataFrame) -> DataFrame:
    keys = labelled.select("key")
    return table.withColumn("key", path_key(F.col("path"))).join(keys, "key", "left_semi").drop("key")


def check_join(
    labelled: DataFrame,
    hashes: DataFrame,
    segments: DataFrame | None,
    algorithms: Sequence[str],
    threshold: int,
    metrics: pd.DataFrame,
) -> pd.DataFrame:
    """One row per algorithm: pairs within `threshold` by the evaluation and by the dups join."""
    rows = []
    for algorithm in algorithms:
        at = metrics[(metrics["algorithm"] == algorithm) & (metrics["threshold"] == threshold)]
        expected = int(at["tp"].iloc[0] + at["fp"].iloc[0]) if len(at) else None
        if algorithm == ROBUST:  # its pairs are the dups job's own (robust_distances): nothing to compare
            continue
        if algorithm == CROP_RESISTANT:
            if segments is None:
                continue
            found = find_segment_pairs(_labelled_only(segments, labelled), hamming_cutoff=threshold).pairs
        else:
            found = find_pairs(
                _labelled_only(hashes, labelled),
                algorithm=algorithm,
                threshold=threshold,
                expand_limit=1 << 40,
            ).pairs
        count = found.count()
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
