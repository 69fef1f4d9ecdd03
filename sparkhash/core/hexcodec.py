"""Hex <-> bit-array conversions, in imagehash 4.3.2's formats.

Format: bits flattened row-major, read as one big-endian unsigned integer (first bit most
significant), written as lowercase hex zero-padded on the left to ceil(nbits / 4) digits. When
nbits is not a multiple of 4 the padding bits sit at the front (the value is right-aligned).
"""

from __future__ import annotations

import numpy

from sparkhash.core.classes import ImageHash, ImageMultiHash
from sparkhash.core.hexbits import _binary_array_to_hex, _binary_digits

__all__ = [
    "_binary_array_to_hex",
    "hex_to_flathash",
    "hex_to_hash",
    "hex_to_multihash",
    "old_hex_to_hash",
]


def hex_to_hash(hexstr: str) -> ImageHash:
    """Square hash from hex (imagehash's `hex_to_hash`): side = floor(sqrt(4 * len(hexstr))).

    Like imagehash, a value wider than side² bits is cut into rows of `side`: a whole number of
    rows gives a taller array, a partial last row raises numpy's ragged-array ValueError.
    """
    hash_size = int(numpy.sqrt(len(hexstr) * 4))
    digits = _binary_digits(int(hexstr, 16), hash_size * hash_size)
    if digits.size % hash_size:
        raise ValueError(
            "setting an array element with a sequence. The requested array has an inhomogeneous "
            f"shape after 1 dimensions. The detected shape was ({-(-digits.size // hash_size)},) "
            "+ inhomogeneous part."
        )
    return ImageHash(digits.reshape(-1, hash_size))


def hex_to_flathash(hexstr: str, hashsize: int) -> ImageHash:
    """Flat (1, n) hash from hex, for colorhash strings (imagehash's `hex_to_flathash`).

    n = floor(4 * len(hexstr) / hashsize) * hashsize bits, or more when the value needs more.
    Pass hashsize = 14 * binbits to restore a colorhash exactly.
    """
    hash_size = int(len(hexstr) * 4 / hashsize)
    digits = _binary_digits(int(hexstr, 16), hash_size * hashsize)
    return ImageHash(digits.reshape(1, -1))


def hex_to_multihash(hexstr: str) -> ImageMultiHash:
    """Crop-resistant hash from its comma-separated hex (imagehash 4.3.1+ `hex_to_multihash`)."""
    return ImageMultiHash([hex_to_hash(part) for part in hexstr.split(",")])


def old_hex_to_hash(hexstr: str, hash_size: int = 8) -> ImageHash:
    """Pre-4.0 hex format: one byte per row of 8 bits, least significant bit first."""
    count = hash_size * (hash_size // 4)
    if len(hexstr) != count:
        raise ValueError(f"Expected hex string size of {count}.")
    values = [int("0x" + hexstr[i * 2 : i * 2 + 2], 16) for i in range(count // 2)]
    return ImageHash(numpy.array([[v & (1 << j) > 0 for j in range(8)] for v in values]))
