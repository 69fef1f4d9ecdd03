"""PDQ, Meta's 256-bit perceptual hash with a quality score, bit-identical with the reference.

The reference is the C++ code of ThreatExchange's `pdq` folder as the `pdqhash` PyPI bindings
run it: `pdqhash.compute(rgb)` computes the luma in numpy (float64, cast to float32), then the
C++ `pdqHash256FromFloatLuma`. This module reproduces it from the algorithm description, on
the same RGB pixels, to the bit (hash, quality and the eight dihedral hashes):

1. luma = float32(r * 0.299 + g * 0.587 + b * 0.114), evaluated in float64 left to right;
2. two (rows, then columns) passes of a box filter of window ceil(cols / 128) along the rows
   and ceil(rows / 128) down the columns (Jarosz: two box passes approximate a tent), each a
   float32 running sum in the reference's order (`pdq_kernels`: why this needs compiled code);
3. decimation to 64 x 64: sample (floor((i + 0.5) * rows / 64), floor((j + 0.5) * cols / 64));
4. quality: the sum over neighbouring samples of |trunc((u - v) * 100 / 255)| (float32),
   integer-divided by 90, capped at 100;
5. the 16 x 16 low frequencies (1..16) of the 64 x 64 DCT-II, as D A D^T with D a float32
   16 x 64 matrix and float32 sums accumulated in index order;
6. bit i*16+j = coefficient (i, j) > the median, the Torben median of the 256 coefficients
   (for 256 values: the 128th smallest);
7. the dihedral hashes (the hashes of the image turned and flipped) from the same DCT: a
   transposition and sign flips of odd rows / columns, each with its own median.

Reference quirks kept: images with a side below 5 pixels hash to 256 zero bits with quality
0; an image of exactly 64 x 64 pixels skips the blur in `compute` (not in `compute_dihedral`,
whose first hash then differs from `compute`'s).

Bits and hex are in `pdqhash.compute`'s order: its vector is the 256 bits most significant
first, which is how ThreatExchange's tools write a PDQ hash as 64 hex digits (`str(hash)`).
Results are exact on x86-64 (where the reference is compiled without fused multiply-adds).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy
from PIL import Image

from sparkhash.core.classes import ImageHash

__all__ = [
    "PDQ_DISTANCE_THRESHOLD",
    "PDQ_MIN_DIMENSION",
    "PDQ_ORIENTATIONS",
    "PDQ_QUALITY_FLOOR",
    "PdqBits",
    "pdq_bits",
    "pdq_hash",
    "pdq_hash_dihedral",
    "pdq_hex",
    "pdq_pixels",
]

#: Hamming distance (of 256 bits) at or below which two PDQ hashes are taken to match: the
#: starting threshold ThreatExchange recommends.
PDQ_DISTANCE_THRESHOLD = 31

#: Quality below which a PDQ hash is unreliable for matching: ThreatExchange recommends
#: discarding hashes of quality <= 49 (flat, blank, near-uniform images; their bits are noise).
PDQ_QUALITY_FLOOR = 50

#: Images with a side shorter than this hash to 256 zero bits with quality 0 (the reference's
#: MIN_HASHABLE_DIM).
PDQ_MIN_DIMENSION = 5

#: The eight dihedral hashes, in `pdqhash.compute_dihedral`'s order. Hash k of an image is
#: (up to the blur's rounding) the PDQ hash of the image transformed by PIL's
#: `Image.Transpose` of that name: rotate_90 is a quarter turn counter-clockwise (numpy.rot90),
#: flip_top_bottom reverses the rows, flip_left_right the columns, transpose mirrors about the
#: main diagonal, transverse about the other. A query hash close to dihedral hash k of a lake
#: file means: the lake file, transformed by orientation k, looks like the query.
PDQ_ORIENTATIONS = (
    "original",
    "rotate_90",
    "rotate_180",
    "rotate_270",
    "flip_top_bottom",
    "flip_left_right",
    "transpose",
    "transverse",
)


def _dct_matrix() -> numpy.ndarray:
    """The reference's 16 x 64 DCT matrix: float32(float32(sqrt(2/64)) * cos(pi/128 (i+1)(2j+1))),
    the product and the cosine in double, the argument multiplied in the reference's order.
    math.cos is the C library's cos, as in the reference (numpy's vectorised cos may differ in
    the last bit)."""
    scale = float(numpy.float32(math.sqrt(2.0 / 64.0)))
    step = math.pi / 2.0 / 64.0
    return numpy.array(
        [[scale * math.cos(step * (i + 1) * (2 * j + 1)) for j in range(64)] for i in range(16)],
        dtype=numpy.float32,
    )


_DCT = _dct_matrix()  # 16 x 64
_DCT_T = numpy.ascontiguousarray(_DCT.T)  # 64 x 16, for the second product's vector loop

#: [c, v] = v * (0.299, 0.587, 0.114)[c] in float64: numpy's uint8 * float products.
_LUMA_TABLES = numpy.arange(256, dtype=numpy.float64)[None, :] * numpy.array([[0.299], [0.587], [0.114]])
_NO_RGB = numpy.zeros((1, 1, 3), numpy.uint8)  # placeholders for the pixel argument not used
_NO_PACKED = numpy.zeros((1, 1), numpy.uint32)

# Sign patterns of the dihedral transforms of a DCT (index parity of rows i / columns j).
_ODD = (numpy.arange(16) % 2 == 1).astype(numpy.float32) * 2 - 1  # +1 odd, -1 even
_ROW_SIGN = _ODD[:, None]
_COL_SIGN = _ODD[None, :]
_CHECKER = _ODD[:, None] * _ODD[None, :]  # +1 where i + j is even


def pdq_pixels(image: Image.Image | numpy.ndarray) -> numpy.ndarray:
    """The RGB pixels PDQ hashes, as pdqhash's users pass them: `numpy.asarray(image.convert("RGB"))`.

    Read-only views where possible: an 'RGB' or 'RGBA' image gives Pillow's own 4-byte pixels
    (rows x cols x 4; the fourth byte is ignored, as convert("RGB") drops it), an 'L' image
    (or a 2-D uint8 array) a rows x cols x 3 view repeating the grey value, which is what
    convert("RGB") makes of it. A uint8 array of shape (rows, cols, 3 or 4) is used as is.
    """
    if isinstance(image, numpy.ndarray):
        array = image
        if array.dtype != numpy.uint8 or not (
            array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))
        ):
            raise ValueError(
                f"PDQ needs uint8 pixels of shape (rows, cols), (rows, cols, 3) or (rows, cols, 4); "
                f"got {array.dtype} {array.shape}"
            )
    else:
        if image.mode not in ("RGB", "RGBA", "L"):
            image = image.convert("RGB")
        array = _pillow_pixels(image)
    if array.ndim == 2:
        array = numpy.lib.stride_tricks.as_strided(
            array, (*array.shape, 3), (*array.strides, 0), writeable=False
        )
    return array


def _pillow_pixels(image: Image.Image) -> numpy.ndarray:
    """An 'RGB', 'RGBA' or 'L' image's pixels: Pillow's own buffer through the Arrow C data
    interface (Pillow >= 11.2; no copy: 'RGB' is stored as 4 bytes a pixel) when the image
    sits in one memory block, else numpy's copy."""
    width, height = image.size
    if hasattr(image, "__arrow_c_array__") and width * height > 0:
        import pyarrow

        try:
            exported = pyarrow.array(image)
        except (ValueError, TypeError, NotImplementedError):  # e.g. rows in several memory blocks
            exported = None
        if exported is not None:
            flat = exported.flatten() if pyarrow.types.is_fixed_size_list(exported.type) else exported
            pixels = flat.to_numpy(zero_copy_only=True)
            channels = pixels.size // (width * height)
            if (
                pixels.dtype == numpy.uint8
                and channels in (1, 4)
                and pixels.size == width * height * channels
            ):
                return pixels.reshape((height, width) if channels == 1 else (height, width, 4))
    return numpy.asarray(image)


