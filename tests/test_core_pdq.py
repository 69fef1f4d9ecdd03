"""PDQ parity: sparkhash.core.pdq against the `pdqhash` bindings of Meta's reference C++ code.

pdqhash is the test oracle only (the runtime never imports it). Its users hash
`numpy.asarray(image.convert("RGB"))`; every image here is compared that way: the hash bits,
the quality and all eight dihedral hashes must be identical. With SPARKHASH_PHOTOS set (a
directory of real photos, see tests/test_core_photos.py) every photo under it, and under its
sibling `distractors` directory when there is one, is compared too.
"""

from __future__ import annotations

import glob
import io
import os
import subprocess
import sys

import numpy as np
import pytest
from images import blocks_rgb, encode, in_mode, noise_rgb, smooth_rgb
from PIL import Image

import sparkhash.core as core
from sparkhash.core.decode import decode_image
from sparkhash.core.pdq import (
    PDQ_ORIENTATIONS,
    PDQ_QUALITY_FLOOR,
    pdq_bits,
    pdq_hash,
    pdq_hash_dihedral,
    pdq_hex,
    pdq_pixels,
)

pdqhash = pytest.importorskip("pdqhash")


def _reference(rgb: np.ndarray) -> tuple[np.ndarray, int, list[np.ndarray], int]:
    bits, quality = pdqhash.compute(rgb)
    turned, dihedral_quality = pdqhash.compute_dihedral(rgb)
    return bits.astype(bool), quality, [t.astype(bool) for t in turned], dihedral_quality


def _assert_parity(image: Image.Image) -> None:
    """pdq_hash / pdq_hash_dihedral of a PIL image == pdqhash on its RGB pixels."""
    rgb = np.asarray(image.convert("RGB"))
    bits, quality, turned, dihedral_quality = _reference(rgb)
    h, q = pdq_hash(image)
    assert q == quality
    assert np.array_equal(h.hash.flatten(), bits), f"{int((h.hash.flatten() != bits).sum())} bits differ"
    hashes, dq = pdq_hash_dihedral(image)
    assert dq == dihedral_quality
    assert len(hashes) == 8
    for name, ours, ref in zip(PDQ_ORIENTATIONS, hashes, turned, strict=True):
        assert np.array_equal(ours.hash.flatten(), ref), name


SIZES = [(1, 1), (4, 4), (3, 40), (40, 4), (5, 5), (6, 9), (17, 64), (63, 64), (64, 64), (64, 65), (65, 64)]
SIZES += [(127, 128), (128, 128), (129, 257), (300, 200), (333, 1001), (1030, 517)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("kind", [smooth_rgb, noise_rgb, blocks_rgb], ids=lambda f: f.__name__)
def test_synthetic_sizes(kind, size):
    _assert_parity(kind(*size, seed=sum(size)))


def test_image_in_several_memory_blocks():
    """Pillow keeps a large image in several blocks (no zero-copy view): numpy's copy is used."""
    _assert_parity(noise_rgb(2900, 1500, seed=8).resize((2900, 1500)))


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "LA", "P", "CMYK", "1", "I;16", "I", "F"])
@pytest.mark.parametrize("size", [(4, 9), (64, 64), (211, 150)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_modes(mode, size):
    _assert_parity(in_mode(smooth_rgb(*size, seed=3), mode, seed=5))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "P"])
def test_encoded_files(fmt, mode):
    """Files as the hash job reads them: bytes, decoded by sparkhash's decode_image."""
    image = in_mode(smooth_rgb(480, 360, seed=11), mode, seed=2)
    if fmt == "JPEG" and mode in ("RGBA", "P"):
        image = image.convert("RGB")
    data = encode(image, fmt, **({"quality": 80} if fmt != "PNG" else {}))
    decoded = decode_image(data)
    _assert_parity(decoded)
    reference = Image.open(io.BytesIO(data))
    assert str(pdq_hash(decoded)[0]) == pdq_hex(pdqhash.compute(np.asarray(reference.convert("RGB")))[0])


def test_sample_set_files(tmp_path):
    """Every file of the generated sample set (`sparkhash sample`) that decodes."""
    from sparkhash.sample import write_sample

    paths = write_sample(str(tmp_path), groups=2, size=(320, 240))
    hashed = 0
    for path in paths:
        try:
            image = decode_image(open(path, "rb").read())
        except core.ImageDecodeError:
            continue  # the deliberately broken files
        _assert_parity(image)
        hashed += 1
    assert hashed >= 10


