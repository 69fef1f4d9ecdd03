"""Decoding bytes: typed, clear errors for bad input; every odd mode decodes and hashes."""

from __future__ import annotations

import io
import json
import struct
import zlib

import imagehash
import numpy as np
import pytest
from images import encode, in_mode, smooth_rgb
from PIL import Image

import sparkhash.core as core
from sparkhash.core import spec
from sparkhash.core.decode import DecodeOptions, draft_scale
from sparkhash.core.multi import decode_size
from sparkhash.core.params import HashParams


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with one tiny compressed row: a bomb's shape."""

    def chunk(kind, payload):
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 10))
        + chunk(b"IEND", b"")
    )


def test_empty_bytes():
    with pytest.raises(core.EmptyImageError, match="empty file"):
        core.decode_image(b"")


@pytest.mark.parametrize("data", [b"hello world, not an image", bytes(range(256)) * 4, b"\x89PNG\r\n"])
def test_not_an_image(data):
    with pytest.raises(core.NotAnImageError):
        core.decode_image(data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "TIFF"])
def test_truncated(fmt):
    data = encode(smooth_rgb(200, 150), fmt)
    with pytest.raises(core.ImageDecodeError) as info:
        core.decode_image(data[: len(data) // 2])
    assert isinstance(info.value, (core.TruncatedImageError, core.NotAnImageError))
    assert str(info.value)


def test_decompression_bomb_refused_before_allocation():
    bomb = _png_header_only(60_000, 60_000)  # 3.6 GP; would need 3.6 GB as 'L'
    with pytest.raises(core.ImageTooLargeError, match="3600000000 pixels"):
        core.decode_image(bomb)
    with pytest.raises(core.ImageTooLargeError, match="12000x10000 = 120000000 pixels, over the limit"):
        core.decode_image(_png_header_only(12_000, 10_000))
    with pytest.raises(core.ImageTooLargeError, match="over the limit of 1000"):
        core.decode_image(encode(smooth_rgb(50, 40)), DecodeOptions(max_pixels=1000))


def test_errors_are_value_errors_with_reasons():
    reasons = set()
    for data in (b"", b"text", _png_header_only(60_000, 60_000)):
        try:
            core.compute_hashes(data)
        except core.ImageDecodeError as exc:
            assert isinstance(exc, ValueError)
            reasons.add(exc.reason)
    assert reasons == {"empty", "not_an_image", "too_large"}


@pytest.mark.parametrize(
    "mode,fmt",
    [
        ("1", "PNG"),
        ("L", "PNG"),
        ("LA", "PNG"),
        ("P", "PNG"),
        ("P", "GIF"),
        ("RGB", "JPEG"),
        ("RGBA", "PNG"),
        ("CMYK", "JPEG"),
        ("CMYK", "TIFF"),
        ("I;16", "PNG"),
        ("I", "TIFF"),
        ("F", "TIFF"),
        ("RGBA", "WEBP"),
    ],
)
def test_modes_decode_and_hash_like_imagehash(mode, fmt):
    data = encode(in_mode(smooth_rgb(120, 90, seed=3), mode), fmt)
    result = core.compute_hashes(data)
    reference = Image.open(io.BytesIO(data))
    assert str(result.hashes["phash"]) == str(imagehash.phash(reference))
    assert str(result.hashes["colorhash"]) == str(imagehash.colorhash(reference))
    assert str(result.multihash()) == str(imagehash.crop_resistant_hash(reference))


def test_animated_gif_uses_first_frame():
    frames = [smooth_rgb(64, 48, seed=s).convert("P") for s in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    result = core.compute_hashes(buffer.getvalue(), ["dhash"])
    first = Image.open(io.BytesIO(buffer.getvalue()))
    assert first.n_frames == 3
    assert str(result.hashes["dhash"]) == str(imagehash.dhash(first))


def test_exif_orientation_is_opt_in():
    image = smooth_rgb(80, 40, seed=1)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    data = encode(image, "JPEG", exif=exif.tobytes(), quality=95)
    plain = core.compute_hashes(data, ["ahash"])
    rotated = core.compute_hashes(data, ["ahash"], decode_options=DecodeOptions(apply_exif_orientation=True))
    assert (plain.width, plain.height) == (80, 40)
    assert (rotated.width, rotated.height) == (40, 80)
    assert str(plain.hashes["ahash"]) == str(imagehash.average_hash(Image.open(io.BytesIO(data))))


def test_tiny_and_thin_images():
    for size in [(1, 1), (6000, 8), (8, 6000)]:
        image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), np.uint8))
        result = core.compute_hashes(encode(image))
        reference = Image.open(io.BytesIO(encode(image)))
        assert str(result.hashes["whash"]) == str(imagehash.whash(reference))
        assert str(result.multihash()) == str(imagehash.crop_resistant_hash(reference))


