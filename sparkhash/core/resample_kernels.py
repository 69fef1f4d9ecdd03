"""Pillow's 8-bit LANCZOS passes as numba kernels, in Pillow's integer arithmetic.

Pillow (libImaging/Resample.c, `ImagingResample{Horizontal,Vertical}_8bpc`) computes every
output sample of a pass as

    ss = 1 << 21;  for each tap: ss += pixel * k;  out = clip8(ss >> 22)

with 8-bit pixels, int32 fixed-point coefficients `k` (22 fractional bits, computed by
`sparkhash.core.resample`) and an int32 sum. Here the same: integer products and an integer
sum, then the arithmetic shift and the clip, so the result is Pillow's byte whatever the
summation order. The kernels sum in int32 (wrapping) arithmetic: sums modulo 2**32 do not
depend on the order of the terms, and the true sum lies in [-2**31, 2**31) (the positive
coefficients of one sample add up to at most ~1.29 * 2**22, so the sum is below
2**21 + 255 * 1.29 * 2**22 < 0.65 * 2**31; `resample` checks this bound for every pass it
makes and leaves any pass outside it to Pillow), so the wrapped int32 result is that true sum
exactly, even if a partial sum in the vectorised order wrapped. No floating point is involved
in a pass, so vectorisation cannot change a bit.

The int32 is explicit: numba types the product of two int32 scalars as int64, which kept the
dot products of `horizontal` in 64-bit lanes (4 per AVX2 vector, `vpmuldq`); truncating every
step to int32 (exact, by the modular argument above) lets the compiler keep 8 lanes per vector
(`vpmulld`): ~35 % less time for a 1,600 px row to 32, 9 or 8 samples.

`vertical` resamples along axis 0: each output row is a weighted sum of input rows, a loop
over the contiguous row that the compiler vectorises (uint8 widened to int32, one vector
multiply and add per tap). `horizontal` resamples along axis 1 as dot products of a row
segment with an output's coefficients, four rows at a time (the coefficient loads are shared);
that vectorises well when each output has many taps (narrow thumbnails: a 1,600 px row to 8
samples is ~1,200 taps each). For wide outputs (a few taps each) `sparkhash.core.resample`
runs the vertical kernel on the transposed image instead (`transpose`, 16 x 32 blocks in
registers); every wide width of an image, and every crop of it, reads one transposed copy.

Where AVX2 is available, `vertical_packed` and `horizontal_packed` compute the same bytes
with 16-bit products: every coefficient split exactly into two int16 halves, `pmaddwd` on
interleaved row pairs (vertical: two taps per instruction) or on 16 taps of a row
(horizontal), the halves recombined in int32 (see their sections below): ~25-35 % less time
for a vertical pass, about half for a narrow horizontal one; `vertical` and `horizontal`
elsewhere.

`fixed_coefficients` computes the coefficients as Pillow's `precompute_coeffs` and
`normalize_coeffs_8bpc` do, with one difference: the sines. Pillow calls the C library's `sin`
twice per tap (sinc(x) and sinc(x / 3)); here sin(pi x / 3) comes from a polynomial and
sin(pi x) from the triple-angle identity, one cheap evaluation per tap instead of two library
calls (those were most of the cost of cold coefficients: ~160,000 sines for the thumbnails of
one photo). Both are within ~1e-15 of the true values, so a coefficient scaled by 2**22 is
within ~1e-8 of Pillow's; the caller refuses (and leaves to Pillow) any pass with a scaled
coefficient within `margin` (1e-7) of a rounding boundary, so every coefficient kept rounds
to Pillow's integer.

The compiled code is cached on disk (`cache=True`, as `sparkhash.core.pdq_kernels`), so a
worker process compiles once per installation and later processes load it.
"""

from __future__ import annotations

import math

import numba
import numpy
from llvmlite import ir
from numba import types
from numba.core import cgutils, config
from numba.extending import intrinsic

_JIT = {"cache": True, "nogil": True}

