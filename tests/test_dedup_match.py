"""Matching queries against a lake equals brute force with imagehash, the test oracle: image
queries, a CSV of imagehash's hex strings, a hash OUTPUT, and crop-resistant segments."""

from __future__ import annotations

import imagehash
import pytest
from PIL import Image, ImageEnhance
from spark_helpers import file_uri, photo_like, write_image_set

from sparkhash.core.params import HashParams
from sparkhash.dedup.match import MatchConfig, QueryError, match
from sparkhash.spark.hash_job import HashJobConfig, run_hash_job

pytestmark = pytest.mark.spark

K = 10


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    """A hashed lake of 6 images, and 4 query images: two edited lake images (one a crop), two new."""
    root = tmp_path_factory.mktemp("match")
    lake_files = write_image_set(root / "lake", count=6, seed=40)
    queries = root / "queries"
    queries.mkdir()
    brighter = ImageEnhance.Brightness(Image.open(lake_files[1]).convert("RGB")).enhance(1.2)
    brighter.save(queries / "brighter.jpg")
    original = Image.open(lake_files[2]).convert("RGB")
    width, height = original.size
    original.crop((0, 0, int(width * 0.8), int(height * 0.8))).save(queries / "crop.png")
    photo_like(150, 110, 901).save(queries / "new1.png")
    photo_like(140, 100, 902).save(queries / "new2.jpg")
    run_hash_job(
        spark, HashJobConfig(str(root / "lake"), str(root / "out"), algorithms=("phash", "crop_resistant"))
    )
    return {"root": root, "lake": lake_files, "queries": sorted(queries.iterdir()), "out": str(root / "out")}


def brute_force(query_files, lake_files, k: int) -> set[tuple[str, str, int]]:
    lake = {file_uri(p): imagehash.phash(Image.open(p)) for p in lake_files}
    found = set()
    for q in query_files:
        h = imagehash.phash(Image.open(q))
        found |= {(file_uri(q), path, int(h - other)) for path, other in lake.items() if h - other <= k}
    return found


def test_image_queries_equal_brute_force(spark, lake):
    got = match(spark, str(lake["root"] / "queries"), lake["out"], MatchConfig("phash", K))
    rows = {(r.query, r.path, r.distance) for r in got.collect()}
    expected = brute_force(lake["queries"], lake["lake"], K)
    assert rows == expected
    assert file_uri(lake["lake"][1]) in {p for _, p, _ in expected}  # the brightened copy
    assert got.columns == ["query", "path", "algorithm", "distance", "matched_segments"]


def test_csv_of_imagehash_strings_equals_brute_force(spark, lake, tmp_path):
    csv = tmp_path / "known.csv"
    lines = ["id,phash"] + [f"q{i},{imagehash.phash(Image.open(p))}" for i, p in enumerate(lake["queries"])]
    csv.write_text("\n".join(lines) + "\n")
    got = {
        (r.query, r.path, r.distance)
        for r in match(spark, str(csv), lake["out"], MatchConfig("phash", K)).collect()
    }
    names = {file_uri(p): f"q{i}" for i, p in enumerate(lake["queries"])}
    assert got == {(names[q], p, d) for q, p, d in brute_force(lake["queries"], lake["lake"], K)}
    assert got  # the edited lake images are found

    wide = tmp_path / "wide.csv"  # hash_size 16: 64 hex digits, not the lake's 16
    wide.write_text("id,phash\n" + f"x,{imagehash.phash(Image.open(lake['queries'][0]), hash_size=16)}\n")
    with pytest.raises(QueryError, match="hex digits"):
        match(spark, str(wide), lake["out"], MatchConfig("phash", K))


def test_query_table_with_other_params_is_refused(spark, lake, tmp_path):
    other = HashParams(highfreq_factor=2).to_json()
    table = tmp_path / "queries.parquet"
    spark.createDataFrame(
        [("a", "0123456789abcdef", other)], "path string, phash string, params string"
    ).write.parquet(str(table))
    with pytest.raises(QueryError, match="different parameters"):
        match(spark, str(table), lake["out"], MatchConfig("phash", K))


def test_segment_queries_equal_imagehash_matches(spark, lake):
    got = match(spark, str(lake["root"] / "queries"), lake["out"], MatchConfig("crop_resistant"))
    rows = {(r.query, r.path): r.matched_segments for r in got.collect()}
    lake_multi = {file_uri(p): imagehash.crop_resistant_hash(Image.open(p)) for p in lake["lake"]}
    expected = {}
    for q in lake["queries"]:
        multi = imagehash.crop_resistant_hash(Image.open(q))
        for path, other in lake_multi.items():
            if multi.matches(other) or other.matches(multi):
                expected[(file_uri(q), path)] = max(multi.hash_diff(other)[0], other.hash_diff(multi)[0])
    assert rows == expected
    assert (file_uri(lake["root"] / "queries" / "crop.png"), file_uri(lake["lake"][2])) in rows


def test_hash_output_queries_equal_brute_force(spark, lake):
    queries_out = str(lake["root"] / "queries_out")
    run_hash_job(spark, HashJobConfig(str(lake["root"] / "queries"), queries_out, algorithms=("phash",)))
    got = {
        (r.query, r.path, r.distance)
        for r in match(spark, queries_out, lake["out"], MatchConfig("phash", K)).collect()
    }
    assert got == brute_force(lake["queries"], lake["lake"], K)
