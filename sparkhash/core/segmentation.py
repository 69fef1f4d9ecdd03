"""Crop-resistant segmentation, bit-compatible with imagehash 4.3.2 but without Python pixel loops.

imagehash segments the blurred 'L' image into 4-connected "hills" (pixels > threshold) and
"valleys" (the rest) by a set-based breadth-first search in pure Python. That search has quirks
that change which segments come out, and we keep all of them:

* hills are all found first, then valleys; inside each group, components come in the row-major
  order of their first pixel (the order ``numpy.nonzero`` finds them);
* a component is kept only if its size is strictly greater than ``min_segment_size``;
* the valley search stops as soon as a set V of "already segmented" coordinates has at least
  R*C members. V starts with the 2*(R+C) cells of the ring just outside the image (corners
  excluded) and grows by every examined component (kept or not) of at least 2 pixels; a lone
  pixel never enters V. So the last valleys in scan order may never be examined, and when lone
  pixels are numerous the valleys can run out first, which raises IndexError.

Here both masks are labelled once with ``scipy.ndimage.label`` and the stop rule becomes a
cumulative sum over the valley sizes, so the whole segmentation is a handful of array passes.

imagehash's private `_find_all_segments` / `_find_region` live in `sparkhash.core.compat`, the
public `crop_resistant_hash` in `sparkhash.core.crop_resistant`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

from sparkhash.core import segmentation_kernels
from sparkhash.core.hashes import grey_pixels

__all__ = [
    "SegmentBox",
    "crop_boxes",
    "float_crop_boxes",
    "segment_boxes",
    "segment_labels",
    "segmentation_pixels",
    "select_segments",
]

#: (min_row, min_col, max_row, max_col, pixel_count) of one segment, in segmentation-image
#: coordinates (inclusive bounds), as plain ints.
SegmentBox = tuple[int, int, int, int, int]

# The message numpy gives when imagehash takes element 0 of an empty coordinate list.
_NO_PIXEL_LEFT = "index 0 is out of bounds for axis 0 with size 0"

# scipy's default structuring element in 2-D is the cross, i.e. 4-connectivity; spelled out so a
# change of default could never switch us to 8-connectivity.
_FOUR_CONNECTED = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)


# --------------------------------------------------------------------------------------------
# Labelling
# --------------------------------------------------------------------------------------------


def _ordered_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected components of `mask`, numbered 1..n by the row-major position of their first
    pixel (0 = background). That is the order in which imagehash's search visits them."""
    labels, count = ndimage.label(mask, structure=_FOUR_CONNECTED)
    if count < 2:
        return labels, count
    flat = labels.ravel()
    seen = flat[flat != 0]  # labels in row-major pixel order
    # scipy numbers components in raster order of their first pixel already. Verify cheaply:
    # the labels are in first-appearance order iff the running maximum never jumps by more
    # than one (each new maximum is then the next label appearing for the first time).
    running_max = np.maximum.accumulate(seen)
    if seen[0] == 1 and not np.any(np.diff(running_max) > 1):
        return labels, count
    # Fallback (not expected with current scipy): renumber by first appearance.
    _, first_index = np.unique(seen, return_index=True)
    order = np.argsort(first_index, kind="stable")  # old label - 1, in first-pixel order
    renumber = np.zeros(count + 1, dtype=labels.dtype)
    renumber[order + 1] = np.arange(1, count + 1, dtype=labels.dtype)
    return renumber[labels], count


