"""The algorithm registry: every fact about an algorithm, in one record per algorithm.

Everything that depends on which algorithms exist reads this module: `compute_hashes`
(thumbnail sizes and kernels), `HashParams.for_algorithm` (the fields that change the bits),
`SEGMENT_HASHES`, the band planner's bit counts, the command line's algorithm choices and
name parsing, the Spark tables (single hashes are columns of the hashes table, multi-hash
signatures rows of their own table) and evaluation. Adding an algorithm means one `Algorithm`
record in `_RECORDS` plus its kernel (see docs/architecture.md).

A kernel is called as `kernel(thumbs, params, image, grey)`: `thumbs` gives LANCZOS greyscale
thumbnails (`thumbs.pixels(width, height)`, `thumbs.size`, `thumbs.crop(box)`), `image` is
the decoded image and `grey` its 'L' conversion (both None when a kernel hashes a crop, as
crop_resistant's segment hashes do). A single-hash kernel returns the bool bit array; a
multi-hash kernel returns a list of `Segment`-like signatures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy

from sparkhash.core import hashes as H
from sparkhash.core import segmentation as seg
from sparkhash.core.classes import ImageHash
from sparkhash.core.colour import colorhash_counts_of
from sparkhash.core.results import Segment

if TYPE_CHECKING:
    from sparkhash.core.params import HashParams


@dataclass(frozen=True)
class Algorithm:
    """One algorithm.

    name         output column / table value / command-line name
    kernel       computes the bits (see the module docstring)
    fields       the `HashParams` fields that change its bits, in `for_algorithm` order
    nbits        bit count of one hash (of one signature for a multi-hash algorithm)
    thumbnail    (width, height) of the greyscale thumbnail it hashes for an image of a size,
                 None when it reads the full image (made up front, shared with the others)
    multi        False: one hash per image, a hex column of the hashes table;
                 True: several signatures per image, exploded into rows of `table`
    table        the table its output goes to ("hashes", or e.g. "segments")
    inner        HashParams field naming the algorithm each signature is hashed with (its
                 fields then count too), or None
    function     the imagehash-style public function of the same bits (None for our own)
    imagehash    the name of that function in imagehash 4.3.2 (None: not an imagehash algorithm)
    segment_hash may be crop_resistant's `segment_hash`
    bits         True: the kernel returns hash bits compared by Hamming distance (an ImageHash);
                 False: it returns a signature string of sparkhash's own, compared by its own
                 verifier (robust), with `draft_side` the JPEG reduced-decoding size it allows
    reduced      the smallest decoded (width, height) it works from, for a file of a size, in
                 reduced decoding (`DecodeOptions(decode="reduced")`); None: `draft_side` on
                 the longer side when set, else the full image
    """

    name: str
    kernel: Callable[..., Any]
    fields: tuple[str, ...]
    nbits: Callable[[HashParams], int]
    thumbnail: Callable[[tuple[int, int], HashParams], tuple[int, int]] | None = None
    multi: bool = False
    table: str = "hashes"
    inner: str | None = None
    function: Callable[..., Any] | None = None
    imagehash: str | None = None
    segment_hash: bool = False
    bits: bool = True
    draft_side: int | None = None
    reduced: Callable[[tuple[int, int], HashParams], tuple[int, int]] | None = None

    def hex_width(self, params: HashParams) -> int:
        """Hex digits of one hash (one signature): ceil(nbits / 4), as imagehash writes it."""
        return (self.nbits(params) + 3) // 4


# ---------------------------------------------------------------------------- thumbnails


def _square(p: HashParams) -> int:
    return p.hash_size * p.hash_size


def _ahash_size(size: tuple[int, int], p: HashParams) -> tuple[int, int]:
    return (p.hash_size, p.hash_size)


def _phash_size(size: tuple[int, int], p: HashParams) -> tuple[int, int]:
    return (p.hash_size * p.highfreq_factor, p.hash_size * p.highfreq_factor)


def _dhash_size(size: tuple[int, int], p: HashParams) -> tuple[int, int]:
    return (p.hash_size + 1, p.hash_size)


def _dhash_vertical_size(size: tuple[int, int], p: HashParams) -> tuple[int, int]:
    return (p.hash_size, p.hash_size + 1)


def _whash_size(size: tuple[int, int], p: HashParams) -> tuple[int, int]:
    """whash's image_scale for an image of `size`; raises whash's parameter errors."""
    scale = H.whash_scale(size, p.hash_size, p.whash_image_scale)[0]
    return (scale, scale)


def _segmentation_size(size: tuple[int, int], p: HashParams) -> tuple[int, int]:
    return (p.segmentation_image_size, p.segmentation_image_size)


# ---------------------------------------------------------------------------- reduced decoding

#: Reduced decoding keeps at least this many decoded pixels per thumbnail pixel on each side
#: (LANCZOS then still reduces by 2x or more, as it does from a full decode of a photo).
REDUCED_MARGIN = 2
#: whash without `whash_image_scale` and colorhash read the whole decoded image; reduced, its
#: shorter side keeps at least this many pixels (whash's scale is then >= 128, colorhash's
#: histogram counts >= 16k pixels).
REDUCED_MIN_SIDE = 128


def _reduced_thumbnail(thumbnail: Callable) -> Callable[[tuple[int, int], HashParams], tuple[int, int]]:
    def size(size: tuple[int, int], p: HashParams) -> tuple[int, int]:
        width, height = thumbnail(size, p)
        return (REDUCED_MARGIN * width, REDUCED_MARGIN * height)

    return size


def _reduced_whole(size: tuple[int, int], p: HashParams) -> tuple[int, int]:
    return (REDUCED_MIN_SIDE, REDUCED_MIN_SIDE)


def _reduced_whash(size: tuple[int, int], p: HashParams) -> tuple[int, int]:
    if p.whash_image_scale is None:  # the scale follows the decoded size
        side = max(REDUCED_MIN_SIDE, REDUCED_MARGIN * p.hash_size)
        return (side, side)
    return (REDUCED_MARGIN * p.whash_image_scale, REDUCED_MARGIN * p.whash_image_scale)


def _reduced_segmentation(size: tuple[int, int], p: HashParams) -> tuple[int, int]:
    """The segmentation image's size: imagehash resizes to it whatever the aspect, so a
    reduced image as large keeps the segmentation a reduction, never an enlargement."""
    return (p.segmentation_image_size, p.segmentation_image_size)


# ---------------------------------------------------------------------------- kernels


def _ahash(thumbs: Any, p: HashParams, image: Any = None, grey: Any = None) -> numpy.ndarray:
    H.check_hash_size(p.hash_size)
    return H.average_bits(thumbs.pixels(*_ahash_size(thumbs.size, p)))


def _phash(thumbs: Any, p: HashParams, image: Any = None, grey: Any = None) -> numpy.ndarray:
    H.check_hash_size(p.hash_size)
    return H.phash_bits(thumbs.pixels(*_phash_size(thumbs.size, p)), p.hash_size)


def _phash_simple(thumbs: Any, p: HashParams, image: Any = None, grey: Any = None) -> numpy.ndarray:
    return H.phash_simple_bits(thumbs.pixels(*_phash_size(thumbs.size, p)), p.hash_size)


def _dhash(thumbs: Any, p: HashParams, image: Any = None, grey: Any = None) -> numpy.ndarray:
    H.check_hash_size(p.hash_size)
    return H.dhash_bits(thumbs.pixels(*_dhash_size(thumbs.size, p)))


def _dhash_vertical(thumbs: Any, p: HashParams, image: Any = None, grey: Any = None) -> numpy.ndarray:
    return H.dhash_vertical_bits(thumbs.pixels(*_dhash_vertical_size(thumbs.size, p)))


def _whash(thumbs: Any, p: HashParams, image: Any = None, grey: Any = None) -> numpy.ndarray:
    scale, ll_max_level, dwt_level = H.whash_scale(thumbs.size, p.hash_size, p.whash_image_scale)
    return H.whash_bits(
        thumbs.pixels(scale, scale), ll_max_level, dwt_level, p.whash_mode, p.whash_remove_max_haar_ll
    )


def _colorhash(thumbs: Any, p: HashParams, image: Any = None, grey: Any = None) -> numpy.ndarray:
    counts = colorhash_counts_of(image, grey)
    return H.colorhash_bits(counts, p.colorhash_binbits)


def _robust(thumbs: Any, p: HashParams, image: Any = None, grey: Any = None) -> str:
    from sparkhash.core import robust  # OpenCV is imported only when robust is asked for

    if p.robust_version != robust.FORMAT_VERSION:
        raise ValueError(
            f"this sparkhash makes robust signatures of format {robust.FORMAT_VERSION}, not {p.robust_version}"
        )
    return robust.to_text(robust.compute(image))


def _crop_resistant(thumbs: Any, p: HashParams, image: Any = None, grey: Any = None) -> list[Segment]:
    size = p.segmentation_image_size
    pixels = seg.smooth_segmentation_pixels(thumbs.pixels(size, size))
    found = seg.select_segments(
        seg.segment_boxes(pixels, p.segment_threshold, p.min_segment_size), size, p.limit_segments
    )
    boxes = seg.crop_boxes(found, image.size[0], image.size[1], size)
    inner = REGISTRY[p.segment_hash].kernel
    # The structural hashes only see the crop's greyscale, and convert('L') is per pixel, so
    # cropping the greyscale image equals imagehash's convert('L') of the original-mode crop.
    return [
        Segment(index=i, hash=ImageHash(inner(thumbs.crop(box), p)), box=box, pixels=int(found[i][4]))
        for i, box in enumerate(boxes)
    ]


# ---------------------------------------------------------------------------- the records

_RECORDS: tuple[Algorithm, ...] = (
    Algorithm(
        "ahash",
        _ahash,
        ("hash_size",),
        _square,
        _ahash_size,
        function=H.average_hash,
        imagehash="average_hash",
        segment_hash=True,
        reduced=_reduced_thumbnail(_ahash_size),
    ),
    Algorithm(
        "phash",
        _phash,
        ("hash_size", "highfreq_factor"),
        _square,
        _phash_size,
        function=H.phash,
        imagehash="phash",
        segment_hash=True,
        reduced=_reduced_thumbnail(_phash_size),
    ),
    Algorithm(
        "phash_simple",
        _phash_simple,
        ("hash_size", "highfreq_factor"),
        _square,
        _phash_size,
        function=H.phash_simple,
        imagehash="phash_simple",
        segment_hash=True,
        reduced=_reduced_thumbnail(_phash_size),
    ),
    Algorithm(
        "dhash",
        _dhash,
        ("hash_size",),
        _square,
        _dhash_size,
        function=H.dhash,
        imagehash="dhash",
        segment_hash=True,
        reduced=_reduced_thumbnail(_dhash_size),
    ),
    Algorithm(
        "dhash_vertical",
        _dhash_vertical,
        ("hash_size",),
        _square,
        _dhash_vertical_size,
        function=H.dhash_vertical,
        imagehash="dhash_vertical",
        segment_hash=True,
        reduced=_reduced_thumbnail(_dhash_vertical_size),
    ),
    Algorithm(
        "whash",
        _whash,
        ("hash_size", "whash_mode", "whash_image_scale", "whash_remove_max_haar_ll"),
        _square,
        _whash_size,
        function=H.whash,
        imagehash="whash",
        segment_hash=True,
        reduced=_reduced_whash,
    ),
    Algorithm(
        "colorhash",
        _colorhash,
        ("colorhash_binbits",),
        lambda p: 14 * p.colorhash_binbits,
        function=H.colorhash,
        imagehash="colorhash",
        reduced=_reduced_whole,
    ),
    Algorithm(
        "crop_resistant",
        _crop_resistant,
        (
            "segment_hash",
            "limit_segments",
            "segment_threshold",
            "min_segment_size",
            "segmentation_image_size",
        ),
        lambda p: REGISTRY[p.segment_hash].nbits(p),
        _segmentation_size,
        multi=True,
        table="segments",
        inner="segment_hash",
        imagehash="crop_resistant_hash",
        reduced=_reduced_segmentation,
    ),
    Algorithm(
        "robust",
        _robust,
        ("robust_version",),
        lambda p: 64,  # the global hash of a signature; see sparkhash.core.robust
        bits=False,
        draft_side=256,
    ),
)

#: Every algorithm by name, in canonical order (the order of output columns and of `ALGORITHMS`).
REGISTRY: dict[str, Algorithm] = {record.name: record for record in _RECORDS}

ALGORITHMS: tuple[str, ...] = tuple(REGISTRY)
#: What the jobs compute when not told: the imagehash algorithms (robust only on request:
#: it needs OpenCV and stores ~34 kB per image).
DEFAULT_ALGORITHMS: tuple[str, ...] = tuple(r.name for r in _RECORDS if r.imagehash)
#: Algorithms compared by Hamming distance (robust has its own verifier).
HAMMING_ALGORITHMS: tuple[str, ...] = tuple(r.name for r in _RECORDS if r.bits)
#: One hash per image: the hex columns of the hashes table.
SINGLE_ALGORITHMS: tuple[str, ...] = tuple(r.name for r in _RECORDS if not r.multi)
#: Several signatures per image, each in rows of its own table.
MULTI_ALGORITHMS: tuple[str, ...] = tuple(r.name for r in _RECORDS if r.multi)
CROP_RESISTANT = "crop_resistant"
#: Segment hash functions crop_resistant_hash may use in the jobs.
SEGMENT_HASHES: tuple[str, ...] = tuple(r.name for r in _RECORDS if r.segment_hash)


def get(name: str) -> Algorithm:
    """The record of `name`; ValueError naming the choices for an unknown one."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown algorithm {name!r}; choose from {ALGORITHMS}") from None


def parse_algorithms(
    algorithms: str | Iterable[str], *, canonical: bool = True, required: bool = True
) -> tuple[str, ...]:
    """Algorithm names from a comma-separated string or a sequence, validated, duplicates dropped.

    `canonical`: in registry order (else in the order given). `required`: an empty request
    is a ValueError. The one parser of the command line, the Spark API and `compute_hashes`.
    """
    if isinstance(algorithms, str):
        algorithms = [a.strip() for a in algorithms.split(",") if a.strip()]
    names = tuple(dict.fromkeys(algorithms))
    unknown = [a for a in names if a not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown algorithm(s) {', '.join(unknown)}; choose from {', '.join(ALGORITHMS)}")
    if required and not names:
        raise ValueError("no algorithm requested")
    if canonical:
        return tuple(a for a in ALGORITHMS if a in names)
    return names
