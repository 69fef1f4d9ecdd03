"""Checks of hash parameters before any work: what the algorithms accept and `dups` can join.

Each check raises UsageError (sparkhash.errors) with one line that names the parameter (its
field name, listed in the error's `fields`: the command line writes it as its flag), the value
and the range.
The job runs them before it starts Spark work, so a bad value never commits a run of error
rows. Ranges are imagehash 4.3.2's (docs of each function), narrowed where a hash would be
useless or could not be joined by `sparkhash dups`:

- hash_size 2..32 for every hash_size algorithm (imagehash lets phash_simple and dhash_vertical
  take 1, a one-bit hash); 32 gives 1024-bit hashes, the most `dups` joins (MAX_JOIN_BITS);
- whash: hash_size a power of two; image_scale, when given, a power of two >= hash_size;
- phash, phash_simple: highfreq_factor >= 1;
- colorhash: binbits 1..40 (imagehash's arithmetic overflows from about 44);
- crop_resistant: segment_threshold 0..255, min_segment_size >= 0, segmentation_image_size >= 2,
  limit_segments >= 0 (0 and None: no limit), plus the segment hash's own ranges.
"""

from __future__ import annotations

from collections.abc import Iterable

from sparkhash.core.params import HashParams
from sparkhash.core.registry import REGISTRY
from sparkhash.errors import UsageError

#: The longest hash `sparkhash dups` joins (bits).
MAX_JOIN_BITS = 1024
MAX_HASH_SIZE = 32
MAX_COLORHASH_BINBITS = 40


def _power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


def check_hash_params(params: HashParams, algorithms: Iterable[str]) -> None:
    """Raise UsageError (one line) unless `params` suit every algorithm in `algorithms`.

    Each range belongs to a `HashParams` field and is checked when a requested algorithm's
    bits depend on that field (the registry record's `fields`, and those of its `inner` algorithm)."""
    wanted: set[str] = set()
    for record in (REGISTRY[a] for a in algorithms if a in REGISTRY):
        wanted.update(record.fields)
        inner = REGISTRY.get(getattr(params, record.inner)) if record.inner else None
        wanted.update(inner.fields if inner else ())
    if "segmentation_image_size" in wanted:
        _check_segmentation(params)
    if "hash_size" in wanted and not 2 <= params.hash_size <= MAX_HASH_SIZE:
        raise UsageError(
            f"hash_size must be between 2 and {MAX_HASH_SIZE}, not {params.hash_size} "
            f"({MAX_HASH_SIZE} gives {MAX_JOIN_BITS}-bit hashes, the most dups can join)",
            "hash_size",
        )
    if "highfreq_factor" in wanted and params.highfreq_factor < 1:
        raise UsageError(
            f"highfreq_factor must be 1 or more, not {params.highfreq_factor}", "highfreq_factor"
        )
    if "whash_mode" in wanted:
        if not _power_of_two(params.hash_size):
            raise UsageError(
                f"whash needs a hash_size that is a power of two, not {params.hash_size}", "hash_size"
            )
        scale = params.whash_image_scale
        if scale is not None and (not _power_of_two(scale) or scale < params.hash_size):
            raise UsageError(
                f"whash_image_scale must be a power of two >= hash_size ({params.hash_size}), not {scale}",
                ("whash_image_scale", "hash_size"),
            )
        if params.whash_mode not in ("haar", "db4"):
            raise UsageError(f"whash_mode must be haar or db4, not {params.whash_mode!r}", "whash_mode")
    if "colorhash_binbits" in wanted and not 1 <= params.colorhash_binbits <= MAX_COLORHASH_BINBITS:
        raise UsageError(
            f"colorhash_binbits must be between 1 and {MAX_COLORHASH_BINBITS}, not {params.colorhash_binbits}",
            "colorhash_binbits",
        )


def _check_segmentation(params: HashParams) -> None:
    if not 0 <= params.segment_threshold <= 255:
        raise UsageError(
            f"segment_threshold must be between 0 and 255, not {params.segment_threshold}",
            "segment_threshold",
        )
    if params.min_segment_size < 0:
        raise UsageError(
            f"min_segment_size must be 0 or more, not {params.min_segment_size}", "min_segment_size"
        )
    if params.segmentation_image_size < 2:
        raise UsageError(
            f"segmentation_image_size must be 2 or more, not {params.segmentation_image_size}",
            "segmentation_image_size",
        )
    if params.limit_segments is not None and params.limit_segments < 0:
        raise UsageError(
            f"limit_segments must be 0 (no limit) or more, not {params.limit_segments}", "limit_segments"
        )


def check_threshold(threshold: int, bits: int, field: str = "threshold") -> None:
    """A Hamming-distance threshold must lie in 0 .. bits - 1 (at `bits` every pair matches)."""
    if not 0 <= threshold < bits:
        raise UsageError(
            f"{field} must be between 0 and {bits - 1} for {bits}-bit hashes, not {threshold}", field
        )


def check_recall(recall: float, field: str = "recall") -> None:
    """A target recall is a probability strictly between 0 and 1."""
    if not 0 < recall < 1:
        raise UsageError(f"{field} must be between 0 and 1 (both excluded), not {recall}", field)


def check_at_least(value: int | float | None, minimum: int | float, field: str) -> None:
    """`value` (when given) of the config field `field` is `minimum` or more."""
    if value is not None and value < minimum:
        raise UsageError(f"{field} must be {minimum} or more, not {value}", field)
