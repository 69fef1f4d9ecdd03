"""Keep policies on a hand-made cluster: each picks the file it promises, ties go to the smallest
path, and the remove listing names every other member with the kept path and a reason."""

from __future__ import annotations

from datetime import datetime

import pytest

from sparkhash.dedup.keep import KeepPolicyError, parse_policy, remove_listing, with_keep_policy

pytestmark = pytest.mark.spark

UPLOAD = "file:/uploads/a.png"  # 1000 px, 500 B, day 2
ARCHIVE = "file:/archive/b.jpg"  # 800 px, 900 B, day 1
DEEP = "file:/archive/deep/longer/c.jpg"  # 1000 px, 500 B, day 3: ties UPLOAD on pixels and size
SMALL = "file:/x/d.gif"  # unknown pixels and time, 100 B
TWINS = ("file:/p/y2.jpg", "file:/p/y1.jpg")  # identical attributes: the smaller path wins


@pytest.fixture(scope="module")
def cluster(spark):
    rows = [
        (UPLOAD, "c1", 1000, 500, datetime(2024, 1, 2)),
        (ARCHIVE, "c1", 800, 900, datetime(2024, 1, 1)),
        (DEEP, "c1", 1000, 500, datetime(2024, 1, 3)),
        (SMALL, "c1", None, 100, None),
        (TWINS[0], "c2", 10, 10, datetime(2024, 1, 1)),
        (TWINS[1], "c2", 10, 10, datetime(2024, 1, 1)),
    ]
    frame = spark.createDataFrame(
        rows, "path string, cluster string, pixels long, length long, modification_time timestamp"
    )
    return frame.select("path", "cluster"), frame.drop("cluster")


@pytest.mark.parametrize(
    "policy, kept",
    [
        ("most-pixels", DEEP),  # 1000 px and 500 B tie with UPLOAD: the smaller path
        ("largest-file", ARCHIVE),
        ("oldest", ARCHIVE),
        ("newest", DEEP),
        ("shortest-path", SMALL),
        ("prefer:/uploads/,/archive/", UPLOAD),
        ("prefer:file:/archive/", DEEP),  # both archive files qualify: then most pixels
        ("prefer:/nowhere/", DEEP),  # no file qualifies: most pixels
        ("original", UPLOAD),  # no pairs say which is the original: most pixels, then the oldest
    ],
)
def test_each_policy_keeps_its_file(cluster, policy, kept):
    members, attributes = cluster
    parsed = parse_policy(policy)
    chosen = with_keep_policy(members, attributes, parsed)
    keep = {r.cluster: r.path for r in chosen.where("keep").collect()}
    assert keep == {"c1": kept, "c2": TWINS[1]}
    assert chosen.count() == 6

    removed = {r.path: r for r in remove_listing(chosen, attributes, parsed).collect()}
    assert set(removed) == {UPLOAD, ARCHIVE, DEEP, SMALL, *TWINS} - {kept, TWINS[1]}
    assert {r.kept_path for p, r in removed.items() if p != TWINS[0]} == {kept}
    assert all(r.reason.startswith(parsed.describe() + ": ") for r in removed.values())
    assert "tie broken by path" in removed[TWINS[0]].reason


def test_remove_reasons_say_why(cluster):
    members, attributes = cluster
    policy = parse_policy("prefer:/uploads/")
    removed = {
        r.path: r.reason
        for r in remove_listing(with_keep_policy(members, attributes, policy), attributes, policy).collect()
    }
    assert removed[ARCHIVE] == "prefer:/uploads/: under no preferred prefix, the kept file under /uploads/"
    policy = parse_policy("most-pixels")
    removed = {
        r.path: r.reason
        for r in remove_listing(with_keep_policy(members, attributes, policy), attributes, policy).collect()
    }
    assert removed[UPLOAD] == (
        "most-pixels: 1000 pixels, the kept file 1000; 500 bytes, the kept file 500; tie broken by path"
    )


def test_original_keeps_the_file_the_others_are_copies_of(spark, cluster):
    """The pairs' original column outvotes pixels; the reasons name the relation."""
    members, attributes = cluster
    pairs = spark.createDataFrame(
        [
            (ARCHIVE, UPLOAD, "crop", "a", "crop"),  # UPLOAD is a crop of ARCHIVE
            (ARCHIVE, DEEP, "framed", "a", "framed"),  # DEEP is ARCHIVE in a frame
            (DEEP, SMALL, "crop", "a", "crop"),  # SMALL is a crop of DEEP
            (ARCHIVE, SMALL, "rotation", None, None),  # a turn: does not tell
            (TWINS[0], TWINS[1], "same", None, None),
        ],
        "path_a string, path_b string, relation string, original string, evidence string",
    )
    policy = parse_policy("original")
    chosen = with_keep_policy(members, attributes, policy, pairs)
    assert {r.cluster: r.path for r in chosen.where("keep").collect()} == {"c1": ARCHIVE, "c2": TWINS[1]}
    removed = {r.path: r.reason for r in remove_listing(chosen, attributes, policy, pairs).collect()}
    assert removed == {
        UPLOAD: f"original: crop of {ARCHIVE}",
        DEEP: f"original: framed copy of {ARCHIVE}",
        SMALL: f"original: crop of {DEEP}, kept {ARCHIVE}",
        TWINS[0]: (
            f"original: same picture as {TWINS[1]}; 10 pixels, the kept file 10; modified 2024-01-01 00:00:00, "
            "the kept file 2024-01-01 00:00:00; 10 bytes, the kept file 10; tie broken by path"
        ),
    }


