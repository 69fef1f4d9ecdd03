"""DataFrame API on a real local Spark: hashes equal imagehash's and the core's."""

from __future__ import annotations

import pytest
from spark_helpers import expected_hashes, expected_segments, file_uri, write_image_set

from sparkhash.core.multi import compute_hashes
from sparkhash.core.params import ALGORITHMS, SINGLE_ALGORITHMS, HashParams
from sparkhash.core.registry import DEFAULT_ALGORITHMS
from sparkhash.spark.api import hash_images, hashes_table, normalise_algorithms, params_json, segments_table
from sparkhash.spark.read import binary_files
from sparkhash.spark.schemas import SEGMENTS_SCHEMA, hashes_schema

pytestmark = pytest.mark.spark

# The imagehash algorithms (robust is sparkhash's own and not hashed by default).
IMAGEHASH_SINGLES = tuple(a for a in SINGLE_ALGORITHMS if a in DEFAULT_ALGORITHMS)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    return write_image_set(tmp_path_factory.mktemp("images"), count=6)


@pytest.fixture(scope="module")
def staged(spark, images, tmp_path_factory):
    """hash_images over the binaryFile source, written once (as the job does)."""
    target = str(tmp_path_factory.mktemp("staged") / "hashed")
    hash_images(binary_files(spark, str(images[0].parent))).write.parquet(target)
    return spark.read.parquet(target)


def test_hashes_equal_imagehash_and_core(staged, images):
    rows = {r["path"]: r for r in hashes_table(staged, "run-1").collect()}
    assert sorted(rows) == sorted(file_uri(p) for p in images)
    for path in images:
        row = rows[file_uri(path)]
        core = compute_hashes(path.read_bytes())
        assert row["error"] is None
        assert (row["width"], row["height"]) == (core.width, core.height)
        assert row["length"] == path.stat().st_size
        assert {a: row[a] for a in IMAGEHASH_SINGLES} == expected_hashes(path)
        assert {a: row[a] for a in IMAGEHASH_SINGLES} == {a: str(core.hashes[a]) for a in IMAGEHASH_SINGLES}
        assert row["segment_count"] == len(core.segments)
        assert row["params"] == params_json(HashParams()) and row["run_id"] == "run-1"


def test_segments_equal_imagehash_in_order(staged, images):
    segments = segments_table(staged, "run-1")
    assert segments.schema.fieldNames() == SEGMENTS_SCHEMA.fieldNames()
    by_path: dict[str, list] = {}
    for row in segments.collect():
        by_path.setdefault(row["path"], []).append(row)
    for path in images:
        rows = sorted(by_path[file_uri(path)], key=lambda r: r["segment"])
        core = compute_hashes(path.read_bytes(), ("crop_resistant",)).segments
        assert [r["segment"] for r in rows] == list(range(len(rows)))
        assert [r["hash"] for r in rows] == expected_segments(path)
        assert [(r["left"], r["top"], r["right"], r["bottom"]) for r in rows] == [s.box for s in core]
        assert [r["pixels"] for r in rows] == [s.pixels for s in core]


def test_any_dataframe_with_a_binary_column(spark, images):
    """Not binaryFile: an id column and a bytes column; length is computed, mtime is null."""
    frame = spark.createDataFrame(
        [(f"id-{i}", p.read_bytes()) for i, p in enumerate(images[:3])], "id string, img binary"
    )
    params = HashParams(hash_size=16)
    hashed = hash_images(frame, algorithms="dhash,phash", params=params, content_col="img", path_col="id")
    assert hashed.columns[:5] == ["path", "length", "modification_time", "width", "height"]
    table = hashes_table(hashed, "r")
    assert table.schema.fieldNames() == hashes_schema(("phash", "dhash")).fieldNames()
    rows = {r["path"]: r for r in table.collect()}
    for i, path in enumerate(images[:3]):
        row = rows[f"id-{i}"]
        core = compute_hashes(path.read_bytes(), ("phash", "dhash"), params)
        assert (row["phash"], row["dhash"]) == (str(core.hashes["phash"]), str(core.hashes["dhash"]))
        assert row["length"] == path.stat().st_size and row["modification_time"] is None
        assert row["segment_count"] is None and row["params"] == params_json(params)


def test_bad_bytes_give_an_error_row_not_a_failed_task(spark, images):
    frame = spark.createDataFrame(
        [("ok", images[0].read_bytes()), ("text", b"hello"), ("none", None)], "path string, content binary"
    )
    rows = {r["path"]: r for r in hash_images(frame, algorithms=ALGORITHMS).collect()}
    assert rows["ok"]["error"] is None and rows["ok"]["segment_count"] > 0
    assert rows["text"]["error"] == "not a recognised image format"
    assert rows["none"]["error"] == "empty file (0 bytes)"
    assert rows["text"]["phash"] is None and rows["text"]["segments"] is None


def test_algorithm_names_are_checked():
    assert normalise_algorithms("dhash, ahash") == ("ahash", "dhash")
    with pytest.raises(ValueError, match="unknown algorithm"):
        normalise_algorithms("md5")