_HALF = 1 << 21  # Pillow's rounding offset, 1 << (PRECISION_BITS - 1)
_SHIFT = 22  # PRECISION_BITS


@numba.njit(**_JIT)
def vertical(src, first, count, coef, out):  # pragma: no cover - compiled
    """out[i, :] = clip8((2**21 + sum_k src[first[i] + k, :] * coef[i, k]) >> 22) for
    k < count[i]: Pillow's vertical 8bpc pass. src uint8 (rows, width), any row stride; coef
    int32 (outputs, taps); out uint8 (outputs, width). Four taps per sweep of the row of
    sums (a quarter of its loads and stores: ~20 % faster than one); integer sums, so the
    grouping does not change a bit."""
    width = src.shape[1]
    acc = numpy.empty(width, numpy.int32)
    for i in range(first.shape[0]):
        acc[:] = _HALF
        y0 = first[i]
        n = count[i]
        k = 0
        while k + 4 <= n:
            c0, c1, c2, c3 = coef[i, k], coef[i, k + 1], coef[i, k + 2], coef[i, k + 3]
            r0, r1, r2, r3 = src[y0 + k], src[y0 + k + 1], src[y0 + k + 2], src[y0 + k + 3]
            for x in range(width):
                acc[x] += (numpy.int32(r0[x]) * c0 + numpy.int32(r1[x]) * c1) + (
                    numpy.int32(r2[x]) * c2 + numpy.int32(r3[x]) * c3
                )
            k += 4
        while k < n:
            c = coef[i, k]
            row = src[y0 + k]
            for x in range(width):
                acc[x] += numpy.int32(row[x]) * c
            k += 1
        dst = out[i]
        for x in range(width):
            dst[x] = _clip8(acc[x] >> _SHIFT)


@numba.njit(**_JIT)
def horizontal(src, first, count, coef, out):  # pragma: no cover - compiled
    """out[:, j] = clip8((2**21 + sum_k src[:, first[j] + k] * coef[j, k]) >> 22) for
    k < count[j]: Pillow's horizontal 8bpc pass. src uint8 (rows, width), any strides; coef
    int32 (outputs, taps); out uint8 (rows, outputs)."""
    rows = src.shape[0]
    n = first.shape[0]
    y = 0
    while y + 4 <= rows:  # four rows share each coefficient load
        for j in range(n):
            x0 = first[j]
            taps = count[j]
            cj = coef[j]
            r0 = src[y, x0 : x0 + taps]
            r1 = src[y + 1, x0 : x0 + taps]
            r2 = src[y + 2, x0 : x0 + taps]
            r3 = src[y + 3, x0 : x0 + taps]
            a0 = a1 = a2 = a3 = numpy.int32(_HALF)
            for k in range(taps):  # int32 steps: see the module docstring
                c = cj[k]
                a0 = numpy.int32(a0 + numpy.int32(r0[k]) * c)
                a1 = numpy.int32(a1 + numpy.int32(r1[k]) * c)
                a2 = numpy.int32(a2 + numpy.int32(r2[k]) * c)
                a3 = numpy.int32(a3 + numpy.int32(r3[k]) * c)
            out[y, j] = _clip8(a0 >> _SHIFT)
            out[y + 1, j] = _clip8(a1 >> _SHIFT)
            out[y + 2, j] = _clip8(a2 >> _SHIFT)
            out[y + 3, j] = _clip8(a3 >> _SHIFT)
        y += 4
    for yy in range(y, rows):
        for j in range(n):
            x0 = first[j]
            cj = coef[j]
            r0 = src[yy, x0 : x0 + count[j]]
            a0 = numpy.int32(_HALF)
            for k in range(count[j]):
                a0 = numpy.int32(a0 + numpy.int32(r0[k]) * cj[k])
            out[yy, j] = _clip8(a0 >> _SHIFT)


