"""Keep policies: which file of each duplicate cluster survives, and the listing of the others.

A policy orders a cluster's members, best first; the first is kept. Every order ends with the
smallest path, so ties are broken the same way on every run.

    most-pixels        most pixels (width x height), then largest file (the default, as before)
    largest-file       largest file, then most pixels
    oldest             earliest modification time (unknown last), then most pixels
    newest             latest modification time (unknown last), then most pixels
    shortest-path      shortest path string
    prefer:P1[,P2...]  files under the first matching prefix win (P1 over P2 over the rest),
                       then most pixels; a prefix matches the path as written ("file:/a/...")
                       or without its "file:" scheme ("/a/...")
    original           the file the others are copies of, by the pairs' relations (the default
                       of algorithms whose pairs carry them: robust): each pair that tells which
                       of its two files is the original (its `original` column: the uncropped,
                       unframed, un-stickered, colour one) counts one for that file and one
                       against the other; files showing the same picture (pairs that do not
                       tell: re-encodes, resizes, quarter turns, mirrors) pool their counts; the best
                       balance is kept, then not a grey copy, then most pixels, then the
                       oldest (a re-encode is made later), then the largest file, then path

`remove_listing` gives, for every file not kept: path, cluster, kept_path, a one-line reason
(with original: "crop of <kept>", "sticker over <kept>", ...) and `paired`: whether a pair
joins it to the kept file itself. A cluster is a connected component, so one false pair
chains two clusters under one kept file; a deletion job that wants every removed file to be a
verified duplicate of the kept one deletes the `paired` rows only.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, StringType, StructField, StructType

from sparkhash.core.explain import COPY_OF
from sparkhash.dedup.output import read_dups
from sparkhash.errors import KeepPolicyError, UsageError

ORIGINAL = "original"
NAMES = ("most-pixels", "largest-file", "oldest", "newest", "shortest-path", ORIGINAL)
PREFER = "prefer:"

REMOVE_SCHEMA = StructType(
    [
        StructField("path", StringType(), False),
        StructField("cluster", StringType(), False),
        StructField("kept_path", StringType(), False),
        StructField("reason", StringType(), False),
        # a pair joins the file to the kept file itself (null: listed without the pairs)
        StructField("paired", BooleanType(), True),
    ]
)


@dataclass(frozen=True)
class KeepPolicy:
    """A keep policy: one of NAMES, or prefer with its prefixes (most preferred first)."""

    name: str = "most-pixels"
    prefixes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.name == "prefer":
            if not self.prefixes or any(not p for p in self.prefixes):
                raise KeepPolicyError("prefer: needs one or more non-empty prefixes, e.g. prefer:/archive/")
        elif self.name not in NAMES:
            raise KeepPolicyError(
                f"unknown keep policy {self.name!r}; choose from {', '.join(NAMES)} or prefer:PREFIX[,PREFIX...]"
            )

    def describe(self) -> str:
        """The policy as written on the command line."""
        return PREFER + ",".join(self.prefixes) if self.name == "prefer" else self.name


DEFAULT_POLICY = KeepPolicy()
#: The default of an algorithm whose pairs say which file is the original (`default_policy`).
ORIGINAL_POLICY = KeepPolicy(ORIGINAL)


def default_policy(explains: bool) -> KeepPolicy:
    """The keep policy a dups run uses when none is given: original when the algorithm's pairs
    carry relations (its matcher explains its pairs), most-pixels otherwise."""
    return ORIGINAL_POLICY if explains else DEFAULT_POLICY


def parse_policy(text: str) -> KeepPolicy:
    """A KeepPolicy from its command-line spelling (see the module docstring)."""
    text = text.strip()
    if text.startswith(PREFER):
        return KeepPolicy("prefer", tuple(p.strip() for p in text[len(PREFER) :].split(",")))
    return KeepPolicy(text)


def keep_attributes(hashes: DataFrame) -> DataFrame:
    """What the policies look at, from a hashes table: path, pixels, length, modification_time.

    Missing columns become nulls (which every policy ranks last)."""
    cols = hashes.columns
    pixels = F.col("width").cast("long") * F.col("height").cast("long") if "width" in cols else F.lit(None)
    length = F.col("length") if "length" in cols else F.lit(None)
    mtime = F.col("modification_time") if "modification_time" in cols else F.lit(None)
    return hashes.select(
        "path",
        pixels.cast("long").alias("pixels"),
        length.cast("long").alias("length"),
        mtime.cast("timestamp").alias("modification_time"),
    )


def _prefix_rank(prefixes: tuple[str, ...]) -> Column:
    """Index of the first prefix the path starts with; len(prefixes) for none."""
    bare = F.regexp_replace(F.col("path"), "^file:", "")
    rank = F.lit(len(prefixes))
    for i in reversed(range(len(prefixes))):
        p = F.lit(prefixes[i])
        rank = F.when(F.col("path").startswith(p) | bare.startswith(p), F.lit(i)).otherwise(rank)
    return rank


#: Each policy's sort keys before the path, best first, as (key, descending): a column of the
#: members, or `rank` (prefer's prefix rank) or `path_length`. Declared once: `policy_order`
#: sorts by them; `remove_listing` calls a member equal to the kept file on all of them tied.
#: original: among files of one picture and as many pixels, the older one is likelier the
#: source (a re-encode, a lossless PNG of a JPEG is made later, and is often the larger file).
POLICY_KEYS: dict[str, tuple[tuple[str, bool], ...]] = {
    "most-pixels": (("pixels", True), ("length", True)),
    "largest-file": (("length", True), ("pixels", True)),
    "oldest": (("modification_time", False), ("pixels", True), ("length", True)),
    "newest": (("modification_time", True), ("pixels", True), ("length", True)),
    "shortest-path": (("path_length", False),),
    "prefer": (("rank", False), ("pixels", True), ("length", True)),
    ORIGINAL: (
        ("balance", True),
        ("grey", False),
        ("pixels", True),
        ("modification_time", False),
        ("length", True),
    ),
}


def _key(key: str, policy: KeepPolicy, prefix: str = "") -> Column:
    """A policy key of a member (prefix "k_": of its cluster's kept file, in remove_listing)."""
    if key == "rank" and not prefix:
        return _prefix_rank(policy.prefixes)
    if key == "path_length":
        return F.length(prefix + "path")
    return F.col(prefix + key)


def policy_order(policy: KeepPolicy) -> list[Column]:
    """Sort keys of a cluster's members, best first, ending with the path (a total order);
    nulls (unknown sizes and times) last."""
    keys = [
        _key(k, policy).desc_nulls_last() if descending else _key(k, policy).asc_nulls_last()
        for k, descending in POLICY_KEYS[policy.name]
    ]
    return [*keys, F.col("path").asc()]


def _evidence(pairs: DataFrame) -> DataFrame:
    """(winner, loser, evidence): one row per pair that tells which file is the original."""
    told = pairs.where(F.col("original").isin("a", "b"))
    first = F.col("original") == F.lit("a")
    return told.select(
        F.when(first, F.col("path_a")).otherwise(F.col("path_b")).alias("winner"),
        F.when(first, F.col("path_b")).otherwise(F.col("path_a")).alias("loser"),
        "evidence",
    )


#: Relation words of a pair that shows one picture both ways (no crop, frame or overlay).
SAME_PICTURE = ("same", "mirror", "rotation")
#: ... but only for turns by quarter turns: a pair turned further than this (degrees) off one
#: shows the picture with its corners cut or filled, an edit even where the fill is too small
#: for the evidence to tell which side has it (robust calls a pair `rotation` from 1.5 degrees).
QUARTER_TURN_TOLERANCE = 1.5


def _standings(pairs: DataFrame | None, spark: SparkSession) -> DataFrame:
    """(path, balance, grey): what the pairs say about each file, for the original policy.

    A pair that tells which file is the original counts +1 for it and -1 for the other. Files
    joined by pairs that show the same picture both ways and do not tell (a re-encode, a
    resize, a quarter turn, a mirror: relation words in SAME_PICTURE) are one picture: they share the
    sum of their counts as `balance`, so the original is not outvoted by its own recompressed
    copy that happened to match one more crop. grey: the file lost a pair as its grey copy."""
    if pairs is None or "original" not in pairs.columns:
        return spark.createDataFrame([], "path string, balance long, grey boolean")
    from sparkhash.dedup.clusters import connected_components  # it imports this module

    told = _evidence(pairs)
    votes = (
        told.select(F.col("winner").alias("path"), F.lit(1).alias("vote"), F.lit(False).alias("grey"))
        .unionByName(
            told.select(
                F.col("loser").alias("path"),
                F.lit(-1).alias("vote"),
                (F.col("evidence") == "grey").alias("grey"),
            )
        )
        .groupBy("path")
        .agg(F.sum("vote").cast("long").alias("own"), F.max("grey").alias("grey"))
    )
    words = F.split(F.col("relation"), "[+]")
    turn = F.col("rotation") if "rotation" in pairs.columns else F.lit(None).cast("double")
    off_quarter_turn = F.abs(turn - F.round(turn / 90) * 90) > QUARTER_TURN_TOLERANCE
    same = pairs.where(
        F.col("original").isNull()
        & F.col("relation").isNotNull()
        & (F.size(F.array_except(words, F.array(*[F.lit(w) for w in SAME_PICTURE]))) == 0)
        & ~F.coalesce(off_quarter_turn, F.lit(False))
    )
    picture = connected_components(same.select(F.col("path_a").alias("src"), F.col("path_b").alias("dst")))
    picture = picture.select(F.col("node").alias("path"), F.col("component").alias("picture"))
    rows = votes.join(picture, "path", "full_outer").select(
        "path",
        F.coalesce("picture", "path").alias("picture"),
        F.coalesce("own", F.lit(0)).alias("own"),
        F.coalesce("grey", F.lit(False)).alias("grey"),
    )
    together = Window.partitionBy("picture")
    return rows.select("path", F.sum("own").over(together).cast("long").alias("balance"), "grey")


def _with_standings(members: DataFrame, pairs: DataFrame | None) -> DataFrame:
    """members with the original policy's balance and grey columns (0 / false without pairs)."""
    standings = _standings(pairs, members.sparkSession)
    return (
        members.join(standings, "path", "left")
        .withColumn("balance", F.coalesce("balance", F.lit(0)).cast("long"))
        .withColumn("grey", F.coalesce("grey", F.lit(False)))
    )


def with_keep_policy(
    members: DataFrame,
    attributes: DataFrame,
    policy: KeepPolicy = DEFAULT_POLICY,
    pairs: DataFrame | None = None,
) -> DataFrame:
    """(path, cluster, keep) with exactly one keep = true per cluster, chosen by `policy`.

    members: (path, cluster); attributes: keep_attributes() columns (path unique or not: the
    largest value of each is used); pairs: the pairs table (the original policy reads its
    original column; without it every file has the same balance)."""
    aggregates = [
        F.max(c).alias(c) for c in ("pixels", "length", "modification_time") if c in attributes.columns
    ]
    attrs = attributes.groupBy("path").agg(*aggregates)
    ranked = members.join(attrs, "path", "left")
    for c in ("pixels", "length", "modification_time"):
        if c not in ranked.columns:
            ranked = ranked.withColumn(
                c, F.lit(None).cast("timestamp" if c == "modification_time" else "long")
            )
    if policy.name == ORIGINAL:
        ranked = _with_standings(ranked, pairs)
    order = Window.partitionBy("cluster").orderBy(*policy_order(policy))
    return ranked.select("path", "cluster", (F.row_number().over(order) == 1).alias("keep"))


def _detail(policy: KeepPolicy) -> Column:
    """Why a member lost to the kept file by `policy`'s keys (k_ columns: the kept file's)."""

    def text(c: Column) -> Column:
        return F.coalesce(c.cast("string"), F.lit("unknown"))

    pixels = F.format_string("%s pixels, the kept file %s", text(F.col("pixels")), text(F.col("k_pixels")))
    size = F.format_string("%s bytes, the kept file %s", text(F.col("length")), text(F.col("k_length")))
    mtime = F.format_string(
        "modified %s, the kept file %s", text(F.col("modification_time")), text(F.col("k_modification_time"))
    )

    def then(same: Column, detail: Column) -> Column:  # the next key, when this one tied
        return F.when(same, F.concat(F.lit("; "), detail)).otherwise(F.lit(""))

    same_pixels = F.col("pixels").eqNullSafe(F.col("k_pixels"))
    if policy.name == "most-pixels":
        return F.concat(pixels, then(same_pixels, size))
    if policy.name == ORIGINAL:  # then the oldest, then the largest (policy_order)
        same_time = F.col("modification_time").eqNullSafe(F.col("k_modification_time"))
        return F.concat(pixels, then(same_pixels, F.concat(mtime, then(same_time, size))))
    if policy.name == "largest-file":
        return size
    if policy.name in ("oldest", "newest"):
        return mtime
    if policy.name == "shortest-path":
        return F.format_string(
            "path of %d characters, the kept file's %d", F.length("path"), F.length("k_path")
        )
    names = F.array(*[F.lit(p) for p in policy.prefixes], F.lit("no preferred prefix"))
    return F.when(
        F.col("rank") != F.col("k_rank"),
        F.format_string(
            "under %s, the kept file under %s",
            F.element_at(names, F.col("rank") + 1),
            F.element_at(names, F.col("k_rank") + 1),
        ),
    ).otherwise(F.concat(F.lit("same prefix; "), pixels))


def _copy_of(evidence: Column) -> Column:
    """'crop of', 'sticker over', ... for an evidence word (`sparkhash.core.explain.COPY_OF`)."""
    phrase = F.lit(None).cast("string")
    for word, text in COPY_OF.items():
        phrase = F.when(evidence == F.lit(word), F.lit(text)).otherwise(phrase)
    return F.coalesce(phrase, F.concat(evidence, F.lit(" copy of")))


def _original_detail() -> Column:
    """Why a member lost under the original policy. The pair with the kept file says it is a
    copy of it ("crop of K"); else another member's pair does ("crop of X"); else the relation
    to the kept file, the balances and the tie rule (most-pixels) tell."""
    direct = F.concat(_copy_of(F.col("d_evidence")), F.lit(" "), F.col("k_path"))
    other = F.concat(
        _copy_of(F.col("l_evidence")), F.lit(" "), F.col("l_winner"), F.lit(", kept "), F.col("k_path")
    )
    words = F.split(F.coalesce(F.col("d_relation"), F.lit("")), "[+]")
    kin = (
        F.when(F.array_contains(words, "rotation"), F.lit("rotated copy of "))
        .when(F.array_contains(words, "mirror"), F.lit("mirrored copy of "))
        .when(F.col("d_relation").isNotNull(), F.lit("same picture as "))
        .otherwise(F.lit("in the cluster of "))
    )
    balance = F.when(
        F.col("balance") != F.col("k_balance"),
        F.format_string(
            "; the kept file is the original of more files (balance %d, the kept file %d)",
            F.col("balance"),
            F.col("k_balance"),
        ),
    ).otherwise(F.concat(F.lit("; "), _detail(KeepPolicy(ORIGINAL))))
    undecided = F.concat(kin, F.col("k_path"), balance)
    return (
        F.when(F.col("d_original_is_kept"), direct)
        .when(F.col("l_winner").isNotNull(), other)
        .otherwise(undecided)
    )


def _reason(policy: KeepPolicy) -> Column:
    """Why a member lost to the kept file (k_ columns are the kept file's attributes)."""
    detail = _original_detail() if policy.name == ORIGINAL else _detail(policy)
    tie = F.lit("; tie broken by path")
    return F.concat(F.lit(policy.describe() + ": "), detail, F.when(F.col("tied"), tie).otherwise(F.lit("")))


def remove_listing(
    clusters: DataFrame,
    attributes: DataFrame,
    policy: KeepPolicy = DEFAULT_POLICY,
    pairs: DataFrame | None = None,
) -> DataFrame:
    """REMOVE_SCHEMA rows for every member with keep = false: its cluster, the kept path, why.
    pairs: the pairs table, read by the original policy (its reasons name the relation)."""
    attrs = attributes.groupBy("path").agg(
        F.max("pixels").alias("pixels"),
        F.max("length").alias("length"),
        F.max("modification_time").alias("modification_time"),
    )
    rank = _prefix_rank(policy.prefixes) if policy.name == "prefer" else F.lit(0)
    members = clusters.select("path", F.col("cluster").cast("string").alias("cluster"), "keep").join(
        attrs, "path", "left"
    )
    members = members.withColumn("rank", rank)
    original = policy.name == ORIGINAL
    if original:
        members = _with_standings(members, pairs)
    else:
        members = members.withColumn("balance", F.lit(0).cast("long")).withColumn("grey", F.lit(False))
    kept = members.where(F.col("keep")).select(
        "cluster",
        *[
            F.col(c).alias(f"k_{c}")
            for c in ("path", "pixels", "length", "modification_time", "rank", "balance", "grey")
        ],
    )
    removed = _with_pairs(members.where(~F.col("keep")).join(kept, "cluster"), pairs, original)
    # a tie: the member equals the kept file on every policy key but the path
    tied = F.lit(True)
    for key, _ in POLICY_KEYS[policy.name]:
        member = F.col("rank") if key == "rank" else _key(key, policy)
        tied = tied & member.eqNullSafe(_key(key, policy, "k_"))
    removed = removed.withColumn("tied", tied)
    return removed.select(
        "path", "cluster", F.col("k_path").alias("kept_path"), _reason(policy).alias("reason"), "paired"
    )


def _pair_ends(pairs: DataFrame) -> DataFrame:
    """Each pair from both ends: `path` one file, `k_path` the other, `k_side` which of the
    pair's columns holds k_path ("a" or "b", as the `original` column names a side), and the
    pairs' other columns as they are."""
    rest = [c for c in pairs.columns if c not in ("path_a", "path_b")]
    return pairs.select(
        F.col("path_a").alias("path"), F.col("path_b").alias("k_path"), F.lit("b").alias("k_side"), *rest
    ).unionByName(
        pairs.select(
            F.col("path_b").alias("path"), F.col("path_a").alias("k_path"), F.lit("a").alias("k_side"), *rest
        )
    )


def _direct(pairs: DataFrame) -> DataFrame:
    """One row per pair of files, from both ends (several algorithms may pair them): path,
    k_path, paired (true), and what the pair says when the pairs carry relations: d_relation,
    d_original_is_kept (the `original` column names k_path's side), d_evidence; else nulls."""
    told = "original" in pairs.columns
    ends = _pair_ends(
        pairs.select("path_a", "path_b", *(("relation", "original", "evidence") if told else ()))
    )
    if told:
        relation, kept, evidence = F.col("relation"), F.col("original") == F.col("k_side"), F.col("evidence")
    else:
        relation = evidence = F.lit(None).cast("string")
        kept = F.lit(None).cast("boolean")
    return ends.groupBy("path", "k_path").agg(
        F.max(F.lit(True)).alias("paired"),
        F.max(relation).alias("d_relation"),
        F.max(kept).alias("d_original_is_kept"),
        F.max(evidence).alias("d_evidence"),
    )


def _with_pairs(removed: DataFrame, pairs: DataFrame | None, original: bool) -> DataFrame:
    """Removed members with their pair to the kept file, read once for both uses: `paired`
    (does a pair, either order, any algorithm, join the member to its cluster's kept file?
    null when no pairs are given) and, for the original policy, what that pair says (d_relation,
    d_evidence, d_original_is_kept) and one pair naming the member a copy of another file
    (l_winner, l_evidence)."""
    if pairs is None:
        out = removed.withColumn("paired", F.lit(None).cast("boolean"))
        for c in ("d_relation", "d_evidence", "l_winner", "l_evidence"):
            out = out.withColumn(c, F.lit(None).cast("string"))
        return out.withColumn("d_original_is_kept", F.lit(False))
    out = removed.join(_direct(pairs), ["path", "k_path"], "left")
    out = out.withColumn("paired", F.coalesce(F.col("paired"), F.lit(False)))
    out = out.withColumn("d_original_is_kept", F.coalesce("d_original_is_kept", F.lit(False)))
    if not original:
        return out
    if "original" not in pairs.columns:
        return out.withColumn("l_winner", F.lit(None).cast("string")).withColumn(
            "l_evidence", F.lit(None).cast("string")
        )
    lost = (
        _evidence(pairs)
        .groupBy(F.col("loser").alias("path"))
        .agg(F.min(F.struct("winner", "evidence")).alias("l"))
        .select("path", F.col("l.winner").alias("l_winner"), F.col("l.evidence").alias("l_evidence"))
    )
    return out.join(lost, "path", "left")


def read_policy(spark: SparkSession, output: str) -> str:
    """The policy a dups OUTPUT's latest result was kept by (recorded in its commit); results
    written before policies existed used most-pixels."""
    try:
        recorded = read_dups(spark, output).policy
    except UsageError:
        recorded = None
    return recorded or DEFAULT_POLICY.describe()
