"""Bits <-> hex digits in imagehash 4.3.2's format, on plain numpy arrays (no hash classes).

Below both `classes` (whose `__str__` writes hex) and `hexcodec` (which builds hashes from
hex), so neither imports the other.
"""

from __future__ import annotations

import numpy


def _binary_array_to_hex(arr: numpy.ndarray) -> str:
    """Hex string of a bool (or 0/1) array, imagehash's `_binary_array_to_hex`."""
    flat = numpy.asarray(arr).flatten()
    # imagehash multiplies by 1 and parses the digit string in base 2, so any value other than
    # 0/1 makes int(..., 2) raise ValueError; going through the digit string keeps that error.
    bits = 1 * flat
    if bits.size and bits.dtype.kind in "biu" and ((bits == 0) | (bits == 1)).all():
        width = (bits.size + 3) // 4
        packed = numpy.packbits(bits.astype(numpy.uint8))
        value = int.from_bytes(packed.tobytes(), "big") >> ((-bits.size) % 8)
        return f"{value:0{width}x}"
    bit_string = "".join(str(b) for b in bits)
    width = (len(bit_string) + 3) // 4
    return f"{int(bit_string, 2):0{width}x}"


def _binary_digits(value: int, width: int) -> numpy.ndarray:
    """The digits of `'{:0>{width}b}'.format(value)` as bools: MSB first, zero-padded on the
    left to `width`, longer when the value needs more bits (imagehash does not truncate)."""
    if value < 0:
        # imagehash's format gives '-…' and its digit parse fails on the '-'
        raise ValueError("invalid literal for int() with base 10: '-'")
    nbits = max(width, value.bit_length(), 1)
    nbytes = (nbits + 7) // 8
    raw = numpy.frombuffer(value.to_bytes(nbytes, "big"), dtype=numpy.uint8)
    return numpy.unpackbits(raw)[nbytes * 8 - nbits :].astype(bool)
