"""What `compute_hashes` returns: one image's hashes and its multi-hash signatures."""

from __future__ import annotations

from dataclasses import dataclass, field

from sparkhash.core.classes import ImageHash, ImageMultiHash

#: The multi-hash algorithm whose signatures `HashResult.segments` gives.
_CROP_RESISTANT = "crop_resistant"


@dataclass(frozen=True)
class Segment:
    """One crop-resistant segment: its hash, the box cropped from the original image
    (left, top, right, bottom in original pixels, after Pillow's rounding) and its pixel
    count in the segmentation image (2 for imagehash's whole-image fallback segment)."""

    index: int
    hash: ImageHash
    box: tuple[int, int, int, int]
    pixels: int


@dataclass(frozen=True)
class Variant:
    """One of the hashes of an image under a transform: PDQ's dihedral hashes (`index` and
    `name` in `pdq.PDQ_ORIENTATIONS` order; `quality` is the image's)."""

    index: int
    hash: ImageHash
    name: str
    quality: int


@dataclass
class HashResult:
    """Hashes of one image: `hashes[algorithm]` for single-hash algorithms, `signatures[algorithm]`
    for multi-hash ones (`segments` is crop_resistant's, None when not requested)."""

    width: int
    height: int
    mode: str
    hashes: dict[str, ImageHash] = field(default_factory=dict)
    signatures: dict[str, list[Segment]] = field(default_factory=dict)

    @property
    def segments(self) -> list[Segment] | None:
        """crop_resistant's segments (None when not requested)."""
        return self.signatures.get(_CROP_RESISTANT)

    def multihash(self) -> ImageMultiHash | None:
        """The crop-resistant hash as imagehash's ImageMultiHash (None when not requested)."""
        if self.segments is None:
            return None
        return ImageMultiHash([s.hash for s in self.segments])
