"""PNG unfiltering as numba kernels: the rows of an inflated IDAT stream -> Pillow's pixel layout.

Used by `sparkhash.core.png` (the PNG fast path of `decode_image`) and imported only when a
PNG is decoded, so numba is not loaded for other formats. The compiled code is cached on disk
(`cache=True`, as the other kernels).

Why exact. PNG is lossless: every row of the inflated stream is one filter-type byte and the
row's bytes, each the difference between the pixel byte and a prediction from the bytes
already decoded (the byte one pixel to the left `a`, above `b`, above-left `c`), modulo 256.
The PNG specification defines the five predictions (None, Sub, Up, Average, Paeth) exactly, so
any correct unfiltering gives the bytes Pillow's decoder (`ZipDecode.c`) gives: the same pixels
by definition. The tests compare them with Pillow's on every filter type, and a run over every
PNG of the dev corpus did.

Why faster than Pillow's per-byte C loop. Pillow unfilters a row in place in the file's layout
and then unpacks it into its pixel words (RGB: 3 bytes -> 4 bytes per pixel, the 4th 255).
These kernels write straight into the final layout (one pass), keep the left neighbours of
all channels of a pixel in registers (the channels' chains of dependencies interleaved: the
processor overlaps them), and choose Paeth's predictor by selects instead of branches where
the compiler keeps them (its conditions are unpredictable on photos).

Each kernel returns 0, or -1 on a filter-type byte above 4 (a corrupt file): the caller then
lets Pillow decode the file, so the error is Pillow's.
"""

from __future__ import annotations

import numba
import numpy

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}
_I = numpy.int32


@numba.njit(inline="always")
def _paeth(a, b, c):  # pragma: no cover - compiled
    """The PNG Paeth predictor of a (left), b (above), c (above-left): the one nearest to
    a + b - c, ties to a, then b."""
    pa = abs(b - c)
    pb = abs(a - c)
    pc = abs(a + b - c - c)
    r = b if pb <= pc else c
    return a if (pa <= pb) & (pa <= pc) else r


@numba.njit(**_JIT)
def unfilter_1(raw, out, zero):  # pragma: no cover - compiled
    """One byte a pixel ('L', 'P'): raw (height, 1 + width) -> out (height, width).
    zero: `width` zero bytes, the row above the first. Runs of Paeth rows are unfiltered four
    (or two) rows at a time in one loop over the columns, each row's pixel right after the one
    above it: a pixel's Paeth needs the pixel to its left, so one row is one chain of
    dependencies, and four chains at once keep the processor busy where one leaves it waiting."""
    h, w = out.shape
    y = 0
    while y < h:
        f = raw[y, 0]
        s = raw[y, 1:]
        o = out[y]
        p = out[y - 1] if y > 0 else zero
        if f == 4 and y + 3 < h and raw[y + 1, 0] == 4 and raw[y + 2, 0] == 4 and raw[y + 3, 0] == 4:
            s1 = raw[y + 1, 1:]
            s2 = raw[y + 2, 1:]
            s3 = raw[y + 3, 1:]
            o1 = out[y + 1]
            o2 = out[y + 2]
            o3 = out[y + 3]
            a0 = a1 = a2 = a3 = _I(0)
            c0 = c1 = c2 = c3 = _I(0)
            for x in range(w):
                b0 = _I(p[x])
                a0 = (_I(s[x]) + _paeth(a0, b0, c0)) & 255
                o[x] = a0
                a1 = (_I(s1[x]) + _paeth(a1, a0, c1)) & 255
                o1[x] = a1
                a2 = (_I(s2[x]) + _paeth(a2, a1, c2)) & 255
                o2[x] = a2
                a3 = (_I(s3[x]) + _paeth(a3, a2, c3)) & 255
                o3[x] = a3
                c0 = b0
                c1 = a0
                c2 = a1
                c3 = a2
            y += 4
            continue
        if f == 4 and y + 1 < h and raw[y + 1, 0] == 4:
            s1 = raw[y + 1, 1:]
            o1 = out[y + 1]
            a0 = a1 = _I(0)
            c0 = c1 = _I(0)
            for x in range(w):
                b0 = _I(p[x])
                a0 = (_I(s[x]) + _paeth(a0, b0, c0)) & 255
                o[x] = a0
                a1 = (_I(s1[x]) + _paeth(a1, a0, c1)) & 255
                o1[x] = a1
                c0 = b0
                c1 = a0
            y += 2
            continue
        if f == 0:
            for x in range(w):
                o[x] = s[x]
        elif f == 1:
            a = _I(0)
            for x in range(w):
                a = (_I(s[x]) + a) & 255
                o[x] = a
        elif f == 2:
            for x in range(w):
                o[x] = s[x] + p[x]
        elif f == 3:
            a = _I(0)
            for x in range(w):
                a = (_I(s[x]) + ((a + _I(p[x])) >> 1)) & 255
                o[x] = a
        elif f == 4:
            a = _I(0)
            c = _I(0)
            for x in range(w):
                b = _I(p[x])
                a = (_I(s[x]) + _paeth(a, b, c)) & 255
                o[x] = a
                c = b
        else:
            return -1
        y += 1
    return 0


