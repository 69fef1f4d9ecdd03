"""The single-image hash functions of imagehash 4.3.2, bit for bit.

Every function converts to 'L' and resizes with LANCZOS exactly as imagehash does: Pillow's
bytes, computed by `sparkhash.core.resample` (byte-identical matrix products) where that is
faster and verified, by Pillow otherwise. The work after the resize is split into
`*_bits` kernels on uint8 arrays so `sparkhash.core.multi` can share one greyscale conversion
and one resize between algorithms.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy
import scipy.fftpack
from PIL import Image

from sparkhash.core import resample
from sparkhash.core.classes import ImageHash

try:
    ANTIALIAS = Image.Resampling.LANCZOS
except AttributeError:  # Pillow < 9.1
    ANTIALIAS = Image.ANTIALIAS  # type: ignore[attr-defined]

MeanFunc = Callable[[numpy.ndarray], float]
HashFunc = Callable[[Image.Image], ImageHash]



def check_hash_size(hash_size: int) -> None:
    """imagehash's check in average_hash, phash and dhash (phash_simple and dhash_vertical have none)."""
    if hash_size < 2:
        raise ValueError("Hash size must be greater than or equal to 2")


def grey_pixels(image: Image.Image, width: int, height: int) -> numpy.ndarray:
    """uint8 array (height, width): `image.convert('L').resize((width, height), LANCZOS)`."""
    grey = image if image.mode == "L" else image.convert("L")
    return resize_grey(grey, [(width, height)])[(width, height)]


def resize_grey(grey: Image.Image, sizes: list[tuple[int, int]]) -> dict[tuple[int, int], numpy.ndarray]:
    """LANCZOS thumbnails (width, height) -> uint8 (height, width) of an 'L' image, all from one
    pass over its pixels where they share work. Empty images and non-positive sizes go to
    Pillow, which raises its own errors for them."""
    if resample.products_for(*grey.size, sizes):
        return resample.resize_many(numpy.asarray(grey), sizes)
    return {(w, h): numpy.asarray(grey.resize((w, h), ANTIALIAS)) for w, h in sizes}


# ---------------------------------------------------------------------------- kernels on pixels
# Thresholds are strict `>` against numpy's float64 mean/median, as in imagehash.


def average_bits(pixels: numpy.ndarray, mean: MeanFunc = numpy.mean) -> numpy.ndarray:
    return pixels > mean(pixels)


def phash_bits(pixels: numpy.ndarray, hash_size: int) -> numpy.ndarray:
    # Unnormalised DCT-II along axis 0 then axis 1 via scipy.fftpack (pocketfft): bits close to
    # the median depend on the last ulp, so no other DCT implementation is used.
    dct = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=0), axis=1)
    low = dct[:hash_size, :hash_size]  # includes the DC term
    return low > numpy.median(low)


def phash_simple_bits(pixels: numpy.ndarray, hash_size: int) -> numpy.ndarray:
    # One DCT along x; the top `hash_size` image rows, frequency columns 1..hash_size (DC skipped).
    dct = scipy.fftpack.dct(pixels)
    low = dct[:hash_size, 1 : hash_size + 1]
    return low > low.mean()


def dhash_bits(pixels: numpy.ndarray) -> numpy.ndarray:
    """pixels (hs, hs+1): is the pixel to the right brighter."""
    return pixels[:, 1:] > pixels[:, :-1]


def dhash_vertical_bits(pixels: numpy.ndarray) -> numpy.ndarray:
    """pixels (hs+1, hs): is the pixel below brighter."""
    return pixels[1:, :] > pixels[:-1, :]


# ---------------------------------------------------------------------------- public functions


def average_hash(image: Image.Image, hash_size: int = 8, mean: MeanFunc = numpy.mean) -> ImageHash:
    """Average hash: resized grey pixels above their mean (or `mean=numpy.median`)."""
    check_hash_size(hash_size)
    return ImageHash(average_bits(grey_pixels(image, hash_size, hash_size), mean))


def phash(image: Image.Image, hash_size: int = 8, highfreq_factor: int = 4) -> ImageHash:
    """Perceptual hash: low 2-D DCT coefficients (DC included) above their median."""
    check_hash_size(hash_size)
    size = hash_size * highfreq_factor
    return ImageHash(phash_bits(grey_pixels(image, size, size), hash_size))


