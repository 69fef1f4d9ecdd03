"""Crop-resistant matching: band-join the segments table, count matched segments per image pair.

Semantics are imagehash's ImageMultiHash.hash_diff / matches: a segment of A counts when its
closest segment of B is within the cutoff (inclusive); A.matches(B) when at least
`region_cutoff` segments of A count. This is asymmetric, so a pair (path_a < path_b) is
reported when A.matches(B) OR B.matches(A), with
  segments_a       = A.hash_diff(B)[0]  (segments of path_a with a match in path_b),
  segments_b       = B.hash_diff(A)[0]  (segments of path_b with a match in path_a),
  matched_segments = max(segments_a, segments_b)  (>= region_cutoff for every reported pair),
  distance         = the smallest segment-pair distance.
Counts come only from verified segment pairs, so a reported pair is always one matches()
accepts in the direction whose count is >= region_cutoff; exact mode finds every such pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sparkhash.core.params import CROP_RESISTANT
from sparkhash.dedup.join import join_within
from sparkhash.dedup.pairs import prepare
from sparkhash.dedup.plan import (
    DEFAULT_HOT_BUCKET,
    DEFAULT_RECALL,
    BandPlan,
    Planner,
    planner_for,
    threshold_or_default,
)


@dataclass
class SegmentPairsResult:
    pairs: DataFrame
    plan: BandPlan
    cutoff: int


def segment_cutoff(
    nbits: int,
    hamming_cutoff: float | None = None,
    bit_error_rate: float | None = None,
    algorithm: str = CROP_RESISTANT,
) -> int:
    """The row cutoff as an integer distance: hamming_cutoff, else nbits·bit_error_rate, else
    the algorithm's default (`Algorithm.default_threshold`: for crop_resistant imagehash's
    nbits·0.25, for pdq_dihedral PDQ's 31)."""
    if hamming_cutoff is None and bit_error_rate is None:
        return threshold_or_default(None, algorithm, nbits)
    if hamming_cutoff is None:
        hamming_cutoff = nbits * bit_error_rate
    return math.floor(hamming_cutoff)


def find_segment_pairs(
    segments: DataFrame,
    region_cutoff: int = 1,
    hamming_cutoff: float | None = None,
    bit_error_rate: float | None = None,
    mode: str = "exact",
    target_recall: float = DEFAULT_RECALL,
    shared_limit: int | None = None,
    hot_bucket: int = DEFAULT_HOT_BUCKET,
    planner: Planner | None = None,
    algorithm: str = CROP_RESISTANT,
) -> SegmentPairsResult:
    """Image pairs that match as crop-resistant multi-hashes (see module docstring).

    segments: the exploded table of `algorithm` (a multi-hash algorithm: crop_resistant's
    segments table, or any table of path, segment, hash rows).
    shared_limit: skip segment hashes shared by more than this many images (blank regions);
    this only lowers recall, never adds a pair matches() would reject. None keeps them all.
    `planner` replaces mode, target_recall and hot_bucket (see `pairs.find_pairs`).
    """
    rows = segments.select("path", "segment", F.lower("hash").alias("hex"))
    prep = prepare([segments], algorithm, rows)
    cutoff = segment_cutoff(prep.nbits, hamming_cutoff, bit_error_rate, algorithm)
    wcols = prep.wcols
    members = prep.rows.drop("hex")
    distinct = members.groupBy(*wcols).agg(F.countDistinct("path").alias("images"))
    if shared_limit is not None:
        distinct = distinct.filter(F.col("images") <= shared_limit)
        members = members.join(distinct.select(*wcols), wcols)
    distinct = distinct.select(*wcols).localCheckpoint(eager=True)
    hp, plan = join_within(
        distinct,
        cutoff,
        planner=planner or planner_for(mode, target_recall, hot_bucket),
        nbits=prep.nbits,
        words=prep.words,
    )
    same = distinct.select(
        *[F.col(w).alias(f"a_{w}") for w in wcols],
        *[F.col(w).alias(f"b_{w}") for w in wcols],
        F.lit(0).alias("distance"),
    )
    ma = members.select(
        *[F.col(w).alias(f"a_{w}") for w in wcols], F.col("path").alias("pa"), F.col("segment").alias("sa")
    )
    mb = members.select(
        *[F.col(w).alias(f"b_{w}") for w in wcols], F.col("path").alias("pb"), F.col("segment").alias("sb")
    )
    seg_pairs = (
        hp.unionByName(same)
        .join(ma.hint("merge"), [f"a_{w}" for w in wcols])
        .join(mb.hint("merge"), [f"b_{w}" for w in wcols])
        .filter(F.col("pa") != F.col("pb"))
    )
    a_first = F.col("pa") < F.col("pb")
    oriented = seg_pairs.select(
        F.when(a_first, F.col("pa")).otherwise(F.col("pb")).alias("path_a"),
        F.when(a_first, F.col("pb")).otherwise(F.col("pa")).alias("path_b"),
        F.when(a_first, F.col("sa")).otherwise(F.col("sb")).alias("seg_a"),
        F.when(a_first, F.col("sb")).otherwise(F.col("sa")).alias("seg_b"),
        "distance",
    )
    counted = oriented.groupBy("path_a", "path_b").agg(
        F.countDistinct("seg_a").alias("segments_a"),
        F.countDistinct("seg_b").alias("segments_b"),
        F.min("distance").alias("distance"),
    )
    pairs = counted.filter(F.greatest("segments_a", "segments_b") >= region_cutoff).select(
        "path_a",
        "path_b",
        F.lit(algorithm).alias("algorithm"),
        F.col("distance").cast("int").alias("distance"),
        F.greatest("segments_a", "segments_b").cast("int").alias("matched_segments"),
        F.col("segments_a").cast("int").alias("segments_a"),
        F.col("segments_b").cast("int").alias("segments_b"),
    )
    return SegmentPairsResult(pairs=pairs, plan=plan, cutoff=cutoff)
