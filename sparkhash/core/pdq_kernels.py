"""PDQ's Jarosz box filters as numba kernels: the reference's float32 running sums, in its order.

Imported only when a PDQ hash is computed (`sparkhash.core.pdq`), so numba is not loaded by
the other algorithms. The compiled code is cached on disk (`cache=True`: next to this file
when writable, else numba's user-wide cache or `NUMBA_CACHE_DIR`), so a worker process pays
the compilation once per installation, later processes only load it.

Why compiled code. The reference (ThreatExchange `pdq/cpp/downscaling`, `box1DFloat`) blurs
the float32 luma with a box of `w` pixels by a *running* float32 sum, one pixel at a time:

    sum += in[ri]; sum -= in[li]; out[oi] = sum / current_window_size

Every `+=` and `-=` rounds to float32, so the blurred value depends on the whole history of
the sum along its row or column: no cumulative-sum difference, float64 filter or
re-association gives the same bits. The only freedom is *which* running sums run together.
These kernels run one running sum per lane of a vector (one per column when filtering down
the columns, one per row of a strip when filtering along rows, after a small transposition),
each lane doing exactly the reference's sequence of float32 operations. numba compiles
without fast-math: no re-association, no fused multiply-add, IEEE float32 division.

The reference filters `(rows, then columns) x 2` and then keeps 64 x 64 samples. Only the
last column pass at 64 columns, and only the divisions of the second row pass at those 64
columns, are needed; their running sums still run over every pixel.
"""

from __future__ import annotations

import numba
import numpy

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}

#: Rows filtered together along their length (vector lanes of the row passes).
STRIP = 16


@numba.njit(**_JIT)
def box_down(x, out, w):  # pragma: no cover - compiled
    """The reference's 1-D box filter of full window `w` down axis 0 of `x`, every column a lane:
    out[oi, j] for every oi. The four phases are `box1DFloat`'s: grow the window without writing,
    grow it writing, slide it, shrink it writing; division by the current window size."""
    n, m = x.shape
    h = (w + 2) // 2  # 7 -> 4, 8 -> 5
    s = numpy.zeros(m, numpy.float32)
    ri = 0
    for _ in range(h - 1):
        for j in range(m):
            s[j] += x[ri, j]
        ri += 1
    cws = h - 1
    oi = 0
    for _ in range(w - h + 1):
        cws += 1
        d = numpy.float32(cws)
        for j in range(m):
            s[j] += x[ri, j]
            out[oi, j] = s[j] / d
        ri += 1
        oi += 1
    li = 0
    d = numpy.float32(w)
    for _ in range(n - w):
        for j in range(m):
            s[j] += x[ri, j]  # add first, then subtract: the reference's order
            s[j] -= x[li, j]
            out[oi, j] = s[j] / d
        ri += 1
        li += 1
        oi += 1
    for _ in range(h - 1):
        cws -= 1
        d = numpy.float32(cws)
        for j in range(m):
            s[j] -= x[li, j]
            out[oi, j] = s[j] / d
        li += 1
        oi += 1


@numba.njit(**_JIT)
def box_down_sampled(x, w, slot, out, c0):  # pragma: no cover - compiled
    """`box_down`'s running sums, dividing and writing only the output rows oi with
    slot[oi] >= 0, to out[slot[oi], c0:c0 + m]."""
    n, m = x.shape
    h = (w + 2) // 2
    s = numpy.zeros(m, numpy.float32)
    ri = 0
    for _ in range(h - 1):
        for j in range(m):
            s[j] += x[ri, j]
        ri += 1
    cws = h - 1
    oi = 0
    for _ in range(w - h + 1):
        cws += 1
        for j in range(m):
            s[j] += x[ri, j]
        if slot[oi] >= 0:
            d = numpy.float32(cws)
            for j in range(m):
                out[slot[oi], c0 + j] = s[j] / d
        ri += 1
        oi += 1
    li = 0
    for _ in range(n - w):
        for j in range(m):
            s[j] += x[ri, j]
            s[j] -= x[li, j]
        if slot[oi] >= 0:
            d = numpy.float32(w)
            for j in range(m):
                out[slot[oi], c0 + j] = s[j] / d
        ri += 1
        li += 1
        oi += 1
    for _ in range(h - 1):
        cws -= 1
        for j in range(m):
            s[j] -= x[li, j]
        if slot[oi] >= 0:
            d = numpy.float32(cws)
            for j in range(m):
                out[slot[oi], c0 + j] = s[j] / d
        li += 1
        oi += 1


