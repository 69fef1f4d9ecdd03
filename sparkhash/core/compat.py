"""Drop-ins for imagehash 4.3.2's private segmentation functions, for code that calls them.

The hashing pipeline never uses these (it works on label images and boxes, see
`sparkhash.core.segmentation`); they are re-exported by `sparkhash.core` as imagehash does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from scipy import ndimage

from sparkhash.core.segmentation import _FOUR_CONNECTED, _NO_PIXEL_LEFT, segment_labels

__all__ = ["_find_all_segments", "_find_region"]


def _find_all_segments(
    pixels: np.ndarray, segment_threshold: float, min_segment_size: float
) -> list[set[tuple[int, int]]]:
    """Drop-in for ``imagehash._find_all_segments``: the list of segments, each a set of
    (row, col) tuples, in imagehash's order (hills, then valleys, by first pixel).

    Coordinates are Python ints (imagehash's are numpy int64; they compare and hash equal).
    Raises IndexError when imagehash does (see ``segment_labels``).
    """
    labels, sizes = segment_labels(pixels, segment_threshold, min_segment_size)
    if len(sizes) == 0:
        return []
    cols = labels.shape[1]
    flat = labels.ravel()
    where = np.flatnonzero(flat)
    # Group pixel indices by segment; a stable sort keeps each group row-major (not needed for
    # sets, but deterministic).
    where = where[np.argsort(flat[where], kind="stable")]
    rows_of, cols_of = np.divmod(where, cols)
    bounds = np.cumsum(sizes)[:-1]
    return [
        set(zip(r.tolist(), c.tolist(), strict=True))
        for r, c in zip(np.split(rows_of, bounds), np.split(cols_of, bounds), strict=True)
    ]


def _find_region(remaining_pixels: np.ndarray, segmented_pixels: set) -> set[tuple[int, int]]:
    """Drop-in for ``imagehash._find_region``.

    Returns the set of (row, col) of the 4-connected region grown from the first True pixel
    (row-major) of `remaining_pixels`, not entering coordinates already in `segmented_pixels`.
    Updates `segmented_pixels` in place the way imagehash does: with all region pixels when the
    region has at least 2 pixels, and not at all for a lone pixel. Raises IndexError when no
    pixel is True.

    Fast path: label the mask with scipy. When the inputs leave room for imagehash's odd
    corners (a region that touches coordinates already in `segmented_pixels`, or reaches the
    image border without the out-of-image ring in `segmented_pixels`, where imagehash's
    indexing wraps around or raises), an exact set-based search is used instead.
    """
    mask = np.asarray(remaining_pixels)
    if mask.ndim != 2 or not isinstance(segmented_pixels, set):
        return _find_region_by_search(mask, segmented_pixels)
    truth = mask.astype(bool, copy=False)
    first = int(np.argmax(truth)) if truth.size else 0
    if truth.size == 0 or not truth.flat[first]:
        raise IndexError(_NO_PIXEL_LEFT)
    rows, cols = truth.shape
    start = divmod(first, cols)

    labels, _ = ndimage.label(truth, structure=_FOUR_CONNECTED)
    region_rows, region_cols = np.nonzero(labels == labels[start])
    region = set(zip(region_rows.tolist(), region_cols.tolist(), strict=True))

    # Out-of-image neighbours the search would try; they must all be blocked by segmented_pixels.
    ring = {(-1, c) for c in region_cols[region_rows == 0].tolist()}
    ring.update((rows, c) for c in region_cols[region_rows == rows - 1].tolist())
    ring.update((r, -1) for r in region_rows[region_cols == 0].tolist())
    ring.update((r, cols) for r in region_rows[region_cols == cols - 1].tolist())
    # In-image pixels of the component already in segmented_pixels would cut it (the start
    # pixel is the exception: it is taken regardless).
    blocked = region.intersection(segmented_pixels)
    blocked.discard(start)
    if blocked or not ring.issubset(segmented_pixels):
        return _find_region_by_search(mask, segmented_pixels)

    if len(region) >= 2:
        segmented_pixels.update(region)
    return region


def _find_region_by_search(mask: Any, segmented_pixels: Any) -> set[tuple[int, int]]:
    """Exact emulation of imagehash's region search, for inputs the fast path cannot model.

    Grows the region in rounds. Each round tries the 4 neighbours of the pixels added in the
    previous round (the start pixel in the first round), minus coordinates in
    `segmented_pixels` and coordinates already rejected. Coordinates are used as they are for
    indexing, so negative ones wrap around and too-large ones raise IndexError, as in
    imagehash. Accepted pixels go into `segmented_pixels`. The start pixel is not put there at
    first, so it comes back in round two if it has a neighbour in the region; this is why a
    lone pixel never enters `segmented_pixels`.
    """
    start = tuple(int(v) for v in np.transpose(np.nonzero(mask))[0])
    region = {start}
    rejected: set = set()
    frontier: Iterable[tuple[int, int]] = [start]
    while True:
        candidates: set = set()
        for row, col in frontier:
            candidates.update(((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1)))
        candidates.difference_update(segmented_pixels, rejected)
        if not candidates:
            return region
        accepted = []
        for pixel in candidates:
            if mask[pixel]:
                region.add(pixel)
                accepted.append(pixel)
                segmented_pixels.add(pixel)
            else:
                rejected.add(pixel)
        frontier = accepted
