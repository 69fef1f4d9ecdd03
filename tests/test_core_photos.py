"""Parity on real photos: every algorithm on a sample of the dev corpus (real JPEG/PNG/WebP
photos and edited copies) against imagehash 4.3.2.

The corpus is built by ../shared/data/build_dev_corpus.py (from Debian's background-image
packages); `.ci/run` builds it and sets SPARKHASH_PHOTOS to its images directory. Set
SPARKHASH_PHOTOS_SAMPLE to change how many photos are compared (default 24).
"""

from __future__ import annotations

import glob
import io
import os

import imagehash
import pytest
from PIL import Image

import sparkhash.core as core

PHOTOS = os.environ.get("SPARKHASH_PHOTOS")
pytestmark = pytest.mark.skipif(
    not PHOTOS or not os.path.isdir(PHOTOS), reason="SPARKHASH_PHOTOS (a directory of real photos) not set"
)


def _sample() -> list[str]:
    if not PHOTOS:
        return []
    exts = (".jpg", ".jpeg", ".png", ".webp")
    paths = sorted(
        p for p in glob.glob(os.path.join(PHOTOS, "**", "*"), recursive=True) if p.lower().endswith(exts)
    )
    n = int(os.environ.get("SPARKHASH_PHOTOS_SAMPLE", "24"))
    # step through the sorted list with a stride coprime to the 10 edits per group, so the
    # sample mixes groups and edit kinds (orig, crops, webp, greyscale png, ...)
    step = max(1, len(paths) // n) | 1
    return [paths[(i * step) % len(paths)] for i in range(min(n, len(paths)))]


@pytest.mark.parametrize("path", _sample(), ids=lambda p: os.path.relpath(p, PHOTOS or "."))
def test_real_photo_all_algorithms(path):
    data = open(path, "rb").read()
    image = Image.open(io.BytesIO(data))
    image.load()
    expected = {
        "ahash": imagehash.average_hash(image),
        "phash": imagehash.phash(image),
        "phash_simple": imagehash.phash_simple(image),
        "dhash": imagehash.dhash(image),
        "dhash_vertical": imagehash.dhash_vertical(image),
        "whash": imagehash.whash(image),
        "colorhash": imagehash.colorhash(image),
    }
    result = core.compute_hashes(data)
    for name, value in expected.items():
        assert str(result.hashes[name]) == str(value), name
    assert str(result.multihash()) == str(imagehash.crop_resistant_hash(image))
    assert str(core.whash(image, mode="db4")) == str(imagehash.whash(image, mode="db4"))
    assert str(core.colorhash(image, binbits=6)) == str(imagehash.colorhash(image, binbits=6))
    assert str(core.phash(image, hash_size=16)) == str(imagehash.phash(image, hash_size=16))
