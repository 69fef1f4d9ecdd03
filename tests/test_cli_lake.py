"""The lake workflows' command lines: `hash --stream`, `match`, `dups --keep` end to end, and
their usage errors as one line with exit code 2."""

from __future__ import annotations

import imagehash
import pytest
from PIL import Image
from spark_helpers import file_uri, write_image_set

from sparkhash.cli import main
from sparkhash.dedup.keep import read_policy
from sparkhash.dedup.output import read_dups, read_matches
from sparkhash.spark.tables import committed_runs, read_hashes


@pytest.mark.parametrize(
    "argv, message",
    [
        (["dups", "h", "o", "--keep", "bogus"], "unknown keep policy"),
        (["hash", "in", "out", "--stream"], "--stream needs --checkpoint"),
        (["hash", "in", "out", "--checkpoint", "ck"], "--checkpoint needs --stream"),
        (
            ["hash", "in", "out", "--stream", "--checkpoint", "ck", "--dups", "d", "--keep", "prefer:"],
            "prefer:",
        ),
        (["hash", "in", "out", "--stream", "--checkpoint", "ck", "--keep", "oldest"], "--keep needs --dups"),
        (["hash", "in", "out", "--max-bytes-per-trigger", "9"], "--max-bytes-per-trigger needs --stream"),
        (
            ["hash", "in", "out", "--stream", "--checkpoint", "ck", "--max-files-per-trigger", "2"]
            + ["--max-bytes-per-trigger", "9"],
            "--max-files-per-trigger and --max-bytes-per-trigger exclude each other",
        ),
        (
            ["hash", "in", "out", "--stream", "--checkpoint", "ck", "--max-bytes-per-trigger", "0"],
            "--max-bytes-per-trigger must be at least 1",
        ),
        (["match", "q.csv", "h", "o", "--threshold", "-1"], "threshold must be >= 0"),
    ],
)
def test_bad_lake_options_are_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


@pytest.mark.spark
def test_stream_match_and_keep_from_the_command_line(spark, tmp_path, capsys):
    source, out, dups = tmp_path / "in", tmp_path / "out", tmp_path / "dups"
    images = write_image_set(source, count=3, seed=120)
    copy = source / "sub" / "deeper" / "copy_of_first.png"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(images[0].read_bytes())
    argv = [
        "hash",
        str(source),
        str(out),
        "--algorithms",
        "phash",
        "--stream",
        "--checkpoint",
        str(tmp_path / "ck"),
        "--available-now",
        "--max-files-per-trigger",
        "3",
        "--dups",
        str(dups),
        "--keep",
        "shortest-path",
    ]
    assert main(argv) == 0
    assert capsys.readouterr().out.count("committed run") == 2  # 4 files, 3 per micro-batch
    assert read_hashes(spark, str(out)).count() == 4 and len(committed_runs(spark, str(out))) == 2
    removed = read_dups(spark, str(dups)).remove.collect()
    assert [(r.path, r.kept_path) for r in removed] == [(file_uri(copy), file_uri(images[0]))]
    assert removed[0].reason.startswith("shortest-path: ")
    assert read_policy(spark, str(dups)) == "shortest-path"

    queries = tmp_path / "queries"
    queries.mkdir()
    Image.open(images[0]).save(queries / "again.png")
    assert main(["match", str(queries), str(out), str(tmp_path / "matched"), "--threshold", "0"]) == 0
    found = {(r.path, r.distance) for r in read_matches(spark, str(tmp_path / "matched")).collect()}
    assert found == {(file_uri(images[0]), 0), (file_uri(copy), 0)}

    wide = tmp_path / "wide.csv"
    wide.write_text(f"id,phash\nx,{imagehash.phash(Image.open(images[0]), hash_size=16)}\n")
    capsys.readouterr()
    assert main(["match", str(wide), str(out), str(tmp_path / "m2")]) == 2
    assert "hex digits" in capsys.readouterr().err

    assert main(["dups", str(out), str(tmp_path / "d2"), "--keep", f"prefer:{source / 'sub'}/"]) == 0
    kept = {r.path for r in read_dups(spark, str(tmp_path / "d2")).clusters.where("keep").collect()}
    assert kept == {file_uri(copy)}