def segment_labels(
    pixels: np.ndarray, segment_threshold: float, min_segment_size: float
) -> tuple[np.ndarray, np.ndarray]:
    """Label image of the segments imagehash's ``_find_all_segments`` returns.

    Returns ``(labels, sizes)``: `labels` is an int32 array of the shape of `pixels` where
    value k (1-based) marks the pixels of the k-th returned segment and 0 marks pixels in no
    returned segment; ``sizes[k-1]`` is that segment's pixel count (int64).

    Raises IndexError exactly when imagehash does: the valleys run out while fewer than R*C
    coordinates count as segmented (many lone pixels, e.g. a checkerboard).
    """
    pixels = np.asarray(pixels)
    rows, cols = pixels.shape  # a ValueError for non-2-D input, like imagehash's unpacking
    hill = pixels > segment_threshold
    valley = ~hill

    hill_labels, n_hill = _ordered_components(hill)
    valley_labels, n_valley = _ordered_components(valley)
    hill_sizes = np.bincount(hill_labels.ravel(), minlength=n_hill + 1)[1:]
    valley_sizes = np.bincount(valley_labels.ravel(), minlength=n_valley + 1)[1:]

    # |V| after the hill loop: the out-of-image ring plus every hill component of >= 2 pixels.
    # Lone pixels never enter V: imagehash's search adds its start pixel to V only when it
    # re-reaches it from a neighbour in the same component.
    target = rows * cols
    segmented = 2 * (rows + cols) + int(hill_sizes[hill_sizes >= 2].sum())
    counted = np.where(valley_sizes >= 2, valley_sizes, 0)
    # |V| just before valley i is examined; valley i is examined iff that is still < R*C.
    # The sequence is non-decreasing, so the examined valleys are a prefix.
    before = segmented + np.cumsum(counted) - counted
    examined = int(np.count_nonzero(before < target))
    if examined == n_valley and segmented + int(counted.sum()) < target:
        # imagehash looks for one more valley pixel and finds none.
        raise IndexError(_NO_PIXEL_LEFT)

    keep_hill = hill_sizes > min_segment_size
    keep_valley = valley_sizes > min_segment_size
    keep_valley[examined:] = False
    n_keep_hill = int(np.count_nonzero(keep_hill))
    n_keep_valley = int(np.count_nonzero(keep_valley))

    # Hills first, then valleys, each already in first-pixel order.
    hill_map = np.zeros(n_hill + 1, dtype=np.int32)
    hill_map[1:][keep_hill] = np.arange(1, n_keep_hill + 1, dtype=np.int32)
    valley_map = np.zeros(n_valley + 1, dtype=np.int32)
    valley_map[1:][keep_valley] = np.arange(n_keep_hill + 1, n_keep_hill + n_keep_valley + 1, dtype=np.int32)
    # The two label images have disjoint supports and map label 0 to 0, so a sum merges them.
    labels = hill_map[hill_labels] + valley_map[valley_labels]
    sizes = np.concatenate([hill_sizes[keep_hill], valley_sizes[keep_valley]]).astype(np.int64)
    return labels, sizes


def segment_boxes(pixels: np.ndarray, segment_threshold: float, min_segment_size: float) -> list[SegmentBox]:
    """Bounding boxes of the segments of ``_find_all_segments``, in its order.

    Each entry is ``(min_row, min_col, max_row, max_col, pixel_count)`` (inclusive bounds,
    plain ints): all crop_resistant_hash needs from a segment, without building sets.
    Raises IndexError in the same cases as ``_find_all_segments``.

    The same rules as `segment_labels`, on the components `segmentation_kernels.components`
    finds in one pass (sizes and boxes, no label image).
    """
    pixels = np.asarray(pixels)
    rows, cols = pixels.shape  # a ValueError for non-2-D input, like imagehash's unpacking
    if rows == 0 or cols == 0:  # no component: segment_labels applies the rules (no error so far)
        segment_labels(pixels, segment_threshold, min_segment_size)
        return []
    hill = np.ascontiguousarray(pixels > segment_threshold)
    stats, is_hill, count = segmentation_kernels.components(hill)
    stats, is_hill = stats[:count], is_hill[:count]
    hill_stats, valley_stats = stats[is_hill], stats[~is_hill]  # each still in first-pixel order
    n_valley = len(valley_stats)
    hill_sizes, valley_sizes = hill_stats[:, 0], valley_stats[:, 0]
    # As segment_labels: |V| after the hills, then the prefix of valleys examined.
    target = rows * cols
    segmented = 2 * (rows + cols) + int(hill_sizes[hill_sizes >= 2].sum())
    counted = np.where(valley_sizes >= 2, valley_sizes, 0)
    before = segmented + np.cumsum(counted) - counted
    examined = int(np.count_nonzero(before < target))
    if examined == n_valley and segmented + int(counted.sum()) < target:
        raise IndexError(_NO_PIXEL_LEFT)
    keep_valley = valley_sizes > min_segment_size
    keep_valley[examined:] = False
    kept = np.concatenate([hill_stats[hill_sizes > min_segment_size], valley_stats[keep_valley]])
    return [(r0, c0, r1, c1, size) for size, r0, c0, r1, c1 in kept.tolist()]


# --------------------------------------------------------------------------------------------
# crop_resistant_hash's segmentation input, boxes and crops
# --------------------------------------------------------------------------------------------


def segmentation_pixels(image_L: Image.Image, segmentation_image_size: int = 300) -> np.ndarray:
    """imagehash's segmentation input: the 'L' image resized to S x S with LANCZOS, then
    Pillow's default GaussianBlur (radius 2) and MedianFilter (size 3), as float32 (S, S).

    Every image operation is Pillow's, so results follow the installed Pillow exactly as
    imagehash's do. An image in another mode is converted to 'L' first (what imagehash does).
    """
    size = segmentation_image_size
    return smooth_segmentation_pixels(grey_pixels(image_L, size, size))


