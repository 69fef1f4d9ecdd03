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

A record with a `query_segment` (pdq_dihedral: its rows are the 8 orientations of one hash)
counts only row pairs of which one row is that query row (an image's original hash against the
other image's 8), and a record with a `label` (orientation) gives its pairs a column of that
name: the label of the closest row pair that turns path_b into path_a (path_b's row when
path_a's is the query row, else the inverse of path_a's row, `Algorithm.inverse`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sparkhash.core.params import CROP_RESISTANT
from sparkhash.core.registry import Algorithm, get
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
    record = get(algorithm)
    labels = [record.label] if record.label else []
    rows = segments.select("path", "segment", *labels, F.lower("hash").alias("hex"))
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
    if record.query_segment is not None:
        query = F.lit(record.query_segment)
        oriented = oriented.filter((F.col("seg_a") == query) | (F.col("seg_b") == query))
    closest = []
    if record.label:
        closest = [F.min(F.struct("distance", _turning_b_into_a(record).alias("row"))).alias("closest")]
    counted = oriented.groupBy("path_a", "path_b").agg(
        F.countDistinct("seg_a").alias("segments_a"),
        F.countDistinct("seg_b").alias("segments_b"),
        F.min("distance").alias("distance"),
        *closest,
    )
    pairs = counted.filter(F.greatest("segments_a", "segments_b") >= region_cutoff).select(
        "path_a",
        "path_b",
        F.lit(algorithm).alias("algorithm"),
        F.col("distance").cast("int").alias("distance"),
        F.greatest("segments_a", "segments_b").cast("int").alias("matched_segments"),
        F.col("segments_a").cast("int").alias("segments_a"),
        F.col("segments_b").cast("int").alias("segments_b"),
        *([F.col("closest.row").alias("row")] if record.label else []),
    )
    if record.label:
        pairs = with_row_labels(pairs, prep.rows, record)
    return SegmentPairsResult(pairs=pairs, plan=plan, cutoff=cutoff)


def _turning_b_into_a(record: Algorithm) -> F.Column:
    """Of an oriented row pair (seg_a, seg_b): the row of path_b's whose label turns path_b into
    path_a — seg_b when seg_a is the query row, else the inverse of seg_a."""
    inverse = F.array(*[F.lit(i) for i in record.inverse]) if record.inverse else None
    undo = F.element_at(inverse, F.col("seg_a") + 1) if inverse is not None else F.col("seg_a")
    if record.query_segment is None:
        return F.col("seg_b")
    return F.when(F.col("seg_a") == F.lit(record.query_segment), F.col("seg_b")).otherwise(undo)


def with_row_labels(frame: DataFrame, rows: DataFrame, record: Algorithm) -> DataFrame:
    """`frame` with its `row` column (a row number of `record`'s exploded table) replaced by
    the row's label, in a column named like the label field (pdq_dihedral: orientation)."""
    names = rows.select(F.col("segment").alias("row"), F.col(record.label)).distinct()
    return frame.join(F.broadcast(names), "row", "left").drop("row")
