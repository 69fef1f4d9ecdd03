"""colorhash's category counts over 24-bit colours as a numba kernel.

`sparkhash.core.colour` classifies every pixel of an RGB image by one lookup in a table of all
2**24 colours (exact by construction: Pillow converted every colour). With numpy that is a
masked copy of the pixel words, a widening of them to int64 indices, a gathered copy of the
categories and a count: four passes over the image and ~25 bytes of temporaries a pixel.
Here one loop looks each pixel up and counts it, with four interleaved sets of counters (so
consecutive pixels of one colour do not wait on each other's increments). Integer counting:
the counts are exactly numpy's.

`rgb_to_l` is Pillow's RGB -> 'L' conversion (every image's first step) on the same words:
~0.5 ms for 2.5 MP instead of Pillow's ~2.2 ms scalar loop. `sparkhash.core.colour.grey_of`
uses it only after checking, once per process, that it reproduces the installed Pillow.
Compiled code is cached on disk (`cache=True`).
"""

from __future__ import annotations

import numba
import numpy
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from sparkhash.core.resample_kernels import transpose_block

_JIT = {"cache": True, "nogil": True}


_AHEAD = 128  # category_counts prefetches the table entry of the pixel this far ahead


@intrinsic
def _prefetch(typingctx, array, index):  # pragma: no cover - compiled
    """A hint to load array[index] into the caches (LLVM's `llvm.prefetch`, read, keep; no
    effect on any value, and none at all on CPUs without such an instruction)."""
    sig = types.void(array, index)

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        i8, i32 = ir.IntType(8), ir.IntType(32)
        hint = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8.as_pointer(), i32, i32, i32]), "llvm.prefetch"
        )
        at = context.cast(builder, args[1], signature.args[1], types.intp)
        address = builder.gep(builder.bitcast(data, i8.as_pointer()), [at])
        builder.call(hint, [address, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(**_JIT)
def category_counts(words, table):  # pragma: no cover - compiled
    """Counts of the 16 uint8 categories `table[word & 0xFFFFFF]` over uint32 `words`. The
    16 MiB table does not fit the core's caches and a photo's colours reach all over it: the
    entry of the pixel `_AHEAD` places on is prefetched (~15 % less time after a decode)."""
    counts = numpy.zeros((4, 16), numpy.int64)
    n = words.shape[0]
    m = n - n % 4
    ahead = max(0, m - _AHEAD)
    for i in range(0, ahead, 4):
        _prefetch(table, words[i + _AHEAD] & 0xFFFFFF)
        _prefetch(table, words[i + _AHEAD + 1] & 0xFFFFFF)
        _prefetch(table, words[i + _AHEAD + 2] & 0xFFFFFF)
        _prefetch(table, words[i + _AHEAD + 3] & 0xFFFFFF)
        counts[0, table[words[i] & 0xFFFFFF]] += 1
        counts[1, table[words[i + 1] & 0xFFFFFF]] += 1
        counts[2, table[words[i + 2] & 0xFFFFFF]] += 1
        counts[3, table[words[i + 3] & 0xFFFFFF]] += 1
    for i in range(ahead, n):
        counts[0, table[words[i] & 0xFFFFFF]] += 1
    return counts.sum(axis=0)


@numba.njit(**_JIT)
def rgb_to_l(words, out):  # pragma: no cover - compiled
    """Pillow's RGB -> 'L' of every uint32 word R | G << 8 | B << 16 | X << 24 (libImaging
    Convert.c, `rgb2l`: L = (R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16, the 4th byte
    ignored) into uint8 `out`. Unsigned 32-bit integers throughout (the largest sum is
    255 * 65536 + 0x8000 < 2**32): the exact bytes, in one vectorised pass."""
    for i in range(words.shape[0]):
        w = words[i]
        out[i] = numpy.uint8(
            (
                (w & 0xFF) * numpy.uint32(19595)
                + ((w >> 8) & 0xFF) * numpy.uint32(38470)
                + ((w >> 16) & 0xFF) * numpy.uint32(7471)
                + numpy.uint32(0x8000)
            )
            >> 16
        )


_BLOCK = 16  # rgb_to_l_transposed's strips: 16 rows


@numba.njit(inline="always", **_JIT)
def _l_of(w):  # pragma: no cover - compiled
    return numpy.uint8(
        (
            (w & 0xFF) * numpy.uint32(19595)
            + ((w >> 8) & 0xFF) * numpy.uint32(38470)
            + ((w >> 16) & 0xFF) * numpy.uint32(7471)
            + numpy.uint32(0x8000)
        )
        >> 16
    )


@numba.njit(**_JIT)
def rgb_to_l_transposed(words, grey, out):  # pragma: no cover - compiled
    """`rgb_to_l` of uint32 `words` (rows, cols) into uint8 `grey` (rows, cols, C-contiguous)
    and its transpose into `out` (cols, rows, C-contiguous), in one pass: each strip of 16 rows
    is converted, then transposed in blocks of 16 x 32 bytes in registers
    (`resample_kernels.transpose_block`) while it is still in cache, instead of reading the
    whole greyscale image back for a separate transpose."""
    rows, cols = words.shape
    r_end = rows - rows % _BLOCK
    c_end = cols - cols % (2 * _BLOCK)
    for r0 in range(0, r_end, _BLOCK):
        for i in range(_BLOCK):
            src = words[r0 + i]
            dst = grey[r0 + i]
            for c in range(cols):
                dst[c] = _l_of(src[c])
        for c0 in range(0, c_end, 2 * _BLOCK):
            transpose_block(grey, r0, c0, out)
        for i in range(_BLOCK):
            for c in range(c_end, cols):
                out[c, r0 + i] = grey[r0 + i, c]
    for r in range(r_end, rows):
        for c in range(cols):
            value = _l_of(words[r, c])
            grey[r, c] = value
            out[c, r] = value
