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


@pytest.mark.parametrize("text", ["bogus", "prefer:", "prefer:/a/,", "most_pixels"])
def test_bad_policies_are_refused(text):
    with pytest.raises(KeepPolicyError):
        parse_policy(text)
