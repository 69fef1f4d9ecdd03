"""One decode, many hashes: every requested algorithm from a single decoded image.

Shared work: one decode, one greyscale conversion (also reused by colorhash and the
segmentation), all LANCZOS thumbnails made together (one per distinct size, phash and
phash_simple share theirs, sizes of equal width share their first resampling pass), and
crop-resistant segments cropped from the greyscale image. Results are bit-exact with the single
functions.

Reduced decoding (`DecodeOptions(decode="reduced")`, not imagehash's bits) decodes a JPEG at
the smallest DCT scale giving the algorithm its registry `reduced` size (robust: its
`draft_side`, in either mode), then hashes that image as usual; width, height and segment boxes
stay in the file's pixels. The scale is each algorithm's own, so a hash never depends on which
other algorithms were asked for: algorithms needing different scales (phash at 1/8 and
crop_resistant at 1/4 of a 1,600 px photo) get one decode each.
"""

from __future__ import annotations

import dataclasses
import math

import numpy
from PIL import Image

from sparkhash.core import hashes as H
from sparkhash.core import resample
from sparkhash.core.classes import ImageHash
from sparkhash.core.colour import grey_and_transposed, grey_of
from sparkhash.core.decode import DecodeOptions, decode_image, draft_scale
from sparkhash.core.params import HashParams
from sparkhash.core.registry import DEFAULT_ALGORITHMS, REGISTRY, parse_algorithms
from sparkhash.core.results import HashResult, Segment

__all__ = ["GreyThumbnails", "HashResult", "Segment", "compute_hashes"]

_DEFAULT_PARAMS = HashParams()
_DEFAULT_DECODE = DecodeOptions()


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
        transposed: numpy.ndarray | None = None,
    ) -> None:
        self._image = grey  # the whole greyscale image; `box` selects a crop of it
        self._box = box
        self._parent = parent
        if box is None:
            self.size = grey.size
        else:
            self.size = (box[2] - box[0], box[3] - box[1])
        self._array: numpy.ndarray | None = None
        # the whole image's pixels transposed, when the caller made them with the greyscale
        self._transposed: numpy.ndarray | None = transposed if box is None else None
        self._pixels: dict[tuple[int, int], numpy.ndarray] = {}
        if sizes:
            self._make(list(dict.fromkeys(sizes)))

    def crop(self, box: tuple[int, int, int, int]) -> GreyThumbnails:
        """Thumbnails of `grey.crop(box)` for an integer box inside the image (these same
        thumbnails when the box is the whole image: a segment spanning it, often the
        background, reuses the image's own thumbnails instead of resampling it again)."""
        if self._box is None and box == (0, 0, *self.size):
            return self
        return GreyThumbnails(self._image, box=box, parent=self)

    def _array_of(self) -> numpy.ndarray:
        if self._array is None:
            if self._parent is None:
                self._array = H.grey_array(self._image)
            else:
                left, top, right, bottom = self._box
                self._array = self._parent._array_of()[top:bottom, left:right]
        return self._array

    def _root(self) -> GreyThumbnails:
        return self if self._parent is None else self._parent._root()

    def _transposed_of(self) -> numpy.ndarray:
        """The pixels transposed (uint8, width x height): made once for the whole image; a
        crop's is a view of it, so every crop's horizontal passes read that one copy."""
        if self._transposed is None:
            if self._parent is None:
                self._transposed = resample.transpose(self._array_of())
            else:
                left, top, right, bottom = self._box
                self._transposed = self._parent._transposed_of()[left:right, top:bottom]
        return self._transposed

    def _make(self, sizes: list[tuple[int, int]]) -> None:
        # The budget is the whole image's: crops read views of its transposed copy.
        if resample.products_for(*self._image.size, sizes) and min(self.size) > 0:
            array = self._array_of()
            made = self._root()._transposed is not None  # e.g. a crop of an image that has it
            transposed = (
                self._transposed_of() if made or resample.needs_transposed(array.shape, sizes) else None
            )
            self._pixels.update(resample.resize_many(array, sizes, transposed=transposed))
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
    algorithms: tuple[str, ...] | list[str] = DEFAULT_ALGORITHMS,
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
    algorithms = parse_algorithms(algorithms, canonical=False, required=False)
    if isinstance(source, Image.Image):
        return _hash_decoded(source, algorithms, p)
    options = decode_options or _DEFAULT_DECODE
    scales: dict[str, int] = {}
    wants: dict[str, tuple[int, int] | None] = {}

    def first_scale(size: tuple[int, int]) -> tuple[int, int] | None:
        # called for a JPEG only: each algorithm's own scale; the largest image is decoded first
        for algorithm in algorithms:
            wants[algorithm] = decode_size(algorithm, size, p, options)
            scales[algorithm] = draft_scale(size, wants[algorithm])
        return wants[min(algorithms, key=lambda a: scales[a])] if algorithms else None

    image = decode_image(source, options, scale_to=first_scale)
    if len(set(scales.values())) <= 1:
        return _hash_decoded(image, algorithms, p)
    # A JPEG whose algorithms decode it at different scales: each is hashed from its own, so
    # that its hash never depends on which other algorithms were asked for.
    values: dict[str, HashResult] = {}
    for scale in sorted(set(scales.values())):
        group = tuple(a for a in algorithms if scales[a] == scale)
        if scale != min(scales.values()):
            want = wants[group[0]]  # every algorithm of the group gives this scale
            image = decode_image(source, options, scale_to=lambda size, want=want: want)
        part = _hash_decoded(image, group, p)
        values.update(dict.fromkeys(group, part))
    first = values[algorithms[0]]
    result = HashResult(width=first.width, height=first.height, mode=first.mode)
    for algorithm in algorithms:
        part = values[algorithm]
        if algorithm in part.signatures:
            result.signatures[algorithm] = part.signatures[algorithm]
        if algorithm in part.hashes:
            result.hashes[algorithm] = part.hashes[algorithm]
    return result