@functools.lru_cache(maxsize=64)
def _sample_slots(n: int) -> tuple[numpy.ndarray, int, numpy.ndarray]:
    """Decimation of n pixels to 64 samples: index floor((2k + 1) n / 128) (the reference's
    int((k + 0.5) * n / 64) in double, which is exact). Returns slot (n,: position of pixel i
    among the distinct sampled pixels, or -1), the distinct count and the 64 positions.
    Cached by n (a lake's images come in a few sizes); the arrays are read-only."""
    index = ((2 * numpy.arange(64) + 1) * n) // 128
    distinct, position = numpy.unique(index, return_inverse=True)
    slot = numpy.full(n, -1, dtype=numpy.int64)
    slot[distinct] = numpy.arange(distinct.size)
    for array in (slot, position):
        array.flags.writeable = False
    return slot, distinct.size, position


def _blurred_64x64(rgb: numpy.ndarray) -> numpy.ndarray:
    """Luma, the reference's four Jarosz box passes, decimated to 64 x 64 (float32)."""
    from sparkhash.core import pdq_kernels as K  # numba, loaded on first use

    rows, cols = rgb.shape[:2]
    along_rows = (cols + 127) // 128  # computeJaroszFilterWindowSize(cols, 64)
    along_cols = (rows + 127) // 128
    col_slot, n_cols, col_position = _sample_slots(cols)
    # sampled[r, c]: the image after passes 1-3 at every row r, sampled column c.
    if rgb.shape[2] == 4 and rgb.flags.c_contiguous and numpy.little_endian:
        packed = rgb.view(numpy.uint32)[:, :, 0]  # Pillow's RGBX words
        sampled = K.three_passes(
            packed, _NO_RGB, _LUMA_TABLES, True, along_rows, along_cols, col_slot, n_cols
        )
    else:
        sampled = K.three_passes(
            _NO_PACKED, rgb, _LUMA_TABLES, False, along_rows, along_cols, col_slot, n_cols
        )
    row_slot, n_rows, row_position = _sample_slots(rows)
    out = numpy.empty((n_rows, n_cols), numpy.float32)
    K.cols_box_sampled(sampled, along_cols, row_slot, out)  # pass 4
    return out[row_position][:, col_position]


