"""whash's Haar steps as numba kernels: pywt's float64 operations, element by element.

`sparkhash.core.haar` states which IEEE operations pywt performs for the Haar wavelet (two
rounded products and one rounded sum per output of a filter step) and reproduces them with
whole-array numpy operations. These kernels perform the very same operations, in the same
order and on the same operands, one 2 x 2 block at a time: the four results of a block stay in
registers instead of making a pass over memory per operation (a 1024 x 1024 whash went through
~20 full-size float64 temporaries). numba compiles without fast-math, so there is no
re-association and no fused multiply-add: every `*`, `+` and `-` below is one IEEE float64
operation rounded to nearest, as in numpy and in pywt's C code. (IEEE addition is commutative,
so `c + a` and `a + c` are the same number; the order of subtraction operands is kept.)

`whash_haar_low(pixels, ll_max_level, dwt_level)` equals
`haar._whash_haar_low(pixels / 255.0, ll_max_level, dwt_level)` bit for bit (tests compare
both with pywt). Compiled code is cached on disk (`cache=True`, see `sparkhash.core.pdq_kernels`).
"""

from __future__ import annotations

import numba
import numpy

_JIT = {"cache": True, "nogil": True}

_H = 0.7071067811865476  # pywt's Haar filter coefficient (see sparkhash.core.haar)


@numba.njit(**_JIT)
def _dwt2(x, ll, lh, hl, hh):  # pragma: no cover - compiled
    """One analysis level (`haar._haar_dwt2`): x (2n, 2n) float64 -> four (n, n) bands."""
    n = ll.shape[0]
    for i in range(n):
        for j in range(n):
            a = _H * x[2 * i, 2 * j]
            b = _H * x[2 * i, 2 * j + 1]
            c = _H * x[2 * i + 1, 2 * j]
            d = _H * x[2 * i + 1, 2 * j + 1]
            low_even = (c + a) * _H
            low_odd = (d + b) * _H
            high_even = (a - c) * _H
            high_odd = (b - d) * _H
            ll[i, j] = low_odd + low_even
            lh[i, j] = low_even - low_odd
            hl[i, j] = high_odd + high_even
            hh[i, j] = high_even - high_odd


@numba.njit(**_JIT)
def _dwt2_pixels(pixels, ll, lh, hl, hh):  # pragma: no cover - compiled
    """`_dwt2` of `pixels / 255.0` (uint8 pixels; the division is numpy's, one IEEE division
    of the pixel as float64 by 255.0)."""
    n = ll.shape[0]
    for i in range(n):
        for j in range(n):
            a = _H * (numpy.float64(pixels[2 * i, 2 * j]) / 255.0)
            b = _H * (numpy.float64(pixels[2 * i, 2 * j + 1]) / 255.0)
            c = _H * (numpy.float64(pixels[2 * i + 1, 2 * j]) / 255.0)
            d = _H * (numpy.float64(pixels[2 * i + 1, 2 * j + 1]) / 255.0)
            low_even = (c + a) * _H
            low_odd = (d + b) * _H
            high_even = (a - c) * _H
            high_odd = (b - d) * _H
            ll[i, j] = low_odd + low_even
            lh[i, j] = low_even - low_odd
            hl[i, j] = high_odd + high_even
            hh[i, j] = high_even - high_odd


@numba.njit(**_JIT)
def _idwt2(ll, lh, hl, hh, out):  # pragma: no cover - compiled
    """One reconstruction level, axis 1 then axis 0 (`haar._remove_max_haar_ll`'s
    `_haar_idwt_axis(_haar_idwt_axis(ll, lh, 1), _haar_idwt_axis(hl, hh, 1), 0)`)."""
    n = ll.shape[0]
    for i in range(n):
        for j in range(n):
            h_ll = _H * ll[i, j]
            h_lh = _H * lh[i, j]
            h_hl = _H * hl[i, j]
            h_hh = _H * hh[i, j]
            low0 = h_ll + h_lh  # column 2j of the low rows
            low1 = h_ll - h_lh  # column 2j + 1
            high0 = h_hl + h_hh
            high1 = h_hl - h_hh
            h_low0 = _H * low0
            h_low1 = _H * low1
            h_high0 = _H * high0
            h_high1 = _H * high1
            out[2 * i, 2 * j] = h_low0 + h_high0
            out[2 * i + 1, 2 * j] = h_low0 - h_high0
            out[2 * i, 2 * j + 1] = h_low1 + h_high1
            out[2 * i + 1, 2 * j + 1] = h_low1 - h_high1