def smooth_segmentation_pixels(thumbnail: np.ndarray) -> np.ndarray:
    """The blur and median filter of `segmentation_pixels` on its uint8 S x S thumbnail."""
    blurred = np.asarray(Image.fromarray(thumbnail).filter(ImageFilter.GaussianBlur()))
    return median3(blurred).astype(np.float32)


# Devillard's 19-exchange median-of-9 network; exchanges whose smaller or larger output is never
# read again keep only the other one.
_MEDIAN9 = (
    (1, 2),
    (4, 5),
    (7, 8),
    (0, 1),
    (3, 4),
    (6, 7),
    (1, 2),
    (4, 5),
    (7, 8),
    (0, 3, "max"),
    (5, 8, "min"),
    (4, 7),
    (3, 6, "max"),
    (1, 4, "max"),
    (2, 5, "min"),
    (4, 7, "min"),
    (4, 2),
    (6, 4, "max"),
    (4, 2, "min"),
)


def median3(pixels: np.ndarray) -> np.ndarray:
    """Pillow's ``MedianFilter(3)`` of a uint8 array: the median of each 3 x 3 neighbourhood,
    the image first extended by copying its edge pixels (Pillow's ImagingExpand). A median is
    one of the nine values, so a sorting network gives exactly Pillow's bytes (0.2 ms instead of
    2-6 ms on the 300 x 300 segmentation image)."""
    height, width = pixels.shape
    padded = np.pad(pixels, 1, mode="edge")
    v = [padded[i : i + height, j : j + width] for i in range(3) for j in range(3)]
    for a, b, *keep in _MEDIAN9:
        if keep == ["max"]:
            v[b] = np.maximum(v[a], v[b])
        elif keep == ["min"]:
            v[a] = np.minimum(v[a], v[b])
        else:
            v[a], v[b] = np.minimum(v[a], v[b]), np.maximum(v[a], v[b])
    return np.ascontiguousarray(v[4])


def select_segments(
    segments: Sequence[SegmentBox], segmentation_image_size: int, limit_segments: int | None = None
) -> list[SegmentBox]:
    """The segments crop_resistant_hash hashes, in hash order.

    * No segment: one pseudo-segment covering the whole image. imagehash builds it as the set
      {(0, 0), (S-1, S-1)}, so its pixel_count is reported as that set's size: 2 (1 when S == 1).
    * `limit_segments` truthy (0 and None mean no limit): a stable sort by pixel count,
      descending (equal counts keep their order), then the first `limit_segments` (a Python
      slice, so a negative value drops from the end as in imagehash).
    """
    chosen = list(segments)
    if not chosen:
        last = segmentation_image_size - 1
        chosen = [(0, 0, last, last, len({(0, 0), (last, last)}))]
    if limit_segments:
        chosen = sorted(chosen, key=lambda seg: seg[4], reverse=True)[:limit_segments]
    return chosen


def float_crop_boxes(
    segments: Sequence[SegmentBox], width: int, height: int, segmentation_image_size: int
) -> list[tuple[float, float, float, float]]:
    """imagehash's float crop box (left, top, right, bottom) of each segment in an image of
    `width` x `height`: the segment's bounding box scaled by W/S and H/S, the max edge + 1.
    The products are computed in the same order as imagehash, so the floats are identical."""
    scale_w = float(width) / segmentation_image_size
    scale_h = float(height) / segmentation_image_size
    return [
        (min_col * scale_w, min_row * scale_h, (max_col + 1) * scale_w, (max_row + 1) * scale_h)
        for min_row, min_col, max_row, max_col, _ in segments
    ]


def crop_boxes(
    segments: Sequence[SegmentBox], width: int, height: int, segmentation_image_size: int
) -> list[tuple[int, int, int, int]]:
    """The integer boxes Pillow actually crops for imagehash's float boxes.

    Pillow's ``Image.crop`` (checked on Pillow 13) applies Python ``round`` to each coordinate,
    which rounds halves to even: both edges of a thin segment can round to the same value, and
    the crop is then 0 pixels wide or high. E.g. a 150 x 150 image at S = 300: rows 75..76
    map to 37.5..38.5, and both round to 38.
    """
    return [
        (round(left), round(top), round(right), round(bottom))
        for left, top, right, bottom in float_crop_boxes(segments, width, height, segmentation_image_size)
    ]
