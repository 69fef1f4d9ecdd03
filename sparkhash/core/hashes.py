"""The single-image hash functions of imagehash 4.3.2, bit for bit.

Every function converts to 'L' and resizes with LANCZOS exactly as imagehash does: Pillow's
bytes, computed by `sparkhash.core.resample` (byte-identical compiled passes) where that is
faster and verified, by Pillow otherwise. The work after the resize is split into
`*_bits` kernels on uint8 arrays so `sparkhash.core.multi` can share one greyscale conversion
and one resize between algorithms.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy
import scipy.fftpack
from PIL import Image

from sparkhash.core import haar_kernels, resample
from sparkhash.core.classes import ImageHash
from sparkhash.core.colour import colorhash_counts_of, grey_of
from sparkhash.core.haar import _haar_ll, _remove_max_haar_ll

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


def grey_array(grey: Image.Image) -> numpy.ndarray:
    """The pixels of an 'L' image as a read-only uint8 (height, width) array. Pillow >= 11.2
    with pyarrow hands its memory over without a copy (`numpy.asarray` copies the whole image
    through `tobytes`); images Pillow keeps in several blocks, and older Pillows, are copied."""
    width, height = grey.size
    try:
        import pyarrow

        flat = numpy.frombuffer(pyarrow.array(grey).buffers()[-1], dtype=numpy.uint8)
        if flat.size >= width * height:
            return flat[: width * height].reshape(height, width)
    except Exception:  # noqa: BLE001 - any failure of the zero-copy path: take the copy
        pass
    return numpy.asarray(grey)


def grey_pixels(image: Image.Image, width: int, height: int) -> numpy.ndarray:
    """uint8 array (height, width): `image.convert('L').resize((width, height), LANCZOS)`."""
    grey = grey_of(image)  # image.convert("L"), byte for byte
    return resize_grey(grey, [(width, height)])[(width, height)]


def resize_grey(grey: Image.Image, sizes: list[tuple[int, int]]) -> dict[tuple[int, int], numpy.ndarray]:
    """LANCZOS thumbnails (width, height) -> uint8 (height, width) of an 'L' image, all from one
    pass over its pixels where they share work. Empty images and non-positive sizes go to
    Pillow, which raises its own errors for them."""
    if resample.products_for(*grey.size, sizes):
        return resample.resize_many(grey_array(grey), sizes)
    return {(w, h): numpy.asarray(grey.resize((w, h), ANTIALIAS)) for w, h in sizes}


# ---------------------------------------------------------------------------- kernels on pixels
# Thresholds are strict `>` against numpy's float64 mean/median, as in imagehash.


def median(values: numpy.ndarray) -> numpy.float64:
    """`numpy.median(values)` of a float64 array, by the same partition and the same float64
    arithmetic (the mean of the two middle values of an even count is (a + b) / 2, as numpy's
    mean of two; NaN when any value is NaN, as numpy's check of the last partitioned value)
    without numpy.median's generic layers (~10 us of a 64-value median's ~12 us). Other dtypes
    and empty arrays go to numpy.median."""
    flat = values.ravel()
    n = flat.size
    if n == 0 or flat.dtype != numpy.float64:
        return numpy.median(values)
    k = n // 2
    part = numpy.partition(flat, (k - 1, k, n - 1) if n % 2 == 0 else (k, n - 1))
    if numpy.isnan(part[-1]):
        return numpy.float64(numpy.nan)
    return (part[k - 1] + part[k]) / 2 if n % 2 == 0 else part[k]


def average_bits(pixels: numpy.ndarray, mean: MeanFunc = numpy.mean) -> numpy.ndarray:
    return pixels > mean(pixels)


def phash_bits(pixels: numpy.ndarray, hash_size: int) -> numpy.ndarray:
    # Unnormalised DCT-II along axis 0 then axis 1 via scipy.fftpack (pocketfft): bits close to
    # the median depend on the last ulp, so no other DCT implementation is used.
    dct = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=0), axis=1)
    low = dct[:hash_size, :hash_size]  # includes the DC term
    return low > median(low)


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


def whash_bits(
    pixels: numpy.ndarray, ll_max_level: int, dwt_level: int, mode: str, remove_max_haar_ll: bool
) -> numpy.ndarray:
    """pixels: uint8 (scale, scale). Wavelet LL band at dwt_level above its median."""
    import pywt

    side = pixels.shape[0]
    pow2_square = pixels.shape == (side, side) and side > 0 and side & (side - 1) == 0
    levels_fit = pow2_square and max(ll_max_level, dwt_level) <= side.bit_length() - 1
    compiled = pixels.dtype == numpy.uint8 and ll_max_level >= 1 and dwt_level >= 1
    if remove_max_haar_ll and mode == "haar" and levels_fit and compiled:
        # pywt's operations on pixels / 255.0, compiled (haar_kernels; haar._whash_haar_low is
        # the same arithmetic on numpy arrays)
        low = haar_kernels.whash_haar_low(numpy.ascontiguousarray(pixels), ll_max_level, dwt_level)
        return low > median(low)
    values = pixels / 255.0
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
    return low > median(low)


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
