"""Bytes -> PIL image, with typed errors instead of Pillow's assorted exceptions.

The pixel limit is checked on the header (``Image.open`` is lazy) before any pixel memory is
allocated, which is what stops decompression bombs. EXIF orientation is off by default because
imagehash does not apply it, and hashes must match theirs.

Reduced decoding (`DecodeOptions(decode="reduced")`) is opt-in and NOT bit-exact with imagehash:
a JPEG is decoded at the smallest DCT scale (Pillow's `draft`: 1/2, 1/4 or 1/8) that still
gives every requested algorithm its working size (the registry's `reduced` sizes); other
formats have no cheaper decode in Pillow and are decoded in full, as in exact mode.

PNG files take a faster path to the same pixels in both modes (`sparkhash.core.png`: ISA-L's
inflate and compiled unfiltering; PNG is lossless, so a correct decoder gives Pillow's pixels
by definition), with Pillow's own `load()` for every file that path does not handle, so that
errors and edge cases stay Pillow's. RGB JPEGs are decoded by libjpeg straight into Pillow's
4-byte pixels (rawmode RGBX: the same pixels, one copy less), and a still WebP's decoded bytes
become the image without Pillow's copy of them (`_webp_load`).
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError, features

from sparkhash.errors import (  # defined with every other exception (sparkhash.errors)
    EmptyImageError,
    ImageTooLargeError,
    NotAnImageError,
    TruncatedImageError,
)

#: Default pixel limit: 100 MP covers every camera and scanner image we expect; a 40 000 x
#: 40 000 bomb (1.6 GP, 1.6 GB as 'L') is refused before decoding.
DEFAULT_MAX_PIXELS = 100_000_000

#: `DecodeOptions.decode` values: "exact" decodes every pixel (imagehash's bits, the default);
#: "reduced" decodes JPEGs at a reduced DCT scale (other bits, a fraction of the cost).
DECODE_MODES = ("exact", "reduced")
#: How reduced decoding picks a JPEG's DCT scale, part of every reduced hash's spec (params
#: `"reduced_rule":3`) so that hashes made by different rules are never compared: 1 (until
#: 2026-12-05, no key in params) the largest scale any requested algorithm needed, so a hash
#: depended on the others asked for; 2 (2026-12-05 afternoon) each algorithm's own
#: (`core.multi.decode_size`); 3 each algorithm's own, never below 256 pixels on either side
#: (`registry.REDUCED_MIN_SIDE`: rule 2 decoded a 1,600 px photo's thumbnails at 1/8 and
#: drifted from exact mode twice as often).
REDUCED_RULE = 3
#: Whether `decode_image` takes the PNG fast path (`sparkhash.core.png`) where it applies; the
#: pixels are the same either way (off: Pillow's own decoder, for comparisons).
FAST_PNG = True


@dataclass(frozen=True)
class DecodeOptions:
    """How bytes are decoded.

    max_pixels: refuse images with more pixels than this (None: no limit).
    apply_exif_orientation: rotate/flip by the EXIF orientation tag first (breaks parity with
        imagehash, which hashes the stored pixel order).
    decode: "exact" (every pixel: imagehash's bits) or "reduced" (JPEGs decoded at the
        smallest DCT scale that keeps each requested algorithm's working size: a fraction of
        the cost, NOT imagehash's bits; other formats as in exact mode).

    A field that changes the decoded pixels (hence the bits) is declared with
    `metadata={"spec": <name>}`: it then enters every algorithm's hash spec under that name
    (`sparkhash.core.spec`), is written into the `params` of every row when not at its default,
    and hashes made with other values are never compared or mixed in one OUTPUT. Its default
    must never change (a row that does not mention it is read as made with the default).
    """

    max_pixels: int | None = DEFAULT_MAX_PIXELS
    apply_exif_orientation: bool = field(default=False, metadata={"spec": "exif_orientation"})
    decode: str = field(default="exact", metadata={"spec": "decode"})

    def __post_init__(self) -> None:
        if self.decode not in DECODE_MODES:
            raise ValueError(f"decode must be one of {', '.join(DECODE_MODES)}, not {self.decode!r}")

    @property
    def reduced(self) -> bool:
        return self.decode == "reduced"


def decode_image(
    data: bytes | bytearray | memoryview,
    options: DecodeOptions = DecodeOptions(),
    scale_to: Callable[[tuple[int, int]], tuple[int, int] | None] | None = None,
) -> Image.Image:
    """Decode encoded image bytes into a fully loaded PIL image (first frame of animations).

    scale_to: for a JPEG of the file's size (width, height), the smallest (width, height) it
    may be decoded at (None: every pixel); it is decoded at the smallest DCT scale (Pillow's
    `draft`: 1/2, 1/4 or 1/8, `draft_scale`) giving at least that on both sides. Not bit-exact
    with a full decode: `compute_hashes` asks for it only in reduced mode and for robust.

    A JPEG decoded reduced has `info["original_size"]`, the size of the file's image (after
    EXIF orientation when applied), for the hashes table.

    Raises a subclass of ImageDecodeError: EmptyImageError, NotAnImageError,
    TruncatedImageError or ImageTooLargeError, each with a one-line message.
    """
    if data is None or len(data) == 0:
        raise EmptyImageError("empty file (0 bytes)")
    data = bytes(data)
    buffer = io.BytesIO(data)
    try:
        with warnings.catch_warnings():
            # Pillow warns (DecompressionBombWarning) above its own global limit; ours is
            # applied below, on the header, so its warning is noise here.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = _open(buffer, options.max_pixels)
    except UnidentifiedImageError:
        raise NotAnImageError("not a recognised image format") from None
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"image refused as a decompression bomb: {exc}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise NotAnImageError(f"cannot read image header: {exc}") from None

    width, height = image.size
    if options.max_pixels is not None and width * height > options.max_pixels:
        raise ImageTooLargeError(
            f"image is {width}x{height} = {width * height} pixels, over the limit of {options.max_pixels}"
        )
    if image.format == "JPEG":
        draft_jpeg(image, scale_to((width, height)) if scale_to is not None else None)
    drafted = image.size != (width, height)
    try:
        if FAST_PNG and image.format == "PNG" and _png().fast_load(image, data):
            pass
        elif not (image.format == "WEBP" and _webp_load(image)):
            image.load()
    except OSError as exc:
        text = str(exc)
        if "truncated" in text or "broken data stream" in text or "image file is" in text:
            raise TruncatedImageError(f"truncated image data: {text}") from None
        raise TruncatedImageError(f"cannot decode image data: {text}") from None
    except (SyntaxError, ValueError, EOFError, IndexError, MemoryError) as exc:
        raise NotAnImageError(f"cannot decode image data: {type(exc).__name__}: {exc}") from None
    if options.apply_exif_orientation:
        decoded = image.size
        image = ImageOps.exif_transpose(image)
        if image.size != decoded:  # rotated by a quarter turn
            width, height = height, width
    if drafted:
        image.info["original_size"] = (width, height)  # the file's size, for the hashes table
    return image


def draft_jpeg(image: Image.Image, wanted: tuple[int, int] | None) -> None:
    """Prepare an opened (not yet loaded) JPEG's decode: at the smallest DCT scale giving at
    least `wanted` (None: every pixel; `draft_scale`), in the file's own mode (RGB stays RGB,
    L stays L: only the scale changes), libjpeg writing Pillow's 4-byte pixels (`_jpeg_rgbx`).
    The one JPEG path of `decode_image` and of `robust.load_planes`: their pixels must not drift."""
    if draft_scale(image.size, wanted) > 1:
        image.draft(image.mode, (max(1, wanted[0]), max(1, wanted[1])))
    _jpeg_rgbx(image)


def _jpeg_rgbx(image: Image.Image) -> None:
    """Let libjpeg write an RGB JPEG straight into Pillow's 4-byte RGB pixels (rawmode RGBX
    instead of RGB, which Pillow decodes to 3 bytes a pixel and then unpacks): the same
    pixels, the 4th byte 255 either way. Only for one plain ('RGB', '') tile; any other tile
    (CMYK, YCCK, grey, a drafted scale's own rawmode) is left as Pillow made it."""
    if image.mode == "RGB" and len(image.tile) == 1 and _libjpeg_turbo():
        codec, extents, offset, args = image.tile[0]
        if codec == "jpeg" and tuple(args) == ("RGB", ""):
            tile = (codec, extents, offset, ("RGBX", ""))  # Pillow 10's tiles are plain tuples
            image.tile = [ImageFile._Tile(*tile) if hasattr(ImageFile, "_Tile") else tile]


def _png():
    """sparkhash.core.png (ISA-L, Pillow's PNG plugin), imported on the first PNG."""
    from sparkhash.core import png

    return png


def _webp_load(image: Image.Image) -> bool:
    """Load a still WebP as Pillow's `WebPImageFile.load` does (libwebp decodes the frame to
    RGBX or RGBA bytes, Pillow's own pixel layout), but hand those bytes to Pillow without its
    'raw' decoder's row-by-row copy (~2 ms of ~21 on a 1600 x 1600 photo): the same pixels.
    False (nothing done) for an animated file or a Pillow whose WebP plugin is not the one
    this mirrors; an error of libwebp is raised as Pillow's load raises it."""
    loaded = "_WebPImageFile__loaded"  # Pillow's private "frame decoded" marker: -1 before load
    if getattr(image, "n_frames", 1) != 1 or getattr(image, loaded, None) != -1:
        return False
    if getattr(image, "rawmode", None) not in ("RGBX", "RGBA") or not hasattr(image, "_get_next"):
        return False
    if not hasattr(Image, "fromarrow") or image.tell() != 0:
        return False
    pixels, image.info["timestamp"], image.info["duration"] = image._get_next()
    image.im = core_image(image.mode, image.size, numpy.frombuffer(pixels, numpy.uint8))
    setattr(image, loaded, 0)
    image.readonly = 1
    image.tile = []
    image.fp = None
    image.load()  # Pillow's own: the frame is marked loaded, nothing is decoded again
    return True


def core_image(mode: str, size: tuple[int, int], pixels: numpy.ndarray):
    """A Pillow core image of `mode` over `pixels` (bytes in Pillow's layout: 1 a pixel for
    'L' and 'P', 4 for 'LA', 'RGB' and 'RGBA'), read-only, without copying them: a mapped
    buffer for 'L', 'P' and 'RGBA'; Pillow's Arrow import for 'RGB' and 'LA' (4 bytes a
    pixel, which `frombuffer` maps only as 'RGBX' and not at all). None when this Pillow
    cannot."""
    if mode in ("L", "P", "RGBA"):
        return Image.frombuffer(mode, size, pixels, "raw", mode, 0, 1).im
    if not hasattr(Image, "fromarrow"):  # Pillow < 11.2
        return None
    import pyarrow

    words = pyarrow.FixedSizeListArray.from_arrays(pyarrow.array(pixels.reshape(-1)), 4)
    return Image.fromarrow(words, mode, size).im


@functools.cache
def _libjpeg_turbo() -> bool:
    """Pillow's JPEG decoder is libjpeg-turbo's (Pillow's wheels): its RGBX output is the
    RGB output with a 4th byte of 255, the layout Pillow stores RGB in."""
    return bool(features.check_feature("libjpeg_turbo"))


def draft_scale(size: tuple[int, int], wanted: tuple[int, int] | None) -> int:
    """The DCT scale denominator (1, 2, 4 or 8) `decode_image` decodes a JPEG of `size` at when
    at least `wanted` is needed: Pillow's `draft` rule (the largest scale keeping `wanted` on
    both sides), applied only when `wanted` is at most half the image on both sides."""
    if wanted is None or not (wanted[0] <= size[0] // 2 and wanted[1] <= size[1] // 2):
        return 1
    room = min(size[0] // max(1, wanted[0]), size[1] // max(1, wanted[1]))
    return next(scale for scale in (8, 4, 2, 1) if room >= scale)


def _open(buffer: io.BytesIO, max_pixels: int | None) -> Image.Image:
    """Image.open, lazily (header only).

    Pillow itself refuses images above 2 x PIL.Image.MAX_IMAGE_PIXELS (about 179 MP by
    default). Our default limit is below that, so Pillow's check never decides. Only when the
    caller allows more (or no limit) is Pillow's process-global limit lifted for this call;
    that path is not thread-safe, which is fine for Spark's one-image-at-a-time Python workers.
    """
    pillow_limit = Image.MAX_IMAGE_PIXELS
    if pillow_limit is None or (max_pixels is not None and max_pixels < 2 * pillow_limit):
        return Image.open(buffer)
    try:
        Image.MAX_IMAGE_PIXELS = None
        return Image.open(buffer)
    finally:
        Image.MAX_IMAGE_PIXELS = pillow_limit
