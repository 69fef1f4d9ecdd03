"""Pillow's LANCZOS resize of 8-bit greyscale, byte for byte, in compiled integer passes.

Every hash starts with `image.convert('L').resize(size, LANCZOS)`, and one image needs four or
more such thumbnails. Pillow computes each one with a scalar fixed-point loop over the whole
image. Here a resampling pass is a vectorised numba kernel in the same integer arithmetic
(`sparkhash.core.resample_kernels`); horizontal passes run on one transposed copy of the image,
shared by every thumbnail width and every crop of the image, and thumbnails that share a first
pass (same width, horizontal first) compute it once.

Exactness, following Pillow 13's libImaging/Resample.c for 8 bits per channel:
- Coefficients: for output i, `center = (i + 0.5) * scale`, taps x in
  [int(center - support + 0.5), int(center + support + 0.5)) clipped to the image, weights
  lanczos((x - center + 0.5) / filterscale) summed left to right, divided by that sum, and
  rounded half away from zero to 22-bit fixed point. Computed with the same float64 operations
  in the same order. Only `sin` may come from another library than Pillow's (numpy's SIMD sin
  vs the C library's), a few ulps apart: a coefficient whose scaled value lies within `_MARGIN`
  of a rounding boundary sends that resize to Pillow instead.
- A pass is `clip8((2**21 + sum(pixel * coefficient)) >> 22)` with an int32 sum, in integers
  exactly as Pillow computes it (products below 2**30; every pass is checked to keep its sums
  in the int32 range, `_sums_fit_int32`): any summation order gives the same integer.
- Pass order: Pillow resamples vertically first when the height shrinks by more than twice as
  many pixels as the width; each pass rounds to 8 bits, so the order is visible in the bits.
- Pillow copies the image when the size does not change and skips a pass whose axis keeps its
  size.

Everything goes through Pillow instead when `products_enabled()` is False: off x86-64 (where
Pillow may be compiled with fused multiply-add, changing its coefficients), when
SPARKHASH_PILLOW_RESIZE=1 is set, or when the installed Pillow does not reproduce a battery of
resizes byte for byte (checked once per process, at import, so a future Pillow that changes its
resampler costs speed, never bits, and no user call pays for the check). Verified on Pillow 13.
(The name "products" is historical: the passes were BLAS matrix products before.)
"""

from __future__ import annotations

import os
import platform
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import numpy
from PIL import Image

from sparkhash.core import resample_kernels as _K

_MARGIN = 1e-7  # trusted distance of a scaled coefficient from a rounding boundary

_CACHE_SIZE = 128
# Horizontal passes to at most this many outputs are dot products along the rows; wider ones
# (few taps per output, where a dot product is mostly overhead) run on the transposed image.
# Measured on 1,600 px rows: 32 outputs 1.0 ms as dot products vs 1.6 ms transposed
# (transposes included), 300 outputs 1.9 ms vs 1.0 ms plus the image's shared transpose.
# With the packed kernels (AVX2): 64 outputs 0.49 ms as dot products vs 0.52 ms on an existing
# transposed copy, 128 outputs 0.64 vs 0.59 ms.
_NARROW = 64
# Larger images go to Pillow: the passes hold a transposed copy of the image (1 byte a pixel)
# and intermediate thumbnails; Pillow's loop needs no copy.
_MAX_PIXELS = 25_000_000


def _platform_allows() -> bool:
    """x86-64, where Pillow's wheels are compiled without fused multiply-add, and not turned
    off by SPARKHASH_PILLOW_RESIZE=1."""
    if os.environ.get("SPARKHASH_PILLOW_RESIZE") == "1":
        return False
    return platform.machine().lower() in ("x86_64", "amd64")


#: Whether the products may be used at all (tests and callers may set it to False).
ENABLED = _platform_allows()
_agrees: bool | None = None  # the battery's verdict, once computed

