"""`--decode reduced` end to end: the job hashes reduced JPEGs as the core does, records the mode
in `params`, and exact and reduced hashes are never mixed in one OUTPUT nor compared in one join
(nor EXIF-rotated with unrotated ones)."""

from __future__ import annotations

import json

import pytest
from images import smooth_rgb
from spark_helpers import file_uri, refused

import sparkhash.core as core
from sparkhash.cli import main
from sparkhash.core.decode import DecodeOptions
from sparkhash.dedup.output import read_matches
from sparkhash.dedup.pairs import ParamsMismatch, checked_params, find_pairs
from sparkhash.spark.tables import read_hashes


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """Two large JPEGs (reduced decoding applies) and a PNG (decoded in full either way)."""
    root = tmp_path_factory.mktemp("reduced") / "images"
    root.mkdir()
    smooth_rgb(1600, 1200, seed=11).save(root / "a.jpg", quality=90)
    smooth_rgb(1200, 1600, seed=12).save(root / "b.jpg", quality=90)
    smooth_rgb(900, 700, seed=13).save(root / "c.png")
    return root


@pytest.fixture(scope="module")
def outputs(spark, photos):
    """The folder hashed exact and reduced into two OUTPUTs (phash, through the command line)."""
    base = photos.parent
    for mode in ("exact", "reduced"):
        argv = ["hash", str(photos), str(base / mode), "--algorithms", "phash,dhash", "--decode", mode]
        assert main(argv) == 0
    return base / "exact", base / "reduced"


def test_the_job_hashes_reduced_like_the_core_and_records_the_mode(spark, photos, outputs):
    exact_out, reduced_out = outputs
    for out, options in ((exact_out, DecodeOptions()), (reduced_out, DecodeOptions(decode="reduced"))):
        rows = {r["path"]: r for r in read_hashes(spark, str(out)).collect()}
        assert len(rows) == 3
        for name in ("a.jpg", "b.jpg", "c.png"):
            row = rows[file_uri(photos / name)]
            data = (photos / name).read_bytes()
            want = core.compute_hashes(data, ["phash", "dhash"], decode_options=options)
            assert (row["phash"], row["dhash"]) == (str(want.hashes["phash"]), str(want.hashes["dhash"]))
            assert (row["width"], row["height"]) == (want.width, want.height)  # the file's size
            assert json.loads(row["params"]).get("decode") == ("reduced" if options.reduced else None)
    exact = {r["path"]: r["phash"] for r in read_hashes(spark, str(exact_out)).collect()}
    reduced = {r["path"]: r["phash"] for r in read_hashes(spark, str(reduced_out)).collect()}
    assert exact[file_uri(photos / "c.png")] == reduced[file_uri(photos / "c.png")]  # no cheaper PNG decode


def test_adding_reduced_hashes_to_an_exact_output_is_refused(spark, photos, outputs, capsys):
    exact_out, reduced_out = outputs
    for out, mode, held in ((exact_out, "reduced", "exact"), (reduced_out, "exact", "reduced")):
        argv = ["hash", str(photos), str(out), "--algorithms", "phash,dhash", "--decode", mode]
        line = refused(capsys, argv)
        assert f'made with decode "{held}", this run asks for "{mode}"' in line
        assert "another OUTPUT" in line


def test_exact_and_reduced_hashes_are_never_joined_as_one_table(spark, photos, outputs, capsys, tmp_path):
    exact_out, reduced_out = outputs
    exact, reduced = read_hashes(spark, str(exact_out)), read_hashes(spark, str(reduced_out))
    with pytest.raises(ParamsMismatch, match="different parameters"):
        checked_params([exact, reduced], "phash")
    with pytest.raises(ParamsMismatch, match="different parameters"):
        find_pairs(exact.unionByName(reduced), "phash")
    union = tmp_path / "union" / "hashes"
    exact.unionByName(reduced).write.parquet(str(union))
    assert "refusing to join" in refused(capsys, ["dups", str(union), str(tmp_path / "dups")])
    # a hash OUTPUT as queries against a lake of the other mode
    line = refused(
        capsys, ["match", str(exact_out), str(reduced_out), str(tmp_path / "m"), "--algorithm", "dhash"]
    )
    assert "different parameters" in line


def test_exif_rotated_and_unrotated_hashes_are_never_joined_as_one_table(spark, photos, outputs, tmp_path):
    exact_out, _ = outputs
    rotated = tmp_path / "rotated"
    argv = ["hash", str(photos), str(rotated), "--algorithms", "phash,dhash", "--exif-orientation"]
    assert main(argv) == 0
    with pytest.raises(ParamsMismatch, match="different parameters"):
        checked_params([read_hashes(spark, str(exact_out)), read_hashes(spark, str(rotated))], "phash")


def test_image_queries_are_hashed_in_the_lakes_decode_mode(spark, photos, outputs, tmp_path):
    """Query images against a reduced lake are decoded reduced: each finds itself at distance 0."""
    _, reduced_out = outputs
    out = tmp_path / "m"
    argv = ["match", str(photos), str(reduced_out), str(out), "--algorithm", "phash", "--threshold", "0"]
    assert main(argv) == 0
    found = read_matches(spark, str(out)).collect()
    itself = {(r["query"], r["path"]) for r in found if r["query"] == r["path"]}
    assert len(itself) == 3, found