def decode_size(
    algorithm: str, size: tuple[int, int], p: HashParams, options: DecodeOptions
) -> tuple[int, int] | None:
    """The smallest decoded (width, height) `algorithm` works from for a JPEG of `size`, by
    its own settings only (None: the full image): its registry `reduced` size in reduced
    mode, its `draft_side` (robust) in either mode."""
    record = REGISTRY[algorithm]
    try:
        if options.reduced and record.reduced is not None:
            w, h = record.reduced(size, p)
            return (int(w), int(h))
        if record.draft_side and max(size) > record.draft_side:
            scale = record.draft_side / max(size)
            return (math.ceil(size[0] * scale), math.ceil(size[1] * scale))
    except (AssertionError, OverflowError, ValueError, TypeError):  # its kernel raises its own error
        return None
    return None


def _hash_decoded(image: Image.Image, algorithms: tuple[str, ...], p: HashParams) -> HashResult:
    """Every algorithm of `algorithms` from one decoded image."""
    sizes = _thumbnail_sizes(algorithms, image.size, p)
    grey = thumbs = None
    if any(REGISTRY[a].greyscale for a in algorithms):
        transposed = None
        if resample.products_for(*image.size, sizes) and resample.needs_transposed(image.size[::-1], sizes):
            # a wide pass reads the transposed pixels: made in the conversion's pass over the image
            grey, transposed = grey_and_transposed(image)
        else:
            grey = grey_of(image)  # image.convert("L"), byte for byte
        thumbs = GreyThumbnails(grey, sizes, transposed=transposed)
    width, height = image.info.get("original_size", image.size)  # a drafted JPEG: its file size
    result = HashResult(width=width, height=height, mode=image.mode)
    shared: dict = {}  # each `shared` function's value, computed once for this image
    for algorithm in algorithms:
        record = REGISTRY[algorithm]
        if record.shared is None:
            value = record.kernel(thumbs, p, image, grey)
        else:
            if record.shared not in shared:
                shared[record.shared] = record.shared(image)
            value = record.kernel(thumbs, p, image, grey, shared=shared[record.shared])
        if record.multi:
            result.signatures[algorithm] = _in_file_pixels(value, image.size, (width, height))
        elif isinstance(value, numpy.ndarray):  # hash bits
            result.hashes[algorithm] = ImageHash(value)
        else:  # the kernel's own value: robust's signature text, or e.g. (hash, quality)
            result.hashes[algorithm] = value
    return result


def _thumbnail_sizes(
    algorithms: tuple[str, ...], size: tuple[int, int], p: HashParams
) -> list[tuple[int, int]]:
    """The thumbnails `algorithms` will ask for, to make them together. Invalid parameters
    add nothing here: the algorithm raises its own error when it runs."""
    sizes = []
    for algorithm in algorithms:
        thumbnail = REGISTRY[algorithm].thumbnail
        if thumbnail is None:  # hashes the full image
            continue
        try:
            sizes.append(thumbnail(size, p))
        except (AssertionError, OverflowError, ValueError):  # whash_scale's errors
            continue
    return [(w, h) for w, h in sizes if w > 0 and h > 0]


def _in_file_pixels(signatures: list, decoded: tuple[int, int], original: tuple[int, int]) -> list:
    """Segment boxes of a reduced decode scaled to the file's pixels (unchanged otherwise)."""
    if decoded == original:
        return signatures
    sx, sy = original[0] / decoded[0], original[1] / decoded[1]
    return [
        dataclasses.replace(
            s,
            box=(
                min(original[0], round(s.box[0] * sx)),
                min(original[1], round(s.box[1] * sy)),
                min(original[0], round(s.box[2] * sx)),
                min(original[1], round(s.box[3] * sy)),
            ),
        )
        for s in signatures
    ]
