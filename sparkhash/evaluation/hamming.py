"""Hamming distances exactly as the dups job computes them (sparkhash.dedup.join).

A hex hash becomes signed 64-bit word columns (`hex_to_words`), converted once per file, and
a pair's distance is `join.hamming` over the two files' words: bit_count of XOR in the JVM.
A null hash gives null words and a null distance.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sparkhash.dedup.join import hamming, hex_to_words
from sparkhash.dedup.plan import words_for


def word_names(prefix: str, words: int) -> list[str]:
    """Column names of a hash's words: <prefix>_w0, <prefix>_w1, ..."""
    return [f"{prefix}_w{i}" for i in range(words)]


def words_needed(hex_digits: int) -> int:
    """64-bit words for hashes of up to `hex_digits` hex characters."""
    return words_for(max(hex_digits, 1))


def with_words(df: DataFrame, hex_col: str, prefix: str, words: int) -> DataFrame:
    """`df` plus the word columns of hex column `hex_col` (named by `word_names(prefix, words)`)."""
    hex_value = F.when(F.length(hex_col) > 0, F.col(hex_col))
    converted = hex_to_words(hex_value, words)
    return df.select("*", *[c.alias(n) for c, n in zip(converted, word_names(prefix, words), strict=True)])


def distance(prefix_a: str, prefix_b: str, words: int) -> Column:
    """Hamming distance between the words of two hashes (the dups job's `join.hamming`)."""
    return hamming(word_names(prefix_a, words), word_names(prefix_b, words))
