"""`sparkhash dups --algorithm robust` on Spark against a brute-force check of every pair."""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps
from test_core_robust import PHOTOS, _scene, needs_photos

from sparkhash.cli import main
from sparkhash.core import robust
from sparkhash.dedup.output import read_dups, read_matches
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
        rows = read_matches(spark, str(out)).collect()
        assert {r.algorithm for r in rows} == {"robust"}
        assert {(r.query, r.path) for r in rows} == expected


def _reference_candidates(texts: dict[str, str], new: set[str] | None = None) -> set[tuple[str, str]]:
    """The candidate rule in plain Python on `robust.text_rows` / `robust.bands`: distinct
    (kind, band index, value) buckets per image, buckets of more than MAX_BUCKET_IMAGES images
    dropped, hits counted per kind, `robust.is_candidate` (by the poorer image's descriptor
    count); incremental: a new path in the pair."""
    buckets: dict[tuple[str, int, str], set[str]] = {}
    for path, text in texts.items():
        if not text.startswith(robust.TEXT_TAG + ";"):
            continue  # another format version: never compared
        for kind, row in robust.text_rows(text):
            for band, value in enumerate(robust.bands(kind, row)):
                buckets.setdefault((kind, band, value), set()).add(path)
    hits: dict[tuple[str, str], dict[str, int]] = {}
    for (kind, _, _), members in buckets.items():
        if len(members) > robust.MAX_BUCKET_IMAGES:
            continue
        for a, b in itertools.combinations(sorted(members), 2):
            if new is None or a in new or b in new:
                counts = hits.setdefault((a, b), {})
                counts[kind] = counts.get(kind, 0) + 1
    count = {p: robust.descriptor_count(t) for p, t in texts.items() if t.startswith(robust.TEXT_TAG + ";")}
    return {(a, b) for (a, b), counts in hits.items() if robust.is_candidate(counts, min(count[a], count[b]))}


#: The bucket-cap edge of `_band_edge_cases`: img10 .. img(HOT_FIRST - 1) share a bucket of exactly
#: MAX_BUCKET_IMAGES images, img(HOT_FIRST) .. img(HOT_LAST) one of MAX_BUCKET_IMAGES + 1.
HOT_FIRST = 10 + robust.MAX_BUCKET_IMAGES
HOT_LAST = HOT_FIRST + robust.MAX_BUCKET_IMAGES


