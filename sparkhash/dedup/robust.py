"""`robust` pairs: banded joins on packed band keys, verification of candidates only, then
of the pairs of images that both match a third (a copy of a copy, `hop_candidates`).

The hashes table's `robust` column holds `sparkhash.core.robust.to_text` strings. Each valid
signature gets a long id (`with_ids`) and its candidate rows (the 16-digit global hashes of its
4 candidate orientations, the 64-digit ORB descriptors of both orientations) are cut into bands
(`robust.BAND_SLICES`), each band a (kind, band, value) bucket key packed into one long
(`text_keys`). A window count by key gives each bucket its size, an aggregation its members; a bucket holding
more than `robust.MAX_BUCKET_IMAGES` images is dropped (a common descriptor or a texture shared
by many pictures says nothing), so each bucket yields at most C(MAX_BUCKET_IMAGES, 2) pairs
and the join is linear in the number of key rows, never quadratic. A pair of images is a
candidate when its hits per kind pass `robust.is_candidate` (fewer descriptor hits when one of
them is feature-poor, `feature_poor`); only candidates are joined back
to their paths and texts and reach Python's `robust.verify_pair` (RANSAC geometry + the
aligned thumbnails). A matching pair is explained in the same pass, from the transform and
appearance verification found (`sparkhash.core.explain`: relation, rotation, mirror, scale,
matched boxes, differing share, score, which one is the original): the pairs table's relation
columns (`sparkhash.spark.schemas.RELATION_FIELDS`). The matches found then give the second
pass its pairs (`robust.hop_pairs` is the rule), verified the same way.

Low-detail images (blank, near-uniform, featureless) have no candidate rows
(`RobustSignature.low_detail`): they are never paired by robust and cannot form hot buckets.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from functools import reduce

import numpy as np
import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from sparkhash.core import explain, robust
from sparkhash.dedup.pairs import checked_params, valid_hashes
from sparkhash.spark.schemas import RELATION_FIELDS
from sparkhash.spark.session import shuffle_partitions

ROBUST = "robust"

VERDICT_SCHEMA = StructType(
    [
        StructField("path_a", StringType(), False),
        StructField("path_b", StringType(), False),
        StructField("match", BooleanType(), False),
        StructField("score", DoubleType(), True),
        StructField("inliers", IntegerType(), True),
        StructField("mirrored", BooleanType(), True),
        # the explanation of a match (null for a non-match): the pairs table's relation columns
        *(StructField(f"r_{f.name}", f.dataType, True) for f in RELATION_FIELDS),
    ]
)
#: The relation columns of a verdict row, in RELATION_FIELDS order (None for a non-match).
_NO_RELATION = (None,) * len(RELATION_FIELDS)


def _box(box: tuple[float, float, float, float]) -> dict:
    return dict(zip(("x0", "y0", "x1", "y1"), (round(float(v), 4) for v in box), strict=True))


def relation_values(a: robust.RobustSignature, b: robust.RobustSignature, verdict: robust.Verdict) -> tuple:
    """The relation columns (RELATION_FIELDS order) of a matching verdict of verify_pair(a, b)."""
    x = explain.explain(a, b, verdict)
    r = x.relation
    return (
        r.relation,
        float(r.rotation),
        bool(r.mirrored),
        round(float(r.scale), 4),
        _box(r.box_a),
        _box(r.box_b),
        round(float(r.differing), 4),
        round(float(r.score), 4),
        x.original,
        x.evidence,
    )


#: Bit layout of a packed bucket key (`text_keys`): the band value in the low
#: `robust.BAND_DIGITS` * 4 bits (at most 48), the band index above it, the kind above that.
VALUE_BITS = 48
KIND_BIT = VALUE_BITS + 4
#: Kind flags of the packed keys (bit KIND_BIT).
KIND_FLAGS = {robust.GLOBAL: 0, robust.DESCRIPTOR: 1}
#: Key shuffle partitions per partition of the checkpointed signatures (see `candidate_ids`).
KEY_PARTITIONS_PER_INPUT = 16

assert all(4 * d <= VALUE_BITS for d in robust.BAND_DIGITS.values())
assert all(len(b) <= 16 for b in robust.BAND_SLICES.values())  # band index: 4 bits
assert all(
    i % 2 == 0 for b in robust.BAND_SLICES.values() for band in b for piece in band for i in piece
)  # whole bytes


def _band_bytes(kind: str) -> np.ndarray:
    """(bands, bytes per band) byte offsets within a row of each band of `kind`
    (`robust.BAND_SLICES`; every slice is whole bytes)."""
    return np.array(
        [
            [i for start, stop in band for i in range(start // 2, stop // 2)]
            for band in robust.BAND_SLICES[kind]
        ]
    )


_BAND_BYTES = {kind: _band_bytes(kind) for kind in robust.BAND_SLICES}


def _packed(text: str, kind: str, limit: int | None) -> np.ndarray:
    """int64 packed keys of every band of every `kind` row of the hex string `text` (see
    `text_keys`); none for a part that is not whole hex rows (from_text could not read it)."""
    row = robust.ROW_DIGITS[kind]
    rows = len(text) // row if limit is None else min(len(text) // row, limit)
    offsets = _BAND_BYTES[kind]
    bands, size = offsets.shape
    try:
        raw = np.frombuffer(bytes.fromhex(text[: rows * row]), np.uint8)
    except ValueError:
        return np.zeros(0, np.int64)
    if len(raw) != rows * row // 2:  # fromhex skips whitespace
        return np.zeros(0, np.int64)
    cut = raw.reshape(rows, row // 2)[:, offsets].astype(np.int64)  # (rows, bands, size)
    value = cut[:, :, 0]
    for k in range(1, size):  # big-endian bytes: the value of the band's hex digits
        value = (value << 8) | cut[:, :, k]
    tag = (KIND_FLAGS[kind] << KIND_BIT) | (np.arange(bands, dtype=np.int64) << VALUE_BITS)
    return (value | tag).ravel()


def text_keys(text: str, cfg: robust.Config = robust.DEFAULT_CONFIG) -> np.ndarray:
    """The distinct packed bucket keys (sorted int64) of a `robust.to_text` string.

    A key is (kind, band index, band value) of one band (`robust.bands`) of one candidate row
    (`robust.text_rows`) packed into one long, so the shuffles move 8-byte keys instead of
    (kind, band, hex) strings, and equal keys are exactly equal bands. A global hash and its
    mirror share band indices, so do both descriptor orientations; a band value repeated in
    one image is one key.
    """
    try:
        g, d0, d1, _ = robust.text_parts(text)
    except ValueError:  # another format version: never compared
        return np.zeros(0, np.int64)
    parts = [
        _packed(g, robust.GLOBAL, None),
        _packed(d0, robust.DESCRIPTOR, cfg.band_rows),
        _packed(d1, robust.DESCRIPTOR, cfg.band_rows),
    ]
    keys = np.sort(np.concatenate(parts))
    # = np.unique(keys), 4x faster at ~1,600 keys (numpy's unique hashes before it sorts)
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys


KEY_ROWS_SCHEMA = StructType([StructField("id", LongType(), False), StructField("key", LongType(), False)])
_KEY_ROWS_ARROW = pa.schema([pa.field("id", pa.int64(), False), pa.field("key", pa.int64(), False)])


def key_rows(ids: np.ndarray, texts: list[str]) -> pa.RecordBatch:
    """(id, key) rows of the distinct packed keys (`text_keys`) of each signature text."""
    keys = [text_keys(t) for t in texts]
    counts = np.fromiter((len(k) for k in keys), np.int64, len(keys))
    flat = np.concatenate(keys) if keys else np.zeros(0, np.int64)
    return pa.RecordBatch.from_arrays(
        [pa.array(np.repeat(np.asarray(ids, np.int64), counts)), pa.array(flat)], schema=_KEY_ROWS_ARROW
    )


def _key_row_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        yield key_rows(batch.column("id").to_numpy(), batch.column("hex").to_pylist())


def signature_keys(signatures: DataFrame) -> DataFrame:
    """(id, key): the distinct packed bucket keys (`text_keys`) of each (id, hex) signature.

    Cut in Python with numpy (per batch of signatures, one array of keys per image): 2.4x
    faster than the same cut in Spark SQL (a regexp pass per band index and conv per key), and
    deduplicated per image instead of by a global distinct over all key rows. The rows leave
    Python flat, as Arrow columns: an array of keys per image exploded in Spark made the map
    side of the key shuffle 1.4x slower (53.6 -> 37.7 s at 100k synthetic images, 2 cores,
    same run).
    """
    return signatures.select("id", "hex").mapInArrow(_key_row_batches, KEY_ROWS_SCHEMA)


def bucket_pairs(keys: DataFrame, incremental: bool = False, partitions: int | None = None) -> DataFrame:
    """(id_a, id_b, kind) with id_a < id_b: one row per usable bucket the two images share.

    A window count gives each bucket its size, an aggregation its members; buckets of 2 to
    `robust.MAX_BUCKET_IMAGES` images (a hot bucket says nothing) expand into their pairs.
    incremental: only pairs with at least one new image (odd id, see `with_ids`); partitions:
    of the key shuffle (default: spark.sql.shuffle.partitions).
    """
    # Hash-partitioned by key first, everything after runs within the partitions: a partial
    # aggregation before the shuffle would build a buffer for every (nearly always unique) key
    # and ship it (2-3x slower), and the partition count keeps each task's sort small. The
    # bucket sizes come from a window count over the sorted keys, and only the keys of usable
    # buckets are collected into member lists: collecting every key first built a one-element
    # list for each of the ~1,600 keys per image that no other image shares (the window: the
    # bucket step 108 -> 92-99 s at 100k synthetic images, 2 cores, same run).
    sized = keys.repartition(partitions or shuffle_partitions(keys.sparkSession), "key").withColumn(
        "images", F.count("*").over(Window.partitionBy("key"))
    )
    buckets = (
        sized.filter((F.col("images") >= 2) & (F.col("images") <= robust.MAX_BUCKET_IMAGES))
        .groupBy("key")
        .agg(F.collect_list("id").alias("ids"))
    )
    pairs = (
        buckets.select(
            F.shiftright("key", KIND_BIT).cast("int").alias("kind"), F.array_sort("ids").alias("ids")
        )
        .select(
            "kind",
            F.explode(
                F.expr(
                    "flatten(transform(sequence(0, size(ids) - 2), i -> transform(sequence(i + 1, size(ids) - 1), "
                    "j -> named_struct('a', ids[i], 'b', ids[j]))))"
                )
            ).alias("p"),
        )
        .select(F.col("p.a").alias("id_a"), F.col("p.b").alias("id_b"), "kind")
    )
    return with_a_new_image(pairs) if incremental else pairs


def with_ids(valid: DataFrame, is_new: bool | None = None) -> DataFrame:
    """(id, path, hex): valid signatures with a long id, odd for new images (incremental runs).

    The id is only stable once the result is checkpointed (monotonically_increasing_id)."""
    flag = 1 if is_new else 0
    return valid.select((F.monotonically_increasing_id() * 2 + flag).alias("id"), "path", "hex")


def with_a_new_image(pairs: DataFrame) -> DataFrame:
    """The (id_a, id_b) pairs of which at least one id is a new image's (odd, `with_ids`)."""
    return pairs.filter(F.col("id_a").bitwiseOR(F.col("id_b")).bitwiseAND(1) == 1)


