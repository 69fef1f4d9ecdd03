"""`robust` pairs: banded joins on the signature rows in the JVM, verification of candidates only.

The hashes table's `robust` column holds `sparkhash.core.robust.to_text` strings. Their
candidate rows are fixed-width slices of the string (two 16-digit global hashes, then the
64-digit ORB descriptors of both orientations), cut in the JVM; each row's bands
(`robust.BAND_DIGITS` digits each) are (kind, band, value) bucket keys. A bucket holding
rows of more than `robust.MAX_BUCKET_IMAGES` images is dropped (a common descriptor or a
texture shared by many pictures says nothing), so each bucket yields at most
C(MAX_BUCKET_IMAGES, 2) pairs and the join is linear in the number of rows, never quadratic.
A pair of images is a candidate when its hits per kind pass `robust.is_candidate`; only
candidates reach Python, where `robust.verify_pair` decides (RANSAC geometry + the aligned
thumbnails).

Low-detail images (blank, near-uniform, featureless) have no candidate rows
(`RobustSignature.low_detail`): they are never paired by robust and cannot form hot buckets.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, DoubleType, IntegerType, StringType, StructField, StructType

from sparkhash.core import robust
from sparkhash.dedup.pairs import checked_params, valid_hashes

ROBUST = "robust"

VERDICT_SCHEMA = StructType(
    [
        StructField("path_a", StringType(), False),
        StructField("path_b", StringType(), False),
        StructField("match", BooleanType(), False),
        StructField("score", DoubleType(), True),
        StructField("inliers", IntegerType(), True),
        StructField("mirrored", BooleanType(), True),
    ]
)


def _slices(column: str, width: int, limit: int | None = None) -> F.Column:
    """The consecutive `width`-digit slices of a string column (at most `limit`), as an array."""
    count = f"floor(length({column}) / {width})"
    if limit is not None:
        count = f"least({count}, {limit})"
    return F.expr(
        f"CASE WHEN {count} > 0 THEN transform(sequence(0, {count} - 1), i -> substr({column}, i * {width} + 1, {width})) "
        "ELSE array() END"
    )


def signature_rows(valid: DataFrame) -> DataFrame:
    """(path, kind, row) candidate rows of (path, hex) signatures, cut in the JVM (`robust.text_rows`)."""
    parts = valid.select("path", F.split("hex", ";").alias("p")).select(
        "path",
        F.col("p").getItem(0).alias("g"),
        F.col("p").getItem(1).alias("d0"),
        F.col("p").getItem(2).alias("d1"),
    )
    limit = robust.DEFAULT_CONFIG.band_rows
    g = parts.select("path", F.lit(robust.GLOBAL).alias("kind"), F.explode(_slices("g", 16)).alias("row"))
    d = parts.select(
        "path",
        F.lit(robust.DESCRIPTOR).alias("kind"),
        F.explode(F.concat(_slices("d0", 64, limit), _slices("d1", 64, limit))).alias("row"),
    )
    return g.unionByName(d)


def band_keys(rows: DataFrame) -> DataFrame:
    """(path, kind, band, key): every band of every candidate row (`robust.bands`), distinct."""
    out = None
    for kind, width in robust.BAND_DIGITS.items():
        count = {robust.GLOBAL: 16, robust.DESCRIPTOR: 64}[kind] // width
        keyed = rows.filter(F.col("kind") == kind).select(
            "path",
            "kind",
            F.posexplode(
                F.expr(f"transform(sequence(0, {count - 1}), b -> substr(row, b * {width} + 1, {width}))")
            ).alias("band", "key"),
        )
        out = keyed if out is None else out.unionByName(keyed)
    return out.distinct()


def candidate_pairs(valid: DataFrame, new_paths: DataFrame | None = None) -> DataFrame:
    """(path_a, path_b) with path_a < path_b that `robust.is_candidate` sends to verification.

    new_paths: incremental runs only count pairs with at least one path in it.
    """
    keys = band_keys(signature_rows(valid))
    sizes = keys.groupBy("kind", "band", "key").agg(F.count("*").alias("images"))
    usable = sizes.filter((F.col("images") >= 2) & (F.col("images") <= robust.MAX_BUCKET_IMAGES))
    members = keys.join(usable.select("kind", "band", "key"), ["kind", "band", "key"])
    a = members.select(F.col("path").alias("path_a"), "kind", "band", "key")
    b = members.select(F.col("path").alias("path_b"), "kind", "band", "key")
    hits = a.join(b, ["kind", "band", "key"]).filter(F.col("path_a") < F.col("path_b"))
    if new_paths is not None:
        new = new_paths.select(F.col("path").alias("p")).distinct()
        in_a = hits.join(new.withColumnRenamed("p", "path_a"), "path_a", "left_semi")
        in_b = hits.join(new.withColumnRenamed("p", "path_b"), "path_b", "left_semi")
        hits = in_a.unionByName(in_b).distinct()
    counts = hits.groupBy("path_a", "path_b").agg(
        F.sum(F.when(F.col("kind") == robust.GLOBAL, 1).otherwise(0)).alias("g"),
        F.sum(F.when(F.col("kind") == robust.DESCRIPTOR, 1).otherwise(0)).alias("d"),
    )
    return counts.filter((F.col("g") >= 1) | (F.col("d") >= robust.MIN_DESCRIPTOR_HITS)).select(
        "path_a", "path_b"
    )


def _verify_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for batch in batches:
        out = []
        for pa, pb, ta, tb in zip(
            batch["path_a"], batch["path_b"], batch["hex_a"], batch["hex_b"], strict=True
        ):
            v = robust.verify_pair(robust.from_text(ta), robust.from_text(tb))
            out.append((pa, pb, bool(v.match), float(v.score), int(v.inliers), bool(v.mirrored)))
        yield pd.DataFrame(out, columns=[f.name for f in VERDICT_SCHEMA.fields])


def verify_candidates(candidates: DataFrame, valid: DataFrame) -> DataFrame:
    """Verdicts (VERDICT_SCHEMA) of the candidate pairs: Python runs on these pairs only."""
    sa = valid.select(F.col("path").alias("path_a"), F.col("hex").alias("hex_a"))
    sb = valid.select(F.col("path").alias("path_b"), F.col("hex").alias("hex_b"))
    joined = candidates.join(sa, "path_a").join(sb, "path_b").select("path_a", "path_b", "hex_a", "hex_b")
    return joined.mapInPandas(_verify_batches, VERDICT_SCHEMA)


def to_pairs(verdicts: DataFrame) -> DataFrame:
    """Matching verdicts as pairs-table rows (distance: none; matched_segments: RANSAC inliers)."""
    return verdicts.filter("match").select(
        "path_a",
        "path_b",
        F.lit(ROBUST).alias("algorithm"),
        F.lit(None).cast("int").alias("distance"),
        F.col("inliers").cast("int").alias("matched_segments"),
        F.lit(None).cast("int").alias("segments_a"),
        F.lit(None).cast("int").alias("segments_b"),
    )


def valid_signatures(hashes: DataFrame) -> DataFrame:
    """Rows with a robust signature: path, hex (the signature text, case kept), pixels, length."""
    return valid_hashes(hashes, ROBUST, keep_case=True)


def find_robust_pairs(hashes: DataFrame, old_hashes: DataFrame | None = None) -> DataFrame:
    """Robust near-duplicate pairs (PAIRS_SCHEMA) of a hashes table with a `robust` column.

    old_hashes: an incremental run; pairs among old rows only are not searched again (a path
    in both tables is taken from `hashes`). ParamsMismatch for signatures of different
    robust format versions (their params differ).
    """
    tables = [hashes] if old_hashes is None else [hashes, old_hashes]
    checked_params(tables, ROBUST)
    new = valid_signatures(hashes).select("path", "hex")
    if old_hashes is None:
        valid, new_paths = new, None
    else:
        old = valid_signatures(old_hashes).select("path", "hex").join(new.select("path"), "path", "left_anti")
        valid, new_paths = old.unionByName(new), new.select("path")
    valid = valid.localCheckpoint(eager=True)
    candidates = candidate_pairs(valid, new_paths).localCheckpoint(eager=True)
    return to_pairs(verify_candidates(candidates, valid))