@numba.njit(**_JIT)
def _luma_strip(rgb, r0, k1, strip):  # pragma: no cover - compiled
    """Luma of rows r0..r0+k1 of the image, transposed into strip[column, row - r0]:
    float32(r * 0.299 + g * 0.587 + b * 0.114) evaluated in float64 left to right, as the
    pdqhash bindings do in numpy before handing float32 luma to the C++ code."""
    C = rgb.shape[1]
    for k in range(k1):
        for j in range(C):
            strip[j, k] = numpy.float32(
                (rgb[r0 + k, j, 0] * 0.299 + rgb[r0 + k, j, 1] * 0.587) + rgb[r0 + k, j, 2] * 0.114
            )
    for k in range(k1, strip.shape[1]):  # unused lanes of the last strip
        for j in range(C):
            strip[j, k] = 0


@numba.njit(**_JIT)
def luma_rows_box(rgb, wr):  # pragma: no cover - compiled
    """Luma of rgb (rows x cols x 3 uint8), then the first box pass along the rows (window
    wr): STRIP rows at a time are transposed so that their running sums are the lanes of
    `box_down`. Returns rows x cols float32."""
    R = rgb.shape[0]
    C = rgb.shape[1]
    out = numpy.empty((R, C), numpy.float32)
    strip = numpy.empty((C, STRIP), numpy.float32)
    blurred = numpy.empty((C, STRIP), numpy.float32)
    for r0 in range(0, R, STRIP):
        k1 = min(STRIP, R - r0)
        _luma_strip(rgb, r0, k1, strip)
        box_down(strip, blurred, wr)
        for k in range(k1):
            for j in range(C):
                out[r0 + k, j] = blurred[j, k]
    return out


@numba.njit(**_JIT)
def _emit_row(row, oi, strip, wr, slot_cols, sampled, R):  # pragma: no cover - compiled
    """Row oi of the column pass goes into the transposed strip; a full strip (or the last row)
    gets the second row pass, keeping the sampled columns: sampled[slot, rows of the strip]."""
    C = row.shape[0]
    k = oi % STRIP
    for j in range(C):
        strip[j, k] = row[j]
    if k == STRIP - 1 or oi == R - 1:
        box_down_sampled(strip[:, : k + 1], wr, slot_cols, sampled, oi - k)


@numba.njit(**_JIT)
def cols_box_rows_box(x, wc, wr, slot_cols, n_sampled):  # pragma: no cover - compiled
    """The first box pass down the columns (window wc, every column a lane), each output row
    streamed into the second pass along the rows (window wr), which keeps only the sampled
    columns. Returns sampled (n_sampled x rows): the rows-filtered image at those columns."""
    R, C = x.shape
    sampled = numpy.empty((n_sampled, R), numpy.float32)
    strip = numpy.empty((C, STRIP), numpy.float32)
    row = numpy.empty(C, numpy.float32)
    w = wc
    h = (w + 2) // 2
    s = numpy.zeros(C, numpy.float32)
    ri = 0
    for _ in range(h - 1):
        for j in range(C):
            s[j] += x[ri, j]
        ri += 1
    cws = h - 1
    oi = 0
    for _ in range(w - h + 1):
        cws += 1
        d = numpy.float32(cws)
        for j in range(C):
            s[j] += x[ri, j]
            row[j] = s[j] / d
        _emit_row(row, oi, strip, wr, slot_cols, sampled, R)
        ri += 1
        oi += 1
    li = 0
    d = numpy.float32(w)
    for _ in range(R - w):
        for j in range(C):
            s[j] += x[ri, j]
            s[j] -= x[li, j]
            row[j] = s[j] / d
        _emit_row(row, oi, strip, wr, slot_cols, sampled, R)
        ri += 1
        li += 1
        oi += 1
    for _ in range(h - 1):
        cws -= 1
        d = numpy.float32(cws)
        for j in range(C):
            s[j] -= x[li, j]
            row[j] = s[j] / d
        _emit_row(row, oi, strip, wr, slot_cols, sampled, R)
        li += 1
        oi += 1
    return sampled