def _band_edge_cases(seed: int = 0) -> dict[str, str]:
    """Signature texts whose shared bands sit on every edge of the candidate rule (the payload
    is never parsed by the candidate join)."""
    rng = np.random.default_rng(seed)

    def hexes(n: int, digits: int) -> list[str]:
        return ["".join(rng.choice(list("0123456789abcdef"), digits)) for _ in range(n)]

    globals_ = len(robust.CANDIDATE_ORIENTATIONS)
    rich = robust.FEW_DESCRIPTORS  # descriptors per image: exactly the bar, so not feature-poor
    images = {
        f"img{i:02d}": [hexes(globals_, 16), hexes(rich, 64), hexes(6, 64)] for i in range(HOT_LAST + 1)
    }
    images["poor"] = [hexes(globals_, 16), hexes(rich - 1, 64), hexes(6, 64)]  # feature-poor by one
    images["poor_b"] = [hexes(globals_, 16), hexes(rich, 64), hexes(6, 64)]
    images["poor_c"] = [hexes(globals_, 16), hexes(rich, 64), hexes(6, 64)]
    images["poor_d"] = [hexes(globals_, 16), hexes(3, 64), hexes(3, 64)]  # two poor images, one hit

    def put(path: str, part: int, row: int, band: int, value: str) -> None:
        width = robust.BAND_DIGITS[robust.GLOBAL if part == 0 else robust.DESCRIPTOR]
        old = images[path][part][row]
        images[path][part][row] = old[: band * width] + value + old[(band + 1) * width :]

    def g(value: str) -> str:  # a global band value of the current band width
        return (value * 4)[: robust.BAND_DIGITS[robust.GLOBAL]]

    put("img00", 0, 0, 1, g("beef"))  # one global band: a candidate (normal vs mirrored hash)
    put("img01", 0, 1, 1, g("beef"))
    put("img02", 0, 0, 0, g("cafe"))  # same value, other band index: no hit
    put("img03", 0, 0, 1, g("cafe"))
    for b in range(3):  # three descriptor bands, across orientations: a candidate
        put("img04", 1, b, b, f"{b:012x}")
        put("img05", 2, 5 - b, b, f"{b:012x}")
    for b in range(2):  # two: not
        put("img06", 1, b, b, f"{b + 7:012x}")
        put("img07", 1, b, b, f"{b + 7:012x}")
    for row in range(3):  # a band value three times in one image is one hit: 2 in all, no candidate
        put("img08", 1, row, 4, "aaaaaaaaaaaa")
    put("img09", 2, 0, 4, "aaaaaaaaaaaa")
    put("img08", 2, 0, 0, "ab" * 6)
    put("img09", 2, 1, 0, "ab" * 6)
    put("poor", 1, 3, 2, "c0ffee" * 2)  # one descriptor band with a feature-poor image: a candidate
    put("poor_b", 2, 0, 2, "c0ffee" * 2)
    put("poor_d", 2, 1, 2, "c0ffee" * 2)  # (poor, poor_d), (poor_b, poor_d) too
    put("poor_b", 1, 4, 1, "0dd" * 4)  # one with an image of FEW_DESCRIPTORS: not
    put("poor_c", 1, 7, 1, "0dd" * 4)
    for i in range(10, HOT_FIRST):  # a bucket of exactly MAX_BUCKET_IMAGES images is used ...
        put(f"img{i:02d}", 0, 0, 0, g("f00d"))
    for i in range(HOT_FIRST, HOT_LAST + 1):  # ... one of MAX_BUCKET_IMAGES + 1 is not
        put(f"img{i:02d}", 0, 1, 0, g("d00f"))
    put(f"img{HOT_FIRST:02d}", 0, 0, 1, g("1234"))  # ... but other buckets of its members still are
    put(f"img{HOT_LAST:02d}", 0, 1, 1, g("1234"))
    tag = robust.TEXT_TAG
    texts = {p: f"{tag};{''.join(g)};{''.join(d0)};{''.join(d1)};AAAA" for p, (g, d0, d1) in images.items()}
    texts["blank"] = f"{tag};;;;AAAA"  # low detail: no rows
    # rows past Config.band_rows are no candidate rows: beyond_a's 161st descriptor is beyond_b's first
    beyond = hexes(robust.DEFAULT_CONFIG.band_rows + 1, 64)
    texts["beyond_a"] = f"{tag};{''.join(hexes(globals_, 16))};{''.join(beyond)};;AAAA"
    texts["beyond_b"] = f"{tag};{''.join(hexes(globals_, 16))};{beyond[-1]};;AAAA"
    # another format version shares every band of img04 but is never a candidate
    texts["old04"] = "v2;" + texts["img04"].split(";", 1)[1]
    return texts


def test_candidate_join_equals_the_rule_in_python(spark):
    """The packed-key join finds exactly the candidate pairs of the rule, full and incremental
    (bucket cap edges, band indices, orientations, repeated bands, rows past band_rows)."""
    from sparkhash.dedup.robust import candidate_ids, candidate_texts, with_ids

    texts = _band_edge_cases()
    expected = _reference_candidates(texts)
    hot_first, hot_last = f"img{HOT_FIRST:02d}", f"img{HOT_LAST:02d}"
    assert {
        ("img00", "img01"),
        ("img04", "img05"),
        (hot_first, hot_last),
        ("poor", "poor_b"),
        ("poor", "poor_d"),
    } <= expected
    assert (
        not {
            ("img02", "img03"),
            ("img06", "img07"),
            ("poor_b", "poor_c"),
            ("img08", "img09"),
            (hot_first, f"img{HOT_FIRST + 1:02d}"),
            ("beyond_a", "beyond_b"),
            ("img04", "old04"),
        }
        & expected
    )
    assert ("img10", f"img{HOT_FIRST - 1:02d}") in expected

    def found(old: dict[str, str], new: dict[str, str] | None) -> set[tuple[str, str]]:
        frame = lambda d: spark.createDataFrame(sorted(d.items()), "path string, hex string")  # noqa: E731
        if new is None:
            sigs = with_ids(frame(old))
        else:
            sigs = with_ids(frame(old), is_new=False).unionByName(with_ids(frame(new), is_new=True))
        sigs = sigs.repartition(3).localCheckpoint(eager=True)
        cands = candidate_ids(sigs, incremental=new is not None)
        pairs = [(r.path_a, r.path_b) for r in candidate_texts(cands, sigs).collect()]
        assert len(pairs) == len(set(pairs))  # each pair once (two feature-poor images too)
        return set(pairs)

    assert found(texts, None) == expected
    new_paths = {p for i, p in enumerate(sorted(texts)) if i % 3 == 0}
    old = {p: t for p, t in texts.items() if p not in new_paths}
    new = {p: t for p, t in texts.items() if p in new_paths}
    assert found(old, new) == _reference_candidates(texts, new_paths)


