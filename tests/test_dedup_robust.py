"""`sparkhash dups --algorithm robust` on Spark against a brute-force check of every pair."""

from __future__ import annotations

import itertools
import os

import pytest
from PIL import Image, ImageDraw, ImageOps
from test_core_robust import _scene

from sparkhash.cli import main
from sparkhash.core import robust
from sparkhash.dedup.output import read_dups
from sparkhash.spark.schemas import PAIRS_SCHEMA
from sparkhash.spark.tables import read_hash_output

pytestmark = pytest.mark.spark


def _copies(seed: int) -> dict[str, Image.Image]:
    im = _scene(seed, (480, 360))
    w, h = im.size
    captioned = im.copy()
    draw = ImageDraw.Draw(captioned)
    draw.rectangle((0, 0, w, h // 9), fill=(255, 255, 255))
    draw.text((6, 8), "reposted with a caption", fill=(0, 0, 0))
    return {
        f"s{seed}_orig.jpg": im,
        f"s{seed}_mirror.jpg": ImageOps.mirror(im),
        f"s{seed}_crop.jpg": im.crop((0, 0, w * 6 // 10, h)),
        f"s{seed}_caption.jpg": captioned,
    }


def _write(directory, images: dict[str, Image.Image]) -> None:
    os.makedirs(directory, exist_ok=True)
    for name, image in images.items():
        image.convert("RGB").save(os.path.join(directory, name), "JPEG", quality=90)


def _current(spark, out):
    return read_hash_output(spark, str(out))[0]


def _brute_force(spark, out) -> set[tuple[str, str]]:
    rows = _current(spark, out).filter("robust is not null").select("path", "robust").collect()
    sigs = {r.path: robust.from_text(r.robust) for r in rows}
    return {
        (a, b)
        for a, b in itertools.combinations(sorted(sigs), 2)
        if robust.verify_pair(sigs[a], sigs[b]).match
    }


def _pairs(spark, out) -> set[tuple[str, str]]:
    pairs = read_dups(spark, str(out)).pairs
    assert pairs.columns == PAIRS_SCHEMA.names
    assert {r.algorithm for r in pairs.collect()} <= {"robust"}
    return {(r.path_a, r.path_b) for r in pairs.collect()}


def test_robust_dups_equal_brute_force_full_and_incremental(spark, tmp_path):
    images = tmp_path / "images"
    first = {**_copies(1), **_copies(2)}
    blank = {
        "blank_a.jpg": Image.new("RGB", (300, 200), (250, 250, 250)),
        "blank_b.jpg": Image.new("RGB", (300, 200)),
    }
    _write(images, {**first, **blank})
    (images / "broken.jpg").write_bytes(b"not an image")
    out = tmp_path / "hashes"
    assert main(["hash", str(images), str(out), "--algorithms", "robust"]) == 0
    assert main(["dups", str(out), str(tmp_path / "d1"), "--algorithm", "robust"]) == 0
    (run1,) = {r.run_id for r in _current(spark, out).select("run_id").collect()}

    _write(images, {**_copies(3), "s1_orig_again.jpg": first["s1_orig.jpg"].resize((240, 180))})
    assert main(["hash", str(images), str(out), "--algorithms", "robust"]) == 0
    assert main(["dups", str(out), str(tmp_path / "full"), "--algorithm", "robust"]) == 0

    hashes = _current(spark, out)
    assert hashes.filter("error is not null").count() == 1  # broken.jpg: one row, with its error
    expected = _brute_force(spark, out)
    found = _pairs(spark, tmp_path / "full")
    assert found == expected
    name = lambda p: os.path.basename(p)  # noqa: E731
    names = {tuple(sorted((name(a), name(b)))) for a, b in found}
    for seed in (1, 2, 3):  # every copy is paired with its original
        for edit in ("mirror", "crop", "caption"):
            assert tuple(sorted((f"s{seed}_orig.jpg", f"s{seed}_{edit}.jpg"))) in names
    assert not any("blank" in a or "blank" in b for a, b in names)  # low detail: no signature rows
    assert not any(a.split("_")[0] != b.split("_")[0] for a, b in names)  # never across pictures
    low = {r.path for r in hashes.collect() if r.robust and robust.from_text(r.robust).low_detail}
    assert {name(p) for p in low} == {"blank_a.jpg", "blank_b.jpg"}

    inc = tmp_path / "inc"
    args = [
        "dups",
        str(out),
        str(inc),
        "--algorithm",
        "robust",
        "--previous",
        str(tmp_path / "d1"),
        "--previous-run",
        run1,
    ]
    assert main(args) == 0
    assert _pairs(spark, inc) == found


def test_robust_match_equals_brute_force(spark, tmp_path):
    """`sparkhash match --algorithm robust`: image queries against a robust lake give exactly
    the (query, lake file) pairs that robust's verification accepts, none among the queries."""
    lake_dir, query_dir = tmp_path / "lake", tmp_path / "queries"
    copies = {**_copies(4), **_copies(5)}
    _write(lake_dir, {k: v for k, v in copies.items() if k.endswith("_orig.jpg")})
    _write(query_dir, {k: v for k, v in copies.items() if not k.endswith("_orig.jpg")})
    lake, queries = tmp_path / "lake_hashes", tmp_path / "query_hashes"
    assert main(["hash", str(lake_dir), str(lake), "--algorithms", "robust"]) == 0
    assert main(["hash", str(query_dir), str(queries), "--algorithms", "robust"]) == 0

    def signatures(out):
        rows = _current(spark, out).filter("robust is not null").select("path", "robust").collect()
        return {r.path: robust.from_text(r.robust) for r in rows}

    lake_sigs, query_sigs = signatures(lake), signatures(queries)
    expected = {
        (q, p)
        for q, qs in query_sigs.items()
        for p, ps in lake_sigs.items()
        if robust.verify_pair(qs, ps).match
    }
    name = os.path.basename
    assert {(name(q), name(p)) for q, p in expected} >= {
        (f"s{seed}_{edit}.jpg", f"s{seed}_orig.jpg")
        for seed in (4, 5)
        for edit in ("mirror", "crop", "caption")
    }
    for source in (query_dir, queries):  # images hashed with the lake's params, and a hash OUTPUT
        out = tmp_path / f"matched_{name(source)}"
        assert main(["match", str(source), str(lake), str(out), "--algorithm", "robust"]) == 0
        rows = spark.read.parquet(str(out / "matches")).collect()
        assert {r.algorithm for r in rows} == {"robust"}
        assert {(r.query, r.path) for r in rows} == expected