# ---------------------------------------------------------------------------- packed vertical pass
# `vertical` multiplies widened pixels by int32 coefficients (`vpmulld`: 8 products per AVX2
# instruction, two micro-ops). `vertical_packed` computes the same sums from 16-bit products.
# Every coefficient is split exactly as c = hi * 2**15 + lo with 0 <= lo < 2**15, so
# |hi| <= 1.3 * 2**7 + 1 < 2**8 for |c| <= 1.3 * 2**22 (both halves fit int16; `_planes`
# checks it). The pixels of two consecutive taps (rows r and r + 1) are interleaved as 16-bit
# words (p_r[x], p_r+1[x]), and one `pmaddwd` per plane gives p_r[x] * h_r + p_r+1[x] * h_r+1
# for 8 columns: 16 products per one-micro-op instruction (fused with the addition,
# `vpdpwssd`, on AVX-512 VNNI). The sum is
#     (sum_hi << 15) + sum_lo + 2**21
# in wrapping int32 arithmetic throughout. Each pmaddwd lane is exact (pixels 0..255, halves
# below 2**15 in magnitude: |p * h| < 2**23, a pair < 2**24) and every later step is an int32
# addition or shift, so the result is the true sum modulo 2**32; the true sum lies in
# [-2**31, 2**31) (`resample._sums_fit_int32`), so it is that sum, bit for bit: Pillow's, then
# shifted by 22 and clipped as `vertical` does. No bound on the partial sums is needed.
# Each output reads a window of an even number of rows (`taps` in `packed_planes`) starting at
# window[i] <= first[i] and ending inside the image, its coefficients placed at first[i] -
# window[i] and zero around them, so no row outside the image is read and no tap is a special
# case. Columns are done 32 at a time (per row pair, 64 interleaved words: four pmaddwd per
# plane, accumulators in registers for the whole window); the last width % 32 columns by
# `vertical`. The instruction comes from LLVM's AVX2 intrinsic: `PACKED` is True only when
# numba compiles for the host CPU and that CPU has AVX2 (elsewhere `vertical` is used); x86-64
# only, as the passes themselves (`resample._platform_allows`).

_LANES = 32  # columns per block of `vertical_packed`
_SPLIT = 15  # c = hi << _SPLIT + lo


def _host_has_avx2() -> bool:
    if config.CPU_NAME or config.CPU_FEATURES:  # numba told to compile for another CPU
        return False
    try:
        import llvmlite.binding as llvm

        return bool(llvm.get_host_cpu_features().get("avx2", False))
    except Exception:  # noqa: BLE001 - unknown host: the portable kernel
        return False


#: Whether `vertical_packed` may be used (AVX2 on the CPU numba compiles for).
PACKED = _host_has_avx2()


def packed_planes(first, count, coef, in_size, multiple=2):
    """(window int64 (outputs,), hi, lo int16 (outputs, taps)) for `vertical_packed` (taps a
    multiple of 2) or `horizontal_packed` (`multiple` 16), or None when that window of
    max(count) taps does not fit in `in_size` samples. Exact split c = hi * 2**15 + lo,
    0 <= lo < 2**15 (`_planes`)."""
    window, hi, lo, ok = _planes(first, count, coef, in_size, multiple)
    return (window, hi, lo) if ok else None


