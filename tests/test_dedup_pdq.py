"""PDQ is one registry record plus its kernel: the hash job writes its `pdq` and `pdq_quality`
columns, and `dups --algorithm pdq` and `match --algorithm pdq` (a CSV list of PDQ hex, as hash
lists are exchanged) equal brute force over the core's `pdq_hash` of every file — with no
line of the dups job, match, the evaluation or the report naming it (tests/test_architecture.py).
"""

from __future__ import annotations

import itertools

import pytest
from PIL import Image, ImageEnhance
from spark_helpers import file_uri, photo_like, write_image_set

from sparkhash.cli import main
from sparkhash.core.pdq import PDQ_DISTANCE_THRESHOLD, pdq_hash
from sparkhash.dedup.match import MatchConfig, match
from sparkhash.dedup.output import read_dups
from sparkhash.spark.tables import read_hashes

pytestmark = pytest.mark.spark

#: Of 256 bits: the reference's recommendation, the `pdq` record's default threshold (the
#: commands below are not given one).
K = PDQ_DISTANCE_THRESHOLD


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    """7 images hashed with pdq (and phash): 5 photos, a brightened and a shrunk copy of two
    (PDQ distances 12 and 16 from their originals; every other pair is over 100 apart)."""
    root = tmp_path_factory.mktemp("pdq")
    files = write_image_set(root / "lake", count=5, seed=70)
    bright = root / "lake" / "bright.jpg"
    ImageEnhance.Brightness(Image.open(files[0]).convert("RGB")).enhance(1.15).save(bright)
    small = root / "lake" / "small.png"
    original = Image.open(files[1])
    original.resize((original.width * 9 // 10, original.height * 9 // 10)).save(small)
    out = str(root / "out")
    assert main(["hash", str(root / "lake"), out, "--algorithms", "phash,pdq"]) == 0
    return {"root": root, "files": [*files, bright, small], "out": out}


def core_pdq(paths) -> dict[str, tuple]:
    return {file_uri(p): pdq_hash(Image.open(p)) for p in paths}


def brute_force_pairs(paths, k: int) -> set[tuple[str, str, int]]:
    hashes = core_pdq(paths)
    found = set()
    for a, b in itertools.combinations(sorted(hashes), 2):
        distance = int(hashes[a][0] - hashes[b][0])
        if distance <= k:
            found.add((a, b, distance))
    return found


def test_the_hash_job_writes_pdq_and_its_quality(spark, lake):
    rows = {r.path: r for r in read_hashes(spark, lake["out"]).collect()}
    assert {"pdq", "pdq_quality"} <= set(read_hashes(spark, lake["out"]).columns)
    for path, (hash_, quality) in core_pdq(lake["files"]).items():
        assert rows[path].pdq == str(hash_) and len(rows[path].pdq) == 64
        assert rows[path].pdq_quality == quality


def test_dups_of_pdq_equals_brute_force(spark, lake):
    target = str(lake["root"] / "dups")
    assert main(["dups", lake["out"], target, "--algorithm", "pdq"]) == 0  # the record's default: 31
    pairs = read_dups(spark, target).pairs
    got = {(r.path_a, r.path_b, r.distance) for r in pairs.collect()}
    expected = brute_force_pairs(lake["files"], K)
    assert got == expected
    files = lake["files"]
    copies = {
        tuple(sorted((file_uri(files[0]), file_uri(files[5])))),
        tuple(sorted((file_uri(files[1]), file_uri(files[6])))),
    }
    assert copies <= {p[:2] for p in expected}  # the edited copies are found (pairs are path_a < path_b)
    assert {r.algorithm for r in pairs.collect()} == {"pdq"}


def test_match_of_a_pdq_list_equals_brute_force(spark, lake, tmp_path):
    contrast = tmp_path / "contrast.jpg"
    ImageEnhance.Contrast(Image.open(lake["files"][2]).convert("RGB")).enhance(1.1).save(contrast)
    unrelated = tmp_path / "unrelated.png"
    photo_like(150, 110, 977).save(unrelated)
    listed = {"list-1": contrast, "list-2": unrelated}
    csv = tmp_path / "list.csv"
    csv.write_text(
        "id,pdq,source\n" + "".join(f"{i},{pdq_hash(Image.open(p))[0]},test\n" for i, p in listed.items())
    )
    got = {
        (r.query, r.path, r.distance)
        for r in match(spark, str(csv), lake["out"], MatchConfig("pdq")).collect()
    }
    lake_hashes = core_pdq(lake["files"])
    expected = {
        (i, path, int(pdq_hash(Image.open(p))[0] - h))
        for i, p in listed.items()
        for path, (h, _) in lake_hashes.items()
        if pdq_hash(Image.open(p))[0] - h <= K
    }
    assert got == expected
    assert ("list-1", file_uri(lake["files"][2])) in {(q, p) for q, p, _ in got}
