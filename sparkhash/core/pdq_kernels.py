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
Down the columns, every column's running sum is a lane of one vector loop over the row;
along the rows, four rows' running sums run interleaved (independent dependency chains, so
the processor overlaps them; transposing strips of rows for vector lanes measured slower:
~1.9 ns a pixel for a luma written transposed, against ~0.3 row-major; 8 or 16 interleaved
rows were slower than 4, their buffers no longer fit the L1 cache). The first row pass
writes its undivided sums and divides them afterwards in one vector loop (`divide_rows`):
an IEEE float32 division gives the same bits wherever it runs, and a scalar division per
pixel inside the running sum's loop cost ~1 ns a pixel more than the sums themselves.
Each running sum does exactly the reference's sequence of float32 operations: numba compiles
without fast-math (no re-association, no fused multiply-add, IEEE float32 division).

The reference filters `(rows, then columns) x 2` and then keeps 64 x 64 samples. Only the
last column pass at 64 columns, and only the divisions of the second row pass at those 64
columns, are needed; their running sums still run over every pixel. The first three passes
are streamed (`three_passes`), so the only full-size array is the decoded image.
"""

from __future__ import annotations

import numba
import numpy

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@numba.njit(**_JIT)
def window_sizes(w, n):  # pragma: no cover - compiled
    """The divisor of each output of the reference's 1-D box filter of window w over n pixels
    (`box1DFloat`): the current window size, growing from h = (w + 2) // 2 to w, staying at
    w, shrinking to w - h + 1 at the end (float32: small integers, exact)."""
    h = (w + 2) // 2
    out = numpy.empty(n, numpy.float32)
    cws = h - 1
    oi = 0
    for _ in range(w - h + 1):
        cws += 1
        out[oi] = cws
        oi += 1
    for _ in range(n - w):
        out[oi] = w
        oi += 1
    for _ in range(h - 1):
        cws -= 1
        out[oi] = cws
        oi += 1
    return out


@numba.njit(**_JIT)
def rows4_sums(x, out, w, n):  # pragma: no cover - compiled
    """The running sums of the reference's 1-D box filter (`box1DFloat`, full window w) along
    x[0:4, :n], four rows interleaved, into out[0:4, :n], NOT yet divided (`divide_rows`
    divides them, vectorised: the float32 sum divided by the window size is the same IEEE
    division whether it runs in this loop or later, and out of the loop it does not hold up
    the running sums). Its four phases: grow the window without writing, grow it writing,
    slide it (add the entering pixel, then subtract the leaving one), shrink it writing."""
    h = (w + 2) // 2  # 7 -> 4, 8 -> 5
    s0 = s1 = s2 = s3 = numpy.float32(0)
    ri = 0
    for _ in range(h - 1):
        s0 += x[0, ri]
        s1 += x[1, ri]
        s2 += x[2, ri]
        s3 += x[3, ri]
        ri += 1
    oi = 0
    for _ in range(w - h + 1):
        s0 += x[0, ri]
        s1 += x[1, ri]
        s2 += x[2, ri]
        s3 += x[3, ri]
        out[0, oi] = s0
        out[1, oi] = s1
        out[2, oi] = s2
        out[3, oi] = s3
        ri += 1
        oi += 1
    li = 0
    for _ in range(n - w):
        s0 += x[0, ri]
        s0 -= x[0, li]
        s1 += x[1, ri]
        s1 -= x[1, li]
        s2 += x[2, ri]
        s2 -= x[2, li]
        s3 += x[3, ri]
        s3 -= x[3, li]
        out[0, oi] = s0
        out[1, oi] = s1
        out[2, oi] = s2
        out[3, oi] = s3
        ri += 1
        li += 1
        oi += 1
    for _ in range(h - 1):
        s0 -= x[0, li]
        s1 -= x[1, li]
        s2 -= x[2, li]
        s3 -= x[3, li]
        out[0, oi] = s0
        out[1, oi] = s1
        out[2, oi] = s2
        out[3, oi] = s3
        li += 1
        oi += 1


@numba.njit(**_JIT)
def divide_rows(x, sizes):  # pragma: no cover - compiled
    """x[k, j] /= sizes[j] for every row k: `rows4_sums`' divisions, as one vector loop."""
    for k in range(x.shape[0]):
        for j in range(sizes.shape[0]):
            x[k, j] = x[k, j] / sizes[j]


