"""ImageHash and ImageMultiHash with imagehash 4.3.2's exact semantics (quirks included)."""

from __future__ import annotations

import numpy

from sparkhash.core.hexbits import _binary_array_to_hex


class ImageHash:
    """A hash: a bool array in `.hash`. Comparison and hex use the row-major flattened bits,
    so only sizes matter ((8, 8) and (1, 64) compare)."""

    def __init__(self, binary_array: numpy.ndarray) -> None:
        self.hash = binary_array

    def __str__(self) -> str:
        return _binary_array_to_hex(self.hash.flatten())

    def __repr__(self) -> str:
        return repr(self.hash)

    def __sub__(self, other: ImageHash) -> int:
        """Hamming distance (a numpy integer, as in imagehash)."""
        if other is None:
            raise TypeError("Other hash must not be None.")
        if self.hash.size != other.hash.size:
            raise TypeError("ImageHashes must be of the same shape.", self.hash.shape, other.hash.shape)
        return numpy.count_nonzero(self.hash.flatten() != other.hash.flatten())

    def __eq__(self, other: object) -> bool:
        if other is None:
            return False
        return numpy.array_equal(self.hash.flatten(), other.hash.flatten())  # type: ignore[attr-defined]

    def __ne__(self, other: object) -> bool:
        # imagehash: `h != None` is False too
        if other is None:
            return False
        return not numpy.array_equal(self.hash.flatten(), other.hash.flatten())  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        # imagehash's bucketing hash: sum of 2**(i % 8) over set bits (collisions intended)
        index = numpy.flatnonzero(self.hash.flatten())
        return int(numpy.sum(numpy.left_shift(1, index % 8, dtype=numpy.int64)))

    def __len__(self) -> int:
        return self.hash.size


class ImageMultiHash:
    """Crop-resistant hash: a list of segment ImageHashes in `.segment_hashes`.

    Equality is fuzzy (`matches`) and subtraction is asymmetric, as in imagehash.
    """

    def __init__(self, hashes: list[ImageHash]) -> None:
        self.segment_hashes = hashes

    def __eq__(self, other: object) -> bool:
        if other is None:
            return False
        return self.matches(other)  # type: ignore[arg-type]

    def __ne__(self, other: object) -> bool:
        return not self.matches(other)  # type: ignore[arg-type]

    def __sub__(
        self, other: ImageMultiHash, hamming_cutoff: float | None = None, bit_error_rate: float | None = None
    ) -> float:
        matches, sum_distance = self.hash_diff(other, hamming_cutoff, bit_error_rate)
        max_difference = len(self.segment_hashes)
        if matches == 0:
            return max_difference
        max_distance = matches * len(self.segment_hashes[0])
        tie_breaker = 0 - (float(sum_distance) / max_distance)
        match_score = matches + tie_breaker
        return max_difference - match_score

    def __hash__(self) -> int:
        return hash(tuple(hash(segment) for segment in self.segment_hashes))

    def __str__(self) -> str:
        return ",".join(str(x) for x in self.segment_hashes)

    def __repr__(self) -> str:
        return repr(self.segment_hashes)

    def hash_diff(
        self,
        other_hash: ImageMultiHash,
        hamming_cutoff: float | None = None,
        bit_error_rate: float | None = None,
    ) -> tuple[int, int]:
        """(segments of self within the cutoff of some segment of other, sum of those distances).

        Cutoff: hamming_cutoff, else len(first segment) * (bit_error_rate or 0.25); inclusive.
        """
        if hamming_cutoff is None:
            if bit_error_rate is None:
                bit_error_rate = 0.25
            hamming_cutoff = len(self.segment_hashes[0]) * bit_error_rate
        distances = []
        for segment_hash in self.segment_hashes:
            lowest = min(segment_hash - other for other in other_hash.segment_hashes)
            if lowest > hamming_cutoff:
                continue
            distances.append(lowest)
        return len(distances), sum(distances)

    def matches(
        self,
        other_hash: ImageMultiHash,
        region_cutoff: int = 1,
        hamming_cutoff: float | None = None,
        bit_error_rate: float | None = None,
    ) -> bool:
        """True when at least `region_cutoff` segments of self match a segment of other."""
        matches, _ = self.hash_diff(other_hash, hamming_cutoff, bit_error_rate)
        return matches >= region_cutoff

    def best_match(
        self,
        other_hashes: list[ImageMultiHash],
        hamming_cutoff: float | None = None,
        bit_error_rate: float | None = None,
    ) -> ImageMultiHash:
        """The first of `other_hashes` with the lowest `self - other` score."""
        return min(other_hashes, key=lambda other: self.__sub__(other, hamming_cutoff, bit_error_rate))
