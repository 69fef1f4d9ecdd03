"""Pillow's LANCZOS resize of 8-bit greyscale, byte for byte, as matrix products.

Every hash starts with `image.convert('L').resize(size, LANCZOS)`, and one image needs four or
more such thumbnails. Pillow computes each one with a scalar fixed-point loop over the whole
image. Here a resampling pass is a few BLAS matrix products (banded coefficients cut into
blocks), and thumbnails that share a first pass (same width, horizontal first) compute it once.

Exactness, following Pillow 13's libImaging/Resample.c for 8 bits per channel:
- Coefficients: for output i, `center = (i + 0.5) * scale`, taps x in
  [int(center - support + 0.5), int(center + support + 0.5)) clipped to the image, weights
  lanczos((x - center + 0.5) / filterscale) summed left to right, divided by that sum, and
  rounded half away from zero to 22-bit fixed point. Computed with the same float64 operations
  in the same order. Only `sin` may come from another library than Pillow's (numpy's SIMD sin
  vs the C library's), a few ulps apart: a coefficient whose scaled value lies within `_MARGIN`
  of a rounding boundary sends that resize to Pillow instead.
- A pass is `clip8((2**21 + sum(pixel * coefficient)) >> 22)` with an int32 sum. Products are
  below 2**30 and sums below 2**31, so float64 products give the exact integers in any
  summation order (BLAS may reorder and fuse: integers below 2**53 are exact), and floor
  division by 2**22 is the arithmetic shift.
- Pass order: Pillow resamples vertically first when the height shrinks by more than twice as
  many pixels as the width; each pass rounds to 8 bits, so the order is visible in the bits.
- Pillow copies the image when the size does not change and skips a pass whose axis keeps its
  size.

Everything goes through Pillow instead when `products_enabled()` is False: off x86-64 (where
Pillow may be compiled with fused multiply-add, changing its coefficients), when
SPARKHASH_PILLOW_RESIZE=1 is set, or when the installed Pillow does not reproduce a battery of
resizes byte for byte (checked once per process, at import, so a future Pillow that changes its
resampler costs speed, never bits, and no user call pays for the check). Verified on Pillow 13.
"""

from __future__ import annotations

import os
import platform
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

import numpy
from PIL import Image

_PRECISION_BITS = 22
_ONE = float(1 << _PRECISION_BITS)
_HALF = float(1 << (_PRECISION_BITS - 1))
_SUPPORT = 3.0  # LANCZOS
_MARGIN = 1e-7  # trusted distance of a scaled coefficient from a rounding boundary

# Cost model (seconds per multiply-add, per BLAS call, per resize, per coefficient set and per
# coefficient computed) deciding between these products and Pillow's own loop; measured on
# x86-64 with OpenBLAS, one thread.
_BLAS_MAC = 0.06e-9
_BLAS_CALL = 4e-6
_OVERHEAD = 60e-6
_PILLOW_MAC = 0.45e-9
_COEFFICIENTS = 60e-6
_COEFFICIENT = 35e-9
_CACHE_SIZE = 128
# Outputs per block: measured fastest for shrink factors from 1.5 to 200 (fewer wasted zero
# coefficients than larger blocks, fewer BLAS calls than smaller ones).
_BLOCK = 8
_NARROW = 16  # passes to at most this many outputs share one product (see `_resize`)
# Larger images go to Pillow: the products hold a float64 copy of the image (8 bytes a pixel,
# 200 MB at this size) where Pillow's loop needs none.
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
            ours = _resize(grey, sizes, always=True, grey64=None, products=True)
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
    and bad sizes; callers skip making the image's float64 copy then."""
    pixels = width * height
    return (
        pixels > 0
        and (pixels <= _MAX_PIXELS or not budget)
        and all(w > 0 and h > 0 for w, h in sizes)
        and products_enabled()
    )


def _sinc(v: numpy.ndarray) -> numpy.ndarray:
    with numpy.errstate(invalid="ignore", divide="ignore"):
        pv = v * numpy.pi
        out = numpy.sin(pv) / pv
    out[v == 0.0] = 1.0
    return out