@numba.njit(**_JIT)
def _put4(out, slot, r0, d, s0, s1, s2, s3):  # pragma: no cover - compiled
    out[r0, slot] = s0 / d
    out[r0 + 1, slot] = s1 / d
    out[r0 + 2, slot] = s2 / d
    out[r0 + 3, slot] = s3 / d


@numba.njit(**_JIT)
def rows4_sampled(x, w, n, slot, out, r0):  # pragma: no cover - compiled
    """The running sums of `rows4_sums`, dividing and writing only the outputs oi with
    slot[oi] >= 0: to out[r0 + g, slot[oi]] for row g of the four."""
    h = (w + 2) // 2
    s0 = s1 = s2 = s3 = numpy.float32(0)
    ri = 0
    for _ in range(h - 1):
        s0 += x[0, ri]
        s1 += x[1, ri]
        s2 += x[2, ri]
        s3 += x[3, ri]
        ri += 1
    cws = h - 1
    oi = 0
    for _ in range(w - h + 1):
        cws += 1
        s0 += x[0, ri]
        s1 += x[1, ri]
        s2 += x[2, ri]
        s3 += x[3, ri]
        if slot[oi] >= 0:
            _put4(out, slot[oi], r0, numpy.float32(cws), s0, s1, s2, s3)
        ri += 1
        oi += 1
    li = 0
    for _ in range(n - w):
        s0 += x[0, ri]
        s0 -= x[0, li]
        s1 += x[1, ri]
        s1 -= x[1, li]
        s2 += x[2, ri]
        s2 -= x[2, li]
        s3 += x[3, ri]
        s3 -= x[3, li]
        if slot[oi] >= 0:
            _put4(out, slot[oi], r0, numpy.float32(w), s0, s1, s2, s3)
        ri += 1
        li += 1
        oi += 1
    for _ in range(h - 1):
        cws -= 1
        s0 -= x[0, li]
        s1 -= x[1, li]
        s2 -= x[2, li]
        s3 -= x[3, li]
        if slot[oi] >= 0:
            _put4(out, slot[oi], r0, numpy.float32(cws), s0, s1, s2, s3)
        li += 1
        oi += 1


