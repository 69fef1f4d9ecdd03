"""colorhash's pixel categories: lookup tables from (saturation, hue) and from 24-bit RGB.

`colorhash_counts_of` counts the 15 categories of an image (black, gray, 6 faint and 6
bright hue bins, and the S == 170 quirk); `sparkhash.core.hashes.colorhash_bits` turns the
counts into imagehash's bits.
"""

from __future__ import annotations

import numpy
from PIL import Image

from sparkhash.core import colour_kernels

# Hue bins of numpy.histogram(h, bins=linspace(0, 255, 7)) for integer hue 0..255: half-open
# bins, the last one closed -> 0-42, 43-84, 85-127, 128-169, 170-212, 213-255.
_HUE_BIN = numpy.searchsorted(numpy.linspace(0, 255, 7), numpy.arange(256), side="right") - 1
_HUE_BIN[255] = 5


def _category_table() -> numpy.ndarray:
    """Category of a non-black pixel by (saturation << 8 | hue):
    1 gray (S < 85), 2..7 faint hue bins (85 <= S < 170), 8..13 bright hue bins (S > 170),
    14 coloured but in neither bin (S == 170 exactly, an imagehash quirk)."""
    s = numpy.arange(256).repeat(256)
    h = numpy.tile(numpy.arange(256), 256)
    table = numpy.full(65536, 14, dtype=numpy.uint8)
    table[s < 85] = 1
    faint = (s >= 85) & (s < 170)
    table[faint] = 2 + _HUE_BIN[h[faint]]
    bright = s > 170
    table[bright] = 8 + _HUE_BIN[h[bright]]
    return table


_CATEGORY = _category_table()


def colorhash_counts(grey: Image.Image, hsv: Image.Image) -> numpy.ndarray:
    """Pixel counts of the 15 colorhash categories (0 black, then as in `_category_table`)."""
    category = _CATEGORY[_hsv_key(numpy.asarray(hsv))]
    category[numpy.asarray(grey) < 32] = 0  # black: intensity < 256 // 8
    return _category_counts(category)


def _category_counts(category: numpy.ndarray) -> numpy.ndarray:
    """Counts of the 15 uint8 categories. numpy.bincount first widens its input to int64, so
    pairs of bytes are counted as one uint16 value (half as many, no widening of bytes) and
    the 16 x 16 pair counts are folded back."""
    flat = numpy.ascontiguousarray(category).ravel()
    counts = numpy.zeros(16, dtype=numpy.int64)
    if flat.size % 2:
        counts[flat[-1]] += 1
        flat = flat[:-1]
    pairs = numpy.bincount(flat.view(numpy.uint16), minlength=1 << 12)[: 1 << 12].reshape(16, 256)[:, :16]
    counts += pairs.sum(axis=0) + pairs.sum(axis=1)
    return counts[:15]


#: Images at least this large (pixels) in mode RGB/RGBA/RGBX use the 24-bit colour table (and
#: every RGB/RGBA/RGBX image once the table has been built).
RGB_TABLE_MIN_PIXELS = 1 << 20
_rgb_table: numpy.ndarray | None = None


def rgb_category_table() -> numpy.ndarray:
    """Colorhash category of every 24-bit colour, indexed by R | G << 8 | B << 16 (16 MiB).

    Built once per process by letting Pillow convert all 2**24 colours to 'L' and 'HSV', so it
    is exact by construction (the same conversions imagehash applies per pixel); it replaces
    the full-resolution HSV conversion, the most expensive step of colorhash.
    """
    global _rgb_table
    if _rgb_table is None:
        codes = numpy.arange(1 << 24, dtype="<u4").view(numpy.uint8).reshape(4096, 4096, 4)
        colours = Image.fromarray(numpy.ascontiguousarray(codes[..., :3]), "RGB")
        table = _CATEGORY[_hsv_key(numpy.asarray(colours.convert("HSV")))]
        table[numpy.asarray(colours.convert("L")) < 32] = 0
        _rgb_table = table.ravel()
    return _rgb_table


def _hsv_key(hsv_pixels: numpy.ndarray) -> numpy.ndarray:
    return (hsv_pixels[..., 1].astype(numpy.uint16) << 8) | hsv_pixels[..., 0]


def _rgb_words(image: Image.Image, zero_copy: bool = True) -> numpy.ndarray:
    """One little-endian uint32 per pixel, R | G << 8 | B << 16 | (4th byte) << 24, of an RGB,
    RGBA or RGBX image.

    Pillow stores these modes as 4 bytes per pixel; its Arrow export (Pillow >= 11.2, with
    pyarrow) hands that memory over without a copy. Otherwise, or for images Pillow keeps in
    several memory blocks, fall back to `tobytes` (packed 3 bytes per pixel for RGB).
    """
    width, height = image.size
    if zero_copy:
        try:
            import pyarrow

            array = pyarrow.array(image)
            words = numpy.frombuffer(array.buffers()[-1], dtype="<u4")
            if words.size == width * height:
                return words
        except Exception:  # noqa: BLE001 - any failure of the zero-copy path: take the copy path
            pass
    stride = 3 if image.mode == "RGB" else 4
    raw = image.tobytes() + b"\0"  # one spare byte: the last pixel's 4-byte read stays in bounds
    # Unaligned little-endian uint32 reads at each pixel start
    return numpy.ndarray((width * height,), dtype="<u4", buffer=raw, strides=(stride,))


