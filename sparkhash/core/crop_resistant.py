"""imagehash 4.3.2's `crop_resistant_hash`, on top of `compute_hashes` and the segmentation.

For one of sparkhash's own hash functions it is `compute_hashes(image, ["crop_resistant"])`
(crops are views of the greyscale pixels); any other `hash_func` is called on crops of the
original image, as imagehash does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PIL import Image

from sparkhash.core.classes import ImageMultiHash
from sparkhash.core.hashes import dhash
from sparkhash.core.multi import compute_hashes
from sparkhash.core.params import CROP_RESISTANT, HashParams
from sparkhash.core.registry import REGISTRY
from sparkhash.core.segmentation import float_crop_boxes, segment_boxes, segmentation_pixels, select_segments

__all__ = ["crop_resistant_hash"]

#: (name, public function) of the algorithms crop_resistant may hash its segments with.
_SEGMENT_FUNCTIONS = tuple((r.name, r.function) for r in REGISTRY.values() if r.segment_hash)


def crop_resistant_hash(
    image: Image.Image,
    hash_func: Callable[[Image.Image], Any] = dhash,
    limit_segments: int | None = None,
    segment_threshold: int = 128,
    min_segment_size: int = 500,
    segmentation_image_size: int = 300,
) -> ImageMultiHash:
    """Drop-in for imagehash 4.3.2's ``crop_resistant_hash`` (same bits, same segment order).

    Segments the image (see the module docstring), crops each segment's bounding box from the
    original image in its original mode, and returns ``ImageMultiHash`` of ``hash_func`` over the
    crops. `hash_func` defaults to dhash; as in 4.3.2, ``hash_func=None`` raises
    ``TypeError: 'NoneType' object is not callable`` (after segmentation, like imagehash).
    """
    known = next((name for name, func in _SEGMENT_FUNCTIONS if func is hash_func), None)
    if known is not None and isinstance(image, Image.Image):
        # One of our own hash functions: the same segments and hashes through compute_hashes,
        # which crops views of the greyscale pixels instead of copies of the original image.
        params = HashParams(
            segment_hash=known,
            limit_segments=limit_segments,
            segment_threshold=segment_threshold,
            min_segment_size=min_segment_size,
            segmentation_image_size=segmentation_image_size,
        )
        return compute_hashes(image, [CROP_RESISTANT], params).multihash()
    pixels = segmentation_pixels(image, segmentation_image_size)
    segments = segment_boxes(pixels, segment_threshold, min_segment_size)
    chosen = select_segments(segments, segmentation_image_size, limit_segments)
    width, height = image.size
    # Crop with the float boxes and let Pillow round them, as imagehash does. `image` itself is
    # cropped: neither convert() nor crop() modifies it, so imagehash's defensive copy is not
    # needed.
    hashes = [
        hash_func(image.crop(box)) for box in float_crop_boxes(chosen, width, height, segmentation_image_size)
    ]
    return ImageMultiHash(hashes)