@numba.njit(**_JIT)
def three_passes(
    packed, rgb, tables, packed_flag, wr, wc, slot_cols, n_sampled
):  # pragma: no cover - compiled
    """Luma, box pass 1 along the rows (window wr), pass 2 down the columns (window wc) and
    pass 3 along the rows, streamed four rows at a time so no full-size intermediate image is
    written: pass 1's rows go to a ring of the last rows pass 2 still reads (its window plus
    a group), pass 2's output rows to `rows4_sampled`, which keeps only the sampled columns.

    Pixels: `packed` (rows x cols uint32, little-endian r | g << 8 | b << 16 | x << 24:
    Pillow's own RGB storage, whose whole words let the luma loop vectorise) when packed_flag,
    else `rgb` (rows x cols x 3 or 4 uint8, any strides) with the float64 products looked up
    in `tables` (tables[c, v] = v * coefficient c: the same doubles). Either way luma =
    float32(r * 0.299 + g * 0.587 + b * 0.114) evaluated in float64 left to right, as the
    pdqhash bindings compute it in numpy.

    Pass 2 is the reference's four phases written per output row oi: rows 0..h-2 are added
    first; then row oi + h - 1 enters (growing, then sliding with row oi + h - 1 - w leaving
    after it), and at the end only rows leave; the divisor is the current window size.
    Returns sampled (rows x n_sampled): the image after three passes at the sampled columns."""
    if packed_flag:
        R, C = packed.shape
    else:
        R = rgb.shape[0]
        C = rgb.shape[1]
    w = wc
    h = (w + 2) // 2  # 7 -> 4, 8 -> 5
    ring_rows = 4 * ((w + 8) // 4) + 4  # a multiple of 4 (groups never wrap), > w + 5
    ring = numpy.empty((ring_rows, C), numpy.float32)
    luma = numpy.zeros((4, C), numpy.float32)
    rows = numpy.zeros((4, C), numpy.float32)
    sampled = numpy.empty((R + 3, n_sampled), numpy.float32)  # room for a last partial group
    s = numpy.zeros(C, numpy.float32)
    row_sizes = window_sizes(wr, C)  # pass 1's divisors, column by column
    added = 0  # rows added before the first output (pass 2's first phase)
    oi = 0  # next output row of pass 2
    for r0 in range(0, R, 4):
        for k in range(min(4, R - r0)):
            if packed_flag:
                for j in range(C):
                    v = packed[r0 + k, j]
                    luma[k, j] = numpy.float32(
                        ((v & 255) * 0.299 + ((v >> 8) & 255) * 0.587) + ((v >> 16) & 255) * 0.114
                    )
            else:
                for j in range(C):
                    luma[k, j] = numpy.float32(
                        (tables[0, rgb[r0 + k, j, 0]] + tables[1, rgb[r0 + k, j, 1]])
                        + tables[2, rgb[r0 + k, j, 2]]
                    )
        g = r0 % ring_rows
        rows4_sums(luma, ring[g : g + 4], wr, C)  # pass 1
        divide_rows(ring[g : g + 4], row_sizes)
        produced = min(r0 + 4, R)
        while added < h - 1 and added < produced:
            x = ring[added % ring_rows]
            for j in range(C):
                s[j] += x[j]
            added += 1
        if added < h - 1:
            continue
        while oi < R and min(oi + h - 1, R - 1) < produced:  # pass 2, as far as rows allow
            k = oi % 4
            if oi <= w - h:  # growing, writing
                x = ring[(oi + h - 1) % ring_rows]
                d = numpy.float32(oi + h)
                for j in range(C):
                    s[j] += x[j]
                    rows[k, j] = s[j] / d
            elif oi <= R - h:  # sliding: add the entering row, then subtract the leaving one
                x = ring[(oi + h - 1) % ring_rows]
                y = ring[(oi + h - 1 - w) % ring_rows]
                d = numpy.float32(w)
                for j in range(C):
                    s[j] += x[j]
                    s[j] -= y[j]
                    rows[k, j] = s[j] / d
            else:  # shrinking
                y = ring[(oi + h - 1 - w) % ring_rows]
                d = numpy.float32(w - (oi - (R - h)))
                for j in range(C):
                    s[j] -= y[j]
                    rows[k, j] = s[j] / d
            if k == 3 or oi == R - 1:
                rows4_sampled(rows, wr, C, slot_cols, sampled, oi - k)  # pass 3
            oi += 1
    return sampled[:R]


@numba.njit(**_JIT)
def cols_box_sampled(x, w, slot, out):  # pragma: no cover - compiled
    """The last box pass down the columns of x (window w, every column a lane), dividing and
    writing only the output rows oi with slot[oi] >= 0, to out[slot[oi], :]."""
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
                out[slot[oi], j] = s[j] / d
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
                out[slot[oi], j] = s[j] / d
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
                out[slot[oi], j] = s[j] / d
        li += 1
        oi += 1


@numba.njit(**_JIT)
def dct64_to_16(a, d, dt):  # pragma: no cover - compiled
    """dct64To16: T = D A (16 x 64), then B = T D^T (16 x 16); every entry a float32 sum of
    float32 products accumulated from 0 in index order k, as the reference's loops do. The
    loops run k outside and the output index inside, so a row of independent sums advances
    one k at a time (a vector loop; each sum still sees its terms in the reference's order,
    no fused multiply-add: numba compiles without fast-math). dt is D transposed (64 x 16)."""
    t = numpy.zeros((16, 64), numpy.float32)
    for i in range(16):
        ti = t[i]
        for k in range(64):
            dik = d[i, k]
            ak = a[k]
            for j in range(64):
                ti[j] += dik * ak[j]
    b = numpy.zeros((16, 16), numpy.float32)
    for i in range(16):
        bi = b[i]
        for k in range(64):
            tik = t[i, k]
            dk = dt[k]
            for j in range(16):
                bi[j] += tik * dk[j]
    return b


@numba.njit(**_JIT)
def quality(a):  # pragma: no cover - compiled
    """The sum of |int(float32(u - v) * 100 / 255)| over vertically and horizontally adjacent
    samples of a (pdqImageDomainQualityMetric before its // 90): float32 products and
    quotient, truncated toward zero, as the reference's int cast."""
    rows, cols = a.shape
    hundred = numpy.float32(100)
    scale = numpy.float32(255)
    total = 0
    for i in range(rows - 1):
        for j in range(cols):
            total += abs(numpy.int32((a[i, j] - a[i + 1, j]) * hundred / scale))
    for i in range(rows):
        for j in range(cols - 1):
            total += abs(numpy.int32((a[i, j] - a[i, j + 1]) * hundred / scale))
    return total
