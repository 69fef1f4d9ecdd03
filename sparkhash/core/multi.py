"""One decode, many hashes: every requested algorithm from a single decoded image.

(Interface fixed; implementation being filled in.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from sparkhash.core.decode import DecodeOptions, decode_image
from sparkhash.core.params import ALGORITHMS, HashParams


@dataclass(frozen=True)
class Segment:
    """One crop-resistant segment: its hash, the box cropped from the original image
    (left, top, right, bottom in original pixels, after Pillow's rounding) and its pixel
    count in the segmentation image."""

    index: int
    hash: object  # ImageHash
    box: tuple[int, int, int, int]
    pixels: int


@dataclass
class HashResult:
    width: int
    height: int
    mode: str
    hashes: dict[str, object] = field(default_factory=dict)  # algorithm -> ImageHash
    segments: list[Segment] | None = None  # set when "crop_resistant" was requested


def compute_hashes(
    source: bytes | Image.Image,
    algorithms: tuple[str, ...] | list[str] = ALGORITHMS,
    params: HashParams = HashParams(),
    decode_options: DecodeOptions = DecodeOptions(),
) -> HashResult:
    """Decode once (if bytes) and compute all `algorithms`; bit-exact with imagehash."""
    raise NotImplementedError
