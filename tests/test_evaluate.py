"""Evaluation metrics on a tiny hand-computed corpus, through Spark and the CLI.

Files (group, edit) and their dhash (hex), with the Hamming distances worked out by hand:

    a/orig  A orig  0000000000000000
    a/crop  A crop  0000000000000003   d(a/orig)=2
    a/gray  A gray  000000000000001f   d(a/orig)=5  d(a/crop)=3
    a/webp  A webp  (not hashable)     its 3 within-group pairs never match
    b/orig  B orig  ffffffff00000000   d(a/*) = 32, 34, 37
    b/crop  B crop  ffffffff00000001   d(b/orig)=1  d(a/*) = 33, 33, 36
    c/orig  C orig  000000000000ff00   d(a/*) = 8, 10, 13   d(b/*) = 40, 41

Positives: A has C(4,2)=6 pairs (distances 2, 5, 3 and three nulls), B has 1 (distance 1): 7.
Negatives: 21 pairs in all - 7 = 14; sorted distances 8 10 13 32 33 33 34 36 37 40 41 and 3
nulls (a/webp with b/orig, b/crop, c/orig).
"""

from __future__ import annotations

import csv
import math
import struct
import zlib

import pandas as pd
import pytest
from pyspark.sql import types as T

from sparkhash.cli import main
from sparkhash.core.params import HashParams
from sparkhash.evaluation import metrics as M
from sparkhash.evaluation.hamming import distance, with_words
from sparkhash.evaluation.pairs import distance_histogram
from sparkhash.evaluation.truth import read_truth

pytestmark = pytest.mark.spark

