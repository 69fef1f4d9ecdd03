"""The PNG fast path of `decode_image`: Pillow's pixels, inflated and unfiltered faster.

Pillow decodes a PNG with zlib's inflate and a per-byte C loop that unfilters each row and
then unpacks it into its pixel words; on a 1600 x 1920 RGB photo that is ~28 ms of CPU, most of
every exact hash's cost. PNG is lossless, so any correct decoder gives the same pixels by
definition: this one inflates with ISA-L (`isal.isal_zlib`, ~2x zlib's speed; the stdlib zlib
when python-isal is not installed) and unfilters with the compiled kernels of
`sparkhash.core.png_kernels`, straight into Pillow's layout. The result is the `PngImageFile`
that `Image.open` made, loaded: same mode, size, `info`, palette, EXIF.

`Image.open` still parses the header and every chunk before the image data (so `info`, the
pixel-limit check and the typed errors of a bad header are unchanged). The fast path then
takes only the plain case, and ANY anomaly leaves the image untouched for Pillow's own
`load()`, whose result or error (a truncated file, a broken stream, a bad filter byte) is
then exactly as before:

- handled: 8-bit, non-interlaced, one frame, colour type 0 ('L'), 2 ('RGB'), 6 ('RGBA'), 4
  ('LA') or 3 ('P', without tRNS);
- falls back: other bit depths (1/2/4/16), interlaced (Adam7), animated PNG (acTL/fcTL/fdAT),
  image data inflating to more than `MAX_INFLATED_BYTES` (memory),
  a palette with transparency, any chunk between the image data and IEND (Pillow reads
  those on load, e.g. text or EXIF after the pixels), a chunk running past the end of the
  data, an inflate error (truncated or corrupt stream, bad checksum), a stream that inflates
  to more or fewer bytes than the rows need, a filter-type byte above 4.

Pillow does not check the CRCs of IDAT chunks on load (only of the chunks `Image.open`
parses), and neither does this path: the pixels are the same either way.
"""

from __future__ import annotations

import struct

import numpy
from PIL import Image, ImageFile, PngImagePlugin

from sparkhash.core.decode import core_image

try:  # python-isal: ISA-L's inflate, ~2x the stdlib's on photos (manylinux wheels)
    from isal import isal_zlib as _inflater

    INFLATER = "isal"
except ImportError:  # pragma: no cover - depends on the installation
    import zlib as _inflater

    INFLATER = "zlib"

#: The largest inflated image data (rows and their filter bytes) the fast path takes: it holds
#: that buffer and the image together, Pillow's decoder only the image, so a larger PNG goes
#: to Pillow and a task's peak memory grows by at most this (64 MiB: a 21 MP RGB or 64 MP 'L'
#: photo still takes the fast path).
MAX_INFLATED_BYTES = 64 << 20

#: mode -> (bytes a pixel in the file, bytes a pixel in Pillow's memory); 8-bit rawmodes only
_LAYOUTS = {"L": (1, 1), "P": (1, 1), "LA": (2, 4), "RGB": (3, 4), "RGBA": (4, 4)}
_CHUNK = struct.Struct(">I4s")


def fast_load(image: Image.Image, data: bytes) -> bool:
    """Load the pixels of `image` (an unloaded `Image.open` of `data`) by the fast path.

    Returns True when `image` is loaded (pixels identical to Pillow's `load()`), False when
    the file is not one the fast path handles: `image` is then untouched, for Pillow's
    `load()`. Raises only what the compiled kernels' first load may raise (never for a file's
    content).
    """
    layout = _LAYOUTS.get(image.mode)
    if layout is None or not _plain(image):
        return False
    width, height = image.size
    file_bpp, memory_bpp = layout
    expected = height * (1 + width * file_bpp)
    if expected > MAX_INFLATED_BYTES:
        return False
    stream = _idat_stream(data, image.tile[0][2])
    if stream is None:
        return False
    try:
        rows = _inflater.decompress(stream, 15, expected)
    except (_inflater.error, ValueError, MemoryError):
        return False
    if len(rows) != expected:
        return False
    raw = numpy.frombuffer(rows, numpy.uint8).reshape(height, 1 + width * file_bpp)
    out = numpy.empty((height, width * memory_bpp), numpy.uint8)
    zero = numpy.zeros(width * memory_bpp, numpy.uint8)
    from sparkhash.core import png_kernels  # numba, loaded on the first PNG

    kernels = (png_kernels.unfilter_1, png_kernels.unfilter_2, png_kernels.unfilter_3, png_kernels.unfilter_4)
    kernel = kernels[file_bpp - 1]
    if kernel(raw, out, zero) != 0:
        return False
    core = core_image(image.mode, image.size, out)  # sparkhash.core.decode: WebP uses it too
    if core is None:
        return False
    # What ImageFile.load() and PngImageFile.load_end() leave behind, without reading anything
    # more (the file ends with IEND right after the image data, so load_end has nothing to read)
    image.im = core
    image.readonly = 1  # the pixels live in `out`: a write first copies them (Pillow's rule)
    image.tile = []
    assert image.png is not None
    image._text = image.png.im_text  # noqa: SLF001 - as load_end sets it
    image.png.close()
    image.png = None
    image.fp = None
    image.load()  # Pillow's own Image.load: the palette of a 'P' image goes into the core here
    return True


def _plain(image: Image.Image) -> bool:
    """An 8-bit, non-interlaced, single-frame PNG in one 'zip' tile over the whole image,
    as `Image.open` left it."""
    if not isinstance(image, PngImagePlugin.PngImageFile) or image.png is None:
        return False
    if image.png.im_n_frames is not None or image.info.get("interlace"):
        return False  # APNG, Adam7
    if image.mode == "P" and "transparency" in image.info:
        return False
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        return False  # Pillow's lenient mode: its own rules for broken files
    if len(image.tile) != 1:  # an image already loaded has none
        return False
    codec, extents, _offset, rawmode = image.tile[0]  # Pillow >= 11 names them; 10 has a tuple
    return codec == "zip" and tuple(extents) == (0, 0, *image.size) and rawmode == image.mode


def _idat_stream(data: bytes, offset: int) -> bytes | memoryview | None:
    """The zlib stream of the IDAT chunks starting at `offset` (the first one's data), when
    they are consecutive, complete (data and CRC within `data`) and followed by IEND; else
    None."""
    view = memoryview(data)
    position = offset - 8
    parts = []
    while True:
        if position < 0 or position + 8 > len(data):
            return None
        length, kind = _CHUNK.unpack_from(data, position)
        end = position + 8 + length
        if kind == b"IEND":
            break
        if kind != b"IDAT" or end + 4 > len(data):
            return None
        parts.append(view[position + 8 : end])
        position = end + 4
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else b"".join(parts)