def _hop_edge_cases() -> tuple[list[tuple[int, int]], set[tuple[int, int]]]:
    """Matching pairs (id_a, id_b) and band candidates on every edge of the second candidate
    rule: a hub at the match cap and one past it, a pair already a candidate, an edge given
    twice and reversed, a chain (hops are one step: 0 - 2 - 4 - 6 pairs 0/4 and 2/6, not 0/6)."""
    cap = robust.HOP_MAX_MATCHES
    matches = [(0, 2), (2, 4), (4, 6), (4, 2), (2, 4)]
    matches += [(100, 101 + k) for k in range(cap)]  # a hub with exactly `cap` matches: used
    matches += [(300, 301 + k) for k in range(cap + 1)]  # one past the cap: not
    matches += [(301, 500), (501, 301)]  # ... but its members' other matches still are
    candidates = {(101, 102), (0, 4)}  # verified already: not again
    return matches, candidates


def test_hop_candidates_equal_the_rule_in_python(spark):
    """The second pass's join finds exactly `robust.hop_pairs`, full and incremental (a new
    image, odd id, in the pair)."""
    from sparkhash.dedup.robust import hop_candidates

    matches, candidates = _hop_edge_cases()
    expected = robust.hop_pairs(matches, candidates)
    cap = robust.HOP_MAX_MATCHES
    assert (2, 6) in expected and (0, 4) not in expected and (0, 6) not in expected
    assert (101, 103) in expected and (101, 102) not in expected
    assert len([p for p in expected if p[0] > 100 and p[1] <= 100 + cap]) == cap * (cap - 1) // 2 - 1
    assert not {p for p in expected if 300 < p[0] <= 301 + cap and 300 < p[1] <= 301 + cap}
    assert {(300, 500), (300, 501), (500, 501)} <= expected

    frame = lambda pairs: spark.createDataFrame(sorted(pairs), "id_a long, id_b long")  # noqa: E731
    full = hop_candidates(frame(matches).repartition(3), frame(candidates))
    assert {(r.id_a, r.id_b) for r in full.collect()} == expected
    incremental = hop_candidates(frame(matches), frame(candidates), incremental=True)
    assert {(r.id_a, r.id_b) for r in incremental.collect()} == {p for p in expected if (p[0] | p[1]) & 1}


@needs_photos
def test_a_copy_of_a_copy_is_paired_though_no_band_pairs_it(spark, tmp_path):
    """The second pass: a deep corner crop of a real photo shares no band with its original
    (their strongest corners differ), but both match a centre crop; `dups` verifies the pair
    through it, and explains it — in a full run, and in an incremental one where the crop is
    new and the centre crop's match with the original was found by the previous run."""
    images = tmp_path / "images"
    images.mkdir()
    sources = {
        name: Path(PHOTOS) / "g002" / name for name in ("orig.jpg", "crop_center50.jpg", "crop25_corner.jpg")
    }
    if not all(p.exists() for p in sources.values()):
        pytest.skip("g002's copies are not in this corpus")
    out = tmp_path / "hashes"
    for name in ("orig.jpg", "crop_center50.jpg"):
        shutil.copy(sources[name], images / name)
    assert main(["hash", str(images), str(out), "--algorithms", "robust"]) == 0
    assert main(["dups", str(out), str(tmp_path / "d1"), "--algorithm", "robust"]) == 0
    (run1,) = {r.run_id for r in _current(spark, out).select("run_id").collect()}
    shutil.copy(sources["crop25_corner.jpg"], images / "crop25_corner.jpg")
    assert main(["hash", str(images), str(out), "--algorithms", "robust"]) == 0

    texts = {r.path: r.robust for r in _current(spark, out).select("path", "robust").collect()}
    by_name = {os.path.basename(p): p for p in texts}
    orig, corner = by_name["orig.jpg"], by_name["crop25_corner.jpg"]
    assert tuple(sorted((orig, corner))) not in _reference_candidates(texts)  # the premise
    assert main(["dups", str(out), str(tmp_path / "full"), "--algorithm", "robust"]) == 0
    pairs = {(r.path_a, r.path_b): r for r in read_dups(spark, str(tmp_path / "full")).pairs.collect()}
    assert set(pairs) == _brute_force(spark, out)
    found = pairs[tuple(sorted((orig, corner)))]
    assert {"crop", "contains"} & set(found.relation.split("+"))
    previous = ["--previous", str(tmp_path / "d1"), "--previous-run", run1]
    assert main(["dups", str(out), str(tmp_path / "inc"), "--algorithm", "robust", *previous]) == 0
    assert _pairs(spark, tmp_path / "inc") == set(pairs)
