"""The algorithm registry: every fact about an algorithm, in one record per algorithm.

Everything that depends on which algorithms exist reads this module: `compute_hashes`
(thumbnail sizes and kernels), `HashParams.for_algorithm` (the fields that change the bits),
`SEGMENT_HASHES`, the band planner's bit counts, the command line's algorithm choices and
name parsing, the Spark tables (each record declares its output fields once: columns of the
hashes table, or rows of an exploded table; `sparkhash.spark.schemas` generates the Spark schema
and the Arrow UDF its Arrow form from them) and matching (each record names its matcher kind;
`sparkhash.dedup.matchers` maps the kind to the implementation that `dups`, `match`, `evaluate`
and the report call). Adding an algorithm means one `Algorithm` record in `_RECORDS` plus its
kernel (see docs/architecture.md). No code outside this module and the kernels branches on an
algorithm's name (tests/test_architecture.py).

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
from sparkhash.core.results import Segment, Variant

if TYPE_CHECKING:
    from sparkhash.core.params import HashParams

# ---------------------------------------------------------------------------- matcher kinds

#: Hamming distance on one hex column of the hashes table (`Algorithm.hash_field`), banded join.
HAMMING = "hamming"
#: Hamming distance on the rows of an exploded table (one row per signature, `segment` numbers
#: them, `hash` holds the hex): two images match through their close rows (crop_resistant's
#: segments; any fixed set of signatures such as the 8 dihedral hashes of PDQ).
HAMMING_EXPLODED = "hamming_exploded"
#: No distance: a candidate join, then a verifier accepts or rejects each candidate pair (robust).
VERIFIED = "verified"
MATCHER_KINDS: tuple[str, ...] = (HAMMING, HAMMING_EXPLODED, VERIFIED)

#: The largest Hamming distance of a pair when not told (`dups`, `match`, `evaluate`), unless
#: the record declares its own (`Algorithm.threshold`: PDQ's is the reference's 31 of 256 bits).
DEFAULT_THRESHOLD = 4

#: Types an output field may have (the Spark and Arrow types follow in sparkhash.spark.schemas).
FIELD_TYPES: tuple[str, ...] = ("string", "int32", "int64")


@dataclass(frozen=True)
class Field:
    """One output field: a column of the hashes table, or a field of an exploded row."""

    name: str
    type: str = "string"
    nullable: bool = True
    doc: str = ""

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.name}: type must be one of {FIELD_TYPES}, not {self.type!r}")


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
    format_version  the format of its hashes: 1 as first shipped, bumped whenever the kernel
                 changes what a hash means; part of its hash spec (`sparkhash.core.spec`), so
                 hashes of different versions are never compared. Not a user setting.
    matcher      its matcher kind (HAMMING, HAMMING_EXPLODED or VERIFIED): how `dups`, `match`,
                 `evaluate` and the report find and show its pairs (`sparkhash.dedup.matchers`)
    columns      its columns of the hashes table (default: one string column named `name`;
                 none for a multi-hash algorithm)
    rows         a multi-hash algorithm: the fields of one row of its exploded table `table`
                 (after the table's `path`; `segment` numbers the rows, `hash` is the hex)
    count_column a multi-hash algorithm: the hashes-table column counting its rows per image
    cells        its value in `HashResult` -> the values of `columns` (a tuple; default:
                 `(str(value),)`), or for a multi-hash algorithm -> the list of row tuples of `rows`
    reduced      the smallest decoded (width, height) it works from, for a file of a size, in
                 reduced decoding (`DecodeOptions(decode="reduced")`); None: `draft_side` on
                 the longer side when set, else the full image
    query_segment  a multi-hash algorithm whose rows are variants of one signature (PDQ's 8
                 orientations): the row a query matches with (`match`: of each query; `dups`:
                 of one image of a pair), against every row of the other; None: any row of one
                 against any row of the other (crop_resistant's segments)
    label        a multi-hash algorithm: the field of its rows that names a row (pdq_dihedral's
                 `orientation`); `match` and `dups` report the label of the other image's row
                 of the closest row pair in a column of that name (see `inverse`)
    inverse      with `label`: row number -> the row of the inverse variant (pdq_dihedral: a
                 quarter turn one way undoes one the other way); a pair matched through its
                 second image's query row reports the inverse of the first image's row, so the
                 label always reads "what turns the second image into the first"
    greyscale    the kernel reads the greyscale image or thumbnails of it (`grey`, `thumbs`);
                 False: it reads only the decoded `image` (robust, PDQ), and `compute_hashes`
                 makes no greyscale image when no requested algorithm needs one
    shared       work several records share (PDQ's blur and DCT: `pdq` and `pdq_dihedral`):
                 image -> value, computed once per image by `compute_hashes` and passed to the
                 kernel as `shared=` (records share it by naming the same function)
    threshold    its default threshold: the largest Hamming distance of a pair (of a row pair,
                 for a multi-hash algorithm) when `dups`, `match` or `evaluate` are not told one
                 (`default_threshold`); None: a quarter of one signature's bits for a multi-hash
                 algorithm (imagehash's crop_resistant cutoff), none for VERIFIED (no distance)
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
    format_version: int = 1
    matcher: str = HAMMING
    columns: tuple[Field, ...] = ()
    rows: tuple[Field, ...] = ()
    count_column: str | None = None
    cells: Callable[[Any], Any] | None = None
    reduced: Callable[[tuple[int, int], HashParams], tuple[int, int]] | None = None
    greyscale: bool = True
    shared: Callable[[Any], Any] | None = None
    threshold: int | None = DEFAULT_THRESHOLD
    query_segment: int | None = None
    label: str | None = None
    inverse: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.matcher not in MATCHER_KINDS:
            raise ValueError(f"{self.name}: matcher must be one of {MATCHER_KINDS}, not {self.matcher!r}")
        if self.multi:
            if self.columns or not self.rows or self.matcher != HAMMING_EXPLODED:
                raise ValueError(
                    f"{self.name}: a multi-hash algorithm has rows (no columns), matched exploded"
                )
        elif not self.columns:
            object.__setattr__(self, "columns", (Field(self.name),))
        if self.cells is None:
            object.__setattr__(self, "cells", _hex_cell)

    @property
    def hash_field(self) -> str:
        """The field the matcher compares: the record's own column, or `hash` of its rows."""
        return "hash" if self.multi else self.name

    def default_threshold(self, nbits: int) -> int | None:
        """The threshold `dups`, `match` and `evaluate` use when not told one, for signatures
        of `nbits` bits (see `threshold`); None for a matcher without distances."""
        if self.threshold is not None:
            return self.threshold
        return nbits // 4 if self.multi else None

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
#: ... and never decodes below this many pixels on either side (whash without
#: `whash_image_scale` and colorhash, which read the whole decoded image, ask for just this).
#: At 1/8 a JPEG decodes to the means of its 8 x 8 blocks: a 1,600 px photo's 200 px decode
#: left phash identical to exact mode for 77 % of the dev corpus, dhash for 60 %, with up to
#: two copies per edit lost; from its 1/4 decode (>= 256 px) 90 % and 88 %, at most one copy
#: (BENCHMARKS.md, reduced rule 3). Larger photos still decode at 1/8.
REDUCED_MIN_SIDE = 256


