"""Hamming distance between two hex hash columns, with Spark SQL functions only.

Hashes are imagehash hex strings: one big-endian bit string, zero-padded on the left. Both
sides are left-padded to a common width, cut into 8-digit (32-bit) words, and the distance is
the sum of `bit_count(word_a ^ word_b)`. Runs in the JVM: no Python UDF, no serialisation.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

WORD_DIGITS = 8


def padded_width(hex_digits: int) -> int:
    """Hex digits after left-padding to whole 32-bit words."""
    return max(WORD_DIGITS, -(-hex_digits // WORD_DIGITS) * WORD_DIGITS)


def _word(hex_col: Column, index: int) -> Column:
    return F.conv(F.substring(hex_col, index * WORD_DIGITS + 1, WORD_DIGITS), 16, 10).cast("long")


def hamming_distance(a: Column, b: Column, hex_digits: int) -> Column:
    """Number of differing bits between hex columns `a` and `b` (null when either is null).

    `hex_digits` is the longest hash length in digits (16 for 64-bit hashes).
    """
    width = padded_width(hex_digits)
    padded_a = F.lpad(F.lower(a), width, "0")
    padded_b = F.lpad(F.lower(b), width, "0")
    words = [F.bit_count(_word(padded_a, i).bitwiseXOR(_word(padded_b, i))) for i in range(width // WORD_DIGITS)]
    total = words[0]
    for word in words[1:]:
        total = total + word
    return total.cast("int")
