"""Portable hashing core (no Spark): a bit-exact, faster drop-in for imagehash 4.3.2.

    import sparkhash.core as imagehash
    h = imagehash.phash(Image.open("a.jpg"))

plus `compute_hashes(bytes_or_image, algorithms, params)` to get several hashes from one decode,
and PDQ (`pdq_hash`, `pdq_hash_dihedral`: Meta's 256-bit hash, bit-identical with `pdqhash`).
"""

from __future__ import annotations

import sys  # noqa: F401  (imagehash re-exports sys, numpy, Image, ImageFilter)
from typing import Literal

import numpy  # noqa: F401
from PIL import Image, ImageFilter  # noqa: F401

from sparkhash.core.classes import ImageHash, ImageMultiHash
from sparkhash.core.compat import _find_all_segments, _find_region
from sparkhash.core.crop_resistant import crop_resistant_hash
from sparkhash.core.decode import (
    DecodeOptions,
    EmptyImageError,
    ImageDecodeError,
    ImageTooLargeError,
    NotAnImageError,
    TruncatedImageError,
    decode_image,
)
from sparkhash.core.hashes import (
    ANTIALIAS,
    HashFunc,
    MeanFunc,
    average_hash,
    colorhash,
    dhash,
    dhash_vertical,
    phash,
    phash_simple,
    whash,
)
from sparkhash.core.hexcodec import (
    _binary_array_to_hex,
    hex_to_flathash,
    hex_to_hash,
    hex_to_multihash,
    old_hex_to_hash,
)
from sparkhash.core.multi import HashResult, Segment, compute_hashes
from sparkhash.core.params import ALGORITHMS, SINGLE_ALGORITHMS, HashParams
from sparkhash.core.pdq import PDQ_QUALITY_FLOOR, pdq_hash, pdq_hash_dihedral

WhashMode = Literal["haar", "db4"]

NDArray = numpy.typing.NDArray[numpy.bool_] if hasattr(numpy, "typing") else list

#: The imagehash version whose behaviour this module reproduces.
IMAGEHASH_VERSION = "4.3.2"

__all__ = [
    "ALGORITHMS",
    "ANTIALIAS",
    "DecodeOptions",
    "EmptyImageError",
    "HashFunc",
    "HashParams",
    "HashResult",
    "IMAGEHASH_VERSION",
    "ImageDecodeError",
    "ImageHash",
    "ImageMultiHash",
    "ImageTooLargeError",
    "MeanFunc",
    "NotAnImageError",
    "SINGLE_ALGORITHMS",
    "Segment",
    "TruncatedImageError",
    "average_hash",
    "colorhash",
    "compute_hashes",
    "crop_resistant_hash",
    "decode_image",
    "dhash",
    "dhash_vertical",
    "hex_to_flathash",
    "hex_to_hash",
    "hex_to_multihash",
    "old_hex_to_hash",
    "PDQ_QUALITY_FLOOR",
    "pdq_hash",
    "pdq_hash_dihedral",
    "phash",
    "phash_simple",
    "whash",
    "_binary_array_to_hex",
    "_find_all_segments",
    "_find_region",
]