def _reduced_thumbnail(thumbnail: Callable) -> Callable[[tuple[int, int], HashParams], tuple[int, int]]:
    def size(size: tuple[int, int], p: HashParams) -> tuple[int, int]:
        width, height = thumbnail(size, p)
        return (max(REDUCED_MIN_SIDE, REDUCED_MARGIN * width), max(REDUCED_MIN_SIDE, REDUCED_MARGIN * height))

    return size


def _reduced_whole(size: tuple[int, int], p: HashParams) -> tuple[int, int]:
    return (REDUCED_MIN_SIDE, REDUCED_MIN_SIDE)


def _reduced_whash(size: tuple[int, int], p: HashParams) -> tuple[int, int]:
    scale = p.hash_size if p.whash_image_scale is None else p.whash_image_scale  # None: follows the decode
    side = max(REDUCED_MIN_SIDE, REDUCED_MARGIN * scale)
    return (side, side)


def _reduced_segmentation(size: tuple[int, int], p: HashParams) -> tuple[int, int]:
    """The segmentation image's side on the decoded image's longer side, the aspect kept:
    imagehash resizes to S x S whatever the aspect, so the segmentation stays a reduction
    along the longer side and enlarges the shorter one by at most the aspect ratio (a 3:2
    photo of 1,600 px decodes at 1/4, 400 x 267, not at 1/2 as an S x S minimum would ask:
    ~15 % cheaper for all eight algorithms; drift and recall re-measured, BENCHMARKS.md)."""
    side = p.segmentation_image_size
    longer = max(1, *size)
    return (-(-side * size[0] // longer), -(-side * size[1] // longer))


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

    return robust.to_text(robust.compute(image))


def _pdq_shared(image: Any) -> Any:
    """PDQ's blur and DCT of `image`, once for `pdq` and `pdq_dihedral` (`pdq.PdqBits`)."""
    from sparkhash.core import pdq  # numba is loaded only when pdq is asked for

    return pdq.pdq_bits(pdq.pdq_pixels(image), dihedral=True)


def _pdq(
    thumbs: Any, p: HashParams, image: Any = None, grey: Any = None, shared: Any = None
) -> tuple[ImageHash, int]:
    result = _pdq_shared(image) if shared is None else shared
    return ImageHash(result.bits.reshape(16, 16)), result.quality


def _pdq_dihedral(
    thumbs: Any, p: HashParams, image: Any = None, grey: Any = None, shared: Any = None
) -> list[Variant]:
    from sparkhash.core.pdq import PDQ_ORIENTATIONS

    result = _pdq_shared(image) if shared is None else shared
    return [
        Variant(i, ImageHash(bits.reshape(16, 16)), PDQ_ORIENTATIONS[i], result.dihedral_quality)
        for i, bits in enumerate(result.dihedral)
    ]


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


# ---------------------------------------------------------------------------- output cells


def _hex_cell(value: Any) -> tuple[str]:
    return (str(value),)


#: One crop-resistant segment: its number, hash, box in original-image pixels as Image.crop
#: used it (right/bottom exclusive) and pixel count in the segmentation image (S x S).
_SEGMENT_ROWS: tuple[Field, ...] = (
    Field("segment", "int32", False),
    Field("hash", "string", False),
    Field("left", "int32", False),
    Field("top", "int32", False),
    Field("right", "int32", False),
    Field("bottom", "int32", False),
    Field("pixels", "int32", False),
)


def _segment_cells(segments: list[Segment]) -> list[tuple]:
    return [(int(s.index), str(s.hash), *(int(b) for b in s.box), int(s.pixels)) for s in segments]


#: One PDQ dihedral hash: its number and name in `pdq.PDQ_ORIENTATIONS` order (the transform
#: of the image it is the hash of), and the image's quality.
_PDQ_DIHEDRAL_ROWS: tuple[Field, ...] = (
    Field("segment", "int32", False),
    Field("hash", "string", False),
    Field("orientation", "string", False),
    Field("quality", "int32", False),
)
#: The inverse of each orientation (rotate_90 and rotate_270 undo each other; the rest are
#: their own inverse).
_PDQ_INVERSE = (0, 3, 2, 1, 4, 5, 6, 7)


def _pdq_dihedral_cells(variants: list[Variant]) -> list[tuple]:
    return [(int(v.index), str(v.hash), v.name, int(v.quality)) for v in variants]


def _pdq_cells(value: tuple[ImageHash, int]) -> tuple[str, int]:
    return (str(value[0]), int(value[1]))


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
        matcher=HAMMING_EXPLODED,
        rows=_SEGMENT_ROWS,
        count_column="segment_count",
        cells=_segment_cells,
        reduced=_reduced_segmentation,
        threshold=None,  # imagehash's cutoff: a quarter of the segment hash's bits
    ),
    Algorithm(
        "robust",
        _robust,
        (),
        lambda p: 64,  # the global hash of a signature; see sparkhash.core.robust
        bits=False,
        greyscale=False,
        draft_side=256,
        format_version=4,  # = sparkhash.core.robust.FORMAT_VERSION (a test checks they agree)
        matcher=VERIFIED,
        threshold=None,  # one operating point, no distance
    ),
    Algorithm(
        # Meta's PDQ (sparkhash.core.pdq): 256 bits as 64 hex digits, bit-identical with pdqhash,
        # and its quality 0..100 (below pdq.PDQ_QUALITY_FLOOR the hash is unreliable)
        "pdq",
        _pdq,
        (),
        lambda p: 256,
        columns=(Field("pdq"), Field("pdq_quality", "int32")),
        cells=_pdq_cells,
        greyscale=False,
        shared=_pdq_shared,
        matcher=HAMMING,
        threshold=31,  # the reference's recommended match distance (pdq.PDQ_DISTANCE_THRESHOLD)
    ),
    Algorithm(
        # PDQ's 8 dihedral hashes (rotations by quarter turns and flips), one row each in the
        # `pdq_dihedral` table: a query's (an image's) original hash within the threshold of
        # any of another image's 8 finds it rotated or flipped, the row's orientation says how
        "pdq_dihedral",
        _pdq_dihedral,
        (),
        lambda p: 256,
        multi=True,
        table="pdq_dihedral",
        matcher=HAMMING_EXPLODED,
        rows=_PDQ_DIHEDRAL_ROWS,
        cells=_pdq_dihedral_cells,
        greyscale=False,
        shared=_pdq_shared,
        threshold=31,
        query_segment=0,
        label="orientation",
        inverse=_PDQ_INVERSE,
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
#: The exploded tables (name -> the record writing it), in canonical order.
EXPLODED_TABLES: dict[str, Algorithm] = {r.table: r for r in _RECORDS if r.multi}
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