@numba.njit(**_JIT)
def unfilter_2(raw, out, zero):  # pragma: no cover - compiled
    """Two bytes a pixel ('LA'): raw (height, 1 + 2 width) -> out (height, 4 width) in Pillow's
    LA layout, L, L, L, A. zero: 4 width zero bytes, the row above the first."""
    h = out.shape[0]
    w = out.shape[1] // 4
    for y in range(h):
        f = raw[y, 0]
        s = raw[y, 1:]
        o = out[y]
        p = out[y - 1] if y > 0 else zero
        if f > 4:
            return -1
        a0 = a1 = _I(0)
        c0 = c1 = _I(0)
        for x in range(w):
            b0 = _I(p[4 * x])
            b1 = _I(p[4 * x + 3])
            if f == 0:
                a0 = _I(s[2 * x])
                a1 = _I(s[2 * x + 1])
            elif f == 1:
                a0 = (_I(s[2 * x]) + a0) & 255
                a1 = (_I(s[2 * x + 1]) + a1) & 255
            elif f == 2:
                a0 = (_I(s[2 * x]) + b0) & 255
                a1 = (_I(s[2 * x + 1]) + b1) & 255
            elif f == 3:
                a0 = (_I(s[2 * x]) + ((a0 + b0) >> 1)) & 255
                a1 = (_I(s[2 * x + 1]) + ((a1 + b1) >> 1)) & 255
            else:
                a0 = (_I(s[2 * x]) + _paeth(a0, b0, c0)) & 255
                a1 = (_I(s[2 * x + 1]) + _paeth(a1, b1, c1)) & 255
            o[4 * x] = a0
            o[4 * x + 1] = a0
            o[4 * x + 2] = a0
            o[4 * x + 3] = a1
            c0 = b0
            c1 = b1
    return 0


@numba.njit(**_JIT)
def unfilter_3(raw, out, zero):  # pragma: no cover - compiled
    """Three bytes a pixel ('RGB'): raw (height, 1 + 3 width) -> out (height, 4 width) in
    Pillow's RGB layout, R, G, B, 255. zero: 4 width zero bytes, the row above the first.
    Two consecutive Paeth rows are unfiltered in one loop over the columns (two rows' chains
    of dependencies at once, as in `unfilter_1`; more rows run out of registers)."""
    h = out.shape[0]
    w = out.shape[1] // 4
    y = -1
    while y + 1 < h:
        y += 1
        f = raw[y, 0]
        s = raw[y, 1:]
        o = out[y]
        p = out[y - 1] if y > 0 else zero
        if f == 4 and y + 1 < h and raw[y + 1, 0] == 4:
            t = raw[y + 1, 1:]
            q = out[y + 1]
            a0 = a1 = a2 = _I(0)
            c0 = c1 = c2 = _I(0)
            d0 = d1 = d2 = _I(0)
            e0 = e1 = e2 = _I(0)
            for x in range(w):
                b0 = _I(p[4 * x])
                b1 = _I(p[4 * x + 1])
                b2 = _I(p[4 * x + 2])
                a0 = (_I(s[3 * x]) + _paeth(a0, b0, c0)) & 255
                a1 = (_I(s[3 * x + 1]) + _paeth(a1, b1, c1)) & 255
                a2 = (_I(s[3 * x + 2]) + _paeth(a2, b2, c2)) & 255
                o[4 * x] = a0
                o[4 * x + 1] = a1
                o[4 * x + 2] = a2
                o[4 * x + 3] = 255
                d0 = (_I(t[3 * x]) + _paeth(d0, a0, e0)) & 255
                d1 = (_I(t[3 * x + 1]) + _paeth(d1, a1, e1)) & 255
                d2 = (_I(t[3 * x + 2]) + _paeth(d2, a2, e2)) & 255
                q[4 * x] = d0
                q[4 * x + 1] = d1
                q[4 * x + 2] = d2
                q[4 * x + 3] = 255
                c0 = b0
                c1 = b1
                c2 = b2
                e0 = a0
                e1 = a1
                e2 = a2
            y += 1
        elif f == 0:
            for x in range(w):
                o[4 * x] = s[3 * x]
                o[4 * x + 1] = s[3 * x + 1]
                o[4 * x + 2] = s[3 * x + 2]
                o[4 * x + 3] = 255
        elif f == 1:
            a0 = a1 = a2 = _I(0)
            for x in range(w):
                a0 = (_I(s[3 * x]) + a0) & 255
                a1 = (_I(s[3 * x + 1]) + a1) & 255
                a2 = (_I(s[3 * x + 2]) + a2) & 255
                o[4 * x] = a0
                o[4 * x + 1] = a1
                o[4 * x + 2] = a2
                o[4 * x + 3] = 255
        elif f == 2:
            for x in range(w):
                o[4 * x] = s[3 * x] + p[4 * x]
                o[4 * x + 1] = s[3 * x + 1] + p[4 * x + 1]
                o[4 * x + 2] = s[3 * x + 2] + p[4 * x + 2]
                o[4 * x + 3] = 255
        elif f == 3:
            a0 = a1 = a2 = _I(0)
            for x in range(w):
                a0 = (_I(s[3 * x]) + ((a0 + _I(p[4 * x])) >> 1)) & 255
                a1 = (_I(s[3 * x + 1]) + ((a1 + _I(p[4 * x + 1])) >> 1)) & 255
                a2 = (_I(s[3 * x + 2]) + ((a2 + _I(p[4 * x + 2])) >> 1)) & 255
                o[4 * x] = a0
                o[4 * x + 1] = a1
                o[4 * x + 2] = a2
                o[4 * x + 3] = 255
        elif f == 4:
            a0 = a1 = a2 = _I(0)
            c0 = c1 = c2 = _I(0)
            for x in range(w):
                b0 = _I(p[4 * x])
                b1 = _I(p[4 * x + 1])
                b2 = _I(p[4 * x + 2])
                a0 = (_I(s[3 * x]) + _paeth(a0, b0, c0)) & 255
                a1 = (_I(s[3 * x + 1]) + _paeth(a1, b1, c1)) & 255
                a2 = (_I(s[3 * x + 2]) + _paeth(a2, b2, c2)) & 255
                o[4 * x] = a0
                o[4 * x + 1] = a1
                o[4 * x + 2] = a2
                o[4 * x + 3] = 255
                c0 = b0
                c1 = b1
                c2 = b2
        else:
            return -1
    return 0