def phash_simple(image: Image.Image, hash_size: int = 8, highfreq_factor: int = 4) -> ImageHash:
    """Simple perceptual hash: row-wise DCT, top rows, above the mean (no hash_size check)."""
    size = hash_size * highfreq_factor
    return ImageHash(phash_simple_bits(grey_pixels(image, size, size), hash_size))


def dhash(image: Image.Image, hash_size: int = 8) -> ImageHash:
    """Difference hash, horizontal gradient."""
    check_hash_size(hash_size)
    return ImageHash(dhash_bits(grey_pixels(image, hash_size + 1, hash_size)))


def dhash_vertical(image: Image.Image, hash_size: int = 8) -> ImageHash:
    """Difference hash, vertical gradient (no hash_size check)."""
    return ImageHash(dhash_vertical_bits(grey_pixels(image, hash_size, hash_size + 1)))


def whash_scale(size: tuple[int, int], hash_size: int, image_scale: int | None) -> tuple[int, int, int]:
    """Validate whash parameters in imagehash's order; return (image_scale, ll_max_level, dwt_level).

    Errors are imagehash's: AssertionError with its messages, OverflowError for log2(0).
    """
    if image_scale is not None:
        if image_scale & (image_scale - 1) != 0:
            raise AssertionError("image_scale is not power of 2")
    else:
        with numpy.errstate(divide="ignore"):
            natural = 2 ** int(numpy.log2(min(size)))
        image_scale = max(natural, hash_size)
    with numpy.errstate(divide="ignore"):
        ll_max_level = int(numpy.log2(image_scale))
        level = int(numpy.log2(hash_size))
    if hash_size & (hash_size - 1) != 0:
        raise AssertionError("hash_size is not power of 2")
    if level > ll_max_level:
        raise AssertionError("hash_size in a wrong range")
    return image_scale, ll_max_level, ll_max_level - level


# Haar filters as pywt defines them (dec_lo = rec_lo = [h, h], dec_hi = [-h, h], rec_hi = [h, -h]).
_H = 0.7071067811865476