FILES = [
    ("a/orig.jpg", "A", "orig", "0000000000000000"),
    ("a/crop.jpg", "A", "crop", "0000000000000003"),
    ("a/gray.png", "A", "gray", "000000000000001f"),
    ("a/webp.webp", "A", "webp", None),
    ("b/orig.jpg", "B", "orig", "ffffffff00000000"),
    ("b/crop.jpg", "B", "crop", "ffffffff00000001"),
    ("c/orig.jpg", "C", "orig", "000000000000ff00"),
]
# crop_resistant segments: a/orig and c/orig share a near segment (distance 4), b/orig and
# b/crop one at distance 0; files without segments never match.
SEGMENTS = [
    ("a/orig.jpg", 0, "0000000000000000"),
    ("a/orig.jpg", 1, "ffffffffffffffff"),
    ("c/orig.jpg", 0, "fffffffffffffff0"),
    ("b/orig.jpg", 0, "00000000ffff0000"),
    ("b/crop.jpg", 0, "00000000ffff0000"),
    ("b/crop.jpg", 1, "0f0f0f0f0f0f0f0f"),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, spark):
    """truth.csv with relative paths, and a `sparkhash hash`-style output with hashes/segments."""
    root = tmp_path_factory.mktemp("eval")
    with open(root / "truth.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "group", "edit"])
        writer.writerows((f, g, e) for f, g, e, _ in FILES)
    hashes_schema = T.StructType(
        [
            T.StructField("path", T.StringType()),
            T.StructField("dhash", T.StringType()),
            T.StructField("error", T.StringType()),
            T.StructField("params", T.StringType()),
        ]
    )
    params = HashParams().to_json()
    rows = [(f"file:{root}/{f}", h, None if h else "not_an_image", params) for f, _, _, h in FILES]
    spark.createDataFrame(rows, hashes_schema).write.parquet(str(root / "hashout" / "hashes"))
    segments = [(f"file://{root}/{f}", s, h, params) for f, s, h in SEGMENTS]
    spark.createDataFrame(segments, "path string, segment int, hash string, params string").write.parquet(
        str(root / "hashout" / "segments")
    )
    return root


def test_hamming_distance_of_hex_hashes(spark):
    values = [
        ("0", "f"),
        ("ffffffffffffffff", "0000000000000000"),
        ("8000000000000001", "0000000000000001"),
        ("3ffffffffff", "00000000001"),
        (None, "ff"),
        ("ff" * 16, "0" * 31 + "1"),
    ]
    df = with_words(with_words(spark.createDataFrame(values, "a string, b string"), "a", "a", 2), "b", "b", 2)
    got = [r.d for r in df.select(distance("a", "b", 2).alias("d")).collect()]
    assert got == [4, 64, 1, 41, None, 127]


def test_histogram_and_threshold_table_by_hand(spark, corpus):
    labelled = read_truth(spark, str(corpus / "truth.csv"))
    hashes = spark.read.parquet(str(corpus / "hashout" / "hashes"))
    segments = spark.read.parquet(str(corpus / "hashout" / "segments"))
    histogram = distance_histogram(labelled, hashes, ["dhash", "crop_resistant"], segments)
    dhash = histogram[histogram["algorithm"] == "dhash"]
    assert dhash["pairs"].sum() == 21
    positives = dhash[dhash["positive"]]
    found = positives.dropna(subset=["distance"])
    assert sorted(found.apply(lambda r: [r.distance] * r.pairs, axis=1).sum()) == [1, 2, 3, 5]
    assert positives["pairs"].sum() == 7 and positives["distance"].isna().sum() >= 1

    table = M.threshold_table(histogram, max_threshold=64)
    d = table[table["algorithm"] == "dhash"].set_index("threshold")
    assert (d["positives"] == 7).all() and (d["negatives"] == 14).all()
    assert list(d.loc[[0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 33, 64], "tp"]) == [0, 1, 2, 3, 3, 4, 4, 4, 4, 4, 4, 4]
    assert list(d.loc[[0, 7, 8, 9, 10, 13, 32, 33, 41, 64], "fp"]) == [0, 0, 1, 1, 2, 3, 4, 6, 11, 11]
    assert d.loc[5, "recall"] == pytest.approx(4 / 7)
    assert d.loc[8, "fpr"] == pytest.approx(1 / 14)
    assert d.loc[8, "precision"] == pytest.approx(4 / 5)
    assert d.loc[64, "fn"] == 3 and d.loc[64, "tn"] == 3
    assert math.isnan(d.loc[0, "precision"])

    # crop_resistant: closest segment pair per file pair. Positive: b/orig-b/crop (0). Negatives:
    # a/orig-c/orig 4, a/orig-b/orig 16, a/orig-b/crop 16, c/orig-b/crop 36, c/orig-b/orig 44;
    # every other pair has no segments on one side.
    c = table[table["algorithm"] == "crop_resistant"].set_index("threshold")
    assert list(c.loc[[0, 64], "tp"]) == [1, 1]
    assert list(c.loc[[0, 3, 4, 15, 16, 35, 36, 43, 44, 64], "fp"]) == [0, 0, 1, 1, 3, 3, 4, 4, 5, 5]

    edits = M.edit_recall_table(histogram, max_threshold=64)
    e = edits[edits["algorithm"] == "dhash"].set_index(["edit", "threshold"])
    assert e.loc[("crop", 1), "copies"] == 2
    assert [e.loc[("crop", t), "found"] for t in (0, 1, 2)] == [0, 1, 2]
    assert [e.loc[("gray", t), "found"] for t in (4, 5)] == [0, 1]
    assert e.loc[("webp", 64), "found"] == 0 and e.loc[("webp", 64), "copies"] == 1

    points = M.operating_points(table, [0.0, 1 / 14, 0.5])
    p = points[points["algorithm"] == "dhash"].set_index("target_fpr")
    assert p.loc[0.0, "threshold"] == 7 and p.loc[0.0, "recall"] == pytest.approx(4 / 7)
    assert p.loc[1 / 14, "threshold"] == 9 and p.loc[1 / 14, "fp"] == 1
    assert p.loc[0.5, "threshold"] == 35  # fp 7/14 from 34 to 35, 8/14 at 36


def test_operating_point_when_no_threshold_meets_the_target():
    histogram = pd.DataFrame(
        {
            "algorithm": ["x"] * 3,
            "distance": [0, 0, 3],
            "positive": [True, False, False],
            "edit": [None, None, None],
            "pairs": [1, 1, 2],
        }
    )
    table = M.threshold_table(histogram)
    assert list(table["threshold"]) == [0, 1, 2, 3]
    assert list(table["fp"]) == [1, 1, 1, 3]
    points = M.operating_points(table, [0.0, 0.5])
    assert list(points["threshold"]) == [-1, 2]
    assert list(points["recall"]) == [0.0, 1.0]


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert zlib.crc32(data[12:29]) == struct.unpack(">I", data[29:33])[0]
    return width, height


def test_cli_writes_tables_summary_and_plots(spark, corpus, tmp_path, capsys):
    from PIL import Image

    out = tmp_path / "evaluation"
    code = main(
        [
            "evaluate",
            str(corpus / "truth.csv"),
            str(out),
            "--hashes",
            str(corpus / "hashout"),
            "--algorithms",
            "dhash,crop_resistant",
            "--target-fpr",
            "0,0.1",
            "--plot-fpr",
            "0.1",
            "--check-join",
            "8",
        ]
    )
    assert code == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("evaluate: 7 files, 3 groups, 7 positive and 14 negative pairs, 2 algorithms")
    assert "dups join agrees for 2/2 algorithms" in line

    table = pd.read_csv(out / "metrics.csv")
    row = table[(table["algorithm"] == "dhash") & (table["threshold"] == 8)].iloc[0]
    assert (row["tp"], row["fp"], row["fn"], row["tn"]) == (4, 1, 3, 13)
    assert row["recall_crop"] == 1.0 and row["recall_gray"] == 1.0 and row["recall_webp"] == 0.0
    # the Parquet copy holds the same table as the CSV (types aside: the CSV has no int/float split)
    parquet = pd.read_parquet(out / "metrics.parquet")
    assert list(parquet.columns) == list(table.columns)
    pd.testing.assert_frame_equal(parquet.reset_index(drop=True), table, check_dtype=False)

    points = pd.read_csv(out / "operating_points.csv").set_index(["algorithm", "target_fpr"])
    assert points.loc[("dhash", 0.0), "threshold"] == 7
    assert points.loc[("dhash", 0.1), "threshold"] == 9

    # the dups job's banded join at threshold 8 finds the same pairs: dhash 4 + 1, segments 1 + 1
    check = pd.read_csv(out / "join_check.csv").set_index("algorithm")
    assert list(check["evaluation_pairs"]) == [5, 2] and list(check["dups_pairs"]) == [5, 2]

    summary = (out / "summary.md").read_text()
    assert "7 files in 3 groups (1 not hashed)" in summary
    assert "| dhash | 7 / 0.571 / 1.000 | 9 / 0.571 / 0.800 |" in summary

    for name in ("recall_vs_fpr.png", "edit_recall.png"):
        width, height = _png_size(out / name)
        assert width > 400 and height > 300
        with Image.open(out / name) as image:
            colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 20  # drawn curves/bars, not a blank canvas


def test_cli_hashes_the_corpus_with_the_hash_job_and_matches_imagehash(spark, tmp_path, capsys):
    """Without --hashes the labelled files are hashed by the hash job's code; every threshold's
    counts equal those of pairwise imagehash distances. A listed but missing file is unhashed."""
    import itertools

    import imagehash
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(5)
    files = []
    for group in ("a", "b"):
        noise = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
        base = Image.fromarray(noise).resize((160, 120), Image.BICUBIC)
        (tmp_path / group).mkdir()
        base.save(tmp_path / group / "orig.png")
        base.resize((80, 60), Image.BILINEAR).save(tmp_path / group / "resize50.png")
        base.save(tmp_path / group / "jpeg_q40.jpg", quality=40)
        files += [
            (f"{group}/orig.png", group, "orig"),
            (f"{group}/resize50.png", group, "resize50"),
            (f"{group}/jpeg_q40.jpg", group, "jpeg_q40"),
        ]
    files.append(("b/missing.jpg", "b", "webp"))
    with open(tmp_path / "truth.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([("file", "group", "edit"), *files])

    out = tmp_path / "out"
    code = main(
        [
            "evaluate",
            str(tmp_path / "truth.csv"),
            str(out),
            "--algorithms",
            "phash,dhash",
            "--max-threshold",
            "64",
            "--no-plots",
        ]
    )
    assert code == 0
    assert "evaluate: 7 files, 2 groups, 9 positive and 12 negative pairs" in capsys.readouterr().out
    assert "7 files in 2 groups (1 not hashed)" in (out / "summary.md").read_text()

    table = pd.read_csv(out / "metrics.csv")
    functions = {"phash": imagehash.phash, "dhash": imagehash.dhash}
    present = [(f, g) for f, g, _ in files if (tmp_path / f).exists()]
    for algorithm, function in functions.items():
        hashes = {f: function(Image.open(tmp_path / f)) for f, _ in present}
        pairs = [
            (hashes[f1] - hashes[f2], g1 == g2) for (f1, g1), (f2, g2) in itertools.combinations(present, 2)
        ]
        rows = table[table["algorithm"] == algorithm].set_index("threshold")
        for t in range(65):
            assert rows.loc[t, "tp"] == sum(d <= t for d, same in pairs if same), (algorithm, t)
            assert rows.loc[t, "fp"] == sum(d <= t for d, same in pairs if not same), (algorithm, t)
        assert rows.loc[64, "fn"] == 3  # the missing file's three within-group pairs
