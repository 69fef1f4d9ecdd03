"""Hash parameters shared by the core, the Spark job and the duplicate finder.

The parameters are recorded next to every hash written by the jobs (as canonical JSON),
so that a later join can refuse to compare hashes made with different settings.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

from sparkhash.core import registry
from sparkhash.core.registry import ALGORITHMS, CROP_RESISTANT, SEGMENT_HASHES, SINGLE_ALGORITHMS

__all__ = ["ALGORITHMS", "CROP_RESISTANT", "SEGMENT_HASHES", "SINGLE_ALGORITHMS", "HashParams"]


@dataclass(frozen=True)
class HashParams:
    """Parameters of every algorithm, with imagehash 4.3.2's defaults.

    Every field is a command-line option of `sparkhash hash` (`--hash-size`, ...; generated
    by `sparkhash.cli.hash_params`); `metadata["choices"]` restricts its values there.
    """

    hash_size: int = 8
    highfreq_factor: int = 4
    whash_mode: str = field(default="haar", metadata={"choices": ("haar", "db4")})
    whash_image_scale: int | None = None
    whash_remove_max_haar_ll: bool = True
    colorhash_binbits: int = 3
    segment_hash: str = field(default="dhash", metadata={"choices": SEGMENT_HASHES})
    limit_segments: int | None = None
    segment_threshold: int = 128
    min_segment_size: int = 500
    segmentation_image_size: int = 300
    #: format of robust signatures (sparkhash.core.robust.FORMAT_VERSION); hashes of
    #: different versions are never compared (the dups job refuses mixed params)
    robust_version: int = 3

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
        """The subset of parameters that changes the bits of `algorithm` (its registry record's
        fields, after those of the algorithm its `inner` field names)."""
        record = registry.get(algorithm)
        subset = dict(self.for_algorithm(getattr(self, record.inner))) if record.inner else {}
        subset.update({name: getattr(self, name) for name in record.fields})
        return subset
