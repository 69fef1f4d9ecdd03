"""The matcher registry: every algorithm's pairs come from its record's matcher kind.

`dups --algorithm crop_resistant` runs the exploded matcher on the segments table alone and
finds exactly the crop_resistant pairs that `--segments` adds to a phash run; the report names
a pair by its matcher kind.
"""

from __future__ import annotations

import pytest
from test_dedup_job import write_tables

from sparkhash.cli import main
from sparkhash.core.params import HashParams
from sparkhash.core.registry import ALGORITHMS, MATCHER_KINDS, REGISTRY
from sparkhash.dedup.matchers import MATCHERS, link_text, matcher_for
from sparkhash.dedup.output import read_dups
from sparkhash.report.build import _link_text


def test_every_kind_has_a_matcher_and_every_record_a_kind():
    assert set(MATCHERS) == set(MATCHER_KINDS)
    assert {matcher_for(a).kind for a in ALGORITHMS} == set(MATCHER_KINDS)
    assert all(matcher_for(REGISTRY[a]) is MATCHERS[REGISTRY[a].matcher] for a in ALGORITHMS)


def test_the_report_names_a_pair_by_its_matcher_kind():
    assert link_text("phash", 3, None) == "phash 3"
    assert link_text("crop_resistant", 0, 2) == "crop_resistant 0 (2 segments)"
    assert link_text("robust", None, 41) == "robust (41 inliers)"
    assert link_text("robust", None, float("nan")) == "robust"
    assert link_text("an_older_algorithm", 5, None) == "an_older_algorithm 5"  # a table from elsewhere
    links = [  # as the report's pandas rows hold them: counts as floats, NaN for none
        {"algorithm": "phash", "distance": 3, "matched_segments": float("nan")},
        None,
        {"algorithm": "robust", "distance": None, "matched_segments": 41.0},
        {"algorithm": "crop_resistant", "distance": 1, "matched_segments": 2.0},
    ]
    assert _link_text(links) == "phash 3, robust (41 inliers), crop_resistant 1 (2 segments)"


@pytest.mark.spark
def test_dups_of_an_exploded_algorithm_is_its_matcher_alone(spark, tmp_path):
    write_tables(spark, tmp_path, HashParams())
    hashes = str(tmp_path / "hashes")
    assert main(["dups", hashes, str(tmp_path / "both"), "--threshold", "3", "--segments"]) == 0
    assert main(["dups", hashes, str(tmp_path / "alone"), "--algorithm", "crop_resistant"]) == 0
    both = read_dups(spark, str(tmp_path / "both")).pairs.where("algorithm = 'crop_resistant'")
    alone = read_dups(spark, str(tmp_path / "alone"))
    expected = {tuple(r) for r in both.collect()}
    # (path_a, path_b, algorithm, distance, matched_segments, segments_a, segments_b; then the
    # relation columns, null: the segment matcher does not explain its pairs)
    assert ("img000.jpg", "img001.jpg", "crop_resistant", 0, 1, 1, 1) in {t[:7] for t in expected}
    assert all(set(t[7:]) == {None} for t in expected)
    assert {tuple(r) for r in alone.pairs.collect()} == expected
    clustered = {r.path for r in alone.clusters.collect()}
    assert clustered == {p for r in expected for p in r[:2]}
    # its table is joined whole: an incremental run is refused before Spark work
    previous = ["--previous", str(tmp_path / "alone"), "--previous-run", "r1"]
    assert main(["dups", hashes, str(tmp_path / "inc"), "--algorithm", "crop_resistant", *previous]) == 2