@numba.njit(**_JIT)
def _planes(first, count, coef, in_size, multiple):  # pragma: no cover - compiled
    """`packed_planes` compiled (a cold pass pays ~10 us instead of numpy's ~90 us); the last
    value is False when the window does not fit or a half does not fit int16."""
    outputs = first.shape[0]
    taps = 0
    for i in range(outputs):
        taps = max(taps, count[i])
    taps = -(-taps // multiple) * multiple
    window = numpy.zeros(outputs, numpy.int64)
    hi = numpy.zeros((outputs, max(taps, 0)), numpy.int16)
    lo = numpy.zeros((outputs, max(taps, 0)), numpy.int16)
    if taps == 0 or taps > in_size:
        return window, hi, lo, False
    for i in range(outputs):
        window[i] = min(first[i], in_size - taps)
        at = first[i] - window[i]
        for k in range(count[i]):
            c = numpy.int64(coef[i, k])
            high = c >> _SPLIT
            low = c - (high << _SPLIT)  # 0 <= low < 2**15: c == high * 2**15 + low
            if high < -32768 or high > 32767:
                return window, hi, lo, False
            hi[i, at + k] = high
            lo[i, at + k] = low
    return window, hi, lo, True


@numba.njit(**_JIT)
def sums_fit_int32(coef):  # pragma: no cover - compiled
    """Whether 2**21 + sum_k p_k * coef[i, k] lies in [-2**31, 2**31) for every output i and
    all pixels p_k in 0..255 (see the module docstring)."""
    for i in range(coef.shape[0]):
        high = numpy.int64(_HALF)
        low = numpy.int64(_HALF)
        for k in range(coef.shape[1]):
            c = numpy.int64(coef[i, k])
            if c > 0:
                high += 255 * c
            else:
                low += 255 * c
        if high >= 2**31 or low < -(2**31):
            return False
    return True


@intrinsic
def _packed_block(typingctx, src, y0, taps, hi, lo, x, out):  # pragma: no cover - compiled
    """out[x : x + 32] = clip8(((sum_hi << 15) + sum_lo + 2**21) >> 22) over rows y0 .. y0 +
    taps - 1 (taps even) of uint8 `src` (unit column stride), columns x .. x + 31, with the
    int16 coefficient rows `hi`, `lo` (contiguous): see the comment above."""
    sig = types.void(src, y0, taps, hi, lo, x, out)

    def codegen(context, builder, signature, args):
        src_t, y0_t, taps_t, hi_t, lo_t, x_t, out_t = signature.args
        a_src = context.make_array(src_t)(context, builder, args[0])
        a_hi = context.make_array(hi_t)(context, builder, args[3])
        a_lo = context.make_array(lo_t)(context, builder, args[4])
        a_out = context.make_array(out_t)(context, builder, args[6])
        intp = context.get_value_type(types.intp)
        y0 = context.cast(builder, args[1], y0_t, types.intp)
        pairs = builder.ashr(context.cast(builder, args[2], taps_t, types.intp), ir.Constant(intp, 1))
        x = context.cast(builder, args[5], x_t, types.intp)
        stride = cgutils.unpack_tuple(builder, a_src.strides, 2)[0]
        i8, i16, i32 = ir.IntType(8), ir.IntType(16), ir.IntType(32)
        rows_t = ir.VectorType(i8, _LANES)
        words_t = ir.VectorType(i16, 2 * _LANES)
        sums_t = ir.VectorType(i32, _LANES)
        v16i16, v8i32 = ir.VectorType(i16, 16), ir.VectorType(i32, 8)
        pmadd = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(v8i32, [v16i16, v16i16]), "llvm.x86.avx2.pmadd.wd"
        )

        def mask(values):
            return ir.Constant(ir.VectorType(i32, len(values)), list(values))

        interleave = mask([v for j in range(_LANES) for v in (j, j + _LANES)])
        data = builder.bitcast(a_src.data, i8.as_pointer())
        planes = [builder.bitcast(a.data, i16.as_pointer()) for a in (a_hi, a_lo)]
        sums = [cgutils.alloca_once_value(builder, ir.Constant(sums_t, None)) for _ in planes]

        def madd(words, pair):  # pmaddwd of the 64 words with (c_k, c_k+1) repeated
            c = builder.load(builder.bitcast(pair, i32.as_pointer()), align=2)
            c = builder.insert_element(ir.Constant(v8i32, ir.Undefined), c, ir.Constant(i32, 0))
            c = builder.bitcast(builder.shuffle_vector(c, c, mask([0] * 8)), v16i16)
            parts = [
                builder.call(
                    pmadd, [builder.shuffle_vector(words, words, mask(range(16 * q, 16 * q + 16))), c]
                )
                for q in range(2 * _LANES // 16)
            ]
            while len(parts) > 1:  # concatenate the 8-lane results
                n = len(parts[0].type) * 2
                parts = [
                    builder.shuffle_vector(a, b, mask(range(n)))
                    for a, b in zip(parts[::2], parts[1::2], strict=True)
                ]
            return parts[0]

        with cgutils.for_range(builder, pairs) as loop:
            k = builder.shl(loop.index, ir.Constant(intp, 1))
            row = builder.add(y0, k)
            at = builder.add(builder.mul(row, stride), x)
            first = builder.load(builder.bitcast(builder.gep(data, [at]), rows_t.as_pointer()), align=1)
            at = builder.add(at, stride)
            second = builder.load(builder.bitcast(builder.gep(data, [at]), rows_t.as_pointer()), align=1)
            words = builder.zext(builder.shuffle_vector(first, second, interleave), words_t)
            for plane, total in zip(planes, sums, strict=True):
                builder.store(builder.add(builder.load(total), madd(words, builder.gep(plane, [k]))), total)

        def splat(value):
            return ir.Constant(sums_t, [value] * _LANES)

        total = builder.add(builder.shl(builder.load(sums[0]), splat(_SPLIT)), builder.load(sums[1]))
        total = builder.ashr(builder.add(total, splat(_HALF)), splat(_SHIFT))
        total = builder.select(builder.icmp_signed("<", total, splat(0)), splat(0), total)
        total = builder.select(builder.icmp_signed(">", total, splat(255)), splat(255), total)
        target = builder.gep(builder.bitcast(a_out.data, i8.as_pointer()), [x])
        builder.store(builder.trunc(total, rows_t), builder.bitcast(target, rows_t.as_pointer()), align=1)
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(**_JIT)
def vertical_packed(src, first, count, coef, window, hi, lo, out):  # pragma: no cover - compiled
    """`vertical` (same arguments, same bytes) with 16-bit products (see above): window, hi, lo
    from `packed_planes`; a src without unit column stride goes to `vertical`."""
    width = src.shape[1]
    end = width - width % _LANES
    if src.strides[1] != 1:
        end = 0  # the blocks read 32 adjacent bytes: other layouts by `vertical`
    taps = hi.shape[1]
    for i in range(first.shape[0]):
        y0 = window[i]
        hi_i = hi[i]
        lo_i = lo[i]
        dst = out[i]
        for x in range(0, end, _LANES):
            _packed_block(src, y0, taps, hi_i, lo_i, x, dst)
    if end < width:
        vertical(src[:, end:], first, count, coef, out[:, end:])


# ---------------------------------------------------------------------------- packed horizontal pass
# `horizontal_packed`: the dot products of `horizontal` from the same split planes, 16 taps at
# a time: 16 pixels of a row widened to 16-bit words, one `pmaddwd` per plane with 16
# coefficients (8 int32 lanes of pair sums), four rows sharing the coefficient loads; at the
# end of the window (hi << 15) + lo lane by lane and the 8 lanes summed, all in wrapping int32
# (exact by the argument above). The window of each output (a multiple of 16 taps) starts at
# window[j] <= first[j] and ends inside the row, coefficients zero around the taps.


@intrinsic
def _packed_dots(typingctx, src, y, x0, taps, hi, lo):  # pragma: no cover - compiled
    """(4 int32) the sums 2**21 + sum_k src[y + r, x0 + k] * (hi[k] << 15 + lo[k]) for r < 4,
    k < taps (a multiple of 16), in wrapping int32; src uint8 with unit column stride, hi and
    lo contiguous int16."""
    result = types.UniTuple(types.int32, 4)
    sig = result(src, y, x0, taps, hi, lo)

    def codegen(context, builder, signature, args):
        src_t, y_t, x0_t, taps_t, hi_t, lo_t = signature.args
        a_src = context.make_array(src_t)(context, builder, args[0])
        a_hi = context.make_array(hi_t)(context, builder, args[4])
        a_lo = context.make_array(lo_t)(context, builder, args[5])
        intp = context.get_value_type(types.intp)
        y = context.cast(builder, args[1], y_t, types.intp)
        x0 = context.cast(builder, args[2], x0_t, types.intp)
        chunks = builder.ashr(context.cast(builder, args[3], taps_t, types.intp), ir.Constant(intp, 4))
        stride = cgutils.unpack_tuple(builder, a_src.strides, 2)[0]
        i8, i16, i32 = ir.IntType(8), ir.IntType(16), ir.IntType(32)
        v16i8, v16i16, v8i32 = ir.VectorType(i8, 16), ir.VectorType(i16, 16), ir.VectorType(i32, 8)
        pmadd = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(v8i32, [v16i16, v16i16]), "llvm.x86.avx2.pmadd.wd"
        )
        reduce_add = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i32, [v8i32]), "llvm.vector.reduce.add.v8i32"
        )
        data = builder.bitcast(a_src.data, i8.as_pointer())
        planes = [builder.bitcast(a.data, i16.as_pointer()) for a in (a_hi, a_lo)]
        starts = [
            builder.add(builder.mul(builder.add(y, ir.Constant(intp, r)), stride), x0) for r in range(4)
        ]
        sums = [
            [cgutils.alloca_once_value(builder, ir.Constant(v8i32, None)) for _ in planes] for _ in starts
        ]
        with cgutils.for_range(builder, chunks) as loop:
            k = builder.shl(loop.index, ir.Constant(intp, 4))
            coefficients = [
                builder.load(builder.bitcast(builder.gep(plane, [k]), v16i16.as_pointer()), align=2)
                for plane in planes
            ]
            for start, row_sums in zip(starts, sums, strict=True):
                at = builder.gep(data, [builder.add(start, k)])
                words = builder.zext(builder.load(builder.bitcast(at, v16i8.as_pointer()), align=1), v16i16)
                for c, total in zip(coefficients, row_sums, strict=True):
                    builder.store(builder.add(builder.load(total), builder.call(pmadd, [words, c])), total)
        shift = ir.Constant(v8i32, [_SPLIT] * 8)
        values = []
        for high, low in sums:
            lanes = builder.add(builder.shl(builder.load(high), shift), builder.load(low))
            values.append(builder.add(builder.call(reduce_add, [lanes]), ir.Constant(i32, _HALF)))
        return context.make_tuple(builder, result, values)

    return sig, codegen


