"""crop_resistant's connected components as one numba kernel.

`sparkhash.core.segmentation` finds the 4-connected components of the hill mask and of the
valley mask (scipy.ndimage.label twice, then counts, bounding boxes and a renumbering check).
The two masks partition the image, so one union-find pass over the pixels labels both: a pixel
joins its upper and left neighbours of the same class. A second pass in row-major order
numbers the components by their first pixel (the order imagehash's search visits each class's
components in) and accumulates each one's size and bounding box. Integer work only.
Compiled code is cached on disk (`cache=True`).
"""

from __future__ import annotations

import numba
import numpy

_JIT = {"cache": True, "nogil": True}


@numba.njit(**_JIT)
def _root(parent, i):  # pragma: no cover - compiled
    while parent[i] != i:
        parent[i] = parent[parent[i]]  # path halving
        i = parent[i]
    return i


@numba.njit(**_JIT)
def components(hill):  # pragma: no cover - compiled
    """4-connected components of `hill` (bool (rows, cols)) and of its complement.

    Returns (stats, is_hill, n): stats[k] = (size, min_row, min_col, max_row, max_col) of
    component k, is_hill[k] its class; components numbered 0..n-1 by the row-major position
    of their first pixel (int64 / bool arrays with at least n rows)."""
    rows, cols = hill.shape
    n = rows * cols
    flat = hill.ravel()
    # Union-find where every tree's root is its smallest index, i.e. the component's first
    # pixel in row-major order: a pixel links to the roots of its left and upper neighbours of
    # the same class, the larger root under the smaller.
    parent = numpy.empty(n, numpy.int64)
    for i in range(n):
        c = i % cols
        here = flat[i]
        left = c > 0 and flat[i - 1] == here
        up = i >= cols and flat[i - cols] == here
        if left and up:
            a = _root(parent, i - 1)
            b = _root(parent, i - cols)
            if a < b:
                parent[b] = a
                parent[i] = a
            else:
                parent[a] = b
                parent[i] = b
        elif left:
            parent[i] = _root(parent, i - 1)
        elif up:
            parent[i] = _root(parent, i - cols)
        else:
            parent[i] = i
    # Parents point to smaller indices, so in row-major order parent[parent[i]] is already the
    # root. A root is its component's first pixel: numbering roots as they come is first-pixel
    # order.
    number = numpy.empty(n, numpy.int64)
    stats = numpy.empty((n, 5), numpy.int64)
    is_hill = numpy.empty(n, numpy.bool_)
    count = 0
    for i in range(n):
        root = parent[parent[i]]
        parent[i] = root
        r = i // cols
        c = i - r * cols
        if root == i:
            k = count
            count += 1
            number[i] = k
            is_hill[k] = flat[i]
            stats[k, 0] = 1
            stats[k, 1] = r
            stats[k, 2] = c
            stats[k, 3] = r
            stats[k, 4] = c
        else:
            k = number[root]
            stats[k, 0] += 1
            if c < stats[k, 2]:
                stats[k, 2] = c
            if r > stats[k, 3]:
                stats[k, 3] = r
            if c > stats[k, 4]:
                stats[k, 4] = c
    return stats, is_hill, count
