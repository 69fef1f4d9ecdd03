"""The matchers: one implementation per matcher kind an algorithm's registry record declares.

`sparkhash.core.registry` only declares each algorithm's matcher kind (`Algorithm.matcher`:
HAMMING, HAMMING_EXPLODED or VERIFIED); this module maps the kind to the code that finds its
pairs, and `dups` (`sparkhash.dedup.job`), `match` (`sparkhash.dedup.match`), `evaluate`
(`sparkhash.evaluation`) and the report (`sparkhash.report`) call `matcher_for(record)` instead
of testing algorithm names. A new algorithm with an existing kind (PDQ: HAMMING on its `pdq`
column; its dihedral hashes: HAMMING_EXPLODED) needs no change here or in those modules.

Each matcher offers, with typed inputs:

- `duplicates(record, table, config, old, previous)`: the pairs of the `dups` job in the table
  the record writes (the hashes table, or its exploded table), incremental when `old` (the old
  rows) and `previous` (the previous dups output) are given — a `Found`;
- `within(record, table, threshold)`: every pair of the table within `threshold` (identical
  groups fully expanded): the evaluation's pairs and its cross-check of the dups join;
- `distances`: whether pairs have a Hamming distance (False for VERIFIED: one operating point,
  a threshold does not apply and `within` ignores it);
- `explains`: whether its pairs carry the relation columns (`sparkhash.spark.schemas.
  RELATION_FIELDS`: VERIFIED's verification explains each match); the dups job then keeps by
  the original policy by default (`sparkhash.dedup.keep.default_policy`);
- `lake(spark, query, location, table, record, config)`: the `match` command's (query, lake
  path) matches against the table the record writes (`sparkhash.dedup.match`);
- `link_text(algorithm, distance, matched)`: how the report names a pair.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sparkhash.core.registry import (
    HAMMING,
    HAMMING_EXPLODED,
    MATCHER_KINDS,
    REGISTRY,
    VERIFIED,
    Algorithm,
    get,
)
from sparkhash.dedup.incremental import find_pairs_incremental
from sparkhash.dedup.match import match_lake_exploded, match_lake_hamming, match_lake_verified
from sparkhash.dedup.pairs import find_pairs, valid_hashes
from sparkhash.dedup.robust import find_robust_pairs, valid_signatures
from sparkhash.dedup.segments import find_segment_pairs

if TYPE_CHECKING:
    from sparkhash.dedup.job import DupsConfig

#: Columns of the (empty) groups table of a matcher without identical-hash groups.
GROUPS_DDL = "path string, anchor string, algorithm string, size long"


@dataclass(frozen=True)
class Previous:
    """The previous dups output of an incremental run: its pairs and clusters."""

    pairs: DataFrame
    clusters: DataFrame


@dataclass(frozen=True)
class Found:
    """What a matcher found for `dups`.

    pairs: PAIRS_SCHEMA rows; groups: large identical groups (path, anchor, algorithm, size);
    clusters: None (the job clusters the pairs) or the clusters an incremental run kept up to
    date; attributes: (path, pixels, length, ...) of the rows that took part; plan: one line
    for the log."""

    pairs: DataFrame
    groups: DataFrame | None
    clusters: DataFrame | None
    attributes: DataFrame | None
    plan: str


@dataclass(frozen=True)
class Matcher:
    """The implementation of one matcher kind (see the module docstring)."""

    kind: str
    duplicates: Callable[[Algorithm, DataFrame, DupsConfig, DataFrame | None, Previous | None], Found]
    within: Callable[[Algorithm, DataFrame, int], DataFrame]
    distances: bool
    lake: Callable[..., DataFrame]
    link_text: Callable[[str, Any, Any], str]
    explains: bool = False


# ------------------------------------------------------------------------------- dups


def _hamming_duplicates(
    record: Algorithm, hashes: DataFrame, config: DupsConfig, old: DataFrame | None, previous: Previous | None
) -> Found:
    """Banded Hamming join on the algorithm's column (`dedup.pairs`, `dedup.incremental`)."""
    algorithm = record.name
    common = dict(
        algorithm=algorithm,
        threshold=config.threshold,
        mode=config.mode,
        target_recall=config.recall,
        expand_limit=config.expand_limit,
        hot_bucket=config.hot_bucket,
    )
    if old is not None and previous is not None:
        result = find_pairs_incremental(old, hashes, previous.pairs, previous.clusters, **common)
        attributes = valid_hashes(hashes, algorithm).unionByName(valid_hashes(old, algorithm))
        return Found(result.pairs, result.groups, result.clusters, attributes, result.plan.describe())
    found = find_pairs(hashes, **common)
    return Found(found.pairs, found.groups, None, valid_hashes(hashes, algorithm), found.plan.describe())


