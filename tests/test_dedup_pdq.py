"""PDQ is one registry record plus its kernel: the hash job writes its `pdq` and `pdq_quality`
columns, and `dups --algorithm pdq` and `match --algorithm pdq` (a CSV list of PDQ hex, as hash
lists are exchanged) equal brute force over the core's `pdq_hash` of every file — with no
line of the dups job, match, the evaluation or the report naming it (tests/test_architecture.py).

`pdq_dihedral` (the 8 dihedral hashes as rows of their own table, with their orientation):
`match` and `dups` find rotated and flipped copies and name the orientation, equal to brute
force over `pdqhash.compute_dihedral` (the reference, as oracle).
"""

from __future__ import annotations

import itertools
import json
import re

import numpy
import pytest
from PIL import Image, ImageEnhance
from spark_helpers import file_uri, photo_like, write_image_set

from sparkhash.cli import main
from sparkhash.core.pdq import PDQ_DISTANCE_THRESHOLD, PDQ_ORIENTATIONS, pdq_hash
from sparkhash.core.registry import get
from sparkhash.dedup.match import MatchConfig, match
from sparkhash.dedup.output import read_dups, read_matches
from sparkhash.report.build import ReportRequest, build_report
from sparkhash.spark.record_tables import record_table
from sparkhash.spark.tables import read_hash_output, read_hashes

pdqhash = pytest.importorskip("pdqhash")

pytestmark = pytest.mark.spark