@numba.njit(**_JIT)
def horizontal_packed(src, first, count, coef, window, hi, lo, out):  # pragma: no cover - compiled
    """`horizontal` (same arguments, same bytes) with 16-bit products: window, hi, lo from
    `packed_planes(..., multiple=16)`. Rows past the last multiple of 4, and a src without unit
    column stride, by `horizontal`."""
    rows = src.shape[0]
    taps = hi.shape[1]
    end = rows - rows % 4
    if src.strides[1] != 1:
        end = 0  # the dot products read 16 adjacent bytes: other layouts by `horizontal`
    for y in range(0, end, 4):
        for j in range(first.shape[0]):
            s0, s1, s2, s3 = _packed_dots(src, y, window[j], taps, hi[j], lo[j])
            out[y, j] = _clip8(s0 >> _SHIFT)
            out[y + 1, j] = _clip8(s1 >> _SHIFT)
            out[y + 2, j] = _clip8(s2 >> _SHIFT)
            out[y + 3, j] = _clip8(s3 >> _SHIFT)
    if end < rows:
        horizontal(src[end:], first, count, coef, out[end:])


@numba.njit(**_JIT)
def _clip8(v):  # pragma: no cover - compiled
    return 0 if v < 0 else (255 if v > 255 else v)


@intrinsic
def transpose_block(typingctx, src, r0, c0, out):  # pragma: no cover - compiled
    """out[c0 + j, r0 + i] = src[r0 + i, c0 + j] for i < 16, j < 32 (uint8, unit column
    strides): 16 rows of 32 bytes loaded as vectors, transposed in registers by four rounds of
    byte interleaves (rows j and j + 8 -> the low and the high halves interleaved: after four
    rounds of this perfect shuffle row m holds column m, per 16-byte lane; `punpcklbw` /
    `punpckhbw`, two 16 x 16 blocks side by side in one AVX2 register), stored as 32 rows of 16
    bytes. Generic vector shuffles (any x86-64): ~4x faster than gathering through a buffer."""
    sig = types.void(src, r0, c0, out)

    def codegen(context, builder, signature, args):
        src_t, r0_t, c0_t, out_t = signature.args
        a_src = context.make_array(src_t)(context, builder, args[0])
        a_out = context.make_array(out_t)(context, builder, args[3])
        intp = context.get_value_type(types.intp)
        r0 = context.cast(builder, args[1], r0_t, types.intp)
        c0 = context.cast(builder, args[2], c0_t, types.intp)
        src_stride = cgutils.unpack_tuple(builder, a_src.strides, 2)[0]
        out_stride = cgutils.unpack_tuple(builder, a_out.strides, 2)[0]
        i8, i32 = ir.IntType(8), ir.IntType(32)
        row32, row16 = ir.VectorType(i8, 32), ir.VectorType(i8, 16)
        src_data = builder.bitcast(a_src.data, i8.as_pointer())
        out_data = builder.bitcast(a_out.data, i8.as_pointer())

        def mask(values):
            return ir.Constant(ir.VectorType(i32, len(values)), list(values))

        def interleave(half):  # per 16-byte lane, bytes half*8 .. half*8+7 of both operands
            return mask(
                [
                    v
                    for lane in (0, 1)
                    for k in range(8 * half, 8 * half + 8)
                    for v in (16 * lane + k, 32 + 16 * lane + k)
                ]
            )

        low, high = interleave(0), interleave(1)
        rows = []
        for i in range(16):
            at = builder.add(builder.mul(builder.add(r0, ir.Constant(intp, i)), src_stride), c0)
            rows.append(
                builder.load(builder.bitcast(builder.gep(src_data, [at]), row32.as_pointer()), align=1)
            )
        for _ in range(4):
            rows = [
                builder.shuffle_vector(rows[j], rows[j + 8], half) for j in range(8) for half in (low, high)
            ]
        for m in range(16):
            for lane in (0, 1):
                part = builder.shuffle_vector(rows[m], rows[m], mask(range(16 * lane, 16 * lane + 16)))
                at = builder.add(
                    builder.mul(builder.add(c0, ir.Constant(intp, m + 16 * lane)), out_stride), r0
                )
                builder.store(part, builder.bitcast(builder.gep(out_data, [at]), row16.as_pointer()), align=1)
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(**_JIT)
def transpose(src, out):  # pragma: no cover - compiled
    """out = src.T for uint8 arrays: blocks of 16 rows x 32 columns by `transpose_block` when
    both have unit column strides, the ragged right and bottom edges (and other strides)
    element by element."""
    rows, cols = src.shape
    r_end = rows - rows % 16
    c_end = cols - cols % 32
    if src.strides[1] != 1 or out.strides[1] != 1:
        r_end = c_end = 0
    for r0 in range(0, r_end, 16):
        for c0 in range(0, c_end, 32):
            transpose_block(src, r0, c0, out)
    for r in range(r_end, rows):
        for c in range(cols):
            out[c, r] = src[r, c]
    for r in range(r_end):
        for c in range(c_end, cols):
            out[c, r] = src[r, c]


