"""One decode, many hashes: every requested algorithm from a single decoded image.

Shared work: one decode, one greyscale conversion (also reused by colorhash and the
segmentation), all LANCZOS thumbnails made together (one per distinct size, phash and
phash_simple share theirs, sizes of equal width share their first resampling pass), and
crop-resistant segments cropped from the greyscale image. Results are bit-exact with the single
functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy
from PIL import Image

from sparkhash.core import hashes as H
from sparkhash.core import resample
from sparkhash.core.classes import ImageHash, ImageMultiHash
from sparkhash.core.decode import DecodeOptions, decode_image
from sparkhash.core.params import ALGORITHMS, CROP_RESISTANT, HashParams

_DEFAULT_PARAMS = HashParams()
_DEFAULT_DECODE = DecodeOptions()


@dataclass(frozen=True)
class Segment:
    """One crop-resistant segment: its hash, the box cropped from the original image
    (left, top, right, bottom in original pixels, after Pillow's rounding) and its pixel
    count in the segmentation image (2 for imagehash's whole-image fallback segment)."""

    index: int
    hash: ImageHash
    box: tuple[int, int, int, int]
    pixels: int


@dataclass
class HashResult:
    """Hashes of one image: `hashes[algorithm]` for single-image algorithms, `segments` for
    crop_resistant (None when not requested)."""

    width: int
    height: int
    mode: str
    hashes: dict[str, ImageHash] = field(default_factory=dict)
    segments: list[Segment] | None = None

    def multihash(self) -> ImageMultiHash | None:
        """The crop-resistant hash as imagehash's ImageMultiHash (None when not requested)."""
        if self.segments is None:
            return None
        return ImageMultiHash([s.hash for s in self.segments])


class GreyThumbnails:
    """LANCZOS thumbnails of one greyscale image (or of a box cropped from it), each distinct
    size computed once. Sizes known up front are made together so they share passes
    (`resample.resize_many`); crops resample a view of the parent's pixels, without copying
    the crop out of Pillow."""

    def __init__(
        self,
        grey: Image.Image,
        sizes: list[tuple[int, int]] = (),
        box: tuple[int, int, int, int] | None = None,
        parent: GreyThumbnails | None = None,
    ) -> None:
        self._image = grey  # the whole greyscale image; `box` selects a crop of it
        self._box = box
        self._parent = parent
        if box is None:
            self.size = grey.size
        else:
            self.size = (box[2] - box[0], box[3] - box[1])
        self._array: numpy.ndarray | None = None
        self._array64: numpy.ndarray | None = None
        self._pixels: dict[tuple[int, int], numpy.ndarray] = {}
        if sizes:
            self._make(list(dict.fromkeys(sizes)))

    def crop(self, box: tuple[int, int, int, int]) -> GreyThumbnails:
        """Thumbnails of `grey.crop(box)` for an integer box inside the image."""
        return GreyThumbnails(self._image, box=box, parent=self)

    def _arrays(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        if self._array is None:
            if self._parent is None:
                self._array = numpy.asarray(self._image)
                self._array64 = self._array.astype(numpy.float64)
            else:
                array, array64 = self._parent._arrays()
                left, top, right, bottom = self._box
                self._array, self._array64 = array[top:bottom, left:right], array64[top:bottom, left:right]
        return self._array, self._array64

    def _make(self, sizes: list[tuple[int, int]]) -> None:
        # The budget is the whole image's: crops read views of its float64 copy.
        if resample.products_for(*self._image.size, sizes) and min(self.size) > 0:
            array, array64 = self._arrays()
            self._pixels.update(resample.resize_many(array, sizes, grey64=array64))
            return
        # Pillow itself: products disabled, an empty crop, or a size Pillow rejects (its error).
        grey = self._image if self._box is None else self._image.crop(self._box)
        for w, h in sizes:
            self._pixels[(w, h)] = numpy.asarray(grey.resize((w, h), H.ANTIALIAS))

    def pixels(self, width: int, height: int) -> numpy.ndarray:
        """uint8 (height, width), as `hashes.grey_pixels` gives it."""
        key = (width, height)
        if key not in self._pixels:
            self._make([key])
        return self._pixels[key]


def compute_hashes(
    source: bytes | bytearray | memoryview | Image.Image,
    algorithms: tuple[str, ...] | list[str] = ALGORITHMS,
    params: HashParams | None = None,
    decode_options: DecodeOptions | None = None,
) -> HashResult:
    """Decode once (when given bytes) and compute every algorithm in `algorithms`.

    Each hash equals the imagehash 4.3.2 function called on the decoded image with the
    parameters of `params` (crop_resistant: `crop_resistant_hash` with `hash_func` = the
    `segment_hash` algorithm at `hash_size`). Errors are those of the single functions, or an
    ImageDecodeError for bytes that are not a readable image.
    """
    p = params or _DEFAULT_PARAMS
    algorithms = list(dict.fromkeys(algorithms))
    unknown = [a for a in algorithms if a not in ALGORITHMS]
    if unknown:
        raise ValueError(f"unknown algorithm(s) {unknown}; choose from {list(ALGORITHMS)}")
    if isinstance(source, Image.Image):
        image = source
    else:
        image = decode_image(source, decode_options or _DEFAULT_DECODE)

    grey = image if image.mode == "L" else image.convert("L")
    thumbs = GreyThumbnails(grey, _thumbnail_sizes(algorithms, image.size, p))
    result = HashResult(width=image.size[0], height=image.size[1], mode=image.mode)
    for algorithm in algorithms:
        if algorithm == CROP_RESISTANT:
            result.segments = _segments(image, thumbs, p)
        else:
            result.hashes[algorithm] = _single(algorithm, thumbs, p, image, grey)
    return result


def _thumbnail_sizes(algorithms: list[str], size: tuple[int, int], p: HashParams) -> list[tuple[int, int]]:
    """The thumbnails `algorithms` will ask for, to make them together. Invalid parameters
    add nothing here: the algorithm raises its own error when it runs."""
    sizes = []
    for algorithm in algorithms:
        try:
            sizes.append(_thumbnail_size(algorithm, size, p))
        except (AssertionError, OverflowError, ValueError):  # whash_scale's errors
            continue
    return [(w, h) for w, h in sizes if w > 0 and h > 0]


def _thumbnail_size(algorithm: str, size: tuple[int, int], p: HashParams) -> tuple[int, int]:
    """(width, height) of the greyscale thumbnail `algorithm` hashes, for an image of `size`
    ((0, 0) for colorhash, which hashes the full image); whash raises its parameter errors."""
    hs = p.hash_size
    if algorithm == "ahash":
        return (hs, hs)
    if algorithm in ("phash", "phash_simple"):
        return (hs * p.highfreq_factor, hs * p.highfreq_factor)
    if algorithm == "dhash":
        return (hs + 1, hs)
    if algorithm == "dhash_vertical":
        return (hs, hs + 1)
    if algorithm == "whash":
        scale = H.whash_scale(size, hs, p.whash_image_scale)[0]
        return (scale, scale)
    if algorithm == CROP_RESISTANT:
        return (p.segmentation_image_size, p.segmentation_image_size)
    return (0, 0)


def _single(
    algorithm: str,
    thumbs: GreyThumbnails,
    p: HashParams,
    image: Image.Image | None = None,
    grey: Image.Image | None = None,
) -> ImageHash:
    """`algorithm` of the image `thumbs` makes thumbnails of (colorhash also needs the image
    itself and its greyscale)."""
    hs = p.hash_size
    if algorithm in ("ahash", "phash", "dhash"):
        H.check_hash_size(hs)
    if algorithm == "ahash":
        return ImageHash(H.average_bits(thumbs.pixels(*_thumbnail_size(algorithm, thumbs.size, p))))
    if algorithm in ("phash", "phash_simple"):
        kernel = H.phash_bits if algorithm == "phash" else H.phash_simple_bits
        return ImageHash(kernel(thumbs.pixels(*_thumbnail_size(algorithm, thumbs.size, p)), hs))
    if algorithm == "dhash":
        return ImageHash(H.dhash_bits(thumbs.pixels(*_thumbnail_size(algorithm, thumbs.size, p))))
    if algorithm == "dhash_vertical":
        return ImageHash(H.dhash_vertical_bits(thumbs.pixels(*_thumbnail_size(algorithm, thumbs.size, p))))
    if algorithm == "whash":
        scale, ll_max_level, dwt_level = H.whash_scale(thumbs.size, hs, p.whash_image_scale)
        bits = H.whash_bits(
            thumbs.pixels(scale, scale), ll_max_level, dwt_level, p.whash_mode, p.whash_remove_max_haar_ll
        )
        return ImageHash(bits)
    if algorithm == "colorhash":
        counts = H.colorhash_counts_of(image, grey)
        return ImageHash(H.colorhash_bits(counts, p.colorhash_binbits))
    raise ValueError(f"unknown algorithm {algorithm!r}")


def _segments(image: Image.Image, thumbs: GreyThumbnails, p: HashParams) -> list[Segment]:
    from sparkhash.core import segmentation as seg

    size = p.segmentation_image_size
    pixels = seg.smooth_segmentation_pixels(thumbs.pixels(size, size))
    found = seg.select_segments(
        seg.segment_boxes(pixels, p.segment_threshold, p.min_segment_size), size, p.limit_segments
    )
    boxes = seg.crop_boxes(found, image.size[0], image.size[1], size)
    # The structural hashes only see the crop's greyscale, and convert('L') is per pixel, so
    # cropping the greyscale image equals imagehash's convert('L') of the original-mode crop.
    return [
        Segment(index=i, hash=_single(p.segment_hash, thumbs.crop(box), p), box=box, pixels=int(found[i][4]))
        for i, box in enumerate(boxes)
    ]
