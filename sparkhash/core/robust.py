"""`robust`: sparkhash's own near-duplicate signature (mirrors, crops, borders, captions).

Not an imagehash algorithm: nothing here is bit-exact with anything, and every signature
carries `FORMAT_VERSION` (signatures of different versions are never compared).

One image gives one `RobustSignature`, made of three independent parts:

1. **Content box.** The image is decoded small (JPEG `draft`, then area resampling to
   `Config.side` pixels on the longer side) and uniform borders and caption-like bars are
   trimmed off (`content_box`): a border row/column is one whose pixels nearly all lie close to
   the edge's value; a caption bar is a run of rows at the top or bottom whose background is one
   uniform value over most of each row (text covers the rest). Everything below works on the
   trimmed content, rescaled to `side` pixels on its longer side, so an added border or caption
   changes neither the global hash nor the scale of the features.

2. **Global hash** (candidates for whole-image copies). A 64-bit DCT hash of the trimmed
   content: the 8 x 8 lowest frequencies of the 2-D DCT-II of a 32 x 32 thumbnail, one bit per
   coefficient above their median (imagehash's phash maths on a different thumbnail). Mirroring
   x -> W-1-x multiplies coefficient (v, u) by (-1)^u, so the mirrored image's hash comes from the
   same DCT by negating the odd horizontal frequencies; both are kept (`global_hashes[0]`,
   `[1]`), which makes the candidate search mirror-invariant without a fragile canonical choice.

3. **Local features** (candidates for crops, and the geometry of every verification). ORB
   keypoints and 256-bit rBRIEF descriptors of the content and of its mirror image (ORB is not
   mirror-invariant), strongest first. The candidate rows are the strongest `Config.band_rows`
   descriptors of each orientation; the join cuts each into 48-bit bands (`BAND_DIGITS`) and
   pairs images sharing a band value (`descriptor_rows`).

Verification of a candidate pair (`verify`) needs two independent signals to agree:

* geometry: mutual nearest-neighbour descriptor matches with a ratio test, a RANSAC similarity
  transform (B -> A, in either orientation of B) with a plausible scale and rotation, enough
  inliers spread over the overlap, and an overlap that covers most of the smaller image;
* appearance: the normalised cross-correlation of the two stored thumbnails over the aligned
  overlap (B's thumbnail warped into A's frame by that transform). Spurious feature matches
  (small bright spots, repeated texture) produce a transform, but the pictures do not agree
  under it.

When features are scarce the transform falls back to the identity of the two content boxes (or
its mirror) for pairs whose global hashes are close, and the same correlation test decides;
a crop of a feature-poor picture (flat vector art, a gradient) is searched for by the pixels
instead (`_crop_search`: B's thumbnail slid over A's at a ladder of scales).

Flat images (a thumbnail standard deviation under `Config.min_std`) get `low_detail=True` and
no candidate rows: blank, near-uniform and very dark pictures cannot be told apart reliably,
and giving them rows would put them all into one hot bucket. Images with few or no ORB
keypoints but a picture (a white silhouette, soft shapes) keep their global rows; the
content-box fallback verifies them, on their textured cells.
"""

from __future__ import annotations

import base64
import io
import itertools
import math
import struct
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

import cv2
import numpy as np
from PIL import Image

from sparkhash.core import colour, decode

#: Signature format; bump when anything changes what a signature means.
FORMAT_VERSION = 4

T = TypeVar("T")  # an image's id or path (`hop_pairs`)

cv2.setNumThreads(1)  # Spark runs one task per core; OpenCV threads would oversubscribe them


@dataclass(frozen=True)
class Config:
    """Parameters of the signature (part of its meaning: changing them needs a new version)."""

    side: int = 256  # longer side of the working content image, pixels
    thumb: int = 64  # longer side of the stored correlation thumbnail
    chroma: int = 48  # longer side of the stored chroma (Cr, Cb) thumbnail
    features: int = 160  # ORB keypoints per orientation
    patch: int = 19  # ORB patch size (and edge margin), pixels at `side`
    levels: int = 6  # ORB pyramid levels (scale factor 1.2)
    # FAST thresholds tried in turn while fewer than `features` keypoints are found: smooth
    # pictures (cartoons, gradients, soft light) and deep crops of them have few corners at 12
    fast_thresholds: tuple[int, ...] = (12, 8, 5)
    # ... unless the corners found are not distinctive: the median distance of their
    # descriptors to the nearest other one in the image is at most this many bits — as close
    # as one corner's descriptors in a mildly edited copy (median 2-4.5 bits re-encoded or
    # brightened, 13.5 rotated by 2 degrees, on the dev corpus). A repeated pattern (stripes,
    # tiles) measures 3-10.5; its weaker corners only add more twins, on which guided matching
    # aligns other pictures of the pattern under chance shifts (a bar of 6 bits: 2 more false
    # pairs on the dev corpus, 10 bits: 1, 12 and 15: none)
    repeated_bits: float = 15.0
    band_rows: int = 160  # strongest descriptors per orientation that become candidate rows
    # below: low detail (flat: no rows). Format 3 also made images with fewer than 16
    # keypoints low detail; a silhouette or a smooth picture has few corners but a layout its
    # global hashes and thumbnails describe (format 4: such images keep their rows)
    min_std: float = 3.0
    border_tolerance: int = 10  # grey levels around the edge value that count as border
    border_fraction: float = 0.97  # share of a row's pixels that must be border-coloured
    bar_fraction: float = 0.72  # share of a caption-bar row's pixels on the bar's background
    sharp_fraction: float = 0.5  # at most this share of the rows after a border/bar is on its value
    max_trim: float = 0.4  # never trim more than this fraction from one side


DEFAULT_CONFIG = Config()


_HEAD = "<BBHH4f8Q6H"  # the content box is stored as float32 ("4f")
#: Keypoint coordinates as stored: float16 (1/8 pixel in a 256-pixel frame)
_POINTS = "<f2"


@dataclass
class RobustSignature:
    """What `compute` keeps of an image (all coordinates in the trimmed content frame)."""

    version: int
    low_detail: bool
    width: int  # trimmed content size at `side` pixels on the longer side
    height: int
    box: tuple[float, float, float, float]  # content box as fractions of the decoded image
    global_hashes: tuple[int, ...]  # 64-bit DCT hashes of the 8 orientations (`ORIENTATIONS`)
    points: list[np.ndarray] = field(default_factory=list)  # [normal, mirrored]: (n, 2) float32 x, y
    descriptors: list[np.ndarray] = field(default_factory=list)  # [normal, mirrored]: (n, 32) uint8
    thumbnail: np.ndarray | None = None  # uint8 (th, tw) grey thumbnail of the content
    chroma: np.ndarray | None = None  # uint8 (ch, cw, 2) Cr, Cb of the content; None: grey image

    def to_bytes(self) -> bytes:
        """Compact binary form (the verification payload stored next to the candidate rows)."""
        th, tw = self.thumbnail.shape if self.thumbnail is not None else (0, 0)
        ch, cw = self.chroma.shape[:2] if self.chroma is not None else (0, 0)
        n0, n1 = (len(d) for d in self.descriptors) if self.descriptors else (0, 0)
        head = struct.pack(
            _HEAD,
            self.version,
            int(self.low_detail),
            self.width,
            self.height,
            *self.box,
            *self.global_hashes,
            tw,
            th,
            cw,
            ch,
            n0,
            n1,
        )
        parts = [head]
        if th:
            parts.append(np.ascontiguousarray(self.thumbnail, np.uint8).tobytes())
        if ch:
            parts.append(np.ascontiguousarray(self.chroma, np.uint8).tobytes())
        for o in range(2 if self.descriptors else 0):
            parts.append(np.asarray(self.points[o], _POINTS).tobytes())
            parts.append(np.ascontiguousarray(self.descriptors[o], np.uint8).tobytes())
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> RobustSignature:
        size = struct.calcsize(_HEAD)
        version, low, w, h, b0, b1, b2, b3, *g, tw, th, cw, ch, n0, n1 = struct.unpack(_HEAD, data[:size])
        if version != FORMAT_VERSION:
            raise ValueError(f"robust signature format {version}, this sparkhash reads {FORMAT_VERSION}")
        pos = size
        thumb = None
        if th:
            thumb = np.frombuffer(data, np.uint8, th * tw, pos).reshape(th, tw)
            pos += th * tw
        chroma = None
        if ch:
            chroma = np.frombuffer(data, np.uint8, ch * cw * 2, pos).reshape(ch, cw, 2)
            pos += ch * cw * 2
        points, descriptors = [], []
        for n in (n0, n1):
            points.append(np.frombuffer(data, _POINTS, 2 * n, pos).astype(np.float32).reshape(n, 2))
            pos += 4 * n
            descriptors.append(np.frombuffer(data, np.uint8, 32 * n, pos).reshape(n, 32))
            pos += 32 * n
        return cls(version, bool(low), w, h, (b0, b1, b2, b3), tuple(g), points, descriptors, thumb, chroma)


#: The first field of the stored text: the format version (see `to_text`, `text_parts`).
TEXT_TAG = f"v{FORMAT_VERSION}"


def to_text(sig: RobustSignature) -> str:
    """The signature as the string stored in the hashes table's `robust` column.

    `vN;G;D0;D1;P`: vN = the format version (`TEXT_TAG`), G = the global hashes of the
    `CANDIDATE_ORIENTATIONS` (4 x 16 hex digits, empty when low detail), D0 / D1 = the descriptors of the
    normal / mirrored content (64 hex digits each, concatenated, strongest first; empty when
    low detail), P = base64 of `to_bytes` without descriptors (format version, flags, sizes,
    thumbnails, keypoints). `text_parts` is the one parser of this layout; the candidate rows
    (`text_rows`) are fixed-width slices of G, D0 and D1, which the dups join cuts without
    decoding P (`sparkhash.dedup.robust.text_keys`).
    """
    parts = [TEXT_TAG, "".join(global_rows(sig))]
    for o in (0, 1):
        d = sig.descriptors[o] if sig.descriptors else np.zeros((0, 32), np.uint8)
        parts.append("" if sig.low_detail else np.ascontiguousarray(d, np.uint8).tobytes().hex())
    light = RobustSignature(
        sig.version,
        sig.low_detail,
        sig.width,
        sig.height,
        sig.box,
        sig.global_hashes,
        sig.points,
        [np.zeros((len(p), 32), np.uint8) for p in sig.points],
        sig.thumbnail,
        sig.chroma,
    )
    payload = bytearray(light.to_bytes())
    parts.append(base64.b64encode(_strip_descriptors(payload, light)).decode("ascii"))
    return ";".join(parts)


def _strip_descriptors(payload: bytearray, sig: RobustSignature) -> bytes:
    """to_bytes minus the descriptor blocks (kept once, as hex, in the text form)."""
    head = struct.calcsize(_HEAD)
    th, tw = sig.thumbnail.shape if sig.thumbnail is not None else (0, 0)
    ch, cw = sig.chroma.shape[:2] if sig.chroma is not None else (0, 0)
    pos = head + th * tw + ch * cw * 2
    out = bytearray(payload[:pos])
    for p in sig.points:
        out += payload[pos : pos + 4 * len(p)]
        pos += 4 * len(p) + 32 * len(p)
    return bytes(out)


def text_parts(text: str) -> tuple[str, str, str, str]:
    """(G, D0, D1, P) of a `to_text` string; ValueError for another format version (a
    signature of another version is never compared) or another layout."""
    parts = text.split(";")
    if len(parts) != 5 or parts[0] != TEXT_TAG:
        raise ValueError(f"not a robust signature of format {FORMAT_VERSION}: {text[:12]!r}...")
    return parts[1], parts[2], parts[3], parts[4]


def from_text(text: str) -> RobustSignature:
    """The signature of a `to_text` string (ValueError for another format version)."""
    rows, d0, d1, payload = text_parts(text)
    raw = base64.b64decode(payload)
    size = struct.calcsize(_HEAD)
    version, low, w, h, b0, b1, b2, b3, *g, tw, th, cw, ch, n0, n1 = struct.unpack(_HEAD, raw[:size])
    if version != FORMAT_VERSION:
        raise ValueError(f"robust signature format {version}, this sparkhash reads {FORMAT_VERSION}")
    pos = size
    thumb = np.frombuffer(raw, np.uint8, th * tw, pos).reshape(th, tw) if th else None
    pos += th * tw
    chroma = np.frombuffer(raw, np.uint8, ch * cw * 2, pos).reshape(ch, cw, 2) if ch else None
    pos += ch * cw * 2
    points, descriptors = [], []
    for n, hexed in ((n0, d0), (n1, d1)):
        points.append(np.frombuffer(raw, _POINTS, 2 * n, pos).astype(np.float32).reshape(n, 2))
        pos += 4 * n
        d = (
            np.frombuffer(bytes.fromhex(hexed), np.uint8).reshape(-1, 32)
            if hexed
            else np.zeros((0, 32), np.uint8)
        )
        descriptors.append(d if len(d) == n else np.zeros((n, 32), np.uint8))
    return RobustSignature(
        version, bool(low), w, h, (b0, b1, b2, b3), tuple(g), points, descriptors, thumb, chroma
    )


def text_rows(text: str, cfg: Config | None = None) -> list[tuple[str, str]]:
    """(kind, hex) candidate rows of a `to_text` string, as the dups join cuts them (the
    reference for `sparkhash.dedup.robust.text_keys`)."""
    cfg = cfg or DEFAULT_CONFIG
    rows, d0, d1, _ = text_parts(text)
    g, d = ROW_DIGITS[GLOBAL], ROW_DIGITS[DESCRIPTOR]
    out = [(GLOBAL, rows[i : i + g]) for i in range(0, len(rows), g)]
    for part in (d0, d1):
        out += [(DESCRIPTOR, part[i : i + d]) for i in range(0, min(len(part), d * cfg.band_rows), d)]
    return out


# ---------------------------------------------------------------- decoding and trimming


@dataclass(frozen=True)
class Planes:
    """Decoded pixels: luma (h, w) and, for a colour image, a (h, w, 3) array whose channels
    `crcb` are Cr and Cb (JPEGs decode to Y, Cb, Cr; other formats convert to Y, Cr, Cb).
    Channels are picked only after the chroma thumbnail is made, at 48 pixels, not here."""

    luma: np.ndarray
    colour: np.ndarray | None = None
    crcb: tuple[int, int] = (1, 2)


