"""colorhash's category counts over 24-bit colours as a numba kernel.

`sparkhash.core.colour` classifies every pixel of an RGB image by one lookup in a table of all
2**24 colours (exact by construction: Pillow converted every colour). With numpy that is a
masked copy of the pixel words, a widening of them to int64 indices, a gathered copy of the
categories and a count: four passes over the image and ~25 bytes of temporaries a pixel.
Here one loop looks each pixel up and counts it, with four interleaved sets of counters (so
consecutive pixels of one colour do not wait on each other's increments). Integer counting:
the counts are exactly numpy's. Compiled code is cached on disk (`cache=True`).
"""

from __future__ import annotations

import numba
import numpy

_JIT = {"cache": True, "nogil": True}


@numba.njit(**_JIT)
def category_counts(words, table):  # pragma: no cover - compiled
    """Counts of the 16 uint8 categories `table[word & 0xFFFFFF]` over uint32 `words`."""
    counts = numpy.zeros((4, 16), numpy.int64)
    n = words.shape[0]
    m = n - n % 4
    for i in range(0, m, 4):
        counts[0, table[words[i] & 0xFFFFFF]] += 1
        counts[1, table[words[i + 1] & 0xFFFFFF]] += 1
        counts[2, table[words[i + 2] & 0xFFFFFF]] += 1
        counts[3, table[words[i + 3] & 0xFFFFFF]] += 1
    for i in range(m, n):
        counts[0, table[words[i] & 0xFFFFFF]] += 1
    return counts.sum(axis=0)
