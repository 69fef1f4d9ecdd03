"""Robust pairs explain themselves, and `--keep original` keeps the original: one small
`sparkhash dups --algorithm robust` run on real photos of the dev corpus (SPARKHASH_PHOTOS)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from test_core_robust import PHOTOS, needs_photos
from test_report import chromium, needs_chromium

from sparkhash.cli import main
from sparkhash.dedup.output import read_dups
from sparkhash.report.build import ReportRequest, build_report
from sparkhash.spark.schemas import PAIRS_SCHEMA

pytestmark = [pytest.mark.spark, needs_photos]

GROUP = "g001"
#: The original and copies whose relation to it is known (how the corpus made them).
FILES = (
    "orig.jpg",
    "crop25_corner.jpg",  # the bottom-right 75 % x 75 %
    "rot270.jpg",  # a quarter turn
    "emoji_overlay.jpg",  # stickers in the lower left
    "border_black.jpg",
    "gray.png",
    "mirror.jpg",
)


@pytest.fixture(scope="module")
def run(spark, tmp_path_factory) -> Path:
    """One robust hash + dups run on the files; returns the directory holding `dups`."""
    root = tmp_path_factory.mktemp("relations")
    images = root / "images"
    images.mkdir()
    for name in FILES:
        source = Path(PHOTOS) / GROUP / name
        if not source.exists():
            pytest.skip(f"{source} not in this corpus")
        shutil.copy(source, images / name)
    assert main(["hash", str(images), str(root / "hashes"), "--algorithms", "robust"]) == 0
    assert main(["dups", str(root / "hashes"), str(root / "dups"), "--algorithm", "robust"]) == 0
    return root


@pytest.fixture(scope="module")
def dups(spark, run):
    return read_dups(spark, str(run / "dups"))


@pytest.fixture(scope="module")
def page(spark, run) -> Path:
    """The review page of the dups run above."""
    out = run / "review.html"
    result = build_report(spark, ReportRequest(dups=str(run / "dups"), output=out, workers=2))
    assert result.clusters == 1 and result.placeholders == 0
    return out


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _with_original(dups) -> dict[str, dict]:
    """Each copy's pair with the original, oriented as (original = A, copy = B)."""
    out = {}
    for r in dups.pairs.collect():
        a, b = _name(r.path_a), _name(r.path_b)
        if "orig.jpg" not in (a, b):
            continue
        row = r.asDict(recursive=True)
        if b == "orig.jpg":  # describe the copy relative to the original: swap the sides
            row["box_a"], row["box_b"] = row["box_b"], row["box_a"]
            row["original"] = {"a": "b", "b": "a"}.get(row["original"])
            row["swapped"] = True
        out[b if a == "orig.jpg" else a] = row
    return out


def _box(d: dict) -> tuple[float, ...]:
    return (d["x0"], d["y0"], d["x1"], d["y1"])


def test_robust_pairs_carry_their_relation(dups):
    assert dups.pairs.columns == PAIRS_SCHEMA.names
    pairs = _with_original(dups)
    assert set(pairs) >= {"crop25_corner.jpg", "rot270.jpg", "emoji_overlay.jpg", "border_black.jpg"}

    crop = pairs["crop25_corner.jpg"]
    # B is a crop of A, or (path order put the crop first) A is contained in B
    assert crop["relation"] == ("contains" if crop.get("swapped") else "crop")
    assert _box(crop["box_a"]) == pytest.approx((0.25, 0.25, 1.0, 1.0), abs=0.05)  # in the original
    assert _box(crop["box_b"]) == pytest.approx((0.0, 0.0, 1.0, 1.0), abs=0.05)  # all of the crop
    assert crop["original"] == "a" and crop["evidence"] == "crop"

    turn = pairs["rot270.jpg"]
    assert turn["relation"] == "rotation" and abs(turn["rotation"]) == pytest.approx(90.0, abs=1.0)
    assert not turn["mirrored"] and turn["original"] is None  # a turn does not tell

    sticker = pairs["emoji_overlay.jpg"]
    assert "overlay" in sticker["relation"].split("+") and 0.02 < sticker["differing"] < 0.3
    assert sticker["score"] > 0.8
    assert pairs["mirror.jpg"]["mirrored"] and "mirror" in pairs["mirror.jpg"]["relation"]
    assert pairs["border_black.jpg"]["original"] == "a"  # the bordered copy is the copy
    assert pairs["gray.png"]["evidence"] == "grey"


def test_keep_original_keeps_the_original_and_says_why(dups):
    clusters = dups.clusters.collect()
    assert len({r.cluster for r in clusters}) == 1
    (kept,) = [r.path for r in clusters if r.keep]
    assert _name(kept) == "orig.jpg"  # not gray.png (larger file), not border_black (more pixels)
    assert dups.policy == "original"
    reasons = {_name(r.path): r.reason for r in dups.remove.collect()}
    assert reasons["crop25_corner.jpg"] == f"original: crop of {kept}"
    assert reasons["border_black.jpg"] == f"original: framed copy of {kept}"
    assert reasons["gray.png"] == f"original: grey copy of {kept}"
    assert reasons["emoji_overlay.jpg"] == f"original: sticker over {kept}"
    assert reasons["rot270.jpg"].startswith(f"original: rotated copy of {kept}; ")
    assert reasons["mirror.jpg"].startswith(f"original: mirrored copy of {kept}; ")


def _page_members(page: Path) -> dict[str, dict]:
    text = page.read_text(encoding="utf-8")
    raw = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text, re.S)[1]
    data = json.loads(raw.replace("<\\/", "</"))
    (cluster,) = data["clusters"]
    return {_name(m["p"]): m for m in cluster["members"]}


def test_review_page_shows_relations_and_boxes(page):
    members = _page_members(page)
    assert members["orig.jpg"]["k"] and not members["orig.jpg"]["rel"]
    crop = members["crop25_corner.jpg"]
    assert crop["rel"].startswith("crop of the kept file")
    assert crop["box"] == pytest.approx([0.0, 0.0, 1.0, 1.0], abs=0.05)  # all of the crop ...
    assert crop["kbox"] == pytest.approx(
        [0.25, 0.25, 1.0, 1.0], abs=0.05
    )  # ... is this part of the kept file
    assert members["rot270.jpg"]["rel"].startswith("rotation ")
    assert members["emoji_overlay.jpg"]["rel"].startswith("sticker over the kept file")


@needs_chromium
def test_review_page_outlines_the_matched_boxes_in_chromium(page, tmp_path):
    dom = chromium(tmp_path, page.as_uri(), "--dump-dom").stdout
    assert 'data-render="ok"' in dom
    assert "crop of the kept file" in dom
    assert dom.count('class="mbox"') >= 5  # every robust copy's matched box on its thumbnail
