"""The public DataFrame API of the duplicate finder: pairs of any table of hex hashes.

    from sparkhash import find_pairs, hamming_distance
    result = find_pairs(df, threshold=6, id_col="id", hash_col="hex", algorithm="phash")
    df_a.join(df_b).select(hamming_distance("a.hex", "b.hex").alias("d"))

`find_pairs` takes any DataFrame with an id column and a hex-hash column (hashes written by
`sparkhash hash`, or imagehash hex strings stored elsewhere); a `params` column is optional
and, when present, checked (hashes made with different parameters are refused).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sparkhash.dedup import pairs as _pairs
from sparkhash.dedup.plan import DEFAULT_HOT_BUCKET, DEFAULT_RECALL

__all__ = ["find_pairs", "hamming_distance"]

#: Columns of the hashes table find_pairs uses when present (file attributes, errors).
_OPTIONAL = ("params", "error", "width", "height", "length")


def find_pairs(
    df: DataFrame,
    threshold: int | None = None,
    *,
    id_col: str = "path",
    hash_col: str = "phash",
    algorithm: str | None = None,
    params_col: str = "params",
    mode: str = "exact",
    target_recall: float = DEFAULT_RECALL,
    expand_limit: int = _pairs.DEFAULT_EXPAND_LIMIT,
    hot_bucket: int = DEFAULT_HOT_BUCKET,
) -> _pairs.PairsResult:
    """Every pair of ids whose hashes in `hash_col` are within Hamming distance `threshold`
    (default: the algorithm's registry default, 4 for a name the registry does not know).

    `algorithm` (default: `hash_col`) names the pairs' `algorithm` value and, with a
    `params_col` column, which parameters must agree. Without one the hex width alone gives
    the bit count. Pairs come as (path_a, path_b, algorithm, distance, ...) with the ids in
    path_a < path_b; see `sparkhash.dedup.pairs.find_pairs` for mode and limits.
    """
    algorithm = algorithm or hash_col
    for name in (id_col, hash_col):
        if name not in df.columns:
            raise ValueError(f"find_pairs: no column {name!r} in {df.columns}")
    keep = [F.col(id_col).alias("path"), F.col(hash_col).alias(algorithm)]
    if params_col in df.columns:
        keep.append(F.col(params_col).alias("params"))
    keep += [F.col(c) for c in _OPTIONAL[1:] if c in df.columns and c not in (id_col, hash_col)]
    return _pairs.find_pairs(
        df.select(*keep),
        algorithm=algorithm,
        threshold=threshold,
        mode=mode,
        target_recall=target_recall,
        expand_limit=expand_limit,
        hot_bucket=hot_bucket,
    )


def _column(value: Column | str) -> Column:
    return F.col(value) if isinstance(value, str) else value


def hamming_distance(col_a: Column | str, col_b: Column | str) -> Column:
    """Hamming distance of two hex-hash columns (imagehash's `h1 - h2` on their hex), in the JVM.

    Any width: the shorter hex is zero-padded on the left to the longer one. Null when either
    is null.
    """
    a, b = F.lower(_column(col_a)), F.lower(_column(col_b))
    chunks = F.ceil(F.greatest(F.length(a), F.length(b)) / 8).cast("int")
    width = chunks * 8
    pa, pb = F.lpad(a, width, "0"), F.lpad(b, width, "0")

    def word(padded: Column, i: Column) -> Column:
        return F.conv(F.substring(padded, i * 8 + 1, 8), 16, 10).cast("long")

    total = F.aggregate(
        F.sequence(F.lit(0), F.greatest(chunks - 1, F.lit(0))),
        F.lit(0),
        lambda acc, i: acc + F.bit_count(word(pa, i).bitwiseXOR(word(pb, i))).cast("int"),
    )
    return F.when(a.isNull() | b.isNull(), F.lit(None).cast("int")).otherwise(total)