def _partitions(df: DataFrame) -> int:
    """df's partition count; 0 where the RDD is not reachable (Spark Connect)."""
    try:
        return df.rdd.getNumPartitions()
    except Exception:  # Connect DataFrames have no .rdd
        return 0


def candidate_ids(signatures: DataFrame, incremental: bool = False) -> DataFrame:
    """(id_a, id_b) with id_a < id_b that `robust.is_candidate` sends to verification.

    signatures: (id, hex) from `with_ids`; incremental: only pairs with at least one new image.
    """
    # ~1,600 key rows per image; a checkpointed input partition holds tens of thousands of
    # images (spark.sql.files.maxPartitionBytes of Parquet), so 16 key partitions per input
    # partition keep a task at a few million key rows.
    partitions = max(
        shuffle_partitions(signatures.sparkSession),
        KEY_PARTITIONS_PER_INPUT * _partitions(signatures),
    )
    hits = bucket_pairs(signature_keys(signatures), incremental, partitions)
    return candidates_of_hits(
        hits, "id_a", "id_b", lambda kind: F.lit(KIND_FLAGS[kind]), feature_poor(signatures)
    )


def feature_poor(signatures: DataFrame) -> DataFrame:
    """(id) of the signatures (id, hex) with fewer than `robust.FEW_DESCRIPTORS` descriptors
    (`robust.descriptor_count`: the length of the text's D0 part, between its 2nd and 3rd ';',
    found by `locate` rather than a split that would copy every ~25 kB text into five)."""
    g_end = f"locate(';', hex, {len(robust.TEXT_TAG) + 2})"  # 1-based; G: 64 digits or none
    digits = F.expr(f"locate(';', hex, {g_end} + 1) - {g_end} - 1")
    return signatures.where(digits < robust.FEW_DESCRIPTORS * robust.ROW_DIGITS[robust.DESCRIPTOR]).select(
        "id"
    )