# Taylor coefficients (-1)**k / (2k + 1)! of sin, k = 1..11: on |t| <= pi / 2 the remainder is
# below 1e-20 and Horner's rounding errors a few units of 1e-16.
_SIN = (
    -1.0 / 6.0,
    1.0 / 120.0,
    -1.0 / 5040.0,
    1.0 / 362880.0,
    -1.0 / 39916800.0,
    1.0 / 6227020800.0,
    -1.0 / 1307674368000.0,
    1.0 / 355687428096000.0,
    -1.0 / 121645100408832000.0,
    1.0 / 51090942171709440000.0,
    -1.0 / 25852016738884976640000.0,
)


# The coefficient functions are written without branches (selects instead), and divide with
# numpy's error model (no Python ZeroDivisionError check), so the tap loops vectorise; the
# float64 operations and their order are the same as in a scalar loop, so are the results.
_JIT_COEF = {**_JIT, "error_model": "numpy"}


@numba.njit(inline="always", **_JIT_COEF)
def _sin(t):  # pragma: no cover - compiled
    """sin(t) for |t| <= pi, absolute error below ~1e-15 (sin(pi - t) = sin(t) reduces to
    |t| <= pi / 2; pi - t rounds by at most ~2e-16). Horner's scheme, highest term first."""
    t = (math.pi - t) if t > 0.5 * math.pi else ((-math.pi - t) if t < -0.5 * math.pi else t)
    t2 = t * t
    p = _SIN[10]
    p = p * t2 + _SIN[9]
    p = p * t2 + _SIN[8]
    p = p * t2 + _SIN[7]
    p = p * t2 + _SIN[6]
    p = p * t2 + _SIN[5]
    p = p * t2 + _SIN[4]
    p = p * t2 + _SIN[3]
    p = p * t2 + _SIN[2]
    p = p * t2 + _SIN[1]
    p = p * t2 + _SIN[0]
    return t + t * t2 * p