def load_planes(
    source: bytes | bytearray | memoryview | Image.Image, side: int = DEFAULT_CONFIG.side
) -> Planes:
    """The luma and chroma planes of `source`, decoded no larger than needed.

    JPEGs are decoded with Pillow's `draft` (DCT scaling by 1/2, 1/4 or 1/8), keeping at least
    `side` pixels on the longer side when the image has them, in the file's own mode (RGB):
    by `sparkhash hash`'s own JPEG path (`decode.draft_jpeg`, as `compute_hashes` decodes), so a
    signature made here equals the job's. (Until 2026-12-05 colour JPEGs were drafted here
    straight to YCbCr, whose luma differs from the job's RGB -> YCrCb by a grey level here and
    there: the same file gave slightly different signatures here and in the job.) A YCbCr
    image (a PIL image handed in) is read as is. Transparency is flattened onto black, as
    viewers show it.
    """
    image = source if isinstance(source, Image.Image) else Image.open(io.BytesIO(bytes(source)))
    if not isinstance(source, Image.Image) and image.format == "JPEG":
        w, h = image.size
        scale = side / max(w, h)
        decode.draft_jpeg(image, (max(1, math.ceil(w * scale)), max(1, math.ceil(h * scale))))
    if image.mode == "YCbCr":
        planes = np.asarray(image)
        return Planes(np.ascontiguousarray(planes[:, :, 0]), planes, (2, 1))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (0, 0, 0))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    if image.mode == "L":
        return Planes(np.asarray(image))
    if image.mode in ("1", "I", "I;16", "F"):
        return Planes(np.asarray(image.convert("L")))
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    planes = cv2.cvtColor(_rgbx_pixels(rgb), cv2.COLOR_RGB2YCrCb)
    return Planes(cv2.extractChannel(planes, 0), planes, (1, 2))


def _rgbx_pixels(image: Image.Image) -> np.ndarray:
    """An RGB image's pixels as (h, w, 4) uint8 (R, G, B, pad): Pillow's own 4-byte pixels,
    without a copy where Pillow hands them over (`colour._rgb_words`), else (h, w, 3).
    cvtColor reads the first three channels either way."""
    words = colour._rgb_words(image)
    if words.strides == (4,) and words.size == image.size[0] * image.size[1]:
        return words.view(np.uint8).reshape(image.size[1], image.size[0], 4)
    return np.asarray(image)


def _longer_side_size(pixels: np.ndarray, side: int) -> tuple[int, int]:
    """(width, height) of `pixels` scaled to `side` pixels on the longer side (at least 1 x 1)."""
    h, w = pixels.shape[:2]
    scale = side / max(h, w)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _resize_longer(pixels: np.ndarray, side: int) -> np.ndarray:
    h, w = pixels.shape[:2]
    scale = side / max(h, w)
    size = _longer_side_size(pixels, side)
    if size == (w, h):
        return pixels
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA if scale < 0.5 else cv2.INTER_LINEAR)