@numba.njit(**_JIT)
def _idwt2_ll(ll, lh, hl, hh, out):  # pragma: no cover - compiled
    """`haar._haar_idwt2_ll`: one reconstruction level, then the LL band of one analysis
    level of the result, per block; out (n, n)."""
    n = ll.shape[0]
    for i in range(n):
        for j in range(n):
            h_ll = _H * ll[i, j]
            h_lh = _H * lh[i, j]
            h_hl = _H * hl[i, j]
            h_hh = _H * hh[i, j]
            low_even = (h_ll + h_lh) * _H
            low_odd = (h_ll - h_lh) * _H
            high_even = (h_hl + h_hh) * _H
            high_odd = (h_hl - h_hh) * _H
            r00 = (low_even + high_even) * _H
            r01 = (low_odd + high_odd) * _H
            r10 = (low_even - high_even) * _H
            r11 = (low_odd - high_odd) * _H
            col_even = (r10 + r00) * _H
            col_odd = (r11 + r01) * _H
            out[i, j] = col_odd + col_even


@numba.njit(**_JIT)
def _ll(x, out):  # pragma: no cover - compiled
    """The approximation band of one analysis level (`haar._haar_ll`, one level)."""
    n = out.shape[0]
    for i in range(n):
        for j in range(n):
            low_even = _H * x[2 * i + 1, 2 * j] + _H * x[2 * i, 2 * j]
            low_odd = _H * x[2 * i + 1, 2 * j + 1] + _H * x[2 * i, 2 * j + 1]
            out[i, j] = _H * low_odd + _H * low_even


@numba.njit(**_JIT)
def _remove_max_haar_ll(values, levels):  # pragma: no cover - compiled
    """`haar._remove_max_haar_ll`: analyse `levels` times, zero the coarsest LL, reconstruct."""
    details = []
    approx = values
    for _ in range(levels):
        n = approx.shape[0] // 2
        ll = numpy.empty((n, n))
        lh = numpy.empty((n, n))
        hl = numpy.empty((n, n))
        hh = numpy.empty((n, n))
        _dwt2(approx, ll, lh, hl, hh)
        details.append((lh, hl, hh))
        approx = ll
    approx = approx * 0.0  # pywt: coeffs[0] *= 0 (keeps the sign of zero, as numpy does)
    for level in range(levels - 1, -1, -1):
        lh, hl, hh = details[level]
        n = lh.shape[0]
        out = numpy.empty((2 * n, 2 * n))
        _idwt2(approx, lh, hl, hh, out)
        approx = out
    return approx


@numba.njit(**_JIT)
def whash_haar_low(pixels, ll_max_level, dwt_level):  # pragma: no cover - compiled
    """whash's LL band: `haar._whash_haar_low(pixels / 255.0, ll_max_level, dwt_level)` for a
    square power-of-two uint8 array, 1 <= dwt_level <= ll_max_level <= log2(side)."""
    n = pixels.shape[0] // 2
    ll = numpy.empty((n, n))
    lh = numpy.empty((n, n))
    hl = numpy.empty((n, n))
    hh = numpy.empty((n, n))
    _dwt2_pixels(pixels, ll, lh, hl, hh)
    ll = _remove_max_haar_ll(ll, ll_max_level - 1)
    low = numpy.empty((n, n))
    _idwt2_ll(ll, lh, hl, hh, low)
    for _ in range(dwt_level - 1):
        m = low.shape[0] // 2
        smaller = numpy.empty((m, m))
        _ll(low, smaller)
        low = smaller
    return low