def _luma(rgb: numpy.ndarray) -> numpy.ndarray:
    return (rgb[:, :, 0] * 0.299 + rgb[:, :, 1] * 0.587 + rgb[:, :, 2] * 0.114).astype(numpy.float32)


def _quality(a: numpy.ndarray) -> int:
    """pdqImageDomainQualityMetric: float32 (u - v) * 100 / 255 truncated to int, |.| summed
    over vertical and horizontal neighbours, // 90, at most 100 (`pdq_kernels.quality`)."""
    from sparkhash.core import pdq_kernels as K

    return min(int(K.quality(numpy.ascontiguousarray(a, dtype=numpy.float32))) // 90, 100)


def _dct16(a: numpy.ndarray) -> numpy.ndarray:
    """dct64To16: the 16 x 16 low frequencies of the 64 x 64 DCT (`pdq_kernels.dct64_to_16`)."""
    from sparkhash.core import pdq_kernels as K

    return K.dct64_to_16(numpy.ascontiguousarray(a, dtype=numpy.float32), _DCT, _DCT_T)


def _bits(dct: numpy.ndarray) -> numpy.ndarray:
    """Bit i*16+j = dct[i, j] > median; returned in pdqhash's vector order (bit 255 first)."""
    flat = dct.ravel()
    median = numpy.partition(flat, 127)[127]  # Torben's median of 256 values: the 128th smallest
    return (flat > median)[::-1]


def _dihedral_bits(b: numpy.ndarray) -> numpy.ndarray:
    """The eight hashes of pdqDihedralHash256esFromFloatLuma, in PDQ_ORIENTATIONS order."""
    turned = [
        b,  # original
        (b * _COL_SIGN).T,  # rotate_90: B'[j][i] = A[i][j], negated where j is even
        b * _CHECKER,  # rotate_180: negated where i + j is odd
        (b * _ROW_SIGN).T,  # rotate_270: B'[j][i] = A[i][j], negated where i is even
        b * _ROW_SIGN,  # flip_top_bottom (the reference's FlipX): negated where i is even
        b * _COL_SIGN,  # flip_left_right (FlipY): negated where j is even
        b.T,  # transpose (FlipPlus1)
        (b * _CHECKER).T,  # transverse (FlipMinus1)
    ]
    return numpy.stack([_bits(x) for x in turned])


@dataclass(frozen=True)
class PdqBits:
    """What one PDQ computation gives, for the algorithm registry.

    bits              bool (256,): `pdqhash.compute`'s hash vector (most significant bit first)
    quality           int 0..100: `pdqhash.compute`'s quality
    dihedral          bool (8, 256) in PDQ_ORIENTATIONS order (`pdqhash.compute_dihedral`'s
                      vectors), or None when not asked for
    dihedral_quality  `compute_dihedral`'s quality (None when not asked for)

    dihedral[0] is `bits` and dihedral_quality is `quality`, except for an image of exactly
    64 x 64 pixels (the reference's compute skips the blur there, compute_dihedral does not).
    """

    bits: numpy.ndarray
    quality: int
    dihedral: numpy.ndarray | None = None
    dihedral_quality: int | None = None


def pdq_bits(rgb: numpy.ndarray, dihedral: bool = False) -> PdqBits:
    """PDQ of decoded pixels (`pdq_pixels(image)`: rows x cols x 3 uint8).

    Equals `pdqhash.compute(rgb)` (and `pdqhash.compute_dihedral(rgb)` with dihedral=True).
    """
    rows, cols = rgb.shape[:2]
    if rows < PDQ_MIN_DIMENSION or cols < PDQ_MIN_DIMENSION:
        zeros = numpy.zeros(256, dtype=bool)
        return PdqBits(
            zeros, 0, numpy.zeros((8, 256), dtype=bool) if dihedral else None, 0 if dihedral else None
        )
    if (rows, cols) == (64, 64):
        a = _luma(rgb)  # the reference's compute hashes a 64 x 64 luma unblurred
    else:
        a = _blurred_64x64(rgb)
    dct = _dct16(a)
    quality = _quality(a)
    if not dihedral:
        return PdqBits(_bits(dct), quality)
    if (rows, cols) == (64, 64):
        blurred = _blurred_64x64(rgb)
        return PdqBits(_bits(dct), quality, _dihedral_bits(_dct16(blurred)), _quality(blurred))
    turned = _dihedral_bits(dct)
    return PdqBits(turned[0], quality, turned, quality)


def pdq_hex(bits: numpy.ndarray) -> str:
    """64 hex digits of a 256-bit PDQ vector, most significant bit first (ThreatExchange's form)."""
    return numpy.packbits(numpy.asarray(bits, dtype=bool).ravel()).tobytes().hex()


def pdq_hash(image: Image.Image | numpy.ndarray) -> tuple[ImageHash, int]:
    """(PDQ hash, quality) of a PIL image (or of RGB uint8 pixels), as `pdqhash.compute` gives
    them for `numpy.asarray(image.convert("RGB"))`. `str(hash)` is the 64-digit hex; below
    PDQ_QUALITY_FLOOR the hash is unreliable for matching."""
    result = pdq_bits(pdq_pixels(image))
    return ImageHash(result.bits.reshape(16, 16)), result.quality


def pdq_hash_dihedral(image: Image.Image | numpy.ndarray) -> tuple[list[ImageHash], int]:
    """([8 PDQ hashes in PDQ_ORIENTATIONS order], quality), as `pdqhash.compute_dihedral` gives them."""
    result = pdq_bits(pdq_pixels(image), dihedral=True)
    return [ImageHash(bits.reshape(16, 16)) for bits in result.dihedral], result.dihedral_quality