def _exploded_duplicates(
    record: Algorithm, rows: DataFrame, config: DupsConfig, old: DataFrame | None, previous: Previous | None
) -> Found:
    """Image pairs through their close exploded rows (`dedup.segments`); not incremental (the
    whole exploded table is joined). The row cutoff: hamming_cutoff or bit_error_rate when
    given, else the threshold when the record is the run's algorithm (not when its table is
    joined beside another's: `--segments`), else the record's default."""
    cutoff_given = config.hamming_cutoff is not None or config.bit_error_rate is not None
    threshold = config.threshold if config.algorithm == record.name else None
    found = find_segment_pairs(
        rows,
        region_cutoff=config.region_cutoff,
        hamming_cutoff=config.hamming_cutoff if cutoff_given else threshold,
        bit_error_rate=config.bit_error_rate,
        mode=config.mode,
        target_recall=config.recall,
        shared_limit=config.segment_shared_limit,
        hot_bucket=config.hot_bucket,
        algorithm=record.name,
    )
    return Found(found.pairs, None, None, None, f"segments cutoff {found.cutoff}: {found.plan.describe()}")


def _verified_duplicates(
    record: Algorithm, hashes: DataFrame, config: DupsConfig, old: DataFrame | None, previous: Previous | None
) -> Found:
    """Candidate join + verification (`dedup.robust`), at the documented operating point
    (`--threshold` and the band options do not apply)."""
    earlier = None
    if old is not None and previous is not None:
        earlier = previous.pairs.filter(F.col("algorithm") == F.lit(record.name))
    pairs = find_robust_pairs(hashes, old, earlier)
    attributes = valid_signatures(hashes)
    if old is not None:
        if earlier is not None:
            pairs = (
                earlier.select(*pairs.columns)
                .unionByName(pairs)
                .dropDuplicates(["path_a", "path_b", "algorithm"])
            )
        attributes = attributes.unionByName(
            valid_signatures(old).join(attributes.select("path"), "path", "left_anti")
        )
    groups = hashes.sparkSession.createDataFrame([], GROUPS_DDL)
    return Found(
        pairs,
        groups,
        None,
        attributes,
        f"{record.name} format {record.format_version}, default operating point",
    )


# ------------------------------------------------------------------------------- all pairs within


def _hamming_within(record: Algorithm, hashes: DataFrame, threshold: int) -> DataFrame:
    return find_pairs(hashes, algorithm=record.name, threshold=threshold, expand_limit=1 << 40).pairs


def _exploded_within(record: Algorithm, rows: DataFrame, threshold: int) -> DataFrame:
    return find_segment_pairs(rows, hamming_cutoff=threshold, algorithm=record.name).pairs


def _verified_within(record: Algorithm, hashes: DataFrame, threshold: int) -> DataFrame:
    return find_robust_pairs(hashes)


# ------------------------------------------------------------------------------- the report


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _distance_text(algorithm: str, distance: Any, matched: Any) -> str:
    """'phash 3', or 'crop_resistant 0 (2 segments)' when rows of the pair matched."""
    text = f"{algorithm} {distance}"
    return f"{text} ({int(matched)} segments)" if _present(matched) else text


def _verified_text(algorithm: str, distance: Any, matched: Any) -> str:
    """'robust (41 inliers)': no distance, the verifier's RANSAC inliers."""
    return f"{algorithm} ({int(matched)} inliers)" if _present(matched) else algorithm


# ------------------------------------------------------------------------------- the registry

MATCHERS: dict[str, Matcher] = {
    HAMMING: Matcher(HAMMING, _hamming_duplicates, _hamming_within, True, match_lake_hamming, _distance_text),
    HAMMING_EXPLODED: Matcher(
        HAMMING_EXPLODED, _exploded_duplicates, _exploded_within, True, match_lake_exploded, _distance_text
    ),
    VERIFIED: Matcher(
        VERIFIED,
        _verified_duplicates,
        _verified_within,
        False,
        match_lake_verified,
        _verified_text,
        explains=True,
    ),
}
assert set(MATCHERS) == set(MATCHER_KINDS), "every matcher kind of the registry has an implementation"


def matcher_for(record: Algorithm | str) -> Matcher:
    """The matcher of an algorithm (its record, or its name: ValueError for an unknown one)."""
    if isinstance(record, str):
        record = get(record)
    return MATCHERS[record.matcher]


def link_text(algorithm: str, distance: Any, matched: Any) -> str:
    """How a pair of `algorithm` reads in the report; an algorithm this sparkhash does not know
    (a table written elsewhere) reads as a distance."""
    record = REGISTRY.get(algorithm)
    text = MATCHERS[record.matcher].link_text if record is not None else _distance_text
    return text(algorithm, distance, matched)