def candidates_of_hits(
    hits: DataFrame, a: str, b: str, kind_value, poor: DataFrame | None = None
) -> DataFrame:
    """(a, b) pairs whose hits pass the candidate rule (`robust.is_candidate`).

    hits: one row per usable bucket a pair shares, its kind in column `kind`; kind_value(kind):
    the Column literal that kind is stored as; poor: one column, the ids (the values of a
    and b) of the feature-poor images (`feature_poor`), whose pairs need fewer descriptor hits
    (None: no image is)."""
    counts = hits.groupBy(a, b).agg(
        *(
            F.sum(F.when(F.col("kind") == kind_value(k), 1).otherwise(0)).alias(f"hits_{k}")
            for k in robust.MIN_HITS
        )
    )
    passes = reduce(operator.or_, (F.col(f"hits_{k}") >= n for k, n in robust.MIN_HITS.items()))
    found = counts.filter(passes).select(a, b)
    if poor is None:
        return found
    # The few pairs short of hits that a feature-poor image makes candidates: semi joins on
    # each side (an OR condition would be a nested-loop join), disjoint by the anti join.
    short = counts.filter(~passes & (F.col(f"hits_{robust.DESCRIPTOR}") >= robust.MIN_HITS_FEW)).select(a, b)
    poor_a, poor_b = (poor.select(F.col(poor.columns[0]).alias(c)) for c in (a, b))
    by_a = short.join(poor_a, a, "left_semi")
    by_b = short.join(poor_a, a, "left_anti").join(poor_b, b, "left_semi")
    return found.unionByName(by_a).unionByName(by_b)