# Shapes for the battery: both pass orders (including both sides of Pillow's vertical-first
# rule), one-pass resizes, upscaling, and the thumbnail sizes the hashes use.
_BATTERY = (
    ((613, 97), [(8, 8), (9, 8), (32, 32), (300, 300)]),
    ((97, 613), [(8, 8), (8, 9), (64, 64), (97, 20)]),
    ((200, 400), [(8, 8), (17, 5)]),  # 392 > 2 * 192: vertical first
    ((210, 400), [(8, 8), (210, 9)]),  # 392 < 2 * 202: horizontal first
    ((37, 23), [(512, 512), (5, 23), (16, 16)]),
)


def products_enabled() -> bool:
    """True when resizes may use the products: `ENABLED`, and the installed Pillow agrees with
    them byte for byte on `_BATTERY` (random noise, so any difference in coefficients,
    rounding or pass order shows). Checked once per process, when this module is imported (see
    the end of the module), so the first resize a caller times does not include it."""
    global _agrees
    if not ENABLED:
        return False
    if _agrees is None:
        rng = numpy.random.default_rng(20261125)
        _agrees = True
        for (width, height), sizes in _BATTERY:
            grey = rng.integers(0, 256, (height, width), dtype=numpy.uint8)
            ours = _resize(grey, sizes, None, products=True)
            image = Image.fromarray(grey)
            for size in sizes:
                if not numpy.array_equal(
                    ours[size], numpy.asarray(image.resize(size, Image.Resampling.LANCZOS))
                ):
                    _agrees = False
        if not _agrees:
            warnings.warn(
                f"Pillow {Image.__version__}'s LANCZOS resize differs from sparkhash's reimplementation; "
                "using Pillow's own resize (same hashes, slower)",
                RuntimeWarning,
                stacklevel=2,
            )
    return _agrees


def products_for(width: int, height: int, sizes: list[tuple[int, int]], budget: bool = True) -> bool:
    """Whether resizing a width x height image to `sizes` uses the products: enabled, a
    non-empty image within the memory budget `_MAX_PIXELS` (unless `budget` is False), and
    positive sizes. Anything else goes to Pillow, which raises its own errors for empty images
    and bad sizes; callers skip making the image's transposed copy then."""
    pixels = width * height
    return (
        pixels > 0
        and (pixels <= _MAX_PIXELS or not budget)
        and all(w > 0 and h > 0 for w, h in sizes)
        and products_enabled()
    )


@dataclass(frozen=True)
class Pass:
    """One LANCZOS resampling pass of an axis from `in_size` to `out_size` samples: output i
    is the sum over k < count[i] of input first[i] + k times coef[i, k] (int32 fixed point,
    zero past count[i]), rounded as Pillow rounds it (`resample_kernels.vertical`)."""

    in_size: int
    out_size: int
    first: numpy.ndarray  # int64 (out_size,)
    count: numpy.ndarray  # int64 (out_size,)
    coef: numpy.ndarray  # int32 (out_size, taps)
    # (window, hi, lo) of `resample_kernels.vertical_packed`, or None: `vertical` only
    packed: tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray] | None = None
    # the same for `resample_kernels.horizontal_packed` (narrow passes), or None: `horizontal`
    packed_dots: tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray] | None = None

    def along_rows(self, x: numpy.ndarray) -> numpy.ndarray:
        """Resample axis 0 of a uint8 (in_size, cols) array: uint8 (out_size, cols)."""
        out = numpy.empty((self.out_size, x.shape[1]), numpy.uint8)
        if self.packed is not None and x.shape[1] >= _K._LANES and x.strides[1] == 1:
            _K.vertical_packed(x, self.first, self.count, self.coef, *self.packed, out)
        else:
            _K.vertical(x, self.first, self.count, self.coef, out)
        return out

    @property
    def narrow(self) -> bool:
        """Few outputs, each of many taps: resampled along axis 1 in place (dot products);
        wider passes run `along_rows` on the transposed array instead (see `_horizontal`)."""
        return self.out_size <= _NARROW

    def along_columns(self, x: numpy.ndarray) -> numpy.ndarray:
        """Resample axis 1 of a uint8 (rows, in_size) array: uint8 (rows, out_size)."""
        out = numpy.empty((x.shape[0], self.out_size), numpy.uint8)
        if self.packed_dots is not None and x.strides[1] == 1:
            _K.horizontal_packed(x, self.first, self.count, self.coef, *self.packed_dots, out)
        else:
            _K.horizontal(x, self.first, self.count, self.coef, out)
        return out


