"""Near-duplicate pairs of one algorithm's hashes: collapse identical hashes, band-join, expand.

Identical hashes are collapsed first: the banded join runs on distinct hashes only, so a
group of identical images (10 % blank images, say) costs one row, not a quadratic bucket.
Pairs of distinct hashes are then expanded to pairs of paths. A group of more than
`expand_limit` identical hashes is written in compact form: one pair (anchor, member) per
member, where the anchor is the group's smallest path, and pairs with other hashes only
from the anchor; the `groups` table lists such groups (path, anchor, algorithm, size).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from sparkhash.core.params import HashParams
from sparkhash.core.spec import HashSpec, spec_from_json, spec_of
from sparkhash.dedup.join import hex_to_words, join_within
from sparkhash.dedup.plan import (
    DEFAULT_HOT_BUCKET,
    DEFAULT_RECALL,
    BandPlan,
    Planner,
    hash_bits,
    planner_for,
    threshold_or_default,
    word_columns,
    words_for,
)
from sparkhash.errors import ParamsMismatch

DEFAULT_EXPAND_LIMIT = 100


@dataclass
class PairsResult:
    """Output of a pairs run: path pairs (PAIRS_SCHEMA), large identical groups, and the plan."""

    pairs: DataFrame
    groups: DataFrame
    plan: BandPlan


def checked_spec(tables: list[DataFrame], algorithm: str) -> tuple[HashSpec, str | None]:
    """(the spec of `algorithm`'s hashes in `tables`, one params text of it) — the same spec for
    every row, or ParamsMismatch naming the setting that differs (e.g. EXIF orientation on in
    one table, off in the other). Rows without params text read as defaults, None when no row."""
    texts: set[str] = set()
    for table in tables:
        texts |= {r[0] for r in table.select("params").distinct().collect()}
    specs = {}
    for text in sorted(texts, key=lambda t: (t is None, t or "")):
        specs.setdefault(spec_from_json(algorithm, text), text)
    if len(specs) > 1:
        first, second = sorted(specs, key=lambda s: s.key)[:2]
        name, a, b = first.difference(second)
        raise ParamsMismatch(
            f"hashes of {algorithm} were made with different parameters: {name} {a} and {b} "
            f"(specs {' and '.join(sorted(s.key for s in specs))})"
        )
    if not specs:
        return spec_of(algorithm, HashParams()), None
    return next(iter(specs.items()))


def checked_params(tables: list[DataFrame], algorithm: str) -> HashParams:
    """The parameters of `algorithm` shared by all rows of `tables` (their hash specs must be
    equal: `checked_spec`); raises ParamsMismatch if they differ."""
    _, text = checked_spec(tables, algorithm)
    return HashParams.from_json(text) if text else HashParams()


def valid_hashes(hashes: DataFrame, algorithm: str, keep_case: bool = False) -> DataFrame:
    """Rows with a hash for `algorithm`: path, hex, pixels, length (errors skipped).

    Hex hashes are lower-cased so that stored upper-case hex joins; `keep_case` keeps the
    value as it is (robust's signature text, which is not hex)."""
    cols = hashes.columns
    pixels = (F.col("width").cast("long") * F.col("height").cast("long")) if "width" in cols else F.lit(None)
    length = F.col("length") if "length" in cols else F.lit(None)
    cond = F.col(algorithm).isNotNull()
    if "error" in cols:
        cond = cond & F.col("error").isNull()
    return hashes.filter(cond).select(
        "path",
        (F.col(algorithm) if keep_case else F.lower(F.col(algorithm))).alias("hex"),
        pixels.cast("long").alias("pixels"),
        length.cast("long").alias("length"),
    )


def hex_width(rows: DataFrame) -> int:
    """The hex length shared by all rows (refusing mixed lengths)."""
    lengths = [r[0] for r in rows.select(F.length("hex")).distinct().collect()]
    if len(lengths) > 1:
        raise ParamsMismatch(f"hashes of different lengths in one join: {sorted(lengths)} hex chars")
    return lengths[0] if lengths else 16


@dataclass(frozen=True)
class Prepared:
    """One algorithm's rows ready for the band join (`prepare`).

    rows: the rows given (path, hex, ...) with word columns w0.. after their own; params: the
    parameters they share (None without a params column); width: their hex length; words: the
    64-bit words per hash; nbits: the meaningful bits (the algorithm's, at most 4 x width)."""

    rows: DataFrame
    params: HashParams | None
    width: int
    words: int
    nbits: int

    @property
    def wcols(self) -> list[str]:
        return word_columns(self.words)

    def with_words(self, rows: DataFrame) -> DataFrame:
        """Other rows with a hex column (e.g. queries of the same width) with these word columns."""
        return with_words(rows, self.words)


def prepare(tables: Sequence[DataFrame], algorithm: str, rows: DataFrame | None = None) -> Prepared:
    """The checks and the rows of one band join: shared parameters, valid rows, width, words.

    tables: the hash (or segment) tables the rows come from; those with a params column must
    agree on `algorithm`'s parameters (`checked_params`, else ParamsMismatch). rows: the rows
    to join, with a lower-case `hex` column (default: `valid_hashes` of the one table, path and
    hex). Mixed hex lengths are refused (`hex_width`). Without params, the bits are the hex's.
    """
    with_params = [t for t in tables if "params" in t.columns]
    params = checked_params(with_params, algorithm) if with_params else None
    if rows is None:
        (table,) = tables
        rows = valid_hashes(table, algorithm).select("path", "hex")
    width = hex_width(rows)
    words = words_for(width)
    nbits = 4 * width if params is None else min(hash_bits(algorithm, params), 4 * width)
    return Prepared(with_words(rows, words), params, width, words, nbits)


def with_words(rows: DataFrame, words: int) -> DataFrame:
    wcols = word_columns(words)
    return rows.select(
        *rows.columns, *[c.alias(w) for c, w in zip(hex_to_words(F.col("hex"), words), wcols, strict=True)]
    )


def grouped_members(members: DataFrame, words: int, incremental: bool = False) -> DataFrame:
    """Members (path, w.., new?) with their identical-hash group: n, anchor (smallest path), group_new.

    One window over the hash, no join; the rows with path = anchor are the distinct hashes.
    """
    wcols = word_columns(words)
    group = Window.partitionBy(*wcols)
    new = F.col("new") if incremental else F.lit(True)
    return members.select(
        "path",
        *wcols,
        new.alias("new"),
        F.count("*").over(group).alias("n"),
        F.min("path").over(group).alias("anchor"),
        F.max(new).over(group).alias("group_new"),
    ).localCheckpoint(eager=True)


def expand_pairs(
    grouped: DataFrame,
    pairs: DataFrame,
    words: int,
    algorithm: str,
    expand_limit: int,
) -> tuple[DataFrame, DataFrame]:
    """Path pairs and large identical groups from pairs of distinct hashes.

    grouped: grouped_members(); pairs: (a_w.., b_w.., distance). Pairs whose both paths are
    old (incremental runs) are dropped; in a full run every path is new.
    """
    wcols = word_columns(words)
    small = F.col("n") <= expand_limit
    is_anchor = F.col("path") == F.col("anchor")
    # Representatives: every member of a small group; the anchor of a large one (new if its group is).
    reps = grouped.filter(small | is_anchor).select(
        *wcols, "path", F.when(small, F.col("new")).otherwise(F.col("group_new")).alias("new")
    )
    ra = reps.select(
        *[F.col(w).alias(f"a_{w}") for w in wcols], F.col("path").alias("pa"), F.col("new").alias("na")
    )
    rb = reps.select(
        *[F.col(w).alias(f"b_{w}") for w in wcols], F.col("path").alias("pb"), F.col("new").alias("nb")
    )
    cross = (
        pairs.join(ra.hint("merge"), [f"a_{w}" for w in wcols])
        .join(rb.hint("merge"), [f"b_{w}" for w in wcols])
        .filter(F.col("na") | F.col("nb"))
        .select(F.least("pa", "pb").alias("path_a"), F.greatest("pa", "pb").alias("path_b"), "distance")
    )
    dup = grouped.filter((F.col("n") >= 2) & small)
    s1 = dup.select(*wcols, F.col("path").alias("path_a"), F.col("new").alias("na"))
    s2 = dup.select(*wcols, F.col("path").alias("path_b"), F.col("new").alias("nb"))
    within = (
        s1.join(s2.hint("merge"), wcols)
        .filter((F.col("path_a") < F.col("path_b")) & (F.col("na") | F.col("nb")))
        .select("path_a", "path_b", F.lit(0).alias("distance"))
    )
    large = grouped.filter(~small)
    # a group touched by new files gets its whole star again: the anchor may have changed
    star = large.filter(~is_anchor & F.col("group_new")).select(
        F.col("anchor").alias("path_a"), F.col("path").alias("path_b"), F.lit(0).alias("distance")
    )
    out = (
        cross.unionByName(within)
        .unionByName(star)
        .select(
            "path_a",
            "path_b",
            F.lit(algorithm).alias("algorithm"),
            F.col("distance").cast("int").alias("distance"),
            F.lit(None).cast("int").alias("matched_segments"),
            F.lit(None).cast("int").alias("segments_a"),
            F.lit(None).cast("int").alias("segments_b"),
        )
    )
    groups = large.select(
        "path", "anchor", F.lit(algorithm).alias("algorithm"), F.col("n").cast("long").alias("size")
    )
    return out, groups


def find_pairs(
    hashes: DataFrame,
    algorithm: str = "phash",
    threshold: int | None = None,
    mode: str = "exact",
    target_recall: float = DEFAULT_RECALL,
    expand_limit: int = DEFAULT_EXPAND_LIMIT,
    hot_bucket: int = DEFAULT_HOT_BUCKET,
    planner: Planner | None = None,
) -> PairsResult:
    """All pairs of paths whose `algorithm` hashes are within Hamming distance `threshold`
    (default: the algorithm's, `plan.threshold_or_default`).

    exact: every such pair (guaranteed). approx: each pair at distance k found with probability
    >= plan.expected_recall. `planner` (e.g. a benchmark's) replaces mode, target_recall and
    hot_bucket. Refuses hashes made with different parameters.
    """
    prep = prepare([hashes], algorithm)
    grouped = grouped_members(prep.rows, prep.words)
    distinct = grouped.filter(F.col("path") == F.col("anchor")).select(*prep.wcols)
    planner = planner or planner_for(mode, target_recall, hot_bucket)
    threshold = threshold_or_default(threshold, algorithm, prep.nbits)
    hp, plan = join_within(distinct, threshold, planner=planner, nbits=prep.nbits, words=prep.words)
    pairs, groups = expand_pairs(grouped, hp, prep.words, algorithm, expand_limit)
    return PairsResult(pairs=pairs, groups=groups, plan=plan)