def _lanczos(x: numpy.ndarray) -> numpy.ndarray:
    """Pillow's lanczos_filter: sinc(x) * sinc(x / 3) on [-3, 3), 0 elsewhere."""
    return numpy.where((x >= -3.0) & (x < 3.0), _sinc(x) * _sinc(x / 3.0), 0.0)


@dataclass(frozen=True)
class Pass:
    """One LANCZOS resampling pass of an axis from `in_size` to `out_size` samples.

    `blocks` are (in_start, in_end, out_start, out_end, matrix): output samples
    out_start:out_end are `matrix @ input[in_start:in_end]` (before rounding), with the
    fixed-point coefficients as float64, one row per output sample.
    """

    in_size: int
    out_size: int
    blocks: tuple[tuple[int, int, int, int, numpy.ndarray], ...]

    @cached_property
    def dense(self) -> numpy.ndarray:
        """All coefficients as one (out_size, in_size) matrix: narrow passes sharing an input
        are merged into one product."""
        matrix = numpy.zeros((self.out_size, self.in_size))
        for start, end, j0, j1, block in self.blocks:
            matrix[j0:j1, start:end] = block
        return matrix

    def along_columns(self, x: numpy.ndarray) -> numpy.ndarray:
        """Resample axis 1 of float64 (rows, in_size); float64 (rows, out_size) of 0..255,
        computed transposed (each block's output is then contiguous; BLAS transposes free)."""
        out = numpy.empty((self.out_size, x.shape[0]))
        for start, end, j0, j1, matrix in self.blocks:
            numpy.matmul(matrix, x[:, start:end].T, out=out[j0:j1])
        return _round(out).T

    def along_rows(self, x: numpy.ndarray) -> numpy.ndarray:
        """Resample axis 0 of float64 (in_size, cols); float64 (out_size, cols) of 0..255."""
        out = numpy.empty((self.out_size, x.shape[1]))
        for start, end, j0, j1, matrix in self.blocks:
            numpy.matmul(matrix, x[start:end], out=out[j0:j1])
        return _round(out)


def _round(sums: numpy.ndarray) -> numpy.ndarray:
    """clip8((2**21 + sum) >> 22), in place, on exact integer sums held in float64."""
    sums += _HALF
    sums *= 1.0 / _ONE
    numpy.floor(sums, out=sums)
    return numpy.clip(sums, 0.0, 255.0, out=sums)