def transpose(x: numpy.ndarray) -> numpy.ndarray:
    """`x.T` of a uint8 array, as a new C-contiguous array."""
    out = numpy.empty((x.shape[1], x.shape[0]), numpy.uint8)
    _K.transpose(x, out)
    return out


def needs_transposed(shape: tuple[int, int], sizes: list[tuple[int, int]]) -> bool:
    """Whether resizing a uint8 array of `shape` to `sizes` starts with a wide horizontal pass
    on the whole array (which reads its transposed copy)."""
    in_h, in_w = shape
    return any(w != in_w and w > _NARROW and not vertical_first(in_w, in_h, w, h) for w, h in sizes)


def _fixed_coefficients(
    in_size: int, out_size: int
) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray] | None:
    """(xmin, count, fixed int32 (out_size, ksize)) as Pillow's precompute_coeffs and
    normalize_coeffs_8bpc make them, or None if one is too close to a rounding boundary
    (`resample_kernels.fixed_coefficients`)."""
    xmin, count, fixed, trusted = _K.fixed_coefficients(in_size, out_size, _MARGIN)
    return (xmin, count, fixed) if trusted else None


_passes: OrderedDict[tuple[int, int], Pass | None] = OrderedDict()
_passes_lock = threading.Lock()


def lanczos_pass(in_size: int, out_size: int) -> Pass | None:
    """The pass resampling `in_size` samples to `out_size` (None: use Pillow for it), kept in
    a small LRU cache: images of one size reuse their coefficients."""
    key = (in_size, out_size)
    with _passes_lock:
        if key in _passes:
            _passes.move_to_end(key)
            return _passes[key]
    made = _make_pass(in_size, out_size)  # outside the lock: threads may compute it twice
    with _passes_lock:
        _passes[key] = made
        if len(_passes) > _CACHE_SIZE:
            _passes.popitem(last=False)
    return made


def clear_cache() -> None:
    """Forget every cached pass (benchmarks use it to time cold calls)."""
    with _passes_lock:
        _passes.clear()


def _make_pass(in_size: int, out_size: int) -> Pass | None:
    coefficients = _fixed_coefficients(in_size, out_size)
    if coefficients is None or not _sums_fit_int32(coefficients[2]):
        return None
    xmin, count, fixed = coefficients
    packed = _K.packed_planes(xmin, count, fixed, in_size) if _K.PACKED else None
    dots = _K.packed_planes(xmin, count, fixed, in_size, 16) if _K.PACKED and out_size <= _NARROW else None
    return Pass(in_size, out_size, xmin, count, fixed, packed, dots)


def _sums_fit_int32(fixed: numpy.ndarray) -> bool:
    """Whether every output's sum 2**21 + sum(pixel * coefficient), pixels in 0..255, lies in
    [-2**31, 2**31): the kernels' int32 sums are then exact (`resample_kernels`). It always does
    for LANCZOS (at most ~0.65 * 2**31); a pass outside it would go to Pillow."""
    return bool(_K.sums_fit_int32(numpy.ascontiguousarray(fixed, dtype=numpy.int32)))


def vertical_first(in_w: int, in_h: int, out_w: int, out_h: int) -> bool:
    """Pillow 13's pass order: vertical first when the height shrinks by more than twice as
    many pixels as the width."""
    dy = in_h - out_h
    return dy > 0 and dy > (in_w - out_w) * 2


@dataclass(frozen=True)
class _Plan:
    size: tuple[int, int]
    vertical_first: bool
    horizontal: Pass | None  # None: the width does not change
    vertical: Pass | None


def _plan(in_w: int, in_h: int, w: int, h: int) -> _Plan | None:
    """How to make (w, h) from (in_w, in_h) with the kernels, or None when Pillow should (a
    coefficient is not trusted)."""
    horizontal = lanczos_pass(in_w, w) if w != in_w else None
    vertical = lanczos_pass(in_h, h) if h != in_h else None
    if (w != in_w and horizontal is None) or (h != in_h and vertical is None):
        return None
    return _Plan((w, h), vertical_first(in_w, in_h, w, h), horizontal, vertical)