def _haar_dwt_axis(x: numpy.ndarray, axis: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """One Haar analysis step along `axis` of an even-length array, in pywt's exact float order.

    pywt's convolution computes out[k] = f[0]*x[2k+1] + f[1]*x[2k]: two rounded products and
    one rounded sum. With dec_hi = [-h, h], the detail is (-h*odd) + h*even, which IEEE
    arithmetic makes identical to h*even - h*odd, so both bands reuse the same two products.
    """
    even, odd = (x[0::2], x[1::2]) if axis == 0 else (x[:, 0::2], x[:, 1::2])
    h_odd = _H * odd
    h_even = _H * even
    low = h_odd + h_even
    numpy.subtract(h_even, h_odd, out=h_even)
    return low, h_even


def _haar_idwt_axis(a: numpy.ndarray, d: numpy.ndarray, axis: int) -> numpy.ndarray:
    """Inverse of `_haar_dwt_axis`: out[2k] = a*h + d*h, out[2k+1] = a*h + d*(-h) as pywt
    computes them; d*(-h) is -(d*h) exactly, so the odd samples are a*h - d*h."""
    shape = list(a.shape)
    shape[axis] *= 2
    out = numpy.empty(shape)
    even, odd = (out[0::2], out[1::2]) if axis == 0 else (out[:, 0::2], out[:, 1::2])
    h_a = _H * a
    h_d = _H * d
    numpy.add(h_a, h_d, out=even)
    numpy.subtract(h_a, h_d, out=odd)
    return out


def _remove_max_haar_ll(values: numpy.ndarray, levels: int) -> numpy.ndarray:
    """`waverec2` of `wavedec2(values, 'haar', levels)` with the coarsest LL zeroed.

    Same float operations in the same order as pywt (dwt2 along axis 0 then 1; idwt2 along
    axis 1 then 0), so the result is bit-identical, about 3x faster on 1024x1024. Requires a
    square power-of-two side, which whash's image_scale always is.
    """
    details = []
    approx = values
    for _ in range(levels):
        low, high = _haar_dwt_axis(approx, 0)
        approx, lh = _haar_dwt_axis(low, 1)
        hl, hh = _haar_dwt_axis(high, 1)
        details.append((lh, hl, hh))
    approx = approx * 0
    for lh, hl, hh in reversed(details):
        approx = _haar_idwt_axis(_haar_idwt_axis(approx, lh, 1), _haar_idwt_axis(hl, hh, 1), 0)
    return approx


def _haar_dwt2(x: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """One level of `_haar_dwt_axis` along axis 0 then 1, computed on the four polyphase
    quarters of `x` (even/odd rows x even/odd columns): the same products and sums, on
    contiguous quarter-size arrays instead of strided half-size ones. (LL, LH, HL, HH)."""
    a, b = _H * x[0::2, 0::2], _H * x[0::2, 1::2]  # even rows
    c, d = _H * x[1::2, 0::2], _H * x[1::2, 1::2]  # odd rows
    low_even, low_odd = c + a, d + b  # axis 0: h*odd + h*even ...
    numpy.subtract(a, c, out=a)  # ... and h*even - h*odd
    numpy.subtract(b, d, out=b)
    high_even, high_odd = a, b
    for band in (low_even, low_odd, high_even, high_odd):
        band *= _H
    return (
        low_odd + low_even,  # axis 1 of the low rows
        numpy.subtract(low_even, low_odd, out=low_even),
        high_odd + high_even,  # axis 1 of the high rows
        numpy.subtract(high_even, high_odd, out=high_even),
    )


def _haar_idwt2_ll(ll: numpy.ndarray, lh: numpy.ndarray, hl: numpy.ndarray, hh: numpy.ndarray) -> numpy.ndarray:
    """`_haar_ll(idwt2(ll, lh, hl, hh), 1)`: one reconstruction level (axis 1 then 0, as
    `_remove_max_haar_ll`) followed by one analysis level of the result's LL band, fused on
    quarter-size arrays; the full-size image in between is never built."""
    h_ll, h_lh, h_hl, h_hh = _H * ll, _H * lh, _H * hl, _H * hh
    low_even, low_odd = h_ll + h_lh, numpy.subtract(h_ll, h_lh, out=h_ll)  # axis 1: columns 2j, 2j+1
    high_even, high_odd = h_hl + h_hh, numpy.subtract(h_hl, h_hh, out=h_hl)
    for band in (low_even, low_odd, high_even, high_odd):
        band *= _H
    # axis 0: rows 2i = h*low + h*high, rows 2i+1 = h*low - h*high; then each is scaled by h
    # for the analysis step, whose rows give h*row(2i+1) + h*row(2i).
    r00, r01 = low_even + high_even, low_odd + high_odd
    r10 = numpy.subtract(low_even, high_even, out=low_even)
    r11 = numpy.subtract(low_odd, high_odd, out=low_odd)
    for band in (r00, r01, r10, r11):
        band *= _H
    col_even = numpy.add(r10, r00, out=r10)
    col_odd = numpy.add(r11, r01, out=r11)
    col_even *= _H
    col_odd *= _H
    return numpy.add(col_odd, col_even, out=col_odd)


def _whash_haar_low(values: numpy.ndarray, ll_max_level: int, dwt_level: int) -> numpy.ndarray:
    """`_haar_ll(_remove_max_haar_ll(values, ll_max_level), dwt_level)` for 1 <= dwt_level and
    1 <= ll_max_level: the first level's analysis and the last reconstruction + re-analysis
    run on quarter-size arrays; the coarser levels are the same functions on LL1."""
    ll, lh, hl, hh = _haar_dwt2(values)
    ll = _remove_max_haar_ll(ll, ll_max_level - 1)
    return _haar_ll(_haar_idwt2_ll(ll, lh, hl, hh), dwt_level - 1)


def _haar_ll(values: numpy.ndarray, levels: int) -> numpy.ndarray:
    """`wavedec2(values, 'haar', levels)[0]`, computing only the approximation band."""
    for _ in range(levels):
        low = _H * values[1::2]
        low += _H * values[0::2]
        values = _H * low[:, 1::2]
        values += _H * low[:, 0::2]
    return values


def whash_bits(
    pixels: numpy.ndarray, ll_max_level: int, dwt_level: int, mode: str, remove_max_haar_ll: bool
) -> numpy.ndarray:
    """pixels: uint8 (scale, scale). Wavelet LL band at dwt_level above its median."""
    import pywt

    values = pixels / 255.0
    side = values.shape[0]
    pow2_square = values.shape == (side, side) and side > 0 and side & (side - 1) == 0
    levels_fit = pow2_square and max(ll_max_level, dwt_level) <= side.bit_length() - 1
    if remove_max_haar_ll and mode == "haar" and levels_fit and ll_max_level >= 1 and dwt_level >= 1:
        low = _whash_haar_low(values, ll_max_level, dwt_level)
        return low > numpy.median(low)
    if remove_max_haar_ll:
        # Zero the coarsest Haar LL and reconstruct: "subtract the mean", in pywt's float order.
        if pow2_square and ll_max_level <= side.bit_length() - 1:
            values = _remove_max_haar_ll(values, ll_max_level)
        else:
            coeffs = list(pywt.wavedec2(values, "haar", level=ll_max_level))
            coeffs[0] *= 0
            values = pywt.waverec2(coeffs, "haar")
    if mode == "haar" and pow2_square and dwt_level <= side.bit_length() - 1:
        low = _haar_ll(values, dwt_level)
    else:
        low = pywt.wavedec2(values, mode, level=dwt_level)[0]
    return low > numpy.median(low)


def whash(
    image: Image.Image,
    hash_size: int = 8,
    image_scale: int | None = None,
    mode: str = "haar",
    remove_max_haar_ll: bool = True,
) -> ImageHash:
    """Wavelet hash (pywt 'haar' or 'db4' or any discrete wavelet name)."""
    import pywt  # noqa: F401  (imagehash imports it first: a missing pywt fails before validation)

    scale, ll_max_level, dwt_level = whash_scale(image.size, hash_size, image_scale)
    pixels = grey_pixels(image, scale, scale)
    return ImageHash(whash_bits(pixels, ll_max_level, dwt_level, mode, remove_max_haar_ll))


# ---------------------------------------------------------------------------- colorhash

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


def colorhash_counts_rgb(image: Image.Image) -> numpy.ndarray:
    """`colorhash_counts` for an RGB/RGBA/RGBX image via the 24-bit colour table (alpha and the
    pad byte are ignored, as Pillow's 'L' and 'HSV' conversions ignore them)."""
    category = numpy.take(rgb_category_table(), _rgb_words(image) & 0xFFFFFF)
    return _category_counts(category)


def colorhash_bits(counts: numpy.ndarray, binbits: int) -> numpy.ndarray:
    total = int(counts.sum())
    maxvalue = 2**binbits
    colors = int(counts[2:].sum())
    c = numpy.int64(max(1, colors))
    # Fractions over all pixels; count / total is numpy's bool-mask mean (exact sum, one division).
    if not total:
        # imagehash on a 0-pixel image: the mean of an empty mask is NaN and int(NaN) raises
        raise ValueError("cannot convert float NaN to integer")
    values = [min(maxvalue - 1, int(float(n) / total * maxvalue)) for n in counts[:2]]  # black, gray
    for group in (counts[2:8], counts[8:14]):
        # imagehash: histogram counts are int64 when the mask is non-empty (the int64 product
        # overflows for binbits >~ 45, as in 4.3.2), float zeros when it is empty.
        bins = group.astype(numpy.int64) if group.any() else numpy.zeros(6)
        for count in bins:
            values.append(min(maxvalue - 1, int(count * maxvalue * 1.0 / c)))
    bits = [v // (2 ** (binbits - i - 1)) % 2 ** (binbits - i) > 0 for v in values for i in range(binbits)]
    return numpy.asarray(bits).reshape((-1, binbits))


def colorhash(image: Image.Image, binbits: int = 3) -> ImageHash:
    """Colour hash: fractions of black, gray and 6 faint / 6 bright hue bins, full resolution."""
    return ImageHash(colorhash_bits(colorhash_counts_of(image), binbits))


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