def test_limit_above_pillows_own_allows_large_headers_and_restores_pillow_limit():
    saved = Image.MAX_IMAGE_PIXELS
    bomb = _png_header_only(20_000, 10_000)  # 200 MP: above Pillow's own 2 x 89 MP refusal
    with pytest.raises(core.ImageTooLargeError):
        core.decode_image(bomb)  # default limit 100 MP
    with pytest.raises(core.ImageDecodeError) as info:  # allowed through the header check,
        core.decode_image(bomb, DecodeOptions(max_pixels=None))  # then the data is short
    assert not isinstance(info.value, core.ImageTooLargeError)
    assert Image.MAX_IMAGE_PIXELS == saved


# ---------------------------------------------------------------------------- reduced decoding

REDUCED = DecodeOptions(decode="reduced")
EIGHT = ("ahash", "phash", "phash_simple", "dhash", "dhash_vertical", "whash", "colorhash", "crop_resistant")


def _all_hex(result) -> dict[str, object]:
    out: dict[str, object] = {a: str(h) for a, h in result.hashes.items()}
    out["segments"] = [(str(s.hash), s.box, s.pixels) for s in result.segments or []]
    return out


def test_decode_mode_is_validated_and_recorded_only_when_not_the_default():
    with pytest.raises(ValueError, match="decode must be one of exact, reduced"):
        DecodeOptions(decode="fast")
    params = HashParams()
    exact = json.loads(spec.params_json(params, DecodeOptions()))
    assert "decode" not in exact and "exif_orientation" not in exact  # exact runs' params unchanged
    assert json.loads(spec.params_json(params, REDUCED))["decode"] == "reduced"
    both = DecodeOptions(apply_exif_orientation=True, decode="reduced")
    text = spec.params_json(params, both)
    assert json.loads(text)["exif_orientation"] is True
    assert spec.settings_from_json(text) == (params, both)
    assert spec.settings_from_json('{"hash_size":8}') == (params, DecodeOptions())
    assert spec.spec_of("phash", params, REDUCED) != spec.spec_of("phash", params, DecodeOptions())


def test_hashes_of_earlier_reduced_rules_are_not_compared_with_todays():
    """Reduced rows written before each algorithm got its own decode scale (no `reduced_rule`
    in params) or before the 256-pixel floor (rule 2) were made by other rules: their spec
    differs; exact rows are unaffected."""
    params = HashParams()
    text = spec.params_json(params, REDUCED)
    assert json.loads(text)["reduced_rule"] == 3
    first = json.dumps({k: v for k, v in json.loads(text).items() if k != "reduced_rule"})
    second = json.dumps({**json.loads(text), "reduced_rule": 2})
    for before in (first, second):
        assert spec.spec_from_json("phash", before) != spec.spec_from_json("phash", text)
    assert spec.spec_from_json("phash", text) == spec.spec_of("phash", params, REDUCED)
    assert "reduced_rule" not in json.loads(spec.params_json(params, DecodeOptions()))
    assert spec.spec_from_json("phash", '{"hash_size":8}') == spec.spec_of("phash", params, DecodeOptions())