def resize_many(
    grey: numpy.ndarray,
    sizes: list[tuple[int, int]],
    always_products: bool = False,
    transposed: numpy.ndarray | None = None,
) -> dict[tuple[int, int], numpy.ndarray]:
    """LANCZOS thumbnails of a uint8 (H, W) array: (width, height) -> uint8 (height, width),
    each equal to `Image.fromarray(grey).resize((width, height), LANCZOS)`.

    Sizes that are horizontal-first and of equal width share their first pass. Images over
    `_MAX_PIXELS` (unless `always_products`, which tests use), empty images, non-positive sizes
    and sizes whose coefficients are not trusted are resized by Pillow.
    `transposed` is `grey.T` as a uint8 array when the caller already has it (e.g. a view of a
    larger one's); otherwise it is made when a horizontal pass needs it.
    """
    products = products_for(grey.shape[1], grey.shape[0], sizes, budget=not always_products)
    return _resize(grey, sizes, transposed, products)


def _resize(
    grey: numpy.ndarray,
    sizes: list[tuple[int, int]],
    transposed: numpy.ndarray | None,
    products: bool,
) -> dict[tuple[int, int], numpy.ndarray]:
    in_h, in_w = grey.shape
    out: dict[tuple[int, int], numpy.ndarray] = {}
    plans = []
    image = None  # the Pillow image, made once if any size needs Pillow
    for w, h in dict.fromkeys(sizes):
        plan = _plan(in_w, in_h, w, h) if products and (w, h) != (in_w, in_h) else None
        if plan is None:
            image = Image.fromarray(grey) if image is None else image
            out[(w, h)] = numpy.asarray(image.resize((w, h), Image.Resampling.LANCZOS))
        else:
            plans.append(plan)
    first_passes: dict[tuple[bool, int], numpy.ndarray] = {}
    for plan in plans:
        w, h = plan.size
        if plan.vertical_first:  # the vertical pass, then the horizontal one on its output
            key = (True, h)
            if key not in first_passes:
                first_passes[key] = plan.vertical.along_rows(grey)
            middle = first_passes[key]
            if plan.horizontal is not None:
                middle = _horizontal(plan.horizontal, middle, None)
            out[(w, h)] = middle
            continue
        key = (False, w)
        if key not in first_passes:
            if plan.horizontal is None:
                first_passes[key] = grey
            else:
                if transposed is None and not plan.horizontal.narrow:
                    transposed = transpose(grey)
                first_passes[key] = _horizontal(plan.horizontal, grey, transposed)
        middle = first_passes[key]
        if plan.vertical is not None:
            middle = plan.vertical.along_rows(middle)
        out[(w, h)] = middle if middle is not grey else grey.copy()
    return out


def _horizontal(resampling: Pass, x: numpy.ndarray, transposed: numpy.ndarray | None) -> numpy.ndarray:
    """Resample axis 1 of `x`: dot products along the rows for a narrow pass with packed
    (16-bit) dot products (0.36-0.42 ms for 1,600 px rows to 8-32 samples, vs 0.50-0.65 ms for
    the vertical kernel on an existing transposed copy); else the vertical kernel on the
    transposed copy when there is one (`transposed`: it beats the int32 dot products on narrow
    passes), else int32 dot products for a narrow pass, else the vertical kernel on a
    transposed copy made here."""
    if resampling.narrow and (transposed is None or resampling.packed_dots is not None):
        return resampling.along_columns(x)
    return transpose(resampling.along_rows(transpose(x) if transposed is None else transposed))


def resize(grey: numpy.ndarray, width: int, height: int) -> numpy.ndarray:
    """One LANCZOS thumbnail of a uint8 (H, W) array, as Pillow makes it."""
    return resize_many(grey, [(width, height)])[(width, height)]


# The battery (~10-30 ms once the kernels are compiled and cached on disk, most of it first use
# of numba's cache, numpy and Pillow's resampler, which the first resize would pay anyway) runs
# here rather than inside the first call a user times.
products_enabled()