def _removed(cluster, policy, pairs) -> dict:
    """The remove listing of the cluster fixture under policy, by path (pairs may be None)."""
    members, attributes = cluster
    chosen = with_keep_policy(members, attributes, policy, pairs)
    return {r.path: r for r in remove_listing(chosen, attributes, policy, pairs).collect()}


def test_original_policy_says_which_files_are_paired_with_the_kept_file(spark, cluster):
    """Under the original policy the reasons and `paired` are read from one join of the pairs
    to the kept file: SMALL, a crop of DEEP with no pair of its own to ARCHIVE, is removed as
    a copy of DEEP and is not paired; the kept file's own copies are."""
    pairs = spark.createDataFrame(
        [
            (ARCHIVE, UPLOAD, "crop", "a", "crop"),
            (ARCHIVE, DEEP, "framed", "a", "framed"),
            (DEEP, SMALL, "crop", "a", "crop"),
            (TWINS[1], TWINS[0], "same", None, None),
        ],
        "path_a string, path_b string, relation string, original string, evidence string",
    )
    removed = _removed(cluster, parse_policy("original"), pairs)
    assert {p: (r.kept_path, r.paired) for p, r in removed.items()} == {
        UPLOAD: (ARCHIVE, True),
        DEEP: (ARCHIVE, True),
        SMALL: (ARCHIVE, False),
        TWINS[0]: (TWINS[1], True),  # a pair in either order
    }
    assert removed[SMALL].reason == f"original: crop of {DEEP}, kept {ARCHIVE}"
    assert removed[DEEP].reason == f"original: framed copy of {ARCHIVE}"


def test_only_quarter_turns_show_the_same_picture(spark):
    """A 2-degree turn is an edit (its corners cut or filled), even where the pair cannot tell
    which side it is: the original's vote from a crop is its own. A quarter turn is the same
    picture: the two pool their votes, and the tie rules choose."""
    photo, turned, crop = "file:/p/photo.jpg", "file:/p/turned.jpg", "file:/p/crop.jpg"
    attributes = spark.createDataFrame(
        [(photo, 100, 50, None), (turned, 100, 90, None), (crop, 40, 30, None)],
        "path string, pixels long, length long, modification_time timestamp",
    )
    members = attributes.selectExpr("path", "'c' AS cluster")
    policy = parse_policy("original")

    def kept(rotation: float) -> str:
        pairs = spark.createDataFrame(
            [
                (photo, turned, "rotation", rotation, None, None),  # does not tell
                (photo, crop, "crop", 0.0, "a", "crop"),  # the photo is the original of the crop
            ],
            "path_a string, path_b string, relation string, rotation double, original string, evidence string",
        )
        chosen = with_keep_policy(members, attributes, policy, pairs)
        return chosen.where("keep").first().path

    assert kept(2.0) == photo
    assert kept(-90.0) == turned  # one picture, balance shared: then the larger file


@pytest.mark.parametrize("text", ["bogus", "prefer:", "prefer:/a/,", "most_pixels"])
def test_bad_policies_are_refused(text):
    with pytest.raises(KeepPolicyError):
        parse_policy(text)


def test_remove_listing_says_which_files_are_paired_with_the_kept_file(spark, cluster):
    """A cluster is a connected component: ARCHIVE ~ UPLOAD ~ DEEP ~ SMALL is one cluster even
    if only the first pair touches the kept file. `paired` tells the files a pair joins to the
    kept file itself (what a cautious deletion job deletes) from those chained to it."""
    pairs = spark.createDataFrame(
        [(UPLOAD, ARCHIVE), (UPLOAD, DEEP), (DEEP, SMALL), (TWINS[1], TWINS[0])],
        "path_a string, path_b string",
    )
    removed = _removed(cluster, parse_policy("largest-file"), pairs)
    assert {p: (r.kept_path, r.paired) for p, r in removed.items()} == {
        UPLOAD: (ARCHIVE, True),
        DEEP: (ARCHIVE, False),
        SMALL: (ARCHIVE, False),
        TWINS[0]: (TWINS[1], True),  # a pair in either order
    }
    assert all(r.paired is None for r in _removed(cluster, parse_policy("largest-file"), None).values())