def _fixed_coefficients(
    in_size: int, out_size: int
) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray] | None:
    """(xmin, count, fixed (out_size, ksize)) as Pillow's precompute_coeffs and
    normalize_coeffs_8bpc make them, or None if one is too close to a rounding boundary."""
    scale = float(in_size) / out_size  # (double)(in1 - in0) / outSize with box (0, in_size)
    filterscale = max(scale, 1.0)
    support = _SUPPORT * filterscale
    ksize = int(numpy.ceil(support)) * 2 + 1
    inv_filterscale = 1.0 / filterscale

    centers = (numpy.arange(out_size) + 0.5) * scale  # + in0, which is 0.0
    xmin = numpy.maximum(numpy.trunc(centers - support + 0.5), 0).astype(numpy.int64)
    xend = numpy.minimum(numpy.trunc(centers + support + 0.5), in_size).astype(numpy.int64)
    count = xend - xmin
    valid = numpy.arange(ksize)[None, :] < count[:, None]
    positions = xmin[:, None] + numpy.arange(ksize)[None, :]
    x = ((positions - centers[:, None]) + 0.5) * inv_filterscale
    x[~valid] = 100.0  # outside the filter's support: weight 0, like the unused taps in C
    # Outputs whose filter arguments are bit-identical (common: a power-of-two or integer
    # scale repeats the same sub-pixel phase) get identical coefficients; evaluate each once.
    rows = numpy.ascontiguousarray(x).view(numpy.dtype((numpy.void, x.shape[1] * 8))).ravel()
    _, first, inverse = numpy.unique(rows, return_index=True, return_inverse=True)
    weights = _lanczos(x[first])
    # ww += w from left to right: cumsum is that sequential sum (numpy.sum is pairwise);
    # the zeros past the valid taps leave it unchanged.
    total = numpy.cumsum(weights, axis=1)[:, -1]
    nonzero = total != 0.0
    weights[nonzero] /= total[nonzero, None]
    scaled = weights * _ONE
    # (int)(k * 2**22 + 0.5) for k >= 0 and (int)(k * 2**22 - 0.5) for k < 0: C truncation.
    shifted = numpy.where(weights < 0, scaled - 0.5, scaled + 0.5)
    if bool(numpy.any(numpy.abs(shifted - numpy.round(shifted))[valid[first]] < _MARGIN)):
        return None
    fixed = numpy.trunc(shifted)[inverse.ravel()]
    return xmin, count, fixed


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
    if coefficients is None:
        return None
    xmin, count, fixed = coefficients
    # Block b holds outputs b*_BLOCK ... (at most _BLOCK) over inputs starts[b]:ends[b]. All
    # blocks are built in one (blocks, _BLOCK, stride) array: output j's zero-padded row of
    # coefficients is copied whole to its row at column xmin[j] - starts[b] (stride = the
    # longest span + ksize, so rows never overlap). One transposed copy then makes every
    # block's matrix column-major, the layout BLAS is fastest with.
    ksize = fixed.shape[1]
    first = numpy.arange(0, out_size, _BLOCK)
    starts = xmin[first]
    ends = numpy.maximum.reduceat(xmin + count, first)
    stride = int((ends - starts).max()) + ksize
    rows = numpy.zeros((len(first), _BLOCK, stride))
    j = numpy.arange(out_size)
    row_start = j * stride + (xmin - starts[j // _BLOCK])  # j * stride: block b, row j % _BLOCK
    rows.reshape(-1)[row_start[:, None] + numpy.arange(ksize)[None, :]] = fixed
    columns = rows.transpose(0, 2, 1).copy()  # (blocks, stride, _BLOCK)
    blocks = tuple(
        (s, e, j0, min(j0 + _BLOCK, out_size), columns[i, : e - s, : min(_BLOCK, out_size - j0)].T)
        for i, (s, e, j0) in enumerate(zip(starts.tolist(), ends.tolist(), first.tolist(), strict=True))
    )
    return Pass(in_size, out_size, blocks)


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


def _estimate(in_size: int, out_size: int, lines: int) -> tuple[float, float]:
    """Estimated seconds of one pass over `lines` lines: (products, Pillow's loop), from the
    sizes alone; the products include computing the coefficients when they are not cached."""
    scale = in_size / out_size
    support = _SUPPORT * max(scale, 1.0)
    per_output = min(in_size, 2 * int(support) + 1)  # taps of one output sample
    taps = out_size * per_output
    span = min(in_size, per_output + (_BLOCK - 1) * scale)  # inputs one block of outputs reads
    blocks = -(-out_size // _BLOCK)
    ours = lines * out_size * span * _BLAS_MAC + blocks * _BLAS_CALL
    if (in_size, out_size) not in _passes:
        ours += _COEFFICIENTS + taps * _COEFFICIENT
    return ours, lines * taps * _PILLOW_MAC


def _plan(in_w: int, in_h: int, w: int, h: int, always: bool = False) -> _Plan | None:
    """How to make (w, h) from (in_w, in_h) with products, or None when Pillow should (its
    loop is cheaper by the cost model, unless `always`, or a coefficient is not trusted)."""
    first_vertical = vertical_first(in_w, in_h, w, h)
    if not always:
        # Lines each pass runs over: the horizontal pass sees in_h rows when it goes first,
        # h rows otherwise; the vertical pass sees w or in_w columns.
        h_lines, v_lines = (h, in_w) if first_vertical else (in_h, w)
        ours, pillows = _OVERHEAD, 0.0
        for changed, in_size, out_size, lines in (
            (w != in_w, in_w, w, h_lines),
            (h != in_h, in_h, h, v_lines),
        ):
            if changed:
                cost = _estimate(in_size, out_size, lines)
                ours, pillows = ours + cost[0], pillows + cost[1]
        if ours >= pillows:
            return None
    horizontal = lanczos_pass(in_w, w) if w != in_w else None
    vertical = lanczos_pass(in_h, h) if h != in_h else None
    if (w != in_w and horizontal is None) or (h != in_h and vertical is None):
        return None
    return _Plan((w, h), first_vertical, horizontal, vertical)


def resize_many(
    grey: numpy.ndarray,
    sizes: list[tuple[int, int]],
    always_products: bool = False,
    grey64: numpy.ndarray | None = None,
) -> dict[tuple[int, int], numpy.ndarray]:
    """LANCZOS thumbnails of a uint8 (H, W) array: (width, height) -> uint8 (height, width),
    each equal to `Image.fromarray(grey).resize((width, height), LANCZOS)`.

    Sizes that are horizontal-first and of equal width share their first pass. Sizes the
    products would not speed up (unless `always_products`, which tests use to check the
    products on every shape), images over `_MAX_PIXELS`, empty images, non-positive sizes and
    sizes whose coefficients are not trusted are resized by Pillow.
    `grey64` is `grey` as float64 when the caller already has it (e.g. a view of a larger one).
    """
    products = products_for(grey.shape[1], grey.shape[0], sizes, budget=not always_products)
    return _resize(grey, sizes, always_products, grey64, products)


def _resize(
    grey: numpy.ndarray,
    sizes: list[tuple[int, int]],
    always: bool,
    grey64: numpy.ndarray | None,
    products: bool,
) -> dict[tuple[int, int], numpy.ndarray]:
    in_h, in_w = grey.shape
    out: dict[tuple[int, int], numpy.ndarray] = {}
    plans = []
    image = None  # the Pillow image, made once if any size needs Pillow
    for w, h in dict.fromkeys(sizes):
        plan = _plan(in_w, in_h, w, h, always) if products and (w, h) != (in_w, in_h) else None
        if plan is None:
            image = Image.fromarray(grey) if image is None else image
            out[(w, h)] = numpy.asarray(image.resize((w, h), Image.Resampling.LANCZOS))
        else:
            plans.append(plan)
    if not plans:
        return out
    if grey64 is None:
        grey64 = grey.astype(numpy.float64)
    first_passes: dict[tuple[bool, int], numpy.ndarray] = {}
    # Narrow horizontal first passes (thumbnail widths such as 8 and 9) read the whole image
    # for little arithmetic: one product for all of them reads it once.
    narrow = {
        plan.horizontal.out_size: plan.horizontal
        for plan in plans
        if not plan.vertical_first and plan.horizontal is not None and plan.horizontal.out_size <= _NARROW
    }
    if len(narrow) > 1:
        merged = numpy.asfortranarray(numpy.concatenate([p.dense for p in narrow.values()]))
        sums = _round(merged @ grey64.T)
        row = 0
        for width in narrow:
            first_passes[(False, width)] = sums[row : row + width].T
            row += width
    for plan in plans:
        w, h = plan.size
        rows_first = plan.vertical_first
        first, second = (plan.vertical, plan.horizontal) if rows_first else (plan.horizontal, plan.vertical)
        key = (rows_first, h if rows_first else w)  # sizes with the same first pass share it
        if key not in first_passes:
            first_passes[key] = _apply(first, grey64, along_rows=rows_first)
        out[(w, h)] = _apply(second, first_passes[key], along_rows=not rows_first).astype(numpy.uint8)
    return out


def _apply(resampling: Pass | None, x: numpy.ndarray, along_rows: bool) -> numpy.ndarray:
    """One pass (None: that axis keeps its size) along axis 0 or axis 1."""
    if resampling is None:
        return x
    return resampling.along_rows(x) if along_rows else resampling.along_columns(x)


def resize(grey: numpy.ndarray, width: int, height: int) -> numpy.ndarray:
    """One LANCZOS thumbnail of a uint8 (H, W) array, as Pillow makes it."""
    return resize_many(grey, [(width, height)])[(width, height)]


# The battery (~10-30 ms, most of it first use of BLAS, numpy and Pillow's resampler, which the
# first resize would pay anyway) runs here rather than inside the first call a user times.
products_enabled()