def _area_thumbnail(pixels: np.ndarray, side: int) -> np.ndarray:
    """`pixels` area-averaged to `side` pixels on the longer side, fast.

    OpenCV's area resampling is ~4x cheaper for whole-number factors, so the bulk of the
    reduction is done by whole factors per axis on the centred largest multiple of them (at
    most factor - 1 edge pixels dropped, split between both sides so that a mirror image gives
    the mirrored thumbnail), and only the last step, by less than 2x, at the exact size.
    """
    h, w = pixels.shape[:2]
    size = _longer_side_size(pixels, side)
    fx, fy = w // size[0], h // size[1]
    if fx >= 2 or fy >= 2:
        fx, fy = max(fx, 1), max(fy, 1)
        x0, y0 = (w % fx) // 2, (h % fy) // 2
        whole = pixels[y0 : y0 + h // fy * fy, x0 : x0 + w // fx * fx]
        pixels = cv2.resize(whole, (w // fx, h // fy), interpolation=cv2.INTER_AREA)
    if pixels.shape[1::-1] == size:
        return pixels
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def _median(row: np.ndarray) -> float:
    """np.median of a 1-D uint8 row (the mean of the two middle values when even), without
    np.median's generic overhead: a partition and at most two exact float64 additions."""
    n = len(row)
    k = n // 2
    if n % 2:
        return float(np.partition(row, k)[k])
    part = np.partition(row, (k - 1, k))
    return (float(part[k - 1]) + float(part[k])) / 2


def _edge_run(rows: np.ndarray, limit: int, cfg: Config) -> int:
    """How many leading rows of `rows` (n, w) are a uniform border or a caption-like bar.

    Both must end at a sharp change: the rows after the run mostly differ from its last row
    (an added border or bar meets the picture at an edge; a uniform background or a smooth
    gradient that is part of the picture fades into it and is kept).
    """
    n = len(rows)
    limit = min(limit, n - 8)
    if limit <= 0:
        return 0
    ref = _median(rows[0])
    # |x - ref| <= tolerance for an integer x is lo <= x <= hi: compared on the uint8 pixels
    # (no float copy of the rows); a row's share is its count / width, the same float64 value
    # as the mean of the boolean row.
    lo = max(0, math.ceil(ref - cfg.border_tolerance))
    hi = min(255, math.floor(ref + cfg.border_tolerance))
    if np.count_nonzero((rows[0] >= lo) & (rows[0] <= hi)) / rows.shape[1] < cfg.bar_fraction:
        return 0  # row 0 alone decides most images (no border, no bar)
    span = rows[: limit + 3]
    share = np.count_nonzero((span >= lo) & (span <= hi), axis=1) / rows.shape[1]
    for threshold in (cfg.border_fraction, cfg.bar_fraction):
        ok = share[:limit] >= threshold
        run = limit if ok.all() else int(np.argmin(ok))
        if run == 0 or run >= limit:
            continue
        # Sharp: the rows just after the run mostly differ from the run's last row (a
        # gradient drifts off the edge value but never jumps).
        last = rows[run - 1].astype(np.int16)
        after = rows[run + 1 : run + 3].astype(np.int16)
        if (
            len(after)
            and (np.abs(after - last) <= cfg.border_tolerance).mean(axis=1).max() <= cfg.sharp_fraction
        ):
            return run
    return 0


def content_box(pixels: np.ndarray, cfg: Config = DEFAULT_CONFIG) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of `pixels` without uniform borders and caption bars (see module doc)."""
    h, w = pixels.shape
    x0, y0, x1, y1 = 0, 0, w, h
    max_x, max_y = int(w * cfg.max_trim), int(h * cfg.max_trim)
    for _ in range(3):  # a caption inside a border, a border around a caption...
        before = (x0, y0, x1, y1)
        region = pixels[y0:y1, x0:x1]
        y0 += _edge_run(region, max_y - y0, cfg)
        y1 -= _edge_run(region[::-1], max_y - (h - y1), cfg)
        x0 += _edge_run(region.T, max_x - x0, cfg)
        x1 -= _edge_run(region.T[::-1], max_x - (w - x1), cfg)
        if (x0, y0, x1, y1) == before:
            break
    return x0, y0, x1, y1


# ---------------------------------------------------------------- global hash


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    return np.cos(np.pi * (2 * i + 1) * k / (2 * n))


_DCT32 = _dct_matrix(32)
#: (-1)^u for the horizontal frequency u of the 8 x 8 low block: the mirror's sign pattern.
MIRROR_SIGNS = np.tile((-1.0) ** np.arange(8), (8, 1))


def low_dct(thumb32: np.ndarray) -> np.ndarray:
    """The 8 x 8 lowest frequencies (rows v, columns u) of the 2-D DCT-II of a 32 x 32 array."""
    x = thumb32.astype(np.float64)
    return _DCT32[:8] @ x @ _DCT32[:8].T


def bits_to_int(bits: np.ndarray) -> int:
    """The integer whose binary digits, most significant first, are `bits` (row-major)."""
    flat = np.asarray(bits, bool).ravel()
    pad = -len(flat) % 8  # packbits pads the last byte on the right: shift the padding back out
    return int.from_bytes(np.packbits(flat).tobytes(), "big") >> pad


#: The 8 orientations of a picture (quarter turns and flips): orientation o transposes the
#: picture when o & 4, then mirrors it (x -> W - x) when o & 1, then flips it (y -> H - y) when
#: o & 2. 0 is the picture itself, 1 its mirror image, 3 the half turn, 5 and 6 the quarter turns.
ORIENTATIONS = 8


#: The orientations whose global hashes are candidate rows: a set S with S^-1 S = all 8, so a
#: copy in any orientation shares one row hash with its original (S of 4 instead of all 8: 16
#: row pairs per image pair instead of 64 that can collide at random, 4x fewer random
#: candidates in a lake).
CANDIDATE_ORIENTATIONS = (0, 1, 2, 5)


def oriented_low(low: np.ndarray, o: int) -> np.ndarray:
    """The 8 x 8 low DCT block of orientation `o` of the picture whose block is `low`.

    A transpose transposes the block, a mirror negates the odd horizontal frequencies
    (`MIRROR_SIGNS`), a vertical flip the odd vertical ones: all 8 from one DCT."""
    x = low.T if o & 4 else low
    if o & 1:
        x = x * MIRROR_SIGNS
    if o & 2:
        x = x * MIRROR_SIGNS.T
    return x


def global_hashes(content: np.ndarray) -> tuple[int, ...]:
    """The 64-bit DCT hashes of the 8 orientations of `content` (`ORIENTATIONS`), see module doc."""
    thumb = cv2.resize(content, (32, 32), interpolation=cv2.INTER_AREA)
    low = low_dct(thumb)
    out = []
    for o in range(ORIENTATIONS):
        x = oriented_low(low, o)
        out.append(bits_to_int(x > np.median(x)))
    return tuple(out)


def orientation_matrix(o: int, width: float, height: float) -> np.ndarray:
    """3 x 3 matrix of orientation `o` in continuous coordinates: the picture's frame
    (width x height) -> the oriented picture's frame."""
    m = np.array([[0.0, 1, 0], [1, 0, 0], [0, 0, 1]]) if o & 4 else np.eye(3)
    w, h = (height, width) if o & 4 else (width, height)
    if o & 1:
        m = np.array([[-1.0, 0, w], [0, 1, 0], [0, 0, 1]]) @ m
    if o & 2:
        m = np.array([[1.0, 0, 0], [0, -1, h], [0, 0, 1]]) @ m
    return m


# ---------------------------------------------------------------- signature


_ORB_CACHE: dict[tuple[int, int, int, int], cv2.ORB] = {}


def _orb(cfg: Config, threshold: int) -> cv2.ORB:
    key = (cfg.features, cfg.patch, cfg.levels, threshold)
    if key not in _ORB_CACHE:
        _ORB_CACHE[key] = cv2.ORB_create(
            nfeatures=cfg.features,
            scaleFactor=1.2,
            nlevels=cfg.levels,
            edgeThreshold=cfg.patch,
            patchSize=cfg.patch,
            fastThreshold=threshold,
        )
    return _ORB_CACHE[key]


def twin_distance(descriptors: np.ndarray) -> float:
    """Median Hamming distance of each descriptor to the nearest other one (inf for < 2)."""
    if len(descriptors) < 2:
        return math.inf
    # The second nearest of each row (the first is the row itself, or an equal twin: 0 bits).
    near = cv2.batchDistance(descriptors, descriptors, cv2.CV_32S, normType=cv2.NORM_HAMMING, K=2)[0]
    return float(np.median(near[:, 1]))


def stretch(pixels: np.ndarray) -> np.ndarray:
    """Contrast stretch: the 1st..99th percentile to 0..255 (dark, faint pictures get features)."""
    cdf = np.cumsum(cv2.calcHist([pixels], [0], None, [256], [0, 256]).ravel())
    lo = int(np.searchsorted(cdf, 0.01 * cdf[-1]))
    hi = int(np.searchsorted(cdf, 0.99 * cdf[-1]))
    if hi - lo < 1:
        return pixels
    lut = np.clip((np.arange(256) - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
    return cv2.LUT(pixels, lut)


def features(content: np.ndarray, cfg: Config = DEFAULT_CONFIG) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """ORB points (continuous coordinates) and descriptors of `content` and of its mirror image.

    Keypoints are detected once; the mirror image's keypoints are their mirror images
    (x -> W - x, orientation theta -> 180 - theta, same scale: FAST and the Harris score are
    mirror-symmetric, the intensity-centroid orientation is mirrored), so only the rBRIEF
    descriptors are computed a second time, on the mirrored pixels.

    Smooth pictures have few corners at the first FAST threshold: while fewer than
    `cfg.features` are found and they are distinctive (`twin_distance` above
    `cfg.repeated_bits`), ORB runs again at the next, lower threshold (`cfg.fast_thresholds`).
    """
    empty = [np.zeros((0, 2), np.float32)] * 2, [np.zeros((0, 32), np.uint8)] * 2
    if min(content.shape) < 2:
        # a line (a 700 x 2 divider scaled to 256 x 1): ORB's pyramid has no second level
        # (OpenCV refuses it), and there is no corner on a line anyway
        return empty
    for threshold in cfg.fast_thresholds:
        orb = _orb(cfg, threshold)
        keypoints, descriptors = orb.detectAndCompute(content, None)  # one pyramid for both
        if len(keypoints) >= cfg.features or (
            descriptors is not None and twin_distance(descriptors) <= cfg.repeated_bits
        ):
            break
    if descriptors is None or not keypoints:
        return empty
    order = np.argsort([-k.response for k in keypoints], kind="stable")
    keypoints = [keypoints[i] for i in order]
    descriptors = descriptors[order]
    w = content.shape[1]
    mirrored = [
        cv2.KeyPoint(
            w - 1 - k.pt[0], k.pt[1], k.size, (180.0 - k.angle) % 360.0, k.response, k.octave, k.class_id
        )
        for k in keypoints
    ]
    mirrored, mirrored_descriptors = orb.compute(np.ascontiguousarray(content[:, ::-1]), mirrored)
    # +0.5: continuous coordinates (pixel i covers [i, i+1)), in which a mirror is x -> W - x.
    points = [cv2.KeyPoint_convert(keypoints) + 0.5, cv2.KeyPoint_convert(mirrored) + 0.5]
    if mirrored_descriptors is None:
        return [points[0], np.zeros((0, 2), np.float32)], [descriptors, np.zeros((0, 32), np.uint8)]
    return points, [descriptors, mirrored_descriptors]


def compute(
    source: bytes | bytearray | memoryview | Image.Image, cfg: Config = DEFAULT_CONFIG
) -> RobustSignature:
    """The robust signature of an image (bytes or a PIL image)."""
    planes = load_planes(source, cfg.side)
    pixels = planes.luma
    small = _resize_longer(pixels, cfg.side)
    x0, y0, x1, y1 = content_box(small, cfg)
    sh, sw = small.shape
    box = (x0 / sw, y0 / sh, x1 / sw, y1 / sh)
    ph, pw = pixels.shape
    top, left = round(box[1] * ph), round(box[0] * pw)
    bottom, right = max(round(box[3] * ph), top + 1), max(round(box[2] * pw), left + 1)
    if (top, left, bottom, right) == (0, 0, ph, pw):
        content = small  # nothing trimmed: the same resize of the same pixels
    else:
        content = _resize_longer(pixels[top:bottom, left:right], cfg.side)
    chroma = None
    if planes.colour is not None:
        thumb = _area_thumbnail(planes.colour[top:bottom, left:right], cfg.chroma)
        chroma = np.ascontiguousarray(thumb[:, :, list(planes.crcb)])
    height, width = content.shape
    hashes = global_hashes(content)
    thumbnail = _resize_longer(content, cfg.thumb)
    std = float(thumbnail.std())
    points, descriptors = features(stretch(content), cfg)
    # rounded as stored (`_POINTS`, the box as `_HEAD`): verifying in memory and verifying what
    # a job read back from a table must give the same verdict
    points = [p.astype(_POINTS).astype(np.float32) for p in points]
    low_detail = std < cfg.min_std
    stored_box = tuple(float(np.float32(v)) for v in box)  # float32, as stored
    return RobustSignature(
        FORMAT_VERSION, low_detail, width, height, stored_box, hashes, points, descriptors, thumbnail, chroma
    )


def descriptor_rows(sig: RobustSignature, cfg: Config = DEFAULT_CONFIG) -> list[str]:
    """Candidate rows: hex (64 digits) of the strongest descriptors of both orientations."""
    if sig.low_detail:
        return []
    rows = []
    for d in sig.descriptors:
        rows.extend(bytes(row).hex() for row in d[: cfg.band_rows])
    return list(dict.fromkeys(rows))


def global_rows(sig: RobustSignature) -> list[str]:
    """Candidate rows: hex (16 digits) of the global hashes of `CANDIDATE_ORIENTATIONS`."""
    if sig.low_detail:
        return []
    return [f"{sig.global_hashes[o]:016x}" for o in CANDIDATE_ORIENTATIONS]


# ---------------------------------------------------------------- verification


@dataclass(frozen=True)
class VerifyConfig:
    """The operating point of `verify`."""

    ratio: float = 0.85  # Lowe ratio test on descriptor distances
    max_descriptor_distance: int = 80
    min_matches: int = 6
    min_inliers: int = 6
    ransac_pixels: float = 4.0
    min_scale: float = 0.3
    max_scale: float = 3.5
    min_spread: float = 0.01  # inlier hull area / overlap area
    # ... or inliers in one spot (a copy with few repeatable features: a crop, a rotation)
    # when the pixels under the transform agree in their fine structure, everywhere
    clustered_min_spread: float = 0.002
    clustered_correlation: float = 0.97
    clustered_cells: float = 0.97
    clustered_detail: float = 0.8  # with at least `min_texture` of high-pass std (detail to compare)
    clustered_chroma_cells: float = 0.9
    # ... on a smooth picture (high-pass std from `smooth_texture` up to `min_texture`) the fine
    # structure is faint but still there: it must agree nearly exactly (`smooth_detail`). A
    # keystoned smooth photo's homography aligns it at detail 0.97, texture 3.9 (lake variants
    # keystone_left12 g023); two different pictures' faint detail does not agree by chance
    smooth_texture: float = 2.5
    smooth_detail: float = 0.9
    min_overlap: float = 0.6  # overlap area / area of the smaller image (in A's frame)
    min_correlation: float = 0.85  # NCC of the aligned thumbnails over the overlap
    min_detail: float = 0.3  # NCC of the high-pass thumbnails ...
    min_texture: float = 5.0  # ... required when both high-pass parts have this std
    min_cells: float = 0.94  # share of agreeing grey cells
    strong_correlation: float = 0.95  # ... or a correlation this high
    strong_min_cells: float = 0.6  # ... with this share of agreeing cells
    min_chroma_cells: float = 0.5  # share of agreeing colour cells (two colour images)
    global_max_distance: int = 14  # identity fallback: global hash distance at most this
    global_min_correlation: float = 0.9
    # ... and, aligned by the content boxes alone (no feature supports it), the cells that
    # carry picture content must agree by their own structure (`_local_agreement`): two
    # screenshots of one page template with other photos in it agree on the page's frame
    global_min_local: float = 0.8
    # ... of which there must be some: cells without texture carry no evidence (`local` is 1.0
    # when no cell is textured), so at least this share of the overlap's cells is textured
    global_min_textured: float = 0.05
    # ... and when the stretched content boxes do not agree, the pixels align them again
    # (`_refined_by_pixels`: a rotation and shift); that alignment must also agree as a guided
    # one does (guided_min_correlation, guided_min_detail): the pixels chose it
    global_refine: bool = True
    # ... and a feature-poor pair (fewer than `crop_search_keypoints` keypoints in either image:
    # flat vector art, gradients, where ORB finds too few corners to align a crop) is searched
    # for B inside A by the pixels (`_crop_search`): B's thumbnail, scaled, must match a window
    # of A's nearly exactly (normalised correlation >= `crop_search_min_score`, before any
    # refinement) and the refined alignment agree as a guided one does. Measured on every
    # rejected candidate of the dev, held-out and lake-variant corpora (benchmarks/results_robust.md):
    # 17 more copies, no false pair; windows of the other stripe wallpaper of one design
    # (g010/g011) scored up to 0.95, and without the keypoint limit an album page of another
    # photo matched.
    crop_search: bool = True
    crop_search_keypoints: int = 80
    crop_search_min_score: float = 0.97
    crop_search_min_side: float = 0.45  # B covers at least this share of A's longer side
    crop_search_step: float = 1.03  # ratio between the scales tried
    # guided matching (`_guided`) when no transform of the mutual matches was accepted (too
    # few inliers, or one of repeated texture); without `guided_min_correlation` it made 12
    # more false pairs on the dev corpus (2 -> 14), all smooth pictures whose pixels agree
    # loosely under a chance transform (see docs/robust.md):
    guided_matching: bool = True
    guided_seed_inliers: int = 3  # a seed similarity needs this many mutual matches agreeing
    guided_seeds: int = 2  # seeds tried
    guided_pair_seeds: int = 8  # up to this many mutual matches: every pair of them is a seed
    guided_radius: float = 8.0  # first round: B keypoints land this close to an A keypoint (px)
    guided_max_distance: int = 64  # ... with a descriptor this close (of 256 bits)
    guided_min_local: float = 0.8  # ... and its textured cells must agree (`_local_agreement`)
    # ... and the correlation be this high (the clustered-inlier bar; the 12 dev false pairs of
    # guided matching without it scored 0.85-0.967, 7 of its 8 new copies 0.978-0.995; the
    # held-out corpus's 9 such false pairs are all below it too)
    guided_min_correlation: float = 0.97
    # ... and the fine structure agree (`Appearance.detail`, whatever the texture): layout alone
    # is what smooth and periodic pictures share by chance. Dev corpus, job signatures: guided
    # copies 0.65-0.98 (but one of stripes, 0.33: at 64 px the stripes alias), the false guided
    # alignments scoring >= 0.95 correlation 0.19-0.42 (g010~g011, two stripe wallpapers, 0.19)
    guided_min_detail: float = 0.6
    # ... and a guided alignment that fails them, its correlation at least `min_correlation`,
    # is refined by the pixels (`_refined_by_pixels`: a rotation and shift) and judged again by
    # the same bars
    guided_refine: bool = True
    # ... over at least this share of A's thumbnail (the pixels compared): the refinement fits
    # the alignment to the pixels it is then judged by, and over a small overlap two different
    # stripe wallpapers of one design agree at some shift and turn (dev g010 ui_frame ~ g011:
    # 0.10-0.15 of A, correlation 0.99; the dev copies refined 0.63 and 0.91, a CI crop 0.40)
    guided_refine_min_share: float = 0.25
    guided_after_failure: bool = True  # also when a transform of the mutual matches was rejected
    # perspective: a homography of the matches is judged next to the similarity (`_homography`)
    homography_min_inliers: int = 10
    homography_gain: float = 1.25  # ... judged first at this many times the similarity's inliers
    max_keystone: float = 0.3  # 1 - shortest / longest of two opposite sides of B's quad in A
    # ... also on guided matching's correspondences (a keystone's strong corners rarely survive
    # the ratio test): the putative pairs within this distance of the guided similarity (a
    # similarity is off by up to ~8 % of the side at the corners of a 15 % keystone)
    guided_homography_radius: float = 24.0
    # ... and after a similarity matched, a homography of the same matches waiting to be judged
    # after it replaces it as the verdict's transform (not the decision) when it maps B to a
    # visible keystone and aligns the pixels better by this much (`_best_explained`)
    explain_min_keystone: float = 0.12
    explain_min_gain: float = 0.015
    # `relation` says perspective for a homography whose quad's opposite sides differ by at
    # least this share (`_keystone`): twice the median the homographies fitted to copies that
    # are not keystoned show (0.025 on the dev corpus's same-group pairs: the fit's own noise)
    relation_min_keystone: float = 0.05
    # overlays (stickers, emoji, text): the disagreeing cells are one compact region ...
    overlay_max_share: float = 0.25  # its bounding box / overlap cells
    overlay_min_compact: float = 0.9  # share of the disagreeing cells inside it
    # share of the high-pass energy inside it (A or B); 0.5 until overlays needed
    # `overlay_min_inliers`, which keeps the template pages apart: 0.7 then found 2 more
    # lake-variant text boxes over a photo's detailed part and no false pair
    overlay_max_detail: float = 0.7
    # ... and the rest agrees tightly: far tighter than `min_correlation` / `min_detail` (other
    # photos of one scene, tile variants, recoloured sprites agree there at 0.95-0.97)
    overlay_correlation: float = 0.985
    overlay_cells: float = 0.97
    overlay_detail: float = 0.85
    # ... on the evidence of this many inliers: a page template with other photos in it (an
    # album, a feed) shares a few features (its title, its bars: 6-15 inliers on the held-out
    # and lake-variant false pairs) and its photo is a compact region that differs; a photo
    # under a sticker or a text box shares most of its own (24-152 on their copies; 2 emoji
    # copies of feature-poor dev wallpapers had 10 and 15)
    overlay_min_inliers: int = 20
    # A region that differs (the overlay's region, or the textured cells that disagree by their
    # own structure, `_local_agreement`) with this many sides framed in both images
    # (`_framed_sides`) is another picture set into one page: no alignment agrees there and no
    # overlay is accepted. Pages of one template with other photos in them, aligned by the
    # page's text and bars: CI photos on an album-page template, lake screenshot pages. No true
    # copy of the three corpora has two such sides (details: benchmarks/results_robust.md)
    max_framed: int = 2
    # A transform of fewer inliers than this, over textured pixels (`Appearance.texture` at
    # least `min_texture`), needs the textured cells to agree by their own structure too
    # (`Appearance.local`, the bar of guided and content-box alignments): pages of one
    # template with other photos in them share their title, text and bars (6-31 inliers on
    # the held-out and lake false pairs; richer templates share more, docs/robust.md Limits)
    # and agree in layout over the flat page (correlation 0.95-0.99), while the cells of the
    # photos differ (local 0.1-0.75). Held-out: 17 of its 19 false pairs (album pages), lake
    # variants: 29 of 44 (screenshot pages), no true pair lost; a true copy's first transform
    # may fall below the bar, but the other direction or another transform then passes it (at
    # 60 inliers two lake / held-out copies were lost). Smooth pictures: not asked (their
    # local is a few noisy cells).
    few_inliers: int = 30
    few_inliers_min_local: float = 0.8


DEFAULT_VERIFY = VerifyConfig()


#: Verdict reasons whose alignment the pixels chose (the content boxes, the crop search), not
#: matched features: judged without `appearance`'s antialiasing.
PIXEL_ALIGNED = ("global", "pixels")

#: Relations a verdict can report (combinations joined by "+"): see `Verdict.relation`.
RELATIONS = ("same", "crop", "contains", "mirror", "rotation", "perspective", "overlay", "framed")


@dataclass
class Verdict:
    match: bool
    score: float  # correlation over the aligned overlap (0 when no alignment was found)
    mirrored: bool = False
    inliers: int = 0
    transform: np.ndarray | None = None  # 3 x 3: B's content frame -> A's content frame
    reason: str = ""
    look: Appearance | None = None
    rotation: float = 0.0  # of the transform B -> A at B's centre, degrees (y down; see `relation`)
    scale: float = 1.0  # B -> A linear scale (content frames)
    perspective: bool = False  # the transform is a homography
    overlay: bool = False  # accepted with a compact differing region (sticker, emoji, text)
    swapped: bool = False  # verify_pair: the transform maps A -> B (found with B as reference)


def _agrees(look: Appearance, vcfg: VerifyConfig, min_correlation: float) -> bool:
    """The appearance test: layout, fine detail and local agreement of the aligned overlap.

    Either nearly every cell agrees and the correlation is good, or the correlation is very
    high and most cells agree (a caption or rotation corner left in the overlap). For two
    colour images the colour cells must agree too.
    """
    # Fine detail is compared only where there is some: on smooth pictures the high-pass
    # part is JPEG noise and its correlation says nothing.
    if look.texture >= vcfg.min_texture and look.detail < vcfg.min_detail:
        return False
    if look.chroma_cells < vcfg.min_chroma_cells:  # nan passes
        return False
    # The picture's disagreeing cells are a picture framed at the same place in both: two
    # pages of one template with other photos in them, aligned by the page.
    if look.unlike_framed_sides >= vcfg.max_framed:
        return False
    return (look.correlation >= min_correlation and look.cells >= vcfg.min_cells) or (
        look.correlation >= max(min_correlation, vcfg.strong_correlation)
        and look.cells >= vcfg.strong_min_cells
    )


def _agrees_closely(look: Appearance, vcfg: VerifyConfig) -> bool:
    """The aligned pictures agree in layout, in nearly every cell, by the cells' own structure
    and in fine detail (which there must be; on a smooth picture, faint detail agreeing nearly
    exactly): what a transform from clustered inliers needs."""
    detailed = look.texture >= vcfg.min_texture or (
        look.texture >= vcfg.smooth_texture and look.detail >= vcfg.smooth_detail
    )
    return (
        detailed
        and look.detail >= vcfg.clustered_detail
        and look.correlation >= vcfg.clustered_correlation
        and look.cells >= vcfg.clustered_cells
        and look.local >= vcfg.global_min_local
        and not look.chroma_cells < vcfg.clustered_chroma_cells  # nan (a grey image) passes
    )


def _compact_region(look: Appearance, vcfg: VerifyConfig) -> bool:
    """Do the cells that disagree form one small compact region (the shape of an overlay)?"""
    return (
        look.region is not None
        and look.region_share <= vcfg.overlay_max_share
        and look.compact >= vcfg.overlay_min_compact
    )


def _overlaid(look: Appearance, vcfg: VerifyConfig) -> bool:
    """An overlay: the cells that disagree form one compact region (a sticker, an emoji, a
    line of text) and everything else agrees tightly — tighter than `_agrees` asks of a whole
    overlap, so another photo of the same scene (differences spread all over) stays apart."""
    rest = look.rest
    if rest is None or not _compact_region(look, vcfg):
        return False
    # The overlay hides part of the picture, not the picture: in at least one of the two
    # images the region holds at most `overlay_max_detail` of the detail. Two screenshots of
    # one app page with other photos in it agree on the page, and the photos hold nearly all
    # of the detail of both.
    if look.region_detail > vcfg.overlay_max_detail:
        return False
    # ... and the region is not a picture framed at the same place in both: a page's photo
    # steps from the flat page along straight sides; a sticker, a text box or a bar over a
    # photo has such sides in one image only.
    if max(look.region_framed_sides, look.unlike_framed_sides) >= vcfg.max_framed:
        return False
    if rest.texture >= vcfg.min_texture and rest.detail < vcfg.overlay_detail:
        return False
    if rest.chroma_cells < max(vcfg.min_chroma_cells, vcfg.overlay_cells):  # nan passes
        return False
    return rest.correlation >= vcfg.overlay_correlation and rest.cells >= vcfg.overlay_cells


def _mutual_matches(
    da: np.ndarray, db: np.ndarray, vcfg: VerifyConfig
) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Mutual nearest neighbours of da in db that pass the ratio test, and (k, 3) int array
    (index in da, index in db, distance) of the three nearest neighbours of every row of da
    at most `guided_max_distance` apart (the putative pairs of `_guided`).

    `cv2.batchDistance` is what `BFMatcher.knnMatch` / `match` run inside (the same k
    nearest, equal distances in index order), returned as arrays instead of one DMatch
    object per neighbour: the same matches at ~60 % of the cost (verification's largest
    single part)."""
    if len(da) < 2 or len(db) < 2:
        return [], np.zeros((0, 3), np.intp)
    k = min(3 if vcfg.guided_matching else 2, len(db))
    near, order = cv2.batchDistance(da, db, cv2.CV_32S, normType=cv2.NORM_HAMMING, K=k)
    back = cv2.batchDistance(db, da, cv2.CV_32S, normType=cv2.NORM_HAMMING, K=1)[1].ravel()
    rows = np.arange(len(da))
    first, second = near[:, 0], near[:, 1]
    mutual = (
        (first <= vcfg.max_descriptor_distance) & (first <= vcfg.ratio * second) & (back[order[:, 0]] == rows)
    )
    matches = list(zip(rows[mutual].tolist(), order[mutual, 0].tolist(), strict=True))
    if not vcfg.guided_matching:
        return matches, np.zeros((0, 3), np.intp)
    close = near <= vcfg.guided_max_distance  # row-major: each row of da, nearest first
    query = np.broadcast_to(rows[:, None], near.shape)
    putative = np.stack([query[close], order[close], near[close]], axis=1).astype(np.intp)
    return matches, putative


def _corners(w: float, h: float) -> np.ndarray:
    return np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)


def _quad(b: RobustSignature, m: np.ndarray) -> np.ndarray:
    """B's content corners mapped by the 3 x 3 m (float32 (4, 2))."""
    return cv2.perspectiveTransform(_corners(b.width, b.height)[None], m)[0].astype(np.float32)


def clip_to_rect(poly: np.ndarray, width: float, height: float) -> np.ndarray:
    """The part of a convex polygon ((n, 2) points) inside [0, width] x [0, height] (float64).

    Sutherland-Hodgman against the rectangle's four sides. Not `cv2.intersectConvexConvex`:
    on polygons whose edges coincide with the rectangle's up to float noise — B's frame
    mapped by a near-identity similarity, i.e. every same-size copy with a sticker, a caption
    or a changed colour — it returns wrong polygons (two 256 x 256 squares off by 1e-15
    overlap by 33,803 px^2 there; opencv/opencv#26972, #22812), which failed such copies'
    overlap test.
    """
    pts = [tuple(p) for p in np.asarray(poly, np.float64).reshape(-1, 2)]
    for axis, bound, keep_below in (
        (0, 0.0, False),
        (0, float(width), True),
        (1, 0.0, False),
        (1, float(height), True),
    ):
        out = []
        for i, p in enumerate(pts):
            q = pts[(i + 1) % len(pts)]
            p_in = p[axis] <= bound if keep_below else p[axis] >= bound
            q_in = q[axis] <= bound if keep_below else q[axis] >= bound
            if p_in:
                out.append(p)
            if p_in != q_in:  # the edge crosses the side: add the crossing point
                t = (bound - p[axis]) / (q[axis] - p[axis])
                out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
        pts = out
        if not pts:
            return np.zeros((0, 2), np.float64)
    return np.array(pts, np.float64)


def _polygon_area(poly: np.ndarray) -> float:
    """Shoelace area of a simple polygon ((n, 2) points)."""
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _overlap(a: RobustSignature, b: RobustSignature, m: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(overlap polygon in A, its area, area of B mapped into A); m is 3 x 3."""
    quad = _quad(b, m)
    area_b = abs(cv2.contourArea(quad))
    if not cv2.isContourConvex(quad.reshape(-1, 1, 2)):
        return np.zeros((0, 2), np.float64), 0.0, area_b
    poly = clip_to_rect(quad, a.width, a.height)
    return poly, _polygon_area(poly), area_b


def _keystone(quad: np.ndarray) -> float:
    """1 - shortest / longest of each pair of opposite sides of a quad (0 for a parallelogram)."""
    sides = [float(np.linalg.norm(quad[(i + 1) % 4] - quad[i])) for i in range(4)]
    worst = 0.0
    for i in (0, 1):
        lo, hi = sorted((sides[i], sides[i + 2]))
        worst = max(worst, 1.0 - lo / hi if hi > 0 else 1.0)
    return worst


def corner_fill(thumb: np.ndarray, tolerance: int = 3, max_share: float = 0.12) -> np.ndarray:
    """uint8 mask (1 = picture) without the uniform fill a rotation leaves in the corners.

    Flood-fills from each corner within `tolerance` grey levels; a fill larger than
    `max_share` of the thumbnail is a uniform part of the picture itself and is kept.
    """
    h, w = thumb.shape
    keep = np.ones((h, w), np.uint8)
    for x, y in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
        if not keep[y, x]:
            continue
        flood = np.zeros((h + 2, w + 2), np.uint8)
        cv2.floodFill(
            thumb.copy(), flood, (x, y), 0, tolerance, tolerance, cv2.FLOODFILL_MASK_ONLY | 4 | (1 << 8)
        )
        filled = flood[1:-1, 1:-1] > 0
        if filled.mean() <= max_share:
            keep[filled] = 0
    return keep


def _homogeneous(m: np.ndarray) -> np.ndarray:
    return m if m.shape == (3, 3) else np.vstack([m, [0.0, 0.0, 1.0]])


def _pixel_matrix(
    m: np.ndarray,
    a_size: tuple[int, int],
    a_px: tuple[int, int],
    b_size: tuple[int, int],
    b_px: tuple[int, int],
) -> np.ndarray:
    """m (B content -> A content, continuous coordinates) as a 3 x 3 cv2 matrix between two
    thumbnails.

    Thumbnail pixel centres sit at integers for cv2 and at i + 0.5 in continuous coordinates.
    """
    sa = np.diag([a_px[0] / a_size[0], a_px[1] / a_size[1], 1.0])
    sb = np.diag([b_size[0] / b_px[0], b_size[1] / b_px[1], 1.0])
    return np.linalg.inv(_HALF) @ sa @ _homogeneous(m) @ sb @ _HALF


def _content_matrix(
    mt: np.ndarray,
    a_size: tuple[int, int],
    a_px: tuple[int, int],
    b_size: tuple[int, int],
    b_px: tuple[int, int],
) -> np.ndarray:
    """The inverse of `_pixel_matrix`: a 3 x 3 cv2 matrix between two thumbnails as the
    transform B content -> A content (continuous coordinates)."""
    sa = np.diag([a_size[0] / a_px[0], a_size[1] / a_px[1], 1.0])
    sb = np.diag([b_px[0] / b_size[0], b_px[1] / b_size[1], 1.0])
    return sa @ _HALF @ mt @ np.linalg.inv(_HALF) @ sb


#: Thumbnail pixel centres: i + 0.5 in continuous coordinates, i for cv2.
_HALF = np.array([[1.0, 0, 0.5], [0, 1.0, 0.5], [0, 0, 1.0]])


def _ncc(x: np.ndarray, y: np.ndarray) -> float:
    x = x - x.mean()
    y = y - y.mean()
    den = math.sqrt(float((x * x).sum()) * float((y * y).sum()))
    return float((x * y).sum()) / den if den > 1e-6 else 0.0


@dataclass
class Appearance:
    """How two aligned pictures agree over their overlap (see `appearance`)."""

    correlation: float  # NCC of the grey thumbnails
    detail: float  # NCC of their high-pass parts (fine structure, not layout)
    chroma: float  # mean |difference| of Cr, Cb (grey levels); nan when either image is grey
    pixels: int  # overlap size in A's thumbnail
    cells: float = 0.0  # share of overlap cells where B's grey values follow A's (one gain/offset)
    chroma_cells: float = float("nan")  # the same for the Cr, Cb channels; nan when either is grey
    texture: float = 0.0  # std of the smaller of the two high-pass parts (grey levels)
    # the largest 8-connected region of disagreeing grey cells (see `_overlaid`):
    region: tuple[float, float, float, float] | None = None  # its box in A's content frame, fractions
    region_share: float = 0.0  # its bounding box / overlap cells
    region_detail: float = 1.0  # share of the high-pass energy inside it (the smaller of A's, B's)
    compact: float = 0.0  # share of the disagreeing cells inside it
    region_framed_sides: int = 0  # its sides along one straight edge in both images (`_framed_sides`)
    # ... and those of the largest region of textured cells that disagree by their own structure
    unlike_framed_sides: int = 0
    rest: Appearance | None = None  # the same measures outside its bounding box
    faded: bool = False  # the region reaches beyond its strong cells (`REGION_FADE`)
    # the picture, not the frame (see `_local_agreement`): share of the textured cells whose
    # own structure agrees, and the share of valid cells that are textured
    local: float = 1.0
    textured: float = 0.0


CELL = 8
#: A grey cell agrees when its RMS residual after the gain/offset is at most this share of the
#: overlap's std (`_cell_grid` with relative=True; the overlay's region uses the same bar).
GREY_CELL_TOLERANCE = 0.5


def _cell_limit(tolerance: float, scale: float = 1.0) -> float:
    """The RMS residual up to which a cell agrees: `tolerance` times `scale` (the overlap's std
    for grey cells), never 0 (a flat overlap's cells agree only where they match exactly)."""
    return max(tolerance * scale, 1e-6)


def _cell_residuals(
    x: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    cell: int,
    fit: np.ndarray | None = None,
    line: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """(valid, rms, std): the grid of `cell` x `cell` blocks mostly inside `mask`, each block's
    RMS residual of y ~ g x + c (one least-squares gain/offset over `fit`, default the whole
    mask; or `line` = (g, c) given), and the std of y over the mask."""
    h, w = mask.shape
    hh, ww = h // cell * cell, w // cell * cell
    if hh == 0 or ww == 0 or not mask.any():
        return np.zeros((0, 0), bool), np.zeros((0, 0)), 0.0
    if line is None:
        xs, ys = (x[mask], y[mask]) if fit is None else (x[fit], y[fit])
        var = float(xs.var())
        g = float(((xs - xs.mean()) * (ys - ys.mean())).mean() / var) if var > 1e-6 else 0.0
        c = float(ys.mean() - g * xs.mean())
    else:
        g, c = line
    err = np.where(mask, (y - g * x - c) ** 2, 0.0)
    e = err[:hh, :ww].reshape(hh // cell, cell, ww // cell, cell).sum(axis=(1, 3))
    k = mask[:hh, :ww].reshape(hh // cell, cell, ww // cell, cell).sum(axis=(1, 3))
    return k >= 0.75 * cell * cell, np.sqrt(e / np.maximum(k, 1)), float(y[mask].std())


def _cell_grid(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray, cell: int, tolerance: float, relative: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(valid, agrees): boolean grids of `cell` x `cell` blocks (valid: mostly inside `mask`;
    agrees: y follows x there).

    One least-squares gain/offset y ~ g x + c is fitted over the whole mask (brightness,
    contrast and gamma-like edits are global); a block disagrees when its RMS residual exceeds
    `tolerance` (times the std of y over the mask when `relative`). Averages hide a local
    difference (a rider added on a horse, other text in a menu, other colours of some tiles);
    blocks do not.
    """
    valid, rms, std = _cell_residuals(x, y, mask, cell)
    return valid, rms <= _cell_limit(tolerance, std if relative else 1.0)


def _overlay_cells(
    ta: np.ndarray, warped: np.ndarray, mask: np.ndarray, cells: tuple[np.ndarray, np.ndarray, float]
) -> np.ndarray:
    """The cells' residuals by which an overlay's region is found (`_measure`), as shares of the
    cell limit (a cell agrees at <= 1): the gain/offset fitted again over the cells that agree,
    the tolerance unchanged. An overlay (a dark text box on a bright picture) drags the fit
    over the whole overlap so far that the picture around it disagrees too, and the region
    swells to all of it. When most cells disagree, the cells that agree are first found by a
    gain/offset the overlay cannot drag: the one that maps x's quartiles onto y's (an overlay
    of up to ~25 % of the overlap moves neither)."""
    valid, rms, std = cells  # `_cell_residuals` of the whole-overlap fit
    limit = _cell_limit(GREY_CELL_TOLERANCE, std)
    whole = rms / limit
    fit_cells = valid & (whole <= 1.0)
    if fit_cells.sum() < 0.5 * valid.sum():
        qx, qy = np.percentile(ta[mask], [25, 50, 75]), np.percentile(warped[mask], [25, 50, 75])
        g = float((qy[2] - qy[0]) / (qx[2] - qx[0])) if qx[2] - qx[0] > 1e-6 else 1.0
        _, rms, _ = _cell_residuals(ta, warped, mask, CELL, line=(g, float(qy[1] - g * qx[1])))
        fit_cells = valid & (rms <= limit)
    hh, ww = valid.shape
    fit = np.zeros_like(mask)
    fit[: hh * CELL, : ww * CELL] = np.kron(fit_cells, np.ones((CELL, CELL), bool))
    fit &= mask
    if not fit.any():
        return whole
    _, rms, _ = _cell_residuals(ta, warped, mask, CELL, fit)
    return rms / limit


#: A cell is textured when its own grey std (in either image) is at least this (grey levels).
LOCAL_TEXTURE = 6.0
#: ... and agrees locally when its residual RMS after the global gain/offset is at most this
#: share of that std (two independent textures of equal std differ by sqrt(2) std).
LOCAL_TOLERANCE = 0.6


def _local_agreement(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray, cell: int
) -> tuple[float, float, np.ndarray | None]:
    """(local, textured, unlike): how the cells that carry picture content agree.

    The global cell test (`_cell_grid`) measures each cell's residual against the std of the
    whole overlap: where a large flat frame (a page, a window, a border) sets that std, any
    two pictures inside it pass. Here each textured cell (std >= LOCAL_TEXTURE in x, or in y
    brought to x's scale) is judged against its own std: a copy's texture follows, another
    picture's does not. Flat cells (a page, a fill, the inside of a bar) carry no evidence
    and are left out. local: share of textured cells that agree (1.0 when none);
    textured: share of the valid cells that are textured; unlike: the grid of textured cells
    that disagree (None when there is no grid).
    """
    h, w = mask.shape
    hh, ww = h // cell * cell, w // cell * cell
    if hh == 0 or ww == 0 or not mask.any():
        return 1.0, 0.0, None
    xs, ys = x[mask], y[mask]
    var = float(xs.var())
    g = float(((xs - xs.mean()) * (ys - ys.mean())).mean() / var) if var > 1e-6 else 0.0
    c = float(ys.mean() - g * xs.mean())
    gx = g * x + c  # x on y's scale

    def blocks(v: np.ndarray) -> np.ndarray:
        return np.where(mask, v, 0.0)[:hh, :ww].reshape(hh // cell, cell, ww // cell, cell).sum(axis=(1, 3))

    k = blocks(np.ones_like(x))
    valid = k >= 0.75 * cell * cell
    kk = np.maximum(k, 1)
    mx, my = blocks(gx) / kk, blocks(y) / kk
    sx = np.sqrt(np.maximum(blocks(gx * gx) / kk - mx * mx, 0.0))
    sy = np.sqrt(np.maximum(blocks(y * y) / kk - my * my, 0.0))
    rms = np.sqrt(blocks((y - gx) ** 2) / kk)
    scale = np.maximum(sx, sy)
    textured = valid & (scale >= LOCAL_TEXTURE)
    if not textured.any():
        return 1.0, float(textured.sum()) / float(valid.sum()) if valid.any() else 0.0, None
    share = float(textured.sum()) / float(valid.sum())
    agree = rms <= LOCAL_TOLERANCE * scale
    return float(agree[textured].mean()), share, textured & ~agree


def _cell_agreement(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray, cell: int, tolerance: float, relative: bool
) -> float:
    """Share of valid `cell` x `cell` blocks where y follows x (see `_cell_grid`)."""
    valid, ok = _cell_grid(x, y, mask, cell, tolerance, relative)
    return float(ok[valid].mean()) if valid.any() else 0.0


def colourfulness(chroma: np.ndarray) -> np.ndarray:
    """Per pixel of a (h, w, 2) Cr, Cb thumbnail (uint8, or float32 once warped), the mean
    distance of its two channels from neutral (128), in grey levels: 0 where the picture is
    grey. (For uint8, a mean of these per-pixel halves equals the mean over all channel values
    exactly: the sums are integers; a warped thumbnail keeps its fractions.)"""
    values = chroma.astype(np.int16) if chroma.dtype == np.uint8 else chroma.astype(np.float32)
    return np.abs(values - 128).mean(axis=2)


#: Colourfulness (grey levels, `colourfulness`) of a pixel that carries a visible colour.
COLOURED_PIXEL = 6.0
#: How a picture's colour is compared (`colour_kind`).
GREY, SPARSE_COLOUR, COLOUR = "grey", "sparse", "colour"


def coloured_pixels(chroma: np.ndarray) -> np.ndarray:
    """The pixels of a (h, w, 2) Cr, Cb thumbnail that carry a visible colour."""
    return colourfulness(chroma) >= COLOURED_PIXEL


def colour_kind(chroma: np.ndarray | None) -> str:
    """GREY: no chroma or a mean colourfulness under 3 (a grey copy: nothing to compare);
    SPARSE_COLOUR: grey on average but >= 1 % of its pixels visibly coloured, its colour in an
    area of its own (a coloured shape on black, a logo on grey), compared where both pictures
    have colour (a sticker's colour on a grey picture is the sticker's, not the picture's);
    COLOUR: the rest, compared by cells."""
    if chroma is None:
        return GREY
    if float(colourfulness(chroma).mean()) >= 3.0:
        return COLOUR
    return SPARSE_COLOUR if float(coloured_pixels(chroma).mean()) >= 0.01 else GREY


def _measure(
    a: RobustSignature,
    b: RobustSignature,
    ta: np.ndarray,
    warped: np.ndarray,
    inside: np.ndarray,
    m: np.ndarray,
    with_region: bool,
    min_correlation: float = -1.0,
    off_grid: bool = False,
    fade: bool = True,
) -> Appearance:
    """The Appearance of A's thumbnail and B's warped one over `inside` (uint8 mask); only
    the correlation (and overlap size) when it is below `min_correlation`. `off_grid`: see
    `_compared`."""
    mask = _compared(inside, off_grid) > 0
    n = int(mask.sum())
    if n < 64:
        return Appearance(0.0, 0.0, float("nan"), n)
    corr = _ncc(ta[mask], warped[mask])
    if corr < min_correlation:
        return Appearance(corr, 0.0, float("nan"), n)
    inner = _compared(inside, off_grid, 7) > 0
    detail, texture = 0.0, 0.0
    if inner.sum() >= 32:
        ha = ta - cv2.GaussianBlur(ta, (0, 0), 1.5)
        hb = warped - cv2.GaussianBlur(warped, (0, 0), 1.5)
        detail = _ncc(ha[inner], hb[inner])
        texture = min(float(ha[inner].std()), float(hb[inner].std()))
    residuals = _cell_residuals(ta, warped, mask, CELL)
    valid, rms, std = residuals
    ok = rms <= _cell_limit(GREY_CELL_TOLERANCE, std)  # `_cell_grid(..., GREY_CELL_TOLERANCE, True)`
    cells = float(ok[valid].mean()) if valid.any() else 0.0
    th, tw = ta.shape
    chroma = float("nan")
    chroma_cells = float("nan")
    kinds = colour_kind(a.chroma), colour_kind(b.chroma)
    if GREY not in kinds:
        ca = a.chroma.astype(np.float32)
        ch, cw = ca.shape[:2]
        mc = _pixel_matrix(m, (a.width, a.height), (cw, ch), (b.width, b.height), b.chroma.shape[1::-1])
        cb = cv2.warpPerspective(
            b.chroma.astype(np.float32), mc, (cw, ch), flags=cv2.INTER_LINEAR, borderValue=0
        )
        cin = cv2.warpPerspective(
            np.ones(b.chroma.shape[:2], np.uint8), mc, (cw, ch), flags=cv2.INTER_NEAREST
        )
        cin = cv2.resize(inside, (cw, ch), interpolation=cv2.INTER_NEAREST) & cin
        cin = cv2.erode(cin, np.ones((3, 3), np.uint8)) > 0
        if SPARSE_COLOUR in kinds:
            # Colour in an area of its own: compared where both have colour, as it is (the cells'
            # gain/offset fit would absorb a brown shape against a red one), by pixel.
            both = cin & coloured_pixels(ca) & coloured_pixels(cb)
            if both.sum() >= 16:
                d = np.abs(ca[both] - cb[both]).mean(axis=1)
                chroma, chroma_cells = float(d.mean()), float((d <= CHROMA_TOL).mean())
        elif cin.sum() >= 16:
            chroma = float(np.abs(ca[cin] - cb[cin]).mean())
            chroma_cells = min(
                _cell_agreement(ca[:, :, k], cb[:, :, k], cin, CHROMA_CELL, CHROMA_TOL, False) for k in (0, 1)
            )
    look = Appearance(corr, detail, chroma, n, cells, chroma_cells, texture)
    look.local, look.textured, unlike = _local_agreement(ta, warped, mask, CELL)
    if unlike is not None and unlike.any():
        # where the picture's own structure disagrees: another picture set into one page?
        x, y, w, h, _ = _largest_region(unlike)
        look.unlike_framed_sides = _framed_sides(
            ta, warped, mask, (x * CELL, y * CELL, (x + w) * CELL, (y + h) * CELL)
        )
    bad = (valid & ~ok).astype(np.uint8)
    if with_region and bad.any() and valid.any():
        excess = np.where(valid, _overlay_cells(ta, warped, mask, residuals), 0.0)
        bad = (excess > 1.0).astype(np.uint8)
    if with_region and bad.any() and valid.any():
        x, y, w, h, look.compact = _largest_region(bad)
        if fade:
            strong = x, y, w, h
            x, y, w, h = _region_extent(excess, strong)
            look.faded = (x, y, w, h) != strong
        look.region_share = float(w * h) / float(valid.sum())
        look.region = (x * CELL / tw, y * CELL / th, (x + w) * CELL / tw, (y + h) * CELL / th)
        rest = inside.copy()
        rest[max(0, (y - 1) * CELL) : (y + h + 1) * CELL, max(0, (x - 1) * CELL) : (x + w + 1) * CELL] = 0
        look.rest = _measure(a, b, ta, warped, rest, m, False, off_grid=off_grid)
        box = np.zeros_like(mask)
        box[y * CELL : (y + h) * CELL, x * CELL : (x + w) * CELL] = True
        look.region_detail = min(_detail_share(ta, box, mask), _detail_share(warped, box, mask))
        look.region_framed_sides = _framed_sides(
            ta, warped, mask, (x * CELL, y * CELL, (x + w) * CELL, (y + h) * CELL)
        )
    return look


def _largest_region(grid: np.ndarray) -> tuple[int, int, int, int, float]:
    """(x, y, w, h, share): the bounding box, in cells, of the largest 8-connected region of a
    cell grid with at least one set cell, and the share of its set cells inside that region."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(grid.astype(np.uint8), connectivity=8)
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h, area = (int(v) for v in stats[k, :5])
    return x, y, w, h, float(area) / float(np.count_nonzero(grid))


#: An overlay's region reaches as far as its cells disagree at this share of the cell limit:
#: a white caption bar over a near-white sky disagrees strongly where the sky is darker and
#: faintly (0.9 of the limit; the picture's own cells 0.02-0.15) where it is not, and those
#: faint cells are the bar too. Hysteresis, as an edge detector's: strong cells find the
#: region, weaker ones connected to it give its extent (not its compactness).
REGION_FADE = 0.5


def _region_extent(excess: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The box (x, y, w, h, in cells) of the region `box` grown over the 8-connected cells
    whose residual exceeds REGION_FADE of the limit (`excess`: residual / limit per cell).
    The strong cells (> 1) are faint too (REGION_FADE <= 1), so the grown region holds the
    whole strong region and its box holds `box`."""
    x, y, w, h = box
    faint = (excess > REGION_FADE).astype(np.uint8)
    _, labels = cv2.connectedComponents(faint, connectivity=8)
    seed = labels[y : y + h, x : x + w][faint[y : y + h, x : x + w] > 0]
    rows, cols = np.nonzero(np.isin(labels, seed))
    x0, y0 = int(cols.min()), int(rows.min())
    return x0, y0, int(cols.max()) + 1 - x0, int(rows.max()) + 1 - y0


def _detail_share(t: np.ndarray, box: np.ndarray, mask: np.ndarray) -> float:
    """Share of a thumbnail's high-pass energy over `mask` that lies inside `box`."""
    hp = (t - cv2.GaussianBlur(t, (0, 0), 1.5)) ** 2
    total = float(hp[mask].sum())
    return float(hp[mask & box].sum()) / total if total > 1e-6 else 1.0


#: A side of a region is framed when, on a line within a cell of it, both images step by at
#: least this much: the median |gradient| across the line (grey levels per pixel, Sobel / 4)
#: less twice the median on the parallel line 3 pixels outside it. A photo's edge on a flat
#: page steps by 55-200; the edges of stickers, text boxes and the picture under them reach it
#: on one side at most (and at 18 on a second, dev corpus and lake variants).
FRAME_STEP = 30.0
FRAME_OUTSIDE = 3
#: ... counted only across a region at least this many cells wide (left/right) or tall
#: (top/bottom): the search windows of the two opposite sides (a cell either way) would
#: otherwise overlap, and one edge next to a small region would frame it on both sides.
FRAME_MIN_CELLS = 3


def _side_steps(g: np.ndarray, band: np.ndarray, pos: int, lo: int, hi: int, outward: int) -> np.ndarray:
    """Steps across the columns pos-CELL..pos+CELL of g, rows lo:hi (nan where not measured):
    the median of g on the column less twice the median FRAME_OUTSIDE columns outward, each
    over the rows where `band` (the overlap covering columns c-2..c+2) holds, when it holds on
    at least 80 % of them and the column is 2 or more pixels inside the image."""
    width = g.shape[1]
    cols = np.arange(pos - CELL, pos + CELL + 1)
    medians = []
    for c in (cols, cols + outward * FRAME_OUTSIDE):
        measurable = (c >= 2) & (c <= width - 3)
        cc = np.clip(c, 0, width - 1)
        rows = band[lo:hi, cc]
        # per-column median of the rows in the band: sorted with the others (nan) last, the
        # mean of the two middle values of the n kept (np.median's rule; nanmedian is slower)
        values = np.sort(np.where(rows, g[lo:hi, cc], np.nan), axis=0)
        n = rows.sum(axis=0)
        k = np.arange(len(c))
        med = (values[np.maximum(n - 1, 0) // 2, k] + values[n // 2, k]) / 2
        med[~measurable | (n < 0.8 * (hi - lo))] = np.nan
        medians.append(med)
    return medians[0] - 2 * medians[1]


def _framed_sides(ta: np.ndarray, tb: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]) -> int:
    """How many sides of the region box (x0, y0, x1, y1, thumbnail pixels) run along a straight
    edge at the same place in both aligned thumbnails, flat outside it: the frame of a picture
    set into a page (see `_overlaid`, `_agrees`). Sides at the overlap's border do not count."""
    x0, y0, x1, y1 = box
    if y1 <= y0 or x1 <= x0:
        return 0
    m8 = mask.astype(np.uint8)
    # every side as a column: |d/dx| for left/right, |d/dy| transposed for top/bottom; the band
    # (the overlap covering the 5 columns around a column) by an erosion along the rows
    sides = []
    if x1 - x0 >= FRAME_MIN_CELLS * CELL:
        band = cv2.erode(m8, np.ones((1, 5), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
        across = [np.abs(cv2.Sobel(t, cv2.CV_32F, 1, 0, ksize=3)) / 4 for t in (ta, tb)]
        sides += [(across, band, x0, y0, y1, -1), (across, band, x1, y0, y1, 1)]
    if y1 - y0 >= FRAME_MIN_CELLS * CELL:
        band = cv2.erode(m8, np.ones((5, 1), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0).T > 0
        across = [np.abs(cv2.Sobel(t, cv2.CV_32F, 0, 1, ksize=3)).T / 4 for t in (ta, tb)]
        sides += [(across, band, y0, x0, x1, -1), (across, band, y1, x0, x1, 1)]
    framed = 0
    for grads, band, pos, lo, hi, outward in sides:
        both = np.minimum(*(_side_steps(g, band, pos, lo, hi, outward) for g in grads))
        framed += bool(np.any(both >= FRAME_STEP))  # nan compares False
    return framed


def _warped_thumbnails(
    a: RobustSignature, b: RobustSignature, m: np.ndarray, antialias: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """(A's grey thumbnail, B's warped into it by m (B content -> A content), the mask of
    pixels both show (no rotation fill), the thumbnail-pixel matrix of m, its linear scale at
    B's centre), float32 thumbnails; with `antialias`, B's low-passed first where the warp
    shrinks it."""
    ta = a.thumbnail.astype(np.float32)
    th, tw = ta.shape
    mt = _pixel_matrix(m, (a.width, a.height), (tw, th), (b.width, b.height), b.thumbnail.shape[::-1])
    source = b.thumbnail.astype(np.float32)
    bh, bw = source.shape
    scale = describe(mt, (bw / 2, bh / 2))[2]
    if antialias and scale < SHRUNK:
        # The warp makes B's thumbnail smaller and samples it (bilinear) without averaging:
        # its fine detail would alias into A's pixels (busy photos shown at 0.45x in a
        # screenshot page failed the appearance test so). Low-pass it first to the detail
        # A's pixels hold.
        source = cv2.GaussianBlur(source, (0, 0), ANTIALIAS * math.sqrt(1.0 / scale**2 - 1.0))
    warped = cv2.warpPerspective(source, mt, (tw, th), flags=cv2.INTER_LINEAR, borderValue=0)
    inside = cv2.warpPerspective(
        corner_fill(b.thumbnail), mt, (tw, th), flags=cv2.INTER_NEAREST, borderValue=0
    )
    inside &= corner_fill(a.thumbnail)
    return ta, warped, inside, mt, scale


def appearance(
    a: RobustSignature,
    b: RobustSignature,
    m: np.ndarray,
    region: bool = False,
    min_correlation: float = -1.0,
    antialias: bool = True,
    off_grid: bool | None = None,
    fade: bool = True,
) -> Appearance:
    """Compare A's thumbnails with B's warped into A's frame by m (B content -> A content,
    2 x 3 or 3 x 3). With `region`, also the largest region of disagreeing cells and the
    measures outside it (what `_overlaid` judges; only an overlay verdict needs them). Below
    `min_correlation` only the correlation is measured: no test passes it there.

    `antialias` (see `_warped_thumbnails`) is for transforms of matched features. An alignment
    the pixels chose themselves (`PIXEL_ALIGNED`: the content boxes, the crop search) is judged
    on the pixels it was chosen by: low-passed, the search's best window is one of layout alone
    (two stripe wallpapers of one design, dev corpus g010/g011: their vignettes matched once a
    45 % crop's stripes were smoothed away).

    `off_grid` (default: `_resampled(m)`) measures as for a transform off the pixel grid:
    softened, A's outer ring left out (`_compared`), to compare a transform with one that is.
    `fade`: the region reaches over the cells that disagree faintly (`REGION_FADE`)."""
    ta, warped, inside, _, scale = _warped_thumbnails(a, b, m, antialias)
    off_grid = _resampled(m) if off_grid is None else off_grid
    if off_grid or scale > UPSAMPLED:
        # B was resampled twice off the pixel grid (by the edit, then by this warp), or its
        # thumbnail is enlarged by the warp: it is softer than A's; compare both at the same
        # softness.
        compared = _compared(inside, off_grid)
        ta, warped = _soften(ta, compared), _soften(warped, compared)
    return _measure(a, b, ta, warped, inside, m, region, min_correlation, off_grid, fade)


def _compared(inside: np.ndarray, off_grid: bool, size: int = 3) -> np.ndarray:
    """uint8 mask of the pixels compared: those both images show (`inside`), less (size - 1) / 2
    pixels along its edges, where a thumbnail pixel mixes picture with rotation fill or with the
    warp's black surround (7: where fine detail is compared, the high-pass filter's reach).
    `off_grid` (a transform off the pixel grid, `_resampled`): along A's frame too, where a
    turned or keystoned B's picture ends in a sloping edge against its own fill (dev rotate8,
    perspective10), in pixels that mix both, which OpenCV's erosion (nothing outside the
    image) would keep."""
    kernel = np.ones((size, size), np.uint8)
    if off_grid:
        return cv2.erode(inside, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return cv2.erode(inside, kernel)


def _soften(t: np.ndarray, compared: np.ndarray) -> np.ndarray:
    """`t` blurred by SOFTEN_SIGMA over the compared pixels only (normalised convolution).
    Blurred whole, the pixels left out along the edge (picture mixed with fill or with the
    warp's black surround) bleed into the compared ones next to them, about a quarter of their
    weight at this sigma: enough to pull a dark picture turned by 8 degrees on white fill from
    correlation 1.0 to 0.91 (dev g020 rotate8). Pixels beyond the blur's reach of any compared
    pixel keep their values."""
    w = compared.astype(np.float32)
    weight = cv2.GaussianBlur(w, (0, 0), SOFTEN_SIGMA)
    blurred = cv2.GaussianBlur(t * w, (0, 0), SOFTEN_SIGMA)
    return np.where(weight > 1e-3, blurred / np.maximum(weight, 1e-3), t).astype(np.float32)


#: B's thumbnail is low-passed before a warp that shrinks it below this linear scale ...
SHRUNK = 0.8
#: ... by a Gaussian of sigma ANTIALIAS * sqrt(1 / scale^2 - 1) of its own pixels: a pixel of
#: an area-resampled thumbnail is the mean of a unit box (variance 1/12); B's pixels, `scale`
#: of A's, need the variance A's have less their own, 1/12 (1/scale^2 - 1) in B's pixels.
ANTIALIAS = 1.0 / math.sqrt(12.0)
#: Gaussian blur (thumbnail pixels) of both thumbnails when the transform is off the pixel grid.
SOFTEN_SIGMA = 0.8
#: ... or enlarges B's thumbnail by more than this (linear) into A's.
UPSAMPLED = 1.1


def _resampled(m: np.ndarray) -> bool:
    """Is the transform (3 x 3) off the pixel grid: a rotation more than 1.5 degrees away from
    a quarter turn, or a perspective?"""
    m = _homogeneous(m)
    if abs(m[2, 0]) + abs(m[2, 1]) > 1e-9:
        return True
    _, rot, _ = describe(m)
    return abs((rot + 45.0) % 90.0 - 45.0) > 1.5


def _mirror_matrix(width: int) -> np.ndarray:
    """x -> W - x in continuous coordinates (3 x 3)."""
    return np.array([[-1.0, 0.0, width], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def describe(m: np.ndarray, at: tuple[float, float] = (0.0, 0.0)) -> tuple[bool, float, float]:
    """(mirrored, rotation degrees, scale) of a 3 x 3 transform (B -> A), read from its
    Jacobian at the point `at` of B (the linear part for an affine m): mirrored when it flips
    orientation, the rotation after undoing that flip."""
    m = _homogeneous(m)
    x, y = at
    w = m[2, 0] * x + m[2, 1] * y + m[2, 2]
    u = (m[0, 0] * x + m[0, 1] * y + m[0, 2]) / w
    v = (m[1, 0] * x + m[1, 1] * y + m[1, 2]) / w
    lin = (m[:2, :2] - np.outer([u, v], m[2, :2])) / w
    mirrored = float(np.linalg.det(lin)) < 0
    if mirrored:
        lin = lin @ np.diag([-1.0, 1.0])
    rot = math.degrees(math.atan2(lin[1, 0], lin[0, 0]))
    return mirrored, rot, math.sqrt(abs(float(np.linalg.det(lin))))


class _Transform(NamedTuple):
    """A feature transform the verifier judges (`_judge`), and how much its evidence is worth."""

    m_b: np.ndarray  # 3 x 3: B's content frame -> A's content frame
    inliers: np.ndarray  # the matches it explains, in A's content frame
    perspective: bool = False  # a homography (`_homography`), not a similarity
    # from guided matching (`_guided`): weaker geometric evidence, the pixels must agree on
    # their own (no overlay rule) and on the picture itself
    guided: bool = False
    # a homography judged after a similarity that explained as many matches (`_homography`):
    # its 8 degrees of freedom are a second chance, the pixels must agree closely
    closely: bool = False


def _placed(
    a: RobustSignature, b: RobustSignature, m_b: np.ndarray, vcfg: VerifyConfig
) -> tuple[float, float] | None:
    """(scale, overlap area) of B placed in A's frame by m_b, or None when the placement is
    implausible: B's linear scale outside [min_scale, max_scale], or an overlap under
    `min_overlap` of the smaller image (the geometry every alignment must pass)."""
    _, inter, area_b = _overlap(a, b, m_b)
    scale = math.sqrt(area_b / max(b.width * b.height, 1))
    if not vcfg.min_scale <= scale <= vcfg.max_scale:
        return None
    smaller = min(a.width * a.height, area_b)
    if smaller <= 0 or inter / smaller < vcfg.min_overlap:
        return None
    return scale, inter


def _judge(
    a: RobustSignature, b: RobustSignature, t: _Transform, mirrored: bool, vcfg: VerifyConfig
) -> Verdict | None:
    """The verdict of one feature transform t (B -> A); None when the geometry is implausible
    (scale, overlap, spread). A guided transform must pass the appearance test itself (or its
    refinement by the pixels must): no overlay. A `closely` one must agree closely
    (`_agrees_closely`): no overlay either."""
    m_b, guided, closely = t.m_b, t.guided, t.closely
    placed = _placed(a, b, m_b, vcfg)
    if placed is None:
        return None
    scale, inter = placed
    hull = cv2.convexHull(t.inliers.reshape(-1, 1, 2))
    spread = abs(cv2.contourArea(hull)) / max(inter, 1.0)
    if spread < vcfg.clustered_min_spread:
        return None
    # Every test of this look needs correlation >= min_correlation (or clustered_correlation):
    # 97 % of the transforms judged on candidate pairs of different pictures fall below it,
    # so no more is measured there. The overlay rule measures its own look (with the region).
    look = appearance(a, b, m_b, min_correlation=min(vcfg.min_correlation, vcfg.clustered_correlation))
    if spread < vcfg.min_spread and not _agrees_closely(look, vcfg):
        # Inliers in one spot say little about the rest of the picture (a bright spot, one
        # repeated texture): only fine structure agreeing over the whole overlap supports them.
        return None
    if guided:
        match = _guided_agrees(look, vcfg) and (not closely or _agrees_closely(look, vcfg))
        if not match and vcfg.guided_refine and look.correlation >= vcfg.min_correlation:
            # A handful of correspondences places B a few degrees or pixels off (dev
            # crop_center50 g018: 8 degrees, correlation 0.91; refined 0.996): the alignment
            # the pixels refine it to is judged by the same bars.
            refined = _refined_by_pixels(a, b, m_b)
            placed = None if refined is None else _placed(a, b, refined, vcfg)
            if placed is not None:
                again = appearance(a, b, refined)
                share = again.pixels / a.thumbnail.size
                if (
                    share >= vcfg.guided_refine_min_share
                    and _guided_agrees(again, vcfg)
                    and (not closely or _agrees_closely(again, vcfg))
                ):
                    m_b, look, match, (scale, _) = refined, again, True, placed
    else:
        match = _agrees(look, vcfg, vcfg.min_correlation)
        if len(t.inliers) < vcfg.few_inliers and look.texture >= vcfg.min_texture:
            # Like a guided alignment, a transform of few matches needs evidence on the picture
            # itself (a page template's title and bars match too).
            match = match and look.local >= vcfg.few_inliers_min_local
        if closely:
            match = match and _agrees_closely(look, vcfg)
    overlay = False
    if not match and not guided and not closely and len(t.inliers) >= vcfg.overlay_min_inliers:
        regional = appearance(a, b, m_b, region=True)
        if not _overlaid(regional, vcfg) and regional.faded:
            # The faint cells may be another overlay's or an edit's (a copy of a copy: a
            # sticker on one, a caption on the other): the strong cells' region alone.
            regional = appearance(a, b, m_b, region=True, fade=False)
        if _overlaid(regional, vcfg):
            look, overlay = regional, True
    _, rot, _ = describe(m_b, (b.width / 2, b.height / 2))
    return Verdict(
        match or overlay,
        look.correlation,
        mirrored,
        len(t.inliers),
        m_b,
        "guided" if guided else "features",
        look,
        rotation=rot,
        scale=scale,
        perspective=t.perspective,
        overlay=overlay,
    )


def _guided_agrees(look: Appearance, vcfg: VerifyConfig) -> bool:
    """The appearance test of a guided alignment: the plain one at `guided_min_correlation`,
    and, like the content-box fallback's alignment, evidence on the picture itself (two pages
    of one template with other photos in it agree on the page)."""
    return (
        _agrees(look, vcfg, max(vcfg.min_correlation, vcfg.guided_min_correlation))
        and look.local >= vcfg.guided_min_local
        and look.detail >= vcfg.guided_min_detail
    )


def _homography(
    b: RobustSignature,
    src: np.ndarray,
    dst: np.ndarray,
    to_b: np.ndarray,
    n_sim: int,
    vcfg: VerifyConfig,
    iterations: int = 2000,
    confidence: float = 0.995,
) -> _Transform | None:
    """A homography of the matches src (B's orientation frame) -> dst (A) that explains at least
    as many of them as a similarity did (`n_sim` inliers; at least `homography_min_inliers`) and
    maps B onto a convex quad of plausible keystone, else None; `closely` unless it explains
    clearly more (`homography_gain`).

    A clearly better homography is judged before the similarity, any other after it: when a
    keystone's matches lie in a band across the picture, a similarity explains nearly all of
    them (held-out keystone_top12: 74-89 of 79-96) yet misaligns the rest of the picture
    (correlation 0.84-0.93), which the homography aligns (0.99). Judged after a failed
    similarity, its 8 degrees of freedom are a second chance that also fits variants of one
    drawing a little better (dev distractors: 4 false pairs at correlation 0.78-0.96): the
    pixels must then agree closely, as for inliers in one spot (`_agrees_closely`)."""
    if len(src) < vcfg.homography_min_inliers:
        return None
    h, inl = cv2.findHomography(
        src, dst, cv2.RANSAC, vcfg.ransac_pixels, maxIters=iterations, confidence=confidence
    )
    if h is None:
        return None
    inl = inl.ravel().astype(bool)
    n = int(inl.sum())
    m_b = h @ to_b
    quad = _quad(b, m_b)
    if (
        n >= max(vcfg.homography_min_inliers, n_sim)
        and cv2.isContourConvex(quad.reshape(-1, 1, 2))
        and _keystone(quad) <= vcfg.max_keystone
    ):
        return _Transform(m_b, dst[inl], perspective=True, closely=n < vcfg.homography_gain * n_sim)
    return None


def _guided(
    a: RobustSignature,
    b: RobustSignature,
    o: int,
    to_b: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    putative: np.ndarray,
    vcfg: VerifyConfig,
) -> list[_Transform]:
    """Guided transforms (B -> A; `to_b` maps B's orientation-o frame to B's) from guided
    matching, most inliers first: those that reach `min_inliers`.

    The evidence is the putative pairs (`_mutual_matches`: each B descriptor's three nearest
    A descriptors at most `guided_max_distance` apart, not only the mutual, ratio-tested
    matches) that a transform maps onto each other. Seeds: RANSAC similarities of the mutual
    matches (src -> dst), then RANSAC without the previous seed's inliers, each of at least
    `guided_seed_inliers` of them, and, with at most `guided_pair_seeds` mutual matches, the
    similarity of every pair of them with a plausible scale; a seed goes on when it maps at least `min_inliers` putative pairs
    within `guided_radius` pixels, the best supported `guided_seeds` of them. Each is then
    fitted again (RANSAC, `ransac_pixels`) on those pairs (one to one, closest descriptors
    first), and again on the pairs within `ransac_pixels` of that fit: the inliers of that
    second round are the evidence. A homography of the putative pairs near a similarity
    (`guided_homography_radius`) is judged next to it (`_homography`).
    """
    pb, pa = b.points[o], a.points[0]
    if len(pb) < vcfg.min_inliers or len(pa) < vcfg.min_inliers:
        return []
    seeds = _ransac_seeds(src, dst, vcfg)
    if len(src) <= vcfg.guided_pair_seeds:
        seeds += _pair_seeds(src, dst, vcfg)
    if not seeds:
        return []
    if len(putative) < vcfg.min_inliers:
        return []
    qb, qa, d = putative.T
    zb = pb[qb, 0] + 1j * pb[qb, 1]
    za = pa[qa, 0] + 1j * pa[qa, 1]
    # support of every seed: the putative pairs it maps within the radius
    ms = np.array(seeds)
    rot = ms[:, 0, 0] + 1j * ms[:, 1, 0]
    shift = ms[:, 0, 2] + 1j * ms[:, 1, 2]
    near = np.abs(rot[:, None] * zb[None, :] + shift[:, None] - za[None, :]) <= vcfg.guided_radius
    support = near.sum(axis=1)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    tried: list[np.ndarray] = []
    for k in np.argsort(-support, kind="stable")[: vcfg.guided_seeds]:
        if support[k] < vcfg.min_inliers:
            break
        if _near_any(seeds[k], tried):
            continue
        tried.append(seeds[k])
        keep = near[k]
        m = None
        for _ in range(2):
            pairs = _one_to_one(qb[keep], qa[keep], d[keep])
            if len(pairs) < vcfg.min_inliers:
                m = None
                break
            s2, d2 = pb[pairs[:, 0]], pa[pairs[:, 1]]
            m, inl = _similarity(s2, d2, vcfg)
            if m is None:
                break
            keep = (
                np.abs(complex(m[0, 0], m[1, 0]) * zb + complex(m[0, 2], m[1, 2]) - za) <= vcfg.ransac_pixels
            )
        if m is None:
            continue
        inl = inl.ravel().astype(bool)
        if inl.sum() >= vcfg.min_inliers and not _near_any(m, [f for f, _ in found]):
            found.append((m, d2[inl]))
    out = []
    for m, inliers in sorted(found, key=lambda f: -len(f[1])):
        h = None
        # Only from a guided similarity of >= homography_min_inliers: a chance one's 8-9 inliers
        # rarely carry a homography of >= 10 (79 of 18,005 dev tries found one), and none that
        # did made a match on the dev, held-out or lake-variant candidates (the guided
        # homographies that matched came from similarities of 14-104 inliers); tried, they were
        # ~16 % of verification's CPU, a RANSAC for most candidate pairs that are no copies.
        if len(inliers) >= vcfg.homography_min_inliers:
            near = np.abs(complex(m[0, 0], m[1, 0]) * zb + complex(m[0, 2], m[1, 2]) - za)
            pairs = _one_to_one(*(v[near <= vcfg.guided_homography_radius] for v in (qb, qa, d)))
            # 500 iterations at confidence 0.99, as for the guided refits: the pairs lie near a fitted similarity
            h = _homography(b, pb[pairs[:, 0]], pa[pairs[:, 1]], to_b, len(inliers), vcfg, 500, 0.99)
        similarity = _Transform(_homogeneous(m) @ to_b, inliers, guided=True)
        if h is None:
            out.append(similarity)
        else:
            h = h._replace(guided=True)
            out += [similarity, h] if h.closely else [h, similarity]
    return out


def _one_to_one(ib: np.ndarray, ia: np.ndarray, d: np.ndarray) -> np.ndarray:
    """(k, 2) pairs (B, A) of candidate pairs: the closest A per B keypoint, then the closest B
    per A keypoint among those."""
    order = np.lexsort((ia, ib, d))
    ib, ia = ib[order], ia[order]
    _, first = np.unique(ib, return_index=True)
    ib, ia = ib[first], ia[first]
    d = d[order][first]
    order = np.lexsort((ib, ia, d))
    ib, ia = ib[order], ia[order]
    _, first = np.unique(ia, return_index=True)
    return np.stack([ib[first], ia[first]], axis=1)


def _near_any(m: np.ndarray, seeds: list[np.ndarray]) -> bool:
    """Is the 2 x 3 similarity m (nearly) one of `seeds`?"""
    return any(np.abs(m - s).max() < 1.0 for s in seeds)


def _similarity(
    src: np.ndarray, dst: np.ndarray, vcfg: VerifyConfig, iterations: int = 500, confidence: float = 0.99
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """RANSAC similarity (rotation, uniform scale, translation) of src -> dst points with
    `ransac_pixels` as the inlier distance: (2 x 3 matrix, inlier mask) or (None, None).
    The first estimate of a pair searches longer (2000 iterations, confidence 0.995) than the
    guided refits and seeds (500, 0.99), which start from fewer, cleaner matches."""
    return cv2.estimateAffinePartial2D(
        src,
        dst,
        method=cv2.RANSAC,
        ransacReprojThreshold=vcfg.ransac_pixels,
        maxIters=iterations,
        confidence=confidence,
    )


def _ransac_seeds(src: np.ndarray, dst: np.ndarray, vcfg: VerifyConfig) -> list[np.ndarray]:
    """Up to `guided_seeds` RANSAC similarities of src -> dst, each without the previous ones'
    inliers, each with at least `guided_seed_inliers` inliers."""
    seeds = []
    left = np.ones(len(src), bool)
    while len(seeds) < vcfg.guided_seeds and left.sum() >= vcfg.guided_seed_inliers:
        m, inl = _similarity(src[left], dst[left], vcfg)
        if m is None:
            break
        inl = inl.ravel().astype(bool)
        if inl.sum() < vcfg.guided_seed_inliers:
            break
        left[np.flatnonzero(left)[inl]] = False
        seeds.append(m)
    return seeds


def _pair_seeds(src: np.ndarray, dst: np.ndarray, vcfg: VerifyConfig) -> list[np.ndarray]:
    """The similarities (2 x 3) of every pair of matches src -> dst with a scale in
    [min_scale, max_scale]."""
    i, j = np.triu_indices(len(src), 1)
    zs = src[:, 0] + 1j * src[:, 1]
    zd = dst[:, 0] + 1j * dst[:, 1]
    ds = zs[j] - zs[i]
    ok = np.abs(ds) > 2.0
    i, j, ds = i[ok], j[ok], ds[ok]
    rot = (zd[j] - zd[i]) / ds  # z -> rot z + t
    ok = (np.abs(rot) >= vcfg.min_scale) & (np.abs(rot) <= vcfg.max_scale)
    i, rot = i[ok], rot[ok]
    t = zd[i] - rot * zs[i]
    return [
        np.array([[r.real, -r.imag, tk.real], [r.imag, r.real, tk.imag]])
        for r, tk in zip(rot, t, strict=True)
    ]


def verify(a: RobustSignature, b: RobustSignature, vcfg: VerifyConfig = DEFAULT_VERIFY) -> Verdict:
    """Is B a (possibly turned, flipped, rotated, keystoned, cropped, bordered, captioned,
    overlaid, framed, edited) copy of A?"""
    if a.version != b.version:
        raise ValueError("robust signatures of different format versions are never compared")
    if a.low_detail or b.low_detail:
        return Verdict(False, 0.0, reason="low_detail")
    best = Verdict(False, 0.0, reason="no_alignment")
    later: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # for `_guided`
    mirror_match: Verdict | None = None  # a match of the mirrored orientation's mutual matches
    for o in (0, 1):
        if not len(a.descriptors[0]) or not len(b.descriptors[o]):
            continue
        matches, putative = _mutual_matches(b.descriptors[o], a.descriptors[0], vcfg)
        if len(matches) < 2:
            continue
        src = b.points[o][[i for i, _ in matches]]
        dst = a.points[0][[j for _, j in matches]]
        # B's orientation-o frame -> B's frame: the mirrored frame maps back by x -> W - x.
        to_b = _mirror_matrix(b.width) if o else np.eye(3)
        tries: list[_Transform] = []  # judged in order
        n_sim = 0
        m = None
        if len(matches) >= vcfg.min_matches:
            m, inl = _similarity(src, dst, vcfg, iterations=2000, confidence=0.995)
            if m is not None:
                inl = inl.ravel().astype(bool)
                n_sim = int(inl.sum())
                if n_sim >= vcfg.min_inliers:
                    tries.append(_Transform(_homogeneous(m) @ to_b, dst[inl]))
        # A keystone (a photo of a screen): a homography, judged first when it explains clearly
        # more matches than the similarity (so the verdict says perspective), else after it.
        # Only next to a similarity with support: a keystone's matches fit a similarity over a
        # band of the picture, so one that explains fewer than `min_inliers` is no keystone.
        # Fitted there, the homography found nothing on any dev or held-out candidate pair, and
        # on the lake variants only 10-11 chance matches of quarter turns in the wrong
        # orientation (labelled perspective; the other orientation matches them by 102-152
        # inliers), for 31 % of verification's CPU (2000 RANSAC iterations over chance matches).
        h = _homography(b, src, dst, to_b, n_sim, vcfg) if n_sim >= vcfg.min_inliers else None
        if h is not None:
            tries.insert(len(tries) if h.closely else 0, h)
        # Too few repeatable features passed the ratio and mutual tests (a deep crop, a rotation:
        # the strongest keypoints of one image are not those of the other), or the transform
        # they gave is a chance one (repeated texture) and a copy's is hidden among them: when
        # no transform of the mutual matches was accepted, a few of them that agree seed a
        # re-match of ALL descriptors under their transform (`_guided`). A copy's other
        # keypoints match where the transform puts them, a chance alignment's do not, and the
        # pixels still decide.
        # Guided matching waits until the transforms of the mutual matches of both orientations
        # were judged.
        if vcfg.guided_matching and (n_sim < vcfg.min_inliers or vcfg.guided_after_failure):
            later.append((o, to_b, src, dst, putative))
        found, best = _first_match(a, b, tries, bool(o), best, vcfg)
        if found is not None and not o:
            return found
        mirror_match = found
    for o, to_b, src, dst, putative in later:
        if o and mirror_match is not None:
            continue
        found, best = _first_match(
            a, b, _guided(a, b, o, to_b, src, dst, putative, vcfg), bool(o), best, vcfg
        )
        if found is not None:
            # A picture symmetric top to bottom aligns mirrored and turned by 180 degrees
            # alike (CI g018: its mirrored copy, guided and refined by the pixels, at 0.98
            # unmirrored; by the mirrored features at 0.996): the better-aligned reading wins.
            return found if mirror_match is None or found.score > mirror_match.score else mirror_match
    if mirror_match is not None:
        return mirror_match
    # Content-box fallback for feature-poor pairs with close global hashes: B in the
    # orientation whose global hash is closest to A's, stretched onto A's content box.
    for o in range(ORIENTATIONS):
        d = bin(a.global_hashes[0] ^ b.global_hashes[o]).count("1")
        if d > vcfg.global_max_distance:
            continue
        turned = orientation_matrix(o, b.width, b.height)
        ow, oh = (b.height, b.width) if o & 4 else (b.width, b.height)
        m_b = np.diag([a.width / ow, a.height / oh, 1.0]) @ turned
        look = appearance(a, b, m_b, antialias=False)
        match = _boxes_agree(look, vcfg)
        if not match and vcfg.global_refine:
            refined = _refined_by_pixels(a, b, m_b)
            again = None if refined is None else appearance(a, b, refined, antialias=False)
            if again is not None and _boxes_agree(again, vcfg, refined=True):
                m_b, look, match = refined, again, True
        mirrored, rot, scale = describe(m_b)
        verdict = Verdict(
            match, look.correlation, mirrored, 0, m_b, "global", look, rotation=rot, scale=scale
        )
        if verdict.match:
            return verdict
        if verdict.score > best.score:
            best = verdict
    if vcfg.crop_search and min(len(a.descriptors[0]), len(b.descriptors[0])) < vcfg.crop_search_keypoints:
        verdict = _crop_search(a, b, vcfg)  # a match, or None
        if verdict is not None:
            return verdict
    return best


def _first_match(
    a: RobustSignature,
    b: RobustSignature,
    tries: list[_Transform],
    mirrored: bool,
    best: Verdict,
    vcfg: VerifyConfig,
) -> tuple[Verdict | None, Verdict]:
    """(the first matching verdict of `tries`, judged in order, or None; the best-scoring
    verdict so far)."""
    while tries:
        verdict = _judge(a, b, tries.pop(0), mirrored, vcfg)
        if verdict is None:
            continue
        if verdict.match:
            return _best_explained(a, b, verdict, tries, mirrored, vcfg), best
        if verdict.score > best.score:
            best = verdict
    return None, best


def _best_window(ta: np.ndarray, tb: np.ndarray, sides: np.ndarray) -> tuple[float, np.ndarray | None, float]:
    """(score, window, side): the window of A's thumbnail ta that B's thumbnail tb, scaled to
    cover each share `side` of A's longer side, matches best (normalised correlation,
    `cv2.matchTemplate`), as the thumbnail-pixel matrix B -> A."""
    (ha, wa), (hb, wb) = ta.shape, tb.shape
    best, window, at = -1.0, None, 0.0
    for side in sides:
        k = side * max(wa, ha) / max(wb, hb)
        w, h = round(wb * k), round(hb * k)
        if not (CELL <= w <= wa and CELL <= h <= ha):
            continue
        t = cv2.resize(tb, (w, h), interpolation=cv2.INTER_AREA)
        if t.std() < 1e-3:
            continue
        _, score, _, (x, y) = cv2.minMaxLoc(cv2.matchTemplate(ta, t, cv2.TM_CCOEFF_NORMED))
        if score > best:
            best, window, at = score, np.array([[w / wb, 0, x], [0, h / hb, y], [0, 0, 1.0]]), float(side)
    return best, window, at


def _crop_search(a: RobustSignature, b: RobustSignature, vcfg: VerifyConfig) -> Verdict | None:
    """B found inside A by the pixels, for pairs whose features are too few to align a crop:
    B's grey thumbnail scaled to each of a ladder of sizes (from A's whole longer side down to
    `crop_search_min_side` of it, `crop_search_step` apart) is slid over A's (OpenCV's
    `matchTemplate`, normalised correlation). The best window must score at least
    `crop_search_min_score`; then it, or when it does not agree its ECC refinement
    (`_refined_by_pixels`), must pass the geometry checks of a feature transform (scale,
    overlap: `_placed`) and agree as a guided alignment does (`_boxes_agree(refined=True)`).
    The matching verdict, or None when nothing does."""
    ta, tb = a.thumbnail.astype(np.float32), b.thumbnail.astype(np.float32)
    (ha, wa), (hb, wb) = ta.shape, tb.shape
    steps = math.floor(math.log(1 / vcfg.crop_search_min_side) / math.log(vcfg.crop_search_step))
    sides = vcfg.crop_search_step ** -np.arange(steps + 1)
    best, window, side = _best_window(ta, tb, sides)
    if window is None or best < vcfg.crop_search_min_score:
        return None
    # the ladder's step is coarse for the alignment (ECC corrects rotation and shift, not
    # scale): the sizes between the best one's neighbours, finer
    _, window, _ = _best_window(ta, tb, side * vcfg.crop_search_step ** np.linspace(-1, 1, 9))
    m_b = _content_matrix(window, (a.width, a.height), (wa, ha), (b.width, b.height), (wb, hb))
    # the window itself, else its ECC refinement (a rotated copy; on a crop the refinement may
    # trade a scale error of the ladder for a degree or two of rotation)
    for refine in (False, True):
        m = _refined_by_pixels(a, b, m_b) if refine else m_b
        placed = None if m is None else _placed(a, b, m, vcfg)
        if placed is None:
            continue
        look = appearance(a, b, m, antialias=False)
        if _boxes_agree(look, vcfg, refined=True):
            mirrored, rot, _ = describe(m)
            return Verdict(
                True, look.correlation, mirrored, 0, m, "pixels", look, rotation=rot, scale=placed[0]
            )
    return None


def _best_explained(
    a: RobustSignature,
    b: RobustSignature,
    verdict: Verdict,
    pending: list[_Transform],
    mirrored: bool,
    vcfg: VerifyConfig,
) -> Verdict:
    """The matching verdict of a similarity, or of a homography of the same matches when that
    explains the pair better: the transform, not the decision.

    A keystone (a photo of a screen) whose homography did not explain clearly more matches
    (`homography_gain`) is matched by its similarity, a compromise that misplaces the picture's
    edges: `relation` and `explain` then read part of the picture as lying outside the overlap
    (dev perspective10: 8 of 28 named the keystoned copy the original, "contains"). The
    homography waiting to be judged after it is judged now, by the plain appearance test (the
    pair already matched: no pair matches because of this); it becomes the verdict when it maps
    B to a visible keystone and aligns the pixels better."""
    if verdict.perspective or verdict.reason != "features":
        return verdict  # (a features verdict: guided transforms are only tried once none is left)
    base = None
    for t in pending:
        if not t.perspective or _keystone(_quad(b, t.m_b)) < vcfg.explain_min_keystone:
            continue
        alt = _judge(a, b, t._replace(closely=False), mirrored, vcfg)
        if alt is None or not alt.match or alt.overlay != verdict.overlay:
            continue
        if base is None:
            # The homography is measured off the pixel grid (softened, A's outer ring left
            # out); a similarity near a quarter turn is not, and could lose to it by that
            # alone: it is measured the same way here.
            base = verdict.score
            if not _resampled(verdict.transform):
                base = appearance(a, b, verdict.transform, off_grid=True).correlation
        if alt.score >= base + vcfg.explain_min_gain:
            return alt
    return verdict


def _boxes_agree(look: Appearance, vcfg: VerifyConfig, refined: bool = False) -> bool:
    """Does an alignment of the content boxes (`refined`: then by the pixels) show the same
    picture? No feature supports it: the picture's textured cells must agree by their own
    structure; one the pixels chose must also agree as a guided alignment does."""
    agrees = (
        _agrees(look, vcfg, vcfg.global_min_correlation)
        and look.local >= vcfg.global_min_local
        and look.textured >= vcfg.global_min_textured
    )
    if refined:
        agrees = (
            agrees
            and look.correlation >= vcfg.guided_min_correlation
            and look.detail >= vcfg.guided_min_detail
        )
    return agrees


def _refined_by_pixels(a: RobustSignature, b: RobustSignature, m_b: np.ndarray) -> np.ndarray | None:
    """m_b (B content -> A content, 3 x 3) corrected by the rotation and shift that best align
    B's grey thumbnail with A's (OpenCV's ECC from m_b's alignment, over the pixels both show);
    None when ECC does not converge.

    A small rotation of a feature-poor picture (smooth light, gradients: a few corners, none
    repeatable) keeps its global hash near the original's, but stretching one content box onto
    the other leaves it rotated: held-out rotate4_ccw copies correlate at 0.88-0.96 that way,
    0.996-0.999 refined."""
    ta, warped, inside, mt, _ = _warped_thumbnails(a, b, m_b, antialias=False)
    w = np.eye(2, 3, dtype=np.float32)
    try:
        # template A, input warped B: A(x) ~ warped(w x); 50 iterations or a change < 1e-4
        _, w = cv2.findTransformECC(
            ta,
            warped,
            w,
            cv2.MOTION_EUCLIDEAN,
            (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-4),
            inside,
            3,
        )
    except cv2.error:  # no convergence (or a degenerate mask)
        return None
    # B's thumbnail -> A's is then w^-1 mt, back in content frames
    mt = np.linalg.inv(np.vstack([w.astype(np.float64), [0.0, 0.0, 1.0]])) @ mt
    th, tw = ta.shape
    return _content_matrix(mt, (a.width, a.height), (tw, th), (b.width, b.height), b.thumbnail.shape[::-1])


def hamming(x: int, y: int) -> int:
    return bin(x ^ y).count("1")


# ---------------------------------------------------------------- candidate rows and bands

#: Kinds of candidate rows: the global hashes and the descriptors.
GLOBAL, DESCRIPTOR = "g", "d"
#: Hex digits of one candidate row per kind: a 64-bit global hash, a 256-bit ORB descriptor.
ROW_DIGITS = {GLOBAL: 16, DESCRIPTOR: 64}
#: The bands of a candidate row, per kind: each band is the digits of one or more slices
#: (start, stop) of the row's hex. A descriptor: 5 consecutive 48-bit slices. A global hash:
#: its 4 quarters of 16 bits taken two at a time, 6 bands of 32 bits, so that two hashes at
#: most 2 bits apart always share one (two differing bits leave two quarters whole; with 2
#: consecutive 32-bit bands only distance <= 1 was sure: the stripes, silhouette and
#: near-flat pictures whose quarter-turned or bordered copies land 2 bits away missed their
#: candidate). Not narrower: one global hit makes a candidate, and 16-bit bands give every
#: pair of a lake a 4 x 4 / 2^16 chance of one (at 1M images ~1e8 candidates, and buckets of
#: ~30 random images that the hot-bucket cap then drops); 6 x 32-bit bands, 6 x 4 x 4 / 2^32.
BAND_SLICES = {
    GLOBAL: tuple(((4 * a, 4 * a + 4), (4 * b, 4 * b + 4)) for a, b in itertools.combinations(range(4), 2)),
    DESCRIPTOR: tuple(((12 * k, 12 * k + 12),) for k in range(5)),
}
#: Hex digits per band (each band of a kind is as wide as the others).
BAND_DIGITS = {kind: sum(stop - start for start, stop in slices[0]) for kind, slices in BAND_SLICES.items()}
#: A band value shared by rows of more images than this is not used (hot bucket). Not smaller:
#: the bands a picture's copies share most reliably are the ones shared by ALL of its copies,
#: and a cap below the size of a copy group drops exactly those (a meme or a wallpaper is
#: copied dozens of times in a lake; the dev corpus has 21 files per group). 10 lost 0.035 of
#: the dev corpus's candidate recall per edit against 20; a bucket gives at most C(20, 2) =
#: 190 pairs, so the join stays linear in its key rows.
MAX_BUCKET_IMAGES = 20
#: The candidate rule (the only definition; `is_candidate` in Python, the dups join's filter in
#: Spark): a pair of images goes on to verification when, for some kind, they share at least
#: this many distinct band values in usable buckets (one global band, or 3 descriptor bands).
MIN_HITS = {GLOBAL: 1, DESCRIPTOR: 3}
#: ... except that a pair in which one image has fewer than FEW_DESCRIPTORS descriptors (normal
#: orientation; half of `Config.features`) needs only MIN_HITS_FEW descriptor band hits. The
#: true hits of a pair grow with the rows of its poorer image: a deep crop or a turned copy of
#: a smooth picture keeps 10-60 corners, of which 3 rarely share a band with the original's.
#: Measured (eval_robust.py, the same signatures): candidates +16 % on the dev corpus, +40 % on
#: the held-out set (more smooth distractors), +15 % on the lake variants, none of the extra
#: ones a false pair; copies of the original found that were missed: dev g021 crop40_side,
#: held-out g030 crop_center58, lake g011 crop_side45 and g020 screenshot_page. The dev dups
#: job took 245 -> 290 s. Two hits for every pair instead: +70-85 % candidates, not taken.
FEW_DESCRIPTORS = 80
MIN_HITS_FEW = 1


#: The second candidate rule: two images that both match a third are verified against each
#: other when no band made them candidates (a copy of a copy). A deep crop, a turned or framed
#: copy and its original may share no band (their strongest corners differ) while both share
#: many with a milder copy: on the dev corpus 256 such pairs, 195 of them copies, 8 of them
#: (original, copy) pairs with no band hit, none false. Only through an image with at most
#: this many matches: its matches give at most C(50, 2) = 1,225 pairs, so a picture copied
#: thousands of times cannot make the pass quadratic (the dev corpus's largest is 20).
HOP_MAX_MATCHES = 50


def hop_pairs(matches: Iterable[tuple[T, T]], tried: Container[tuple[T, T]]) -> set[tuple[T, T]]:
    """(a, b) pairs, a < b, of images that both match a third image with at most
    `HOP_MAX_MATCHES` matches, and not in `tried` (the pairs verified already, a < b): the
    reference of the dups join's second pass (`sparkhash.dedup.robust.hop_candidates`)."""
    matched: dict[T, set[T]] = {}
    for a, b in matches:
        if a != b:
            matched.setdefault(a, set()).add(b)
            matched.setdefault(b, set()).add(a)
    out = set()
    for others in matched.values():
        if len(others) <= HOP_MAX_MATCHES:
            out.update(p for p in itertools.combinations(sorted(others), 2) if p not in tried)
    return out


def candidate_rows(sig: RobustSignature, cfg: Config = DEFAULT_CONFIG) -> list[tuple[str, str]]:
    """(kind, fixed-width hex) rows of a signature for the banded joins; none when low detail."""
    return [(GLOBAL, h) for h in global_rows(sig)] + [(DESCRIPTOR, h) for h in descriptor_rows(sig, cfg)]


def bands(kind: str, hexrow: str) -> list[str]:
    """The band values of one candidate row: the digits of each band's slices (`BAND_SLICES`)."""
    return ["".join(hexrow[start:stop] for start, stop in band) for band in BAND_SLICES[kind]]


def descriptor_hits_needed(fewest: int) -> int:
    """Descriptor band hits a pair needs whose poorer image has `fewest` descriptors."""
    return MIN_HITS_FEW if fewest < FEW_DESCRIPTORS else MIN_HITS[DESCRIPTOR]


def descriptor_count(text: str) -> int:
    """Descriptors of the normal orientation in a `to_text` string (0 when low detail)."""
    return len(text_parts(text)[1]) // ROW_DIGITS[DESCRIPTOR]


def is_candidate(hits: dict[str, int], fewest: int) -> bool:
    """Does a pair of images with these band hits per kind, the poorer of which has `fewest`
    descriptors (`descriptor_count`), go on to verification?"""
    return hits.get(GLOBAL, 0) >= MIN_HITS[GLOBAL] or hits.get(DESCRIPTOR, 0) >= descriptor_hits_needed(
        fewest
    )


def verify_pair(a: RobustSignature, b: RobustSignature, vcfg: VerifyConfig = DEFAULT_VERIFY) -> Verdict:
    """`verify` in both directions: the first match wins, unless it is guided (the weaker
    evidence: a handful of correspondences, refined by the pixels) and the other direction
    matches with a better alignment (its transform then describes the pair: `relation`)."""
    v = verify(a, b, vcfg)
    if v.match and v.reason != "guided":
        return v
    w = verify(b, a, vcfg)
    w.swapped = True
    if v.match and not (w.match and w.score > v.score):
        return v
    return w if w.match or w.score > v.score else v


#: A matched box covering at least this share of its image counts as the whole image.
WHOLE = 0.9


@dataclass(frozen=True)
class Relation:
    """How B relates to A, for a matching `verify_pair` verdict (see `relation`)."""

    relation: str  # "+"-joined RELATIONS, B relative to A, e.g. "crop", "rotation+mirror", "same"
    rotation: float  # degrees B is turned clockwise relative to A (after the flip), (-180, 180]
    mirrored: bool
    scale: float  # B's picture size / A's (linear, content frames)
    box_a: tuple[float, float, float, float]  # the matched part of A: x0, y0, x1, y1 fractions
    box_b: tuple[float, float, float, float]  # the matched part of B
    differing: float  # share of the matched part that differs (disagreeing cells)
    score: float  # correlation of the matched parts


def _image_box(sig: RobustSignature, points: np.ndarray) -> tuple[float, float, float, float]:
    """Bounding box of content-frame points as fractions of the decoded image (through sig.box)."""
    x0, y0, x1, y1 = sig.box
    xs = np.clip(points[:, 0] / sig.width, 0, 1) * (x1 - x0) + x0
    ys = np.clip(points[:, 1] / sig.height, 0, 1) * (y1 - y0) + y0
    return (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))


def _box_area(box: tuple[float, float, float, float]) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def relation(a: RobustSignature, b: RobustSignature, verdict: Verdict) -> Relation:
    """What a matching verdict of `verify_pair(a, b)` says B is, relative to A.

    crop: B shows part of A (B's matched box is the whole of B, A's is not); framed: B shows
    the whole of A inside more (a border, caption bars, a screenshot or app window: B's
    matched box is not the whole of B); contains: B shows A and more of the picture (A is a
    crop of B: B's content is not trimmed); mirror, rotation (off by more than 1.5 degrees),
    perspective (a homography with a visible keystone, `relation_min_keystone`), overlay (a
    sticker/emoji/text over part of it); same when none applies.
    """
    m = _homogeneous(verdict.transform)
    ref, other = (b, a) if verdict.swapped else (a, b)  # m maps other -> ref
    # A homography that maps the picture to a near parallelogram explains it as well as a
    # similarity would (a framed or mirrored copy aligned a fraction of a pixel better by its 8
    # degrees of freedom): perspective names a keystone one can see.
    keystoned = verdict.perspective and _keystone(_quad(other, m)) >= DEFAULT_VERIFY.relation_min_keystone
    poly, _, _ = _overlap(ref, other, m)
    poly = np.asarray(poly, np.float64).reshape(-1, 2)
    if len(poly) < 3:
        poly = _corners(ref.width, ref.height).astype(np.float64)
    back = cv2.perspectiveTransform(poly[None], np.linalg.inv(m))[0]
    box_ref, box_other = _image_box(ref, poly), _image_box(other, back)
    if verdict.swapped:  # express everything as B relative to A
        m = np.linalg.inv(m)
        box_a, box_b = box_other, box_ref
    else:
        box_a, box_b = box_ref, box_other
    mirrored, rot, scale = describe(m, (b.width / 2, b.height / 2))  # m: B -> A; B turned by -rot
    rot = -rot
    rot = 180.0 if abs(rot + 180.0) < 1e-9 else rot
    whole_a, whole_b = _box_area(box_a) >= WHOLE, _box_area(box_b) >= WHOLE
    kinds = []
    if whole_b and not whole_a:
        kinds.append("crop")
    elif whole_a and not whole_b:
        trimmed = _box_area(b.box) < WHOLE
        kinds.append("framed" if trimmed else "contains")
    elif not whole_a and not whole_b:
        kinds.append("crop")
    if mirrored:
        kinds.append("mirror")
    if abs(rot) > 1.5:
        kinds.append("rotation")
    if keystoned:
        kinds.append("perspective")
    if verdict.overlay:
        kinds.append("overlay")
    look = verdict.look
    differing = 1.0 - look.cells if look is not None else 0.0
    return Relation(
        "+".join(kinds) or "same",
        round(rot, 1),
        mirrored,
        1.0 / scale if scale > 0 else 0.0,
        box_a,
        box_b,
        differing,
        verdict.score,
    )


CHROMA_CELL = 4
CHROMA_TOL = 10.0
