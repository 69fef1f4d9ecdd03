"""decode_image's faster paths to Pillow's pixels: PNG (sparkhash.core.png) for every colour type
it handles and every PNG filter type, Pillow's own result or error for everything else; still
WebP without Pillow's copy; RGB JPEGs decoded straight into 4-byte pixels."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pyarrow
import pytest
from images import encode, smooth_rgb
from PIL import Image

import sparkhash.core as core
from sparkhash.core import decode, png
from sparkhash.core.decode import DecodeOptions

_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> bytes a pixel (8-bit)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _paeth(a, b, c):
    pa, pb, pc = np.abs(b - c), np.abs(a - c), np.abs(a + b - 2 * c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def _filtered(pixels: np.ndarray, bpp: int, filters: list[int]) -> bytes:
    """The PNG image data (before zlib) of `pixels` (rows of bytes), row y filtered by filters[y]."""
    out = bytearray()
    prev = np.zeros(pixels.shape[1], np.int64)
    for row, kind in zip(pixels.astype(np.int64), filters, strict=True):
        a = np.concatenate([np.zeros(bpp, np.int64), row[:-bpp]])
        c = np.concatenate([np.zeros(bpp, np.int64), prev[:-bpp]])
        prediction = [0 * row, a, prev, (a + prev) // 2, _paeth(a, prev, c)][kind]
        out += bytes([kind]) + ((row - prediction) % 256).astype(np.uint8).tobytes()
        prev = row
    return bytes(out)


def make_png(
    colour_type: int,
    width: int,
    height: int,
    filters: int | str = "mixed",
    seed: int = 0,
    chunks_before: bytes = b"",
    chunks_after: bytes = b"",
    image_data: bytes | None = None,
    idat_parts: int = 3,
    bit_depth: int = 8,
    interlace: int = 0,
) -> bytes:
    """An 8-bit PNG of random pixels written by hand, every row with filter type `filters` (or
    a random one per row: "mixed"); the compressed data split over `idat_parts` IDAT chunks."""
    rng = np.random.default_rng(seed)
    bpp = _CHANNELS[colour_type]
    pixels = rng.integers(0, 256, (height, width * bpp), dtype=np.uint8)
    kinds = list(rng.integers(0, 5, height)) if filters == "mixed" else [filters] * height
    data = zlib.compress(_filtered(pixels, bpp, kinds)) if image_data is None else image_data
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, interlace)
    if colour_type == 3:
        chunks_before = _chunk(b"PLTE", rng.integers(0, 256, 768, dtype=np.uint8).tobytes()) + chunks_before
    step = max(1, -(-len(data) // idat_parts))
    idats = b"".join(_chunk(b"IDAT", data[i : i + step]) for i in range(0, len(data), step))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + chunks_before
        + idats
        + chunks_after
        + _chunk(b"IEND", b"")
    )


def _pillow(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _assert_same_image(image: Image.Image, expected: Image.Image) -> None:
    assert (image.mode, image.size, image.format) == (expected.mode, expected.size, expected.format)
    assert image.info == expected.info
    assert image.tobytes() == expected.tobytes()
    np.testing.assert_array_equal(np.asarray(image), np.asarray(expected))
    if image.mode in ("LA", "RGB", "RGBA"):  # Pillow's 4-byte pixels, pad bytes included
        memory = [bytes(pyarrow.array(i).buffers()[-1]) for i in (image, expected)]
        assert memory[0] == memory[1]
    if image.mode == "P":
        assert image.getpalette() == expected.getpalette()
        np.testing.assert_array_equal(np.asarray(image.convert("RGB")), np.asarray(expected.convert("RGB")))


@pytest.mark.parametrize("filters", [0, 1, 2, 3, 4, "mixed"])
@pytest.mark.parametrize("colour_type", [0, 2, 3, 4, 6])
def test_fast_path_gives_pillows_pixels_for_every_filter_type(colour_type, filters):
    for width, height, seed in ((1, 1, 0), (13, 7, 1), (6, 11, 2)):
        data = make_png(colour_type, width, height, filters, seed=seed)
        opened = Image.open(io.BytesIO(data))
        assert png.fast_load(opened, data)  # the fast path decoded it (not Pillow)
        _assert_same_image(opened, _pillow(data))
        _assert_same_image(core.decode_image(data), _pillow(data))


def test_fast_path_keeps_info_and_transparency_and_hashes_as_before(monkeypatch):
    srgb = _chunk(b"sRGB", b"\0") + _chunk(b"tRNS", struct.pack(">HHH", 1, 2, 3))
    data = make_png(2, 40, 30, "mixed", chunks_before=srgb)
    image = core.decode_image(data)
    assert image.readonly and image.info["transparency"] == (1, 2, 3)  # decoded by the fast path
    _assert_same_image(image, _pillow(data))
    fast = core.compute_hashes(data)
    monkeypatch.setattr(decode, "FAST_PNG", False)
    assert core.compute_hashes(data) == fast


def _corrupt_cases() -> dict[str, bytes]:
    good = make_png(2, 20, 9, "mixed")
    stream = zlib.compress((b"\x04" + bytes(60)) * 4 + (b"\x05" + bytes(60)) * 5)  # type 5: none
    rows = _filtered(np.full((9, 60), 7, np.uint8), 3, [4] * 9)
    first_idat = good.index(b"IDAT") - 4
    return {
        "truncated in the data": good[: len(good) * 2 // 3],
        "truncated before IEND": good[: good.index(b"IEND") - 4],
        "corrupt stream": good[: first_idat + 12] + bytes(16) + good[first_idat + 28 :],
        "filter type 5": make_png(2, 20, 9, image_data=stream),
        "too few rows": make_png(2, 20, 9, image_data=zlib.compress(rows[: len(rows) // 2])),
        "extra rows": make_png(2, 20, 9, image_data=zlib.compress(rows + rows[:61])),
        "stream cut short": make_png(2, 20, 9, image_data=zlib.compress(rows)[:-9]),
        "bad adler32": make_png(2, 20, 9, image_data=zlib.compress(rows)[:-1] + b"\0"),
        "text after the pixels": make_png(0, 20, 9, chunks_after=_chunk(b"tEXt", b"k\0value")),
        "palette with alpha": make_png(3, 20, 9, chunks_before=_chunk(b"tRNS", bytes(range(7)))),
        "16-bit": make_png(
            2,
            10,
            9,
            image_data=zlib.compress(_filtered(np.ones((9, 60), np.uint8), 6, [1] * 9)),
            bit_depth=16,
        ),
        "interlaced": make_png(2, 1, 1, "mixed", interlace=1),  # 1 x 1: Adam7 data as plain
    }


def test_stdlib_zlib_inflates_the_same_when_isal_is_missing(monkeypatch):
    monkeypatch.setattr(png, "_inflater", zlib)
    data = make_png(2, 13, 7, "mixed")
    opened = Image.open(io.BytesIO(data))
    assert png.fast_load(opened, data)
    _assert_same_image(opened, _pillow(data))
    corrupt = _corrupt_cases()["bad adler32"]
    assert not png.fast_load(Image.open(io.BytesIO(corrupt)), corrupt)


def test_a_png_above_the_memory_bound_goes_to_pillow(monkeypatch):
    data = make_png(2, 20, 9, "mixed")
    monkeypatch.setattr(png, "MAX_INFLATED_BYTES", 9 * 61 - 1)  # one byte less than its rows
    assert not png.fast_load(Image.open(io.BytesIO(data)), data)
    decoded = core.decode_image(data)
    assert not decoded.readonly  # Pillow's own decoder
    _assert_same_image(decoded, _pillow(data))
    monkeypatch.setattr(png, "MAX_INFLATED_BYTES", 9 * 61)
    assert png.fast_load(Image.open(io.BytesIO(data)), data)


@pytest.mark.parametrize("case", sorted(_corrupt_cases()))
def test_anything_else_is_pillows_result_or_pillows_typed_error(case, monkeypatch):
    data = _corrupt_cases()[case]
    assert not png.fast_load(Image.open(io.BytesIO(data)), data)  # left to Pillow
    outcomes = []
    for fast in (True, False):
        monkeypatch.setattr(decode, "FAST_PNG", fast)
        try:
            image = core.decode_image(data)
            outcomes.append(("image", image.mode, image.size, image.info, image.tobytes()))
        except core.ImageDecodeError as exc:
            outcomes.append((type(exc), str(exc)))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("mode, options", [("RGB", {"quality": 80}), ("RGBA", {"lossless": True})])
def test_still_webp_gives_pillows_pixels(mode, options):
    image = smooth_rgb(37, 23).convert(mode)
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize((37, 23)))
    data = encode(image, "WEBP", **options)
    decoded = core.decode_image(data)
    assert decoded.readonly  # libwebp's bytes handed over without Pillow's copy
    _assert_same_image(decoded, _pillow(data))


@pytest.mark.parametrize("mode", ["RGB", "L", "CMYK"])
def test_jpeg_gives_pillows_pixels_at_full_and_reduced_scale(mode):
    data = encode(smooth_rgb(203, 130).convert(mode), "JPEG")
    _assert_same_image(core.decode_image(data), _pillow(data))
    reduced = core.decode_image(data, DecodeOptions(decode="reduced"), scale_to=lambda size: (50, 32))
    expected = Image.open(io.BytesIO(data))
    expected.draft(expected.mode, (50, 32))
    expected.load()
    assert reduced.size == expected.size == (51, 33)
    assert reduced.tobytes() == expected.tobytes()
