"""Hash parameters shared by the core, the Spark job and the duplicate finder.

The parameters are recorded next to every hash written by the jobs (as canonical JSON),
so that a later join can refuse to compare hashes made with different settings.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

#: Algorithm names, as used for output columns. Each maps to the imagehash function of the
#: same meaning: ahash=average_hash, phash, phash_simple, dhash, dhash_vertical, whash,
#: colorhash; "crop_resistant" is crop_resistant_hash (written to the segments table).
SINGLE_ALGORITHMS: tuple[str, ...] = (
    "ahash",
    "phash",
    "phash_simple",
    "dhash",
    "dhash_vertical",
    "whash",
    "colorhash",
)
CROP_RESISTANT = "crop_resistant"
ALGORITHMS: tuple[str, ...] = SINGLE_ALGORITHMS + (CROP_RESISTANT,)

#: Segment hash functions crop_resistant_hash may use in the jobs.
SEGMENT_HASHES: tuple[str, ...] = ("ahash", "phash", "phash_simple", "dhash", "dhash_vertical", "whash")


@dataclass(frozen=True)
class HashParams:
    """Parameters of every algorithm, with imagehash 4.3.2's defaults."""

    hash_size: int = 8
    highfreq_factor: int = 4
    whash_mode: str = "haar"
    whash_image_scale: int | None = None
    whash_remove_max_haar_ll: bool = True
    colorhash_binbits: int = 3
    segment_hash: str = "dhash"
    limit_segments: int | None = None
    segment_threshold: int = 128
    min_segment_size: int = 500
    segmentation_image_size: int = 300

    def __post_init__(self) -> None:
        if self.segment_hash not in SEGMENT_HASHES:
            raise ValueError(f"segment_hash must be one of {SEGMENT_HASHES}, not {self.segment_hash!r}")

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces): equal parameters give equal strings."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> HashParams:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def for_algorithm(self, algorithm: str) -> dict:
        """The subset of parameters that changes the bits of `algorithm`."""
        if algorithm in ("ahash", "dhash", "dhash_vertical"):
            return {"hash_size": self.hash_size}
        if algorithm in ("phash", "phash_simple"):
            return {"hash_size": self.hash_size, "highfreq_factor": self.highfreq_factor}
        if algorithm == "whash":
            return {
                "hash_size": self.hash_size,
                "whash_mode": self.whash_mode,
                "whash_image_scale": self.whash_image_scale,
                "whash_remove_max_haar_ll": self.whash_remove_max_haar_ll,
            }
        if algorithm == "colorhash":
            return {"colorhash_binbits": self.colorhash_binbits}
        if algorithm == CROP_RESISTANT:
            inner = dict(self.for_algorithm(self.segment_hash))
            inner.update(
                segment_hash=self.segment_hash,
                limit_segments=self.limit_segments,
                segment_threshold=self.segment_threshold,
                min_segment_size=self.min_segment_size,
                segmentation_image_size=self.segmentation_image_size,
            )
            return inner
        raise ValueError(f"unknown algorithm {algorithm!r}; choose from {ALGORITHMS}")
