"""The review report, opened in real headless Chromium.

Test images are solid colours (one colour per cluster), so the screenshot can be checked for
the thumbnails themselves: each colour must cover a thumbnail-sized area, in the clusters'
rank order from top to bottom. A second page of 10 000 clusters checks paging and escaping.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from PIL import Image

from sparkhash.cli import main
from sparkhash.spark.schemas import CLUSTERS_SCHEMA, PAIRS_SCHEMA, RELATION_FIELDS

RELATION_NAMES = {f.name for f in RELATION_FIELDS}

pytestmark = pytest.mark.spark

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)"
)

#: A pairs table as sparkhash wrote it before the relation columns (read as nulls).
OLD_PAIRS = ", ".join(
    f"{f.name} {f.dataType.simpleString()}" for f in PAIRS_SCHEMA.fields if f.name not in RELATION_NAMES
)

RED, BLUE, YELLOW = (255, 0, 0), (0, 0, 255), (255, 255, 0)


def chromium(tmp_path, url: str, *args: str) -> subprocess.CompletedProcess:
    """Headless Chromium on `url`, with its own profile and no network side-traffic."""
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--virtual-time-budget=5000",
        "--enable-logging=stderr",
        "--v=0",
        *args,
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    console_errors = [line for line in result.stderr.splitlines() if "CONSOLE" in line and "Uncaught" in line]
    assert not console_errors, console_errors
    return result


def _image(directory, name: str, colour, size, fmt: str = "JPEG") -> str:
    path = directory / name
    Image.new("RGB", size, colour).save(path, fmt)
    return f"file:{path}"


@pytest.fixture(scope="module")
def dups(tmp_path_factory, spark):
    """A dups output of three colour clusters (one member missing on disk) and a hash table."""
    root = tmp_path_factory.mktemp("report")
    images = root / "images"
    images.mkdir()
    r1 = _image(images, "red_big.jpg", RED, (320, 240))
    r2 = _image(images, "red_small.jpg", RED, (160, 120))
    r3 = _image(images, "red.png", RED, (200, 150), "PNG")
    b1 = _image(images, "blue_1.jpg", BLUE, (300, 200))
    b2 = _image(images, "blue_2.jpg", BLUE, (150, 100))
    y1 = _image(images, "yellow_1.jpg", YELLOW, (240, 240))
    y2 = _image(images, "yellow_2.jpg", YELLOW, (200, 200))
    gone = f"file:{images}/deleted_meanwhile.jpg"
    pairs = [
        (r1, r2, "phash", 0, None, None, None),
        (r1, r3, "phash", 2, None, None, None),
        (r2, r3, "phash", 2, None, None, None),
        (b1, b2, "phash", 5, None, None, None),
        (y1, y2, "phash", 1, None, None, None),
        (y1, gone, "phash", 6, None, None, None),
        (y1, gone, "crop_resistant", 0, 3, 4, 5),
    ]
    clusters = [
        (r1, "red", True),
        (r2, "red", False),
        (r3, "red", False),
        (b1, "blue", True),
        (b2, "blue", False),
        (y1, "yellow", True),
        (y2, "yellow", False),
        (gone, "yellow", False),
    ]
    spark.createDataFrame(pairs, OLD_PAIRS).write.parquet(str(root / "dups" / "pairs"))
    spark.createDataFrame(clusters, CLUSTERS_SCHEMA).write.parquet(str(root / "dups" / "clusters"))
    sizes = [(p, 1000 * (i + 1), 10, 10) for i, p in enumerate([r1, r2, r3, b1, b2, y1, y2, gone])]
    spark.createDataFrame(sizes, "path string, length long, width int, height int").write.parquet(
        str(root / "hash-output" / "hashes")
    )
    return root


def _pixels_near(image: Image.Image, colour, tolerance: int = 40) -> list[tuple[int, int]]:
    rgb = image.convert("RGB")
    width, height = rgb.size
    data = rgb.load()
    return [
        (x, y)
        for y in range(0, height, 2)
        for x in range(0, width, 2)
        if all(abs(a - b) <= tolerance for a, b in zip(data[x, y], colour, strict=True))
    ]


@needs_chromium
def test_report_shows_thumbnails_in_chromium(dups, tmp_path, capsys):
    page = tmp_path / "review.html"
    code = main(["report", str(dups / "dups"), str(page), "--hashes", str(dups / "hash-output")])
    assert code == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    # 8 images in 3 clusters; not kept: sizes 2000+3000 (red) + 5000 (blue) + 7000+8000 (yellow)
    assert line.startswith(
        "report: 8 images in 3 clusters, 5 not kept, 24.4 KB reclaimable; 3 clusters shown"
    )
    assert "7 thumbnails (1 unreadable)" in line
    document = page.read_text()
    assert "http://" not in document and "https://" not in document  # self-contained

    dom = chromium(tmp_path, page.as_uri(), "--dump-dom").stdout
    assert 'data-render="ok"' in dom and 'data-rendered-clusters="3"' in dom
    assert re.search(r'<div id="js-error" hidden="?"?>', dom)
    # yellow (size 3, max distance 6) before red (size 3, max 2) before blue (size 2)
    assert [m for m in re.findall(r'id="cluster-(\w+)"', dom)] == ["yellow", "red", "blue"]
    assert dom.count('src="data:image/jpeg;base64,') == 7
    assert "no preview" in dom and "deleted_meanwhile.jpg" in dom
    assert "24.4 KB" in dom and "Page 1 of 1" in dom

    shot = tmp_path / "shot.png"
    chromium(tmp_path, page.as_uri(), f"--screenshot={shot}", "--window-size=1200,1100")
    with Image.open(shot) as image:
        found = {
            name: _pixels_near(image, colour)
            for name, colour in (("yellow", YELLOW), ("red", RED), ("blue", BLUE))
        }
    for name, pixels in found.items():
        # at least two thumbnails' worth (~100x100 px each), sampled every 2nd pixel
        assert len(pixels) > 2 * 100 * 100 // 4, f"{name} thumbnails not visible ({len(pixels)} samples)"
    middle = {name: sum(y for _, y in pixels) / len(pixels) for name, pixels in found.items()}
    assert middle["yellow"] < middle["red"] < middle["blue"]


@needs_chromium
def test_report_with_ten_thousand_clusters_pages_and_escapes(spark, tmp_path):
    from pathlib import Path

    from sparkhash.report.build import ReportRequest, build_report

    n = 10_000
    hostile = "file:/nowhere/<img src=x onerror=document.title='pwned'>.jpg"
    clusters = [(f"file:/nowhere/{i:05d}_{j}.jpg", f"k{i:05d}", j == 0) for i in range(n) for j in range(2)]
    clusters[1] = (hostile, "k00000", False)
    pairs = [
        (f"file:/nowhere/{i:05d}_0.jpg", f"file:/nowhere/{i:05d}_1.jpg", "dhash", i % 7, None, None, None)
        for i in range(n)
    ]
    pairs[0] = ("file:/nowhere/00000_0.jpg", hostile, "dhash", 0, None, None, None)
    dups = tmp_path / "dups"
    spark.createDataFrame(clusters, CLUSTERS_SCHEMA).write.parquet(str(dups / "clusters"))
    spark.createDataFrame(pairs, OLD_PAIRS).write.parquet(str(dups / "pairs"))
    page = Path(tmp_path / "big.html")
    result = build_report(spark, ReportRequest(dups=str(dups), output=page, top=n, workers=8))
    assert (result.clusters, result.shown, result.placeholders) == (n, n, 2 * n)
    assert result.html_bytes < 8_000_000

    dom = chromium(tmp_path, page.as_uri(), "--dump-dom").stdout
    assert 'data-render="ok"' in dom and 'data-rendered-clusters="50"' in dom
    assert "Page 1 of 200 · 10000 clusters" in dom
    # all clusters have size 2: ties broken by the largest distance (6), then cluster id
    assert re.findall(r'id="cluster-(\w+)"', dom)[0] == "k00006"

    # k00000 (distance 0) comes after the 10000 - 1429 clusters with distances 1..6: page 172
    deep = chromium(tmp_path, page.as_uri() + "#page=172", "--dump-dom").stdout
    assert "Page 172 of 200" in deep and 'id="cluster-k00000"' in deep
    assert "&lt;img src=x onerror" in deep  # the hostile path is text, never markup
    assert "<title>sparkhash duplicate review</title>" in deep