@numba.njit(inline="always", **_JIT_COEF)
def _lanczos(x):  # pragma: no cover - compiled
    """Pillow's lanczos_filter: sinc(x) * sinc(x / 3) on [-3, 3), 0 elsewhere, with
    sinc(v) = sin(v * pi) / (v * pi) and sinc(0) = 1 (the quotient is computed for every x,
    NaN at 0, and replaced)."""
    a = x * math.pi
    b = (x / 3) * math.pi
    s3 = _sin(b)  # |b| < pi
    s1 = s3 * (3.0 - 4.0 * (s3 * s3))  # sin(3 b) = sin(a), up to ~1e-15
    value = (s1 / a) * (s3 / b)
    value = 1.0 if x == 0.0 else value
    return value if -3.0 <= x < 3.0 else 0.0


@numba.njit(**_JIT_COEF)
def fixed_coefficients(in_size, out_size, margin):  # pragma: no cover - compiled
    """(xmin, count, coef int32 (out_size, ksize), trusted) of Pillow's 8bpc LANCZOS pass
    from in_size to out_size samples (box (0, in_size)); trusted is False when a scaled
    coefficient lies within `margin` of its rounding boundary."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = 3.0 * filterscale
    ksize = int(math.ceil(support)) * 2 + 1
    ss = 1.0 / filterscale
    xmin = numpy.empty(out_size, numpy.int64)
    count = numpy.empty(out_size, numpy.int64)
    coef = numpy.zeros((out_size, ksize), numpy.int32)
    weights = numpy.empty(ksize)
    for xx in range(out_size):
        center = (xx + 0.5) * scale
        lo = int(center - support + 0.5)  # C's (int): truncation toward zero
        if lo < 0:
            lo = 0
        hi = int(center + support + 0.5)
        if hi > in_size:
            hi = in_size
        n = hi - lo
        xmin[xx] = lo
        count[xx] = n
        for k in range(n):
            weights[k] = _lanczos((numpy.float64(k + lo) - center + 0.5) * ss)
        ww = 0.0
        for k in range(n):
            ww += weights[k]  # left to right, as Pillow
        nonzero = ww != 0.0
        doubtful = False
        row = coef[xx]
        for k in range(n):
            w = weights[k]
            w = w / ww if nonzero else w
            scaled = w * 4194304.0  # * (1 << PRECISION_BITS)
            shifted = scaled - 0.5 if w < 0 else scaled + 0.5
            doubtful |= abs(shifted - numpy.round(shifted)) < margin
            row[k] = numpy.int32(shifted)  # C's (int): truncation toward zero
        if doubtful:
            return xmin, count, coef, False
    return xmin, count, coef, True
