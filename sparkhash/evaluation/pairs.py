"""Every labelled pair with its distance per algorithm, reduced on Spark to a small histogram.

The evaluation is exact: all pairs of labelled files are formed (a self-join on key_a < key_b),
so every within-group pair is a positive and every between-group pair a negative. Only the
histogram (algorithm, distance, positive, edit) -> count reaches the driver, so the tables for
any threshold follow from cumulative sums. A file that could not be hashed (or is missing from
the hash table) keeps its pairs with a null distance: never within any threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sparkhash.core.params import CROP_RESISTANT
from sparkhash.core.registry import HAMMING, HAMMING_EXPLODED, VERIFIED, get
from sparkhash.dedup.join import hamming
from sparkhash.dedup.matchers import matcher_for
from sparkhash.evaluation.hamming import distance, with_words, word_names, words_needed
from sparkhash.evaluation.truth import REFERENCE_EDIT, path_key
from sparkhash.spark.record_tables import record_table

HISTOGRAM_COLUMNS = ["algorithm", "distance", "positive", "edit", "pairs"]


def hex_widths(hashes: DataFrame, algorithms: Sequence[str]) -> dict[str, int]:
    """Longest hex string per algorithm column (0 when the column is all null)."""
    if not algorithms:
        return {}
    row = hashes.agg(*[F.max(F.length(a)).alias(a) for a in algorithms]).first()
    return {a: int(row[a] or 0) for a in algorithms}


def _side(df: DataFrame, suffix: str, columns: Sequence[str]) -> DataFrame:
    return df.select(*[F.col(c).alias(f"{c}_{suffix}") for c in columns])


def _edit_of_pair(reference_edit: str) -> Column:
    """The edit of the non-reference file when a pair is (reference, edited copy) of one group."""
    same_group = F.col("group_a") == F.col("group_b")
    return (
        F.when(
            same_group & (F.col("edit_a") == reference_edit) & (F.col("edit_b") != reference_edit),
            F.col("edit_b"),
        )
        .when(
            same_group & (F.col("edit_b") == reference_edit) & (F.col("edit_a") != reference_edit),
            F.col("edit_a"),
        )
        .otherwise(F.lit(None).cast("string"))
    )


def segment_distances(labelled: DataFrame, segments: DataFrame, algorithm: str = CROP_RESISTANT) -> DataFrame:
    """(key_a, key_b, <algorithm>): the closest pair of segments (rows of an exploded table, e.g.
    crop_resistant's) of two labelled files.

    A pair "matches at threshold t" when at least one segment of one file is within Hamming t
    of a segment of the other: imagehash's `ImageMultiHash.matches` with region_cutoff=1 and
    hamming_cutoff=t, which is also the dups job's segment matching (`distance` of its
    crop_resistant pairs is this smallest segment-pair distance). For a record with a
    `query_segment` (pdq_dihedral) only row pairs with one query row count, as in `dups`.
    """
    keyed = segments.select(path_key(F.col("path")).alias("key"), "segment", "hash").join(
        labelled.select("key"), "key"
    )
    words = words_needed(int(keyed.agg(F.max(F.length("hash"))).first()[0] or 16))
    keyed = with_words(keyed, "hash", "h", words)
    names = word_names("h", words)
    a = keyed.select(
        F.col("key").alias("key_a"), F.col("segment").alias("sa"), *[F.col(n).alias(f"a_{n}") for n in names]
    )
    b = keyed.select(
        F.col("key").alias("key_b"), F.col("segment").alias("sb"), *[F.col(n).alias(f"b_{n}") for n in names]
    )
    pairs = a.join(b, F.col("key_a") < F.col("key_b"))
    query = get(algorithm).query_segment
    if query is not None:  # pdq_dihedral: one image's original hash against the other's 8 (dedup.segments)
        pairs = pairs.where((F.col("sa") == F.lit(query)) | (F.col("sb") == F.lit(query)))
    return (
        pairs.select("key_a", "key_b", distance("a_h", "b_h", words).alias("d"))
        .groupBy("key_a", "key_b")
        .agg(F.min("d").alias(algorithm))
    )


def robust_distances(labelled: DataFrame, hashes: DataFrame, algorithm: str = "robust") -> DataFrame:
    """(key_a, key_b, <algorithm> = 0): the pairs the dups job's matcher of a verified algorithm
    (robust: candidate join + verification, as `sparkhash dups --algorithm robust`) reports among
    the labelled files. There is no distance: a reported pair is at 0, every other pair never
    matches (null)."""
    mine = hashes.withColumn("key", path_key(F.col("path"))).join(labelled.select("key"), "key", "left_semi")
    record = get(algorithm)
    found = matcher_for(record).within(record, mine.drop("key"), 0)
    ka, kb = path_key(F.col("path_a")), path_key(F.col("path_b"))
    return found.select(
        F.least(ka, kb).alias("key_a"), F.greatest(ka, kb).alias("key_b"), F.lit(0).alias(algorithm)
    ).distinct()


#: The distance columns of the matcher kinds that are not computed in the pair self-join
#: (HAMMING is: one hex column per algorithm), by kind: (labelled, table, algorithm) -> (key_a, key_b, algorithm).
_DISTANCES = {HAMMING_EXPLODED: segment_distances, VERIFIED: robust_distances}


def distance_histogram(
    labelled: DataFrame,
    hashes: DataFrame,
    algorithms: Sequence[str],
    segments: DataFrame | None = None,
    reference_edit: str = REFERENCE_EDIT,
) -> pd.DataFrame:
    """Pair counts per (algorithm, distance, positive, edit), as a pandas DataFrame.

    labelled: (key, group, edit) from `read_truth`; hashes: the hash table (path + one hex
        column per single-image algorithm; rows with an `error` count as not hashed);
        segments: the segments table, needed for an exploded algorithm ("crop_resistant"). `edit`
        in the result is set only for (reference, edited) pairs. Each algorithm's distances come
        from its matcher kind (its registry record).
    """
    records = {a: get(a) for a in algorithms}
    single = [a for a in algorithms if records[a].matcher == HAMMING]
    unknown = [a for a in single if a not in hashes.columns]
    if unknown:
        raise ValueError(f"hash table has no column for {unknown}; it has {hashes.columns}")
    others = [a for a in algorithms if records[a].matcher != HAMMING]
    for a in others:
        if records[a].multi and record_table(records[a], hashes, segments) is None:
            raise ValueError(f"{a} needs the {records[a].table} table")
        if not records[a].multi and a not in hashes.columns:
            raise ValueError(f"hash table has no column for {a}; it has {hashes.columns}")
    if "error" in hashes.columns:
        hashes = hashes.where(F.col("error").isNull())
    widths = hex_widths(hashes, single)
    words = {a: words_needed(widths[a]) for a in single}
    files = labelled.select("key", "group", "edit").join(
        hashes.select(path_key(F.col("path")).alias("key"), *single), "key", "left"
    )
    for a in single:
        files = with_words(files, a, a, words[a])
    columns = ["key", "group", "edit", *[n for a in single for n in word_names(a, words[a])]]
    pairs = _side(files, "a", columns).join(_side(files, "b", columns), F.col("key_a") < F.col("key_b"))
    for a in others:
        table = record_table(records[a], hashes, segments)
        pairs = pairs.join(_DISTANCES[records[a].matcher](labelled, table, a), ["key_a", "key_b"], "left")
    distances = {a: _pair_distance(a, words[a]) for a in single}
    distances.update({a: F.col(a) for a in others})
    stacked = pairs.select(
        (F.col("group_a") == F.col("group_b")).alias("positive"),
        _edit_of_pair(reference_edit).alias("edit"),
        F.explode(
            F.array(
                *[F.struct(F.lit(a).alias("algorithm"), distances[a].alias("distance")) for a in algorithms]
            )
        ).alias("d"),
    )
    histogram = (
        stacked.groupBy(
            F.col("d.algorithm").alias("algorithm"), F.col("d.distance").alias("distance"), "positive", "edit"
        )
        .agg(F.count(F.lit(1)).alias("pairs"))
        .toPandas()
    )
    return histogram[HISTOGRAM_COLUMNS]


def _pair_distance(algorithm: str, words: int) -> Column:
    """Distance between side a's and side b's words of `algorithm` (after `_side` renaming)."""
    a_names = [f"{n}_a" for n in word_names(algorithm, words)]
    b_names = [f"{n}_b" for n in word_names(algorithm, words)]
    return hamming(a_names, b_names)