#: Of 256 bits: the reference's recommendation, the `pdq` record's default threshold (the
#: commands below are not given one).
K = PDQ_DISTANCE_THRESHOLD


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    """10 images hashed with pdq and pdq_dihedral (and phash): 5 photos, a brightened and a
    shrunk copy of two (PDQ distances 12 and 16 from their originals; every other pair is over
    100 apart), and three turned or flipped copies (PNG: lossless, so only the orientation
    differs)."""
    root = tmp_path_factory.mktemp("pdq")
    files = write_image_set(root / "lake", count=5, seed=70)
    bright = root / "lake" / "bright.jpg"
    ImageEnhance.Brightness(Image.open(files[0]).convert("RGB")).enhance(1.15).save(bright)
    small = root / "lake" / "small.png"
    original = Image.open(files[1])
    original.resize((original.width * 9 // 10, original.height * 9 // 10)).save(small)
    turned = []
    for i, how in (
        (2, Image.Transpose.ROTATE_90),
        (3, Image.Transpose.FLIP_LEFT_RIGHT),
        (4, Image.Transpose.TRANSPOSE),
    ):
        path = root / "lake" / f"turned{i}.png"
        Image.open(files[i]).convert("RGB").transpose(how).save(path)
        turned.append(path)
    out = str(root / "out")
    assert main(["hash", str(root / "lake"), out, "--algorithms", "phash,pdq,pdq_dihedral"]) == 0
    return {"root": root, "files": [*files, bright, small, *turned], "out": out}


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
    rows = match(spark, str(csv), lake["out"], MatchConfig("pdq")).collect()
    got = {(r.query, r.path, r.distance) for r in rows}
    lake_hashes = core_pdq(lake["files"])
    # each match carries the lake file's quality (the record's pdq_quality column) and the list's source
    assert {(r.path, r.pdq_quality, r.source) for r in rows} == {
        (r.path, lake_hashes[r.path][1], "test") for r in rows
    }
    expected = {
        (i, path, int(pdq_hash(Image.open(p))[0] - h))
        for i, p in listed.items()
        for path, (h, _) in lake_hashes.items()
        if pdq_hash(Image.open(p))[0] - h <= K
    }
    assert got == expected
    assert ("list-1", file_uri(lake["files"][2])) in {(q, p) for q, p, _ in got}


# ----------------------------------------------------------------------------- pdq_dihedral


def reference_dihedral(paths) -> dict[str, list[str]]:
    """The 8 dihedral hashes of each file by the reference (pdqhash.compute_dihedral) as hex."""
    found = {}
    for p in paths:
        hashes, _ = pdqhash.compute_dihedral(numpy.asarray(Image.open(p).convert("RGB")))
        found[file_uri(p)] = [numpy.packbits(h.astype(bool)).tobytes().hex() for h in hashes]
    return found


def hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def closest(query: str, rows: list[str]) -> tuple[int, str]:
    """(distance, orientation) of the lake file's row closest to the query (ties: first row)."""
    distance, row = min((hamming(query, h), j) for j, h in enumerate(rows))
    return distance, PDQ_ORIENTATIONS[row]


def test_the_dihedral_table_holds_the_references_8_hashes(spark, lake):
    hashes, exploded = read_hash_output(spark, lake["out"])
    table = record_table(get("pdq_dihedral"), hashes, exploded)
    got = {}
    for r in table.collect():
        got.setdefault(r.path, {})[r.segment] = (r.hash, r.orientation)
    for path, rows in reference_dihedral(lake["files"]).items():
        assert [got[path][j] for j in range(8)] == list(zip(rows, PDQ_ORIENTATIONS, strict=True))


def test_match_of_a_pdq_list_finds_turned_copies_with_their_orientation(spark, lake, tmp_path):
    """A list of original hashes (as a ThreatExchange export holds them) against the lake's 8
    rows: every file within 31 of a listed hash in some orientation, as brute force finds it."""
    files = lake["files"]
    listed = {f"te-{i}": str(pdq_hash(Image.open(files[i]))[0]) for i in (2, 3, 4)}
    csv = tmp_path / "list.csv"  # with metadata columns, one named like a matches column
    csv.write_text("id,hash,tags,distance\n" + "".join(f"{i},{h},tag-{i},far\n" for i, h in listed.items()))
    out = str(tmp_path / "matched")
    assert main(["match", str(csv), lake["out"], out, "--algorithm", "pdq_dihedral"]) == 0
    rows = read_matches(spark, out).collect()
    assert {(r.query, r.tags, r.list_distance) for r in rows} == {(i, f"tag-{i}", "far") for i in listed}
    got = {(r.query, r.path, r.distance, r.orientation) for r in rows}
    lake_rows = reference_dihedral(files)
    expected = set()
    for i, h in listed.items():
        for path, rows in lake_rows.items():
            distance, orientation = closest(h, rows)
            if distance <= K:
                expected.add((i, path, distance, orientation))
    assert got == expected
    # the turned copies are found, named by what turns them back into the listed image
    found = {(q, p): o for q, p, _, o in got}
    assert found[("te-2", file_uri(files[7]))] == "rotate_270"  # undoes ROTATE_90
    assert found[("te-3", file_uri(files[8]))] == "flip_left_right"
    assert found[("te-4", file_uri(files[9]))] == "transpose"
    assert found[("te-2", file_uri(files[2]))] == "original"


@pytest.fixture(scope="module")
def dihedral_dups(lake) -> str:
    """`dups --algorithm pdq_dihedral` of the lake (its output directory)."""
    target = str(lake["root"] / "dups-dihedral")
    assert main(["dups", lake["out"], target, "--algorithm", "pdq_dihedral"]) == 0
    return target


def test_dups_of_pdq_dihedral_equals_brute_force(spark, lake, dihedral_dups):
    """A pair matches when one image's original hash is within 31 of one of the other's 8;
    its orientation turns path_b into path_a."""
    target = dihedral_dups
    got = {(r.path_a, r.path_b, r.distance, r.orientation) for r in read_dups(spark, target).pairs.collect()}
    rows = reference_dihedral(lake["files"])
    inverse = get("pdq_dihedral").inverse
    expected = set()
    for a, b in itertools.combinations(sorted(rows), 2):
        candidates = [(hamming(rows[a][0], h), j) for j, h in enumerate(rows[b])]
        candidates += [(hamming(h, rows[b][0]), inverse[i]) for i, h in enumerate(rows[a])]
        distance, row = min(candidates)
        if distance <= K:
            expected.add((a, b, distance, PDQ_ORIENTATIONS[row]))
    assert got == expected
    files = lake["files"]
    turned = {tuple(sorted((file_uri(files[i]), file_uri(files[j])))) for i, j in ((2, 7), (3, 8), (4, 9))}
    assert turned <= {p[:2] for p in got}


def test_the_review_page_names_the_orientation_of_a_pdq_dihedral_pair(spark, lake, dihedral_dups, tmp_path):
    """The review page shows, next to a member, the orientation of its pdq_dihedral pair with
    the kept file, and which way it turns: path_b into path_a, as the pairs table says."""
    page = tmp_path / "review.html"
    build_report(spark, ReportRequest(dups=dihedral_dups, output=page, workers=1))
    document = page.read_text(encoding="utf-8")
    data = json.loads(
        re.search(r'<script type="application/json" id="report-data">(.*?)</script>', document, re.S)[1]
    )
    shown = {(c["id"], m["p"]): m["rel"] for c in data["clusters"] for m in c["members"]}
    dups = read_dups(spark, dihedral_dups)
    kept = {r.cluster: r.path for r in dups.clusters.where("keep").collect()}
    cluster_of = {r.path: r.cluster for r in dups.clusters.collect()}
    expected = {}
    for r in dups.pairs.collect():
        cluster = cluster_of[r.path_a]
        if kept[cluster] == r.path_a:  # the member is path_b: its orientation turns it into the kept file
            expected[(cluster, r.path_b)] = f"orientation: {r.orientation} (this file \u2192 kept file)"
        elif kept[cluster] == r.path_b:
            expected[(cluster, r.path_a)] = f"orientation: {r.orientation} (kept file \u2192 this file)"
    turned = {(cluster_of[file_uri(lake["files"][i])], file_uri(lake["files"][i])) for i in (2, 7)}
    assert turned & set(expected)  # a quarter turn, shown from whichever file is not kept
    assert {key: shown[key] for key in expected} == expected


# ----------------------------------------------------------------------------- blank images


def near_uniform(count: int, seed: int) -> list[str]:
    """PDQ hex of near-uniform images (solid colours, faint noise or gradient), two of each at
    slightly different widths: quality 0, hashes built of a few repeated 16-bit patterns, so
    their band values crowd together; the pairs are identical (solid) or 15-35 bits apart."""
    rng = numpy.random.default_rng(seed)
    out = []
    for i in range(count // 2):
        w, h = (int(x) for x in rng.integers(24, 64, size=2))
        colour, amplitude = rng.integers(0, 256, size=3), rng.uniform(1, 6)
        for width in (w, w + 4):
            pixels = numpy.broadcast_to(colour, (h, width, 3)).astype(float)
            if i % 3 == 1:
                pixels = pixels + rng.normal(0, 0.6, (h, width, 3))
            elif i % 3 == 2:
                pixels = pixels + numpy.linspace(0, amplitude, width)[None, :, None]
            image = Image.fromarray(numpy.clip(pixels, 0, 255).astype(numpy.uint8), "RGB")
            hash_, quality = pdq_hash(image)
            assert quality < 50
            out.append(str(hash_))
    return out


def test_blank_images_make_hot_buckets_and_the_join_stays_exact(spark):
    """Near-uniform images are where PDQ's band buckets run hot (a few hundred blank images share
    most 8-bit band values): split on sub-bands (`hot_bucket`), the join still finds exactly the
    pairs brute force finds at 31, and its candidates stay far below all pairs."""
    from sparkhash.dedup.pairs import find_pairs

    hexes = near_uniform(240, seed=5)
    rows = [(f"b{i:03d}", h) for i, h in enumerate(hexes)]
    frame = spark.createDataFrame(rows, "path string, pdq string")
    result = find_pairs(frame, algorithm="pdq", hot_bucket=20, expand_limit=1 << 20)
    got = {(r.path_a, r.path_b, r.distance) for r in result.pairs.collect()}
    expected = {
        (a, b, hamming(x, y)) for (a, x), (b, y) in itertools.combinations(rows, 2) if hamming(x, y) <= K
    }
    assert got == expected
    assert any(d == 0 for *_, d in got) and any(0 < d <= K for *_, d in got)
    bands = result.plan.bands
    words = numpy.array(
        [[int(h[16 * j : 16 * j + 16], 16) for j in range(4)] for h in set(hexes)], dtype=numpy.uint64
    )
    largest = max(
        numpy.unique(words & numpy.array(b.masks, dtype=numpy.uint64), axis=0, return_counts=True)[1].max()
        for b in bands
    )
    assert largest > 20  # the buckets the join had to split