def matched_ids(pairs: DataFrame, signatures: DataFrame) -> DataFrame:
    """(id_a, id_b) of (path_a, path_b) pairs, by the ids of `with_ids` (pairs of a path no
    longer among the signatures are dropped)."""
    ids = signatures.select("id", "path")
    return (
        pairs.select("path_a", "path_b")
        .join(ids.select(F.col("id").alias("id_a"), F.col("path").alias("path_a")), "path_a")
        .join(ids.select(F.col("id").alias("id_b"), F.col("path").alias("path_b")), "path_b")
        .select("id_a", "id_b")
    )


def hop_candidates(matched: DataFrame, candidates: DataFrame, incremental: bool = False) -> DataFrame:
    """(id_a, id_b), id_a < id_b: the second candidate rule (`robust.hop_pairs`) — pairs of
    images that both match a third with at most `robust.HOP_MAX_MATCHES` matches, which the
    bands did not make `candidates`. matched: (id_a, id_b) matching pairs; incremental: only
    pairs with at least one new image (odd id), as `bucket_pairs`."""
    ends = matched.select(F.col("id_a").alias("via"), F.col("id_b").alias("id")).unionByName(
        matched.select(F.col("id_b").alias("via"), F.col("id_a").alias("id"))
    )
    ends = ends.filter(F.col("via") != F.col("id")).distinct()
    hubs = ends.groupBy("via").count().filter(F.col("count") <= robust.HOP_MAX_MATCHES).select("via")
    ends = ends.join(hubs, "via", "left_semi")
    pairs = (
        ends.select("via", F.col("id").alias("id_a"))
        .join(ends.select("via", F.col("id").alias("id_b")), "via")
        .filter(F.col("id_a") < F.col("id_b"))
        .select("id_a", "id_b")
        .distinct()
    )
    if incremental:
        pairs = with_a_new_image(pairs)
    return pairs.join(candidates, ["id_a", "id_b"], "left_anti")


def candidate_texts(candidates: DataFrame, signatures: DataFrame) -> DataFrame:
    """(path_a, path_b, hex_a, hex_b) with path_a < path_b of (id_a, id_b) candidates.

    Only the signatures of images in some candidate pair are joined (a semi join first), so
    the texts of the other images are never shuffled.
    """
    ids = candidates.select(F.col("id_a").alias("id")).unionByName(
        candidates.select(F.col("id_b").alias("id"))
    )
    needed = signatures.join(ids.distinct(), "id", "left_semi")
    sa = needed.select(F.col("id").alias("id_a"), F.col("path").alias("pa"), F.col("hex").alias("ha"))
    sb = needed.select(F.col("id").alias("id_b"), F.col("path").alias("pb"), F.col("hex").alias("hb"))
    joined = candidates.join(sa, "id_a").join(sb, "id_b").filter(F.col("pa") != F.col("pb"))
    first = F.col("pa") < F.col("pb")
    return joined.select(
        F.when(first, F.col("pa")).otherwise(F.col("pb")).alias("path_a"),
        F.when(first, F.col("pb")).otherwise(F.col("pa")).alias("path_b"),
        F.when(first, F.col("ha")).otherwise(F.col("hb")).alias("hex_a"),
        F.when(first, F.col("hb")).otherwise(F.col("ha")).alias("hex_b"),
    )