#: Modes whose 'L' conversion is Pillow's `rgb2l` of the first three bytes of each 4-byte pixel.
GREY_KERNEL_MODES = ("RGB", "RGBA", "RGBX")
_grey_agrees: bool | None = None


def grey_kernel_agrees() -> bool:
    """Whether `colour_kernels.rgb_to_l` gives the installed Pillow's 'L' bytes: checked once
    per process on 65,536 random colours and the extremes in each of `GREY_KERNEL_MODES`
    (~1 ms); a Pillow whose conversion differs (Pillow < 7 truncated instead of rounding)
    keeps its own conversion, so a change costs speed, never bits."""
    global _grey_agrees
    if _grey_agrees is None:
        rng = numpy.random.default_rng(20261205)
        pixels = rng.integers(0, 256, (256, 256, 4), dtype=numpy.uint8)
        pixels[0, :8, :3] = [
            [0, 0, 0],
            [255, 255, 255],
            [255, 0, 0],
            [0, 255, 0],
            [0, 0, 255],
            [1, 1, 1],
            [254, 254, 254],
            [128, 128, 128],
        ]
        agrees = True
        for mode in GREY_KERNEL_MODES:
            image = Image.fromarray(
                numpy.ascontiguousarray(pixels[..., : len(mode) if mode != "RGBX" else 4]),
                mode if mode != "RGBX" else "RGBA",
            )
            if mode == "RGBX":
                image = image.convert("RGBX")
            agrees = agrees and numpy.array_equal(_kernel_grey(image), numpy.asarray(image.convert("L")))
        _grey_agrees = agrees
    return _grey_agrees


def _kernel_grey(image: Image.Image) -> numpy.ndarray:
    words = _rgb_words(image)
    out = numpy.empty(words.shape[0], numpy.uint8)
    colour_kernels.rgb_to_l(words, out)
    return out.reshape(image.size[1], image.size[0])


def grey_of(image: Image.Image) -> Image.Image:
    """`image.convert('L')`, byte for byte: RGB, RGBA and RGBX images by the compiled kernel on
    Pillow's pixel words (read without a copy), the result handed to Pillow without a copy
    (`Image.frombuffer`, read-only); every other mode by Pillow."""
    if image.mode == "L":
        return image
    if image.mode in GREY_KERNEL_MODES and image.size[0] * image.size[1] > 0 and grey_kernel_agrees():
        return Image.frombuffer("L", image.size, _kernel_grey(image), "raw", "L", 0, 1)
    return image.convert("L")


def grey_and_transposed(image: Image.Image) -> tuple[Image.Image, numpy.ndarray | None]:
    """`grey_of(image)` and, when the kernel made it, its pixels transposed (uint8, width x
    height, as `resample.transpose` gives them) from the same pass over the colour pixels
    (`colour_kernels.rgb_to_l_transposed`); None when Pillow converted (the caller transposes)."""
    if image.mode in GREY_KERNEL_MODES and image.size[0] * image.size[1] > 0 and grey_kernel_agrees():
        width, height = image.size
        words = _rgb_words(image).reshape(height, width)
        grey = numpy.empty((height, width), numpy.uint8)
        transposed = numpy.empty((width, height), numpy.uint8)
        colour_kernels.rgb_to_l_transposed(words, grey, transposed)
        return Image.frombuffer("L", image.size, grey, "raw", "L", 0, 1), transposed
    return grey_of(image), None


def colorhash_counts_rgb(image: Image.Image) -> numpy.ndarray:
    """`colorhash_counts` for an RGB/RGBA/RGBX image via the 24-bit colour table (alpha and the
    pad byte are ignored, as Pillow's 'L' and 'HSV' conversions ignore them)."""
    return colour_kernels.category_counts(_rgb_words(image), rgb_category_table())[:15]


def colorhash_counts_of(image: Image.Image, grey: Image.Image | None = None) -> numpy.ndarray:
    """Category counts of `image`, by the colour table for large RGB(A) images, else via HSV."""
    if image.mode in ("RGB", "RGBA", "RGBX") and (
        _rgb_table is not None or image.size[0] * image.size[1] >= RGB_TABLE_MIN_PIXELS
    ):
        return colorhash_counts_rgb(image)
    if image.mode == "L":
        # Pillow's HSV of a greyscale pixel has saturation 0: every pixel is black or gray.
        counts = numpy.zeros(15, dtype=numpy.int64)
        counts[0] = numpy.count_nonzero(numpy.asarray(image) < 32)
        counts[1] = image.size[0] * image.size[1] - counts[0]
        return counts
    return colorhash_counts(grey if grey is not None else image.convert("L"), image.convert("HSV"))
