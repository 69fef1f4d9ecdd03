"""Every awkward input file gives exactly one row; the job never fails because of a file."""

from __future__ import annotations

import io

import imagehash
import pytest
from PIL import Image
from spark_helpers import IMAGEHASH_FUNCTIONS, expected_segments, file_uri, write_bad_input_set

from sparkhash.core.registry import DEFAULT_ALGORITHMS, SINGLE_ALGORITHMS
from sparkhash.spark.hash_job import HashJobConfig, run_hash_job
from sparkhash.spark.tables import read_hashes, read_segments

pytestmark = pytest.mark.spark

# The imagehash algorithms (robust is sparkhash's own and not hashed by default).
IMAGEHASH_SINGLES = tuple(a for a in SINGLE_ALGORITHMS if a in DEFAULT_ALGORITHMS)

MAX_FILE_BYTES = 200_000

EXPECTED_ERRORS = {
    "empty": "empty file (0 bytes)",
    "text": "not a recognised image format",
    "truncated": "truncated image data",
    "random": "not a recognised image format",
    "bomb": "1600000000 pixels",  # refused on the header, before any pixel is decoded
    "oversized": "bytes, over the limit of 200000",
}


def imagehash_outcome(data: bytes) -> dict[str, str] | None:
    """imagehash's hex per algorithm (plus crop-resistant segments), or None if it raises."""
    try:
        image = Image.open(io.BytesIO(data))
        result = {a: str(IMAGEHASH_FUNCTIONS[a](image)) for a in IMAGEHASH_SINGLES}
        result["segments"] = [str(h) for h in imagehash.crop_resistant_hash(image).segment_hashes]
        return result
    except Exception:
        return None


def test_one_row_per_file_with_clear_errors(spark, tmp_path):
    files = write_bad_input_set(tmp_path / "in")
    assert files["oversized"].stat().st_size > MAX_FILE_BYTES
    assert max(p.stat().st_size for k, p in files.items() if k != "oversized") < MAX_FILE_BYTES
    output = str(tmp_path / "out")

    summary = run_hash_job(spark, HashJobConfig(str(tmp_path / "in"), output, max_file_bytes=MAX_FILE_BYTES))

    hashes = read_hashes(spark, output)
    rows = {r["path"]: r for r in hashes.collect()}
    assert hashes.count() == len(files) == summary.files_seen
    assert sorted(rows) == sorted(file_uri(p) for p in files.values())
    assert summary.failed == len(EXPECTED_ERRORS)
    assert summary.hashed == len(files) - len(EXPECTED_ERRORS)
    for kind, message in EXPECTED_ERRORS.items():
        row = rows[file_uri(files[kind])]
        assert row["error"] is not None and message in row["error"], (kind, row["error"])
        assert len(row["error"]) <= 300 and "\n" not in row["error"]
        assert row["phash"] is None and row["segment_count"] is None
    assert rows[file_uri(files["empty"])]["length"] == 0

    segments: dict[str, list] = {}
    for row in read_segments(spark, output).collect():
        segments.setdefault(row["path"], []).append(row)
    for kind, path in files.items():
        if kind in EXPECTED_ERRORS:
            continue
        row = rows[file_uri(path)]
        expected = imagehash_outcome(path.read_bytes())
        if expected is None:  # imagehash cannot hash it either: an error row, not a failed job
            assert row["error"], kind
            continue
        assert row["error"] is None, (kind, row["error"])
        assert {a: row[a] for a in IMAGEHASH_SINGLES} == {a: expected[a] for a in IMAGEHASH_SINGLES}, kind
        found = [r["hash"] for r in sorted(segments.get(row["path"], []), key=lambda r: r["segment"])]
        assert found == expected["segments"] == expected_segments(path), kind
        assert row["segment_count"] == len(found)