def _verify_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for batch in batches:
        out = []
        for path_a, path_b, ta, tb in zip(
            batch["path_a"], batch["path_b"], batch["hex_a"], batch["hex_b"], strict=True
        ):
            a, b = robust.from_text(ta), robust.from_text(tb)
            v = robust.verify_pair(a, b)
            explained = relation_values(a, b, v) if v.match else _NO_RELATION
            out.append(
                (path_a, path_b, bool(v.match), float(v.score), int(v.inliers), bool(v.mirrored), *explained)
            )
        yield pd.DataFrame(out, columns=[f.name for f in VERDICT_SCHEMA.fields])


def verify_candidates(texts: DataFrame) -> DataFrame:
    """Verdicts (VERDICT_SCHEMA) of (path_a, path_b, hex_a, hex_b) candidate pairs: Python runs
    on these pairs only; a match is explained in the same pass (its r_ relation columns)."""
    return texts.mapInPandas(_verify_batches, VERDICT_SCHEMA)


def to_pairs(verdicts: DataFrame) -> DataFrame:
    """Matching verdicts as pairs-table rows (distance: none; matched_segments: RANSAC inliers;
    the relation columns: the verdict's explanation)."""
    return verdicts.filter("match").select(
        "path_a",
        "path_b",
        F.lit(ROBUST).alias("algorithm"),
        F.lit(None).cast("int").alias("distance"),
        F.col("inliers").cast("int").alias("matched_segments"),
        F.lit(None).cast("int").alias("segments_a"),
        F.lit(None).cast("int").alias("segments_b"),
        *(F.col(f"r_{f.name}").alias(f.name) for f in RELATION_FIELDS),
    )


def valid_signatures(hashes: DataFrame) -> DataFrame:
    """Rows with a robust signature: path, hex (the signature text, case kept), pixels, length."""
    return valid_hashes(hashes, ROBUST, keep_case=True)


def find_robust_pairs(
    hashes: DataFrame, old_hashes: DataFrame | None = None, known: DataFrame | None = None
) -> DataFrame:
    """Robust near-duplicate pairs (PAIRS_SCHEMA) of a hashes table with a `robust` column.

    Two passes: the candidates of the bands (`candidate_ids`) are verified, then the pairs of
    images that both match a third (`hop_candidates`: a copy of a copy) that were no candidates.
    old_hashes: an incremental run; pairs among old rows only are not searched again (a path
    in both tables is taken from `hashes`); known: (path_a, path_b) pairs the previous run
    found among them, which the second pass goes through as it would in a full run.
    ParamsMismatch for signatures of different robust format versions (their params differ).
    """
    tables = [hashes] if old_hashes is None else [hashes, old_hashes]
    checked_params(tables, ROBUST)
    new = valid_signatures(hashes).select("path", "hex")
    if old_hashes is None:
        signatures = with_ids(new)
    else:
        old = valid_signatures(old_hashes).select("path", "hex").join(new.select("path"), "path", "left_anti")
        signatures = with_ids(old, is_new=False).unionByName(with_ids(new, is_new=True))
    signatures = signatures.localCheckpoint(eager=True)  # fixes the ids
    incremental = old_hashes is not None
    candidates = candidate_ids(signatures, incremental=incremental).localCheckpoint(eager=True)
    # checkpointed: verification is the expensive step, and its matches feed the second pass
    found = (
        verify_candidates(candidate_texts(candidates, signatures)).filter("match").localCheckpoint(eager=True)
    )
    through = (
        found
        if known is None
        else found.select("path_a", "path_b").unionByName(known.select("path_a", "path_b"))
    )
    hops = hop_candidates(matched_ids(through, signatures), candidates, incremental)
    more = verify_candidates(candidate_texts(hops, signatures))
    return to_pairs(found.unionByName(more))