def test_arrays_as_pdqhash_takes_them():
    """uint8 arrays: RGB, RGBA (alpha ignored, as pdqhash ignores it), non-contiguous views, grey."""
    rgb = np.asarray(smooth_rgb(300, 170, seed=4))
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 7, np.uint8)])
    for array in (rgb, rgba, rgb[::2, 1::3], rgb[:, ::-1]):
        bits, quality, turned, dq = _reference(np.ascontiguousarray(array))
        result = pdq_bits(pdq_pixels(array), dihedral=True)
        assert np.array_equal(result.bits, bits) and result.quality == quality
        assert np.array_equal(result.dihedral, np.stack(turned)) and result.dihedral_quality == dq
    grey = rgb[:, :, 1].copy()
    bits, quality = pdqhash.compute(np.dstack([grey, grey, grey]))
    result = pdq_bits(pdq_pixels(grey))
    assert np.array_equal(result.bits, bits) and result.quality == quality
    with pytest.raises(ValueError, match="uint8"):
        pdq_pixels(rgb.astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        pdq_pixels(rgb[:, :, :2])


def test_hex_is_threatexchange_format():
    """str(hash) is 64 hex digits: the reference's Hash256 words w[15]..w[0] as %04x, bit k of
    the hash being bit k % 16 of w[k // 16] (pdqhash's vector lists bit 255 first)."""
    image = smooth_rgb(400, 300, seed=9)
    h, _ = pdq_hash(image)
    vector = pdqhash.compute(np.asarray(image))[0]
    bit = vector[::-1]  # bit[k] = bit k of the hash
    words = [sum(int(bit[16 * i + b]) << b for b in range(16)) for i in range(16)]
    expected = "".join(f"{words[i]:04x}" for i in range(15, -1, -1))
    assert str(h) == expected == pdq_hex(vector)
    assert len(str(h)) == 64
    assert core.hex_to_hash(str(h)) == h
    assert core.hex_to_hash(str(h)) - h == 0


def test_orientation_names():
    """Dihedral hash k is the hash of the image transformed by PIL's Transpose of that name:
    the nearest of the eight, by far."""
    image = smooth_rgb(1024, 1024, seed=21)
    hashes, _ = pdq_hash_dihedral(image)
    ops = {
        "original": None,
        "rotate_90": Image.Transpose.ROTATE_90,
        "rotate_180": Image.Transpose.ROTATE_180,
        "rotate_270": Image.Transpose.ROTATE_270,
        "flip_top_bottom": Image.Transpose.FLIP_TOP_BOTTOM,
        "flip_left_right": Image.Transpose.FLIP_LEFT_RIGHT,
        "transpose": Image.Transpose.TRANSPOSE,
        "transverse": Image.Transpose.TRANSVERSE,
    }
    assert tuple(ops) == PDQ_ORIENTATIONS
    for k, (name, op) in enumerate(ops.items()):
        turned, _ = pdq_hash(image if op is None else image.transpose(op))
        distances = [turned - h for h in hashes]
        assert int(np.argmin(distances)) == k, (name, distances)
        assert distances[k] <= 31 < sorted(distances)[1], (name, distances)


def test_quality_floor_flags_flat_images():
    """A flat image has quality 0: its bits are the blur's rounding noise (the reference's too)."""
    flat = Image.new("RGB", (300, 200), (90, 140, 200))
    h, q = pdq_hash(flat)
    assert q == 0 < PDQ_QUALITY_FLOOR and str(h) != "0" * 64
    _assert_parity(flat)
    assert pdq_hash(smooth_rgb(300, 200, seed=1))[1] >= PDQ_QUALITY_FLOOR


def test_runtime_does_not_import_pdqhash():
    code = (
        "import sys, numpy; import sparkhash.core as c; "
        "h, q = c.pdq_hash(numpy.zeros((40, 50, 3), numpy.uint8)); "
        "assert 'pdqhash' not in sys.modules; print(h, q)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["0" * 64, "0"]


PHOTOS = os.environ.get("SPARKHASH_PHOTOS")


def _photos() -> list[str]:
    """Every photo under SPARKHASH_PHOTOS and its sibling `distractors` directory, if any."""
    if not PHOTOS or not os.path.isdir(PHOTOS):
        return []
    sibling = os.path.join(os.path.dirname(os.path.normpath(PHOTOS)), "distractors")
    exts = (".jpg", ".jpeg", ".png", ".webp")
    return sorted(
        p
        for directory in [PHOTOS] + ([sibling] if os.path.isdir(sibling) else [])
        for p in glob.glob(os.path.join(directory, "**", "*"), recursive=True)
        if p.lower().endswith(exts)
    )


@pytest.mark.skipif(not _photos(), reason="SPARKHASH_PHOTOS (a directory of real photos) not set")
@pytest.mark.parametrize(
    "path", _photos(), ids=lambda p: os.path.relpath(p, os.path.dirname(os.path.normpath(PHOTOS)))
)
def test_photo(path):
    """Every photo of the dev corpus (and its distractors): bytes -> decode_image -> pdq, against
    compute_dihedral (whose first hash and quality are compute's except at exactly 64 x 64)."""
    image = decode_image(open(path, "rb").read())
    rgb = np.asarray(image.convert("RGB"))
    turned, quality = pdqhash.compute_dihedral(rgb)
    if rgb.shape[:2] == (64, 64):
        bits, compute_quality = pdqhash.compute(rgb)
    else:
        bits, compute_quality = turned[0], quality
    result = pdq_bits(pdq_pixels(image), dihedral=True)
    assert result.quality == compute_quality and result.dihedral_quality == quality
    assert np.array_equal(result.bits, bits.astype(bool))
    assert np.array_equal(result.dihedral, np.stack(turned).astype(bool))


@pytest.mark.parametrize("size", [(64, 64), (333, 201)])
def test_compute_hashes_shares_one_blur_between_pdq_and_pdq_dihedral(size):
    """`pdq` and `pdq_dihedral` asked for together (one blur and DCT, the records' `shared`),
    with and without other algorithms: each equals pdqhash's own compute / compute_dihedral,
    the 64 x 64 quirk included (compute skips the blur there, compute_dihedral does not)."""
    image = smooth_rgb(*size, seed=5)
    bits, quality, turned, dihedral_quality = _reference(np.asarray(image))
    data = encode(image, "PNG")
    for algorithms in (["pdq", "pdq_dihedral"], ["pdq_dihedral", "phash", "pdq"], ["pdq"]):
        result = core.compute_hashes(data, algorithms)
        h, q = result.hashes["pdq"]
        assert np.array_equal(h.hash.flatten(), bits) and q == quality
        if "pdq_dihedral" in algorithms:
            rows = result.signatures["pdq_dihedral"]
            assert [r.hash.hash.flatten().tolist() for r in rows] == [t.tolist() for t in turned]
            assert {r.quality for r in rows} == {dihedral_quality}