@numba.njit(**_JIT)
def unfilter_4(raw, out, zero):  # pragma: no cover - compiled
    """Four bytes a pixel ('RGBA'): raw (height, 1 + 4 width) -> out (height, 4 width), the
    file's layout and Pillow's. zero: 4 width zero bytes, the row above the first."""
    h = out.shape[0]
    w = out.shape[1] // 4
    for y in range(h):
        f = raw[y, 0]
        s = raw[y, 1:]
        o = out[y]
        p = out[y - 1] if y > 0 else zero
        if f == 0:
            for x in range(4 * w):
                o[x] = s[x]
        elif f == 1:
            a0 = a1 = a2 = a3 = _I(0)
            for x in range(w):
                a0 = (_I(s[4 * x]) + a0) & 255
                a1 = (_I(s[4 * x + 1]) + a1) & 255
                a2 = (_I(s[4 * x + 2]) + a2) & 255
                a3 = (_I(s[4 * x + 3]) + a3) & 255
                o[4 * x] = a0
                o[4 * x + 1] = a1
                o[4 * x + 2] = a2
                o[4 * x + 3] = a3
        elif f == 2:
            for x in range(4 * w):
                o[x] = s[x] + p[x]
        elif f == 3:
            a0 = a1 = a2 = a3 = _I(0)
            for x in range(w):
                a0 = (_I(s[4 * x]) + ((a0 + _I(p[4 * x])) >> 1)) & 255
                a1 = (_I(s[4 * x + 1]) + ((a1 + _I(p[4 * x + 1])) >> 1)) & 255
                a2 = (_I(s[4 * x + 2]) + ((a2 + _I(p[4 * x + 2])) >> 1)) & 255
                a3 = (_I(s[4 * x + 3]) + ((a3 + _I(p[4 * x + 3])) >> 1)) & 255
                o[4 * x] = a0
                o[4 * x + 1] = a1
                o[4 * x + 2] = a2
                o[4 * x + 3] = a3
        elif f == 4:
            a0 = a1 = a2 = a3 = _I(0)
            c0 = c1 = c2 = c3 = _I(0)
            for x in range(w):
                b0 = _I(p[4 * x])
                b1 = _I(p[4 * x + 1])
                b2 = _I(p[4 * x + 2])
                b3 = _I(p[4 * x + 3])
                a0 = (_I(s[4 * x]) + _paeth(a0, b0, c0)) & 255
                a1 = (_I(s[4 * x + 1]) + _paeth(a1, b1, c1)) & 255
                a2 = (_I(s[4 * x + 2]) + _paeth(a2, b2, c2)) & 255
                a3 = (_I(s[4 * x + 3]) + _paeth(a3, b3, c3)) & 255
                o[4 * x] = a0
                o[4 * x + 1] = a1
                o[4 * x + 2] = a2
                o[4 * x + 3] = a3
                c0 = b0
                c1 = b1
                c2 = b2
                c3 = b3
        else:
            return -1
    return 0