@pytest.mark.parametrize(
    "algorithm, size, scale",
    [
        # thumbnails: 2x margin and >= 256 px a side: 1/4 of 1,600 x 1,200 (400 x 300), not
        # 1/8 (200 x 150 would hold a 64 x 64 thumbnail, but drifts: REDUCED_MIN_SIDE)
        ("phash", (1600, 1200), 4),
        ("dhash", (1600, 1200), 4),
        ("ahash", (1600, 1200), 4),
        ("colorhash", (1600, 1200), 4),  # the whole image, >= 256 a side
        ("crop_resistant", (1600, 1200), 4),  # segmentation image 300 on the longer side
        ("phash", (3200, 2400), 8),  # 400 x 300 at 1/8
        ("phash", (2400, 600), 2),  # the shorter side keeps 256: 1/2 (1,200 x 300)
        ("crop_resistant", (2400, 600), 8),  # 300 on the longer side, whatever the shorter
    ],
)
def test_reduced_jpeg_is_decoded_at_the_smallest_scale_keeping_the_algorithms_working_size(
    algorithm, size, scale
):
    data = encode(smooth_rgb(*size, seed=3), "JPEG", quality=90)
    p = core.HashParams()
    want = decode_size(algorithm, size, p, REDUCED)
    assert draft_scale(size, want) == scale
    image = core.decode_image(data, REDUCED, scale_to=lambda size: want)
    assert image.size == (size[0] // scale, size[1] // scale)
    assert image.info["original_size"] == size
    # exact mode asks for every pixel, as imagehash decodes it
    assert decode_size(algorithm, size, p, DecodeOptions()) is None


@pytest.fixture(scope="module")
def textured_jpeg() -> bytes:
    """A 2,400 x 600 JPEG with detail at every scale (a smooth one hashes alike at any scale):
    reduced, ahash decodes it at 1/2 (its shorter side keeps 256 px), crop_resistant at 1/8."""
    rng = np.random.default_rng(7)
    coarse = Image.fromarray(rng.integers(0, 256, (30, 120, 3), dtype=np.uint8)).resize(
        (2400, 600), Image.BICUBIC
    )
    fine = np.asarray(coarse).astype(np.int16) + rng.integers(-40, 40, (600, 2400, 3))
    return encode(Image.fromarray(np.clip(fine, 0, 255).astype(np.uint8)), "JPEG", quality=90)


@pytest.mark.parametrize("others", [(), ("crop_resistant",), EIGHT])
@pytest.mark.parametrize("algorithm", ["ahash", "phash", "crop_resistant", "robust"])
def test_a_hash_never_depends_on_the_other_algorithms_asked_for(textured_jpeg, algorithm, others):
    """Each algorithm is hashed from the decode its own settings ask for (ahash at 1/2 and
    crop_resistant at 1/8 of this JPEG in reduced mode, robust at its draft side in both): a
    lake hashed with all eight and a query hashed with one give the same file the same hash."""
    data = textured_jpeg
    for options in (REDUCED, DecodeOptions()):
        alone = core.compute_hashes(data, [algorithm], decode_options=options)
        asked = tuple(dict.fromkeys((*others, algorithm)))
        together = core.compute_hashes(data, asked, decode_options=options)
        assert (together.width, together.height) == (2400, 600)
        if algorithm == "crop_resistant":
            assert together.segments == alone.segments
        else:
            assert str(together.hashes[algorithm]) == str(alone.hashes[algorithm])


def test_reduced_hashes_describe_the_file_and_stay_close_to_exact():
    data = encode(smooth_rgb(1600, 1200, seed=4), "JPEG", quality=90)
    exact = core.compute_hashes(data, EIGHT)
    reduced = core.compute_hashes(data, EIGHT, decode_options=REDUCED)
    assert (reduced.width, reduced.height, reduced.mode) == (1600, 1200, "RGB")  # the file's size
    for algorithm in ("ahash", "phash", "dhash", "whash", "colorhash"):
        assert exact.hashes[algorithm] - reduced.hashes[algorithm] <= 8, algorithm
    # segment boxes are in the file's pixels, like exact mode's
    assert reduced.segments
    for s in reduced.segments:
        left, top, right, bottom = s.box
        assert 0 <= left < right <= 1600 and 0 <= top < bottom <= 1200


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF", "TIFF", "BMP"])
def test_reduced_equals_exact_where_no_cheaper_decode_exists(fmt):
    image = smooth_rgb(1200, 900, seed=5)
    options = {"lossless": True} if fmt == "WEBP" else {}
    data = encode(image if fmt != "GIF" else image.convert("P"), fmt, **options)
    assert _all_hex(core.compute_hashes(data, EIGHT, decode_options=REDUCED)) == _all_hex(
        core.compute_hashes(data, EIGHT)
    )


def test_reduced_equals_exact_for_a_jpeg_too_small_to_reduce():
    data = encode(smooth_rgb(120, 100, seed=6), "JPEG", quality=90)  # phash needs 64 x 64: no 1/2
    assert _all_hex(core.compute_hashes(data, EIGHT, decode_options=REDUCED)) == _all_hex(
        core.compute_hashes(data, EIGHT)
    )


def test_reduced_with_exif_orientation_reports_the_rotated_file_size():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    data = encode(smooth_rgb(1600, 1200, seed=7), "JPEG", exif=exif.tobytes(), quality=90)
    options = DecodeOptions(apply_exif_orientation=True, decode="reduced")
    result = core.compute_hashes(data, ["phash", "crop_resistant"], decode_options=options)
    assert (result.width, result.height) == (1200, 1600)
    for s in result.segments:
        assert s.box[2] <= 1200 and s.box[3] <= 1600
