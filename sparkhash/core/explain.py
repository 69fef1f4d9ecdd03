"""Why a verified `robust` pair matched, and which of the two is the original.

`explain(a, b, verdict)` turns a matching `robust.verify_pair(a, b)` verdict into an
`Explanation`: the `robust.relation` of B to A (relation words, rotation, mirror, scale, the
matched box in each image, the share of the overlap that differs, the score) plus `original`,
which of the two shows the original picture — the uncropped, unframed, un-stickered, colour
one — or None when the evidence does not tell (a quarter turn, a mirror, a re-encode).

It only reads what verification already computed (the transform, the appearance of the
overlap) and the two stored thumbnails, so it costs a few small array operations per
matching pair and never verifies again. It does not change any matching decision.

How the original is told (`_original`), from evidence in the pair only:

* **more picture**: one image shows all of the other and more, and that more is picture
  (textured) — the other is a crop of it;
* **a frame or fill**: one image shows all of the other and more, and that more is a frame:
  trimmed borders or caption bars (`RobustSignature.box`), or flat fill (a uniform window
  around the picture, the corners a rotation or keystone leaves), or an app's chrome (icons and
  text lines, colourless around a colour picture, `_chrome`) — it is the framed copy; when
  both were trimmed and the match covers all of both, the one trimmed of clearly more;
* **an overlay**: the compact differing region (`Appearance.region`) is flat synthetic content
  (a sticker, an emoji) in one image and picture in the other — the first is the copy (also
  when the overlay was too small for verification to need the overlay rule);
* **colour**: one image is grey and the other colour — the grey one is the copy (not for an
  overlay: a sticker adds colour).

Anything else (turns, mirrors, recompression, resizing) leaves `original` None; the keep
policy `original` (`sparkhash.dedup.keep`) then falls back to its tie rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sparkhash.core import robust

#: Which image of a pair is the original: path_a's, path_b's (None: the evidence does not tell).
A, B = "a", "b"

#: The evidence that tells which one is the original (`Explanation.evidence`), and how the
#: remove listing names the copy by it ("crop of <the original>").
CROP, FRAMED, ROTATED, PERSPECTIVE, STICKER, GREY = (
    "crop",
    "framed",
    "rotated",
    "perspective",
    "sticker",
    "grey",
)
COPY_OF = {
    CROP: "crop of",
    FRAMED: "framed copy of",
    ROTATED: "rotated copy of",
    PERSPECTIVE: "perspective copy of",
    STICKER: "sticker over",
    GREY: "grey copy of",
}

#: An image's unmatched share (of its content) below this is none: alignment slack.
MIN_EXTRA = 0.04
#: Share of a region's thumbnail pixels within FLAT_LEVELS grey levels of its most common value
#: from which the region is flat (a frame, a fill, a sticker) rather than picture.
FLAT_SHARE = 0.5
FLAT_LEVELS = 1
#: ... and the overlay's footprint must differ by this much in flatness between the two sides
#: to tell which one carries it (a sticker is flat fill, the picture under it is not).
OVERLAY_MARGIN = 0.25
#: Grey levels by which an overlay's footprint differs between the two thumbnails.
FOOTPRINT_LEVELS = 20
#: ... unless this share of the matched part's edge ring has that same grey level (the flat
#: part goes on inside the match: it is picture, not a frame).
CONTINUED = 0.3
#: Pixels an unmatched region needs in the thumbnail to be judged at all.
MIN_PIXELS = 12
#: Colourfulness (mean |Cr, Cb - 128|) of a grey image at most, of a colour one at least.
GREYISH, COLOURED = 0.3, 0.8
#: A content box (fraction of the decoded image) smaller than this had a frame trimmed off.
TRIMMED = 0.97
#: Colourfulness (mean |Cr, Cb - 128|, grey levels) of an app's chrome at most, and of the
#: matched picture at least, for the chrome to be told by its lack of colour (`_chrome`).
CHROME_GREY, CHROME_COLOUR = 1.0, 4.0


@dataclass(frozen=True)
class Explanation:
    """A `robust.Relation` of B to A plus which of the two is the original."""

    relation: robust.Relation
    original: str | None  # A, B or None
    evidence: str | None  # what tells (a key of COPY_OF); None with original None


def _thumb_matrix(sig: robust.RobustSignature) -> np.ndarray:
    """Content frame -> thumbnail pixel coordinates (3 x 3)."""
    th, tw = sig.thumbnail.shape
    return np.diag([tw / sig.width, th / sig.height, 1.0])


def _mask(sig: robust.RobustSignature, poly: np.ndarray) -> np.ndarray:
    """bool (th, tw): thumbnail pixels inside the content-frame polygon `poly`."""
    th, tw = sig.thumbnail.shape
    mask = np.zeros((th, tw), np.uint8)
    if len(poly) >= 3:
        pts = cv2.perspectiveTransform(poly[None].astype(np.float64), _thumb_matrix(sig))[0]
        cv2.fillConvexPoly(mask, np.round(pts - 0.5).astype(np.int32), 1)
    return mask > 0


def _mode(values: np.ndarray) -> tuple[int, float]:
    """(the grey level with most of `values` within FLAT_LEVELS of it, that share)."""
    if values.size == 0:
        return 0, 0.0
    hist = np.bincount(values.astype(np.int64).ravel(), minlength=256)[:256]
    window = np.convolve(hist, np.ones(2 * FLAT_LEVELS + 1, np.int64), mode="same")
    level = int(np.argmax(window))
    return level, float(window[level]) / float(values.size)


def _flat_share(values: np.ndarray) -> float:
    """Share of `values` (grey levels) within FLAT_LEVELS of their most common value."""
    return _mode(values)[1]


def _near(values: np.ndarray, level: int) -> float:
    """Share of `values` within FLAT_LEVELS of `level`."""
    return float((np.abs(values.astype(np.int64) - level) <= FLAT_LEVELS).mean()) if values.size else 0.0


@dataclass(frozen=True)
class _Side:
    """What one image of the pair holds beyond the other."""

    extra: float  # share of its content thumbnail outside the matched polygon
    flat: float | None  # flatness of that outside part (None: too small to judge)
    trimmed_share: float  # share of the decoded image trimmed off (borders, bars) before the content box
    chrome: bool = False  # that outside part is an app's or page's chrome (`_chrome`)

    @property
    def trimmed(self) -> bool:
        """A frame (border, bars) was trimmed off before the content box."""
        return self.trimmed_share > 1.0 - TRIMMED

    @property
    def more(self) -> bool:
        return self.extra >= MIN_EXTRA

    @property
    def picture(self) -> bool:
        """It holds more picture than the other (textured content beyond the match)."""
        return self.more and self.flat is not None and self.flat < FLAT_SHARE and not self.chrome

    @property
    def frame(self) -> bool:
        """It holds a frame or fill beyond the other (flat content, an app's chrome, or
        trimmed bars/borders)."""
        if self.more and self.flat is not None:
            return self.flat >= FLAT_SHARE or self.chrome
        return self.trimmed


def _side(sig: robust.RobustSignature, poly: np.ndarray) -> _Side:
    inside = _mask(sig, poly)
    kernel = np.ones((5, 5), np.uint8)
    grown = cv2.dilate(inside.astype(np.uint8), kernel) > 0
    outside = ~grown
    extra = 1.0 - float(inside.mean())
    flat = None
    if int(outside.sum()) >= MIN_PIXELS:
        level, flat = _mode(sig.thumbnail[outside])
        # A flat part of the picture itself (a wallpaper's plain background, a sky) goes on
        # across the edge of the match; a frame or fill does not: judge the ring just inside.
        ring = inside & ~(cv2.erode(inside.astype(np.uint8), kernel) > 0)
        if flat >= FLAT_SHARE and ring.any() and _near(sig.thumbnail[ring], level) >= CONTINUED:
            flat = 0.0
    x0, y0, x1, y1 = sig.box
    trimmed_share = 1.0 - (x1 - x0) * (y1 - y0)
    chrome = flat is not None and trimmed_share > 1.0 - TRIMMED and _chrome(sig, inside, outside)
    return _Side(extra, flat, trimmed_share, chrome)


def _chrome(sig: robust.RobustSignature, inside: np.ndarray, outside: np.ndarray) -> bool:
    """Is the part of a coloured picture's image outside the match colourless (an app's or a
    page's chrome: white or black space, grey text lines, icon outlines)?

    A screenshot's chrome around the picture is not flat at thumbnail size (held-out phone
    feeds: 39-46 % of it within a grey level of its most common one, against `FLAT_SHARE`),
    so flatness alone read it as more picture and named the screenshot the original (30 of 31
    held-out phone-feed pairs). But it has no colour (mean |Cr, Cb - 128| 0.0 there), and more
    of a colour picture has some: told only around a match of clear colour (`CHROME_COLOUR`;
    the feeds' pictures 4.5-60), and only in an image that had a frame trimmed (the page
    around the chrome), which an uncropped photo rarely has.
    """
    if sig.chroma is None or not inside.any():
        return False
    th, tw = sig.thumbnail.shape
    chroma = cv2.resize(sig.chroma, (tw, th), interpolation=cv2.INTER_NEAREST)
    colour = robust.colourfulness(chroma)
    return float(colour[outside].mean()) <= CHROME_GREY and float(colour[inside].mean()) >= CHROME_COLOUR


def _colourfulness(sig: robust.RobustSignature) -> float:
    """Mean |Cr, Cb - 128| of the stored chroma thumbnail (0 for a grey image)."""
    if sig.chroma is None:
        return 0.0
    return float(robust.colourfulness(sig.chroma).mean())


def _grey_side(a: robust.RobustSignature, b: robust.RobustSignature) -> str | None:
    """A or B when that image is grey and the other has colour (a desaturated copy); the
    colours of a nearly neutral picture still tell it from its grey copy."""
    ca, cb = _colourfulness(a), _colourfulness(b)
    low, high = sorted((ca, cb))
    if low > GREYISH or high < COLOURED:
        return None
    return A if ca < cb else B


def _polygons(a: robust.RobustSignature, b: robust.RobustSignature, verdict: robust.Verdict):
    """(overlap polygon in A's content frame, in B's, transform B -> A)."""
    m = robust._homogeneous(verdict.transform)
    ref, other = (b, a) if verdict.swapped else (a, b)  # m maps other -> ref
    poly, _, _ = robust._overlap(ref, other, m)
    poly = np.asarray(poly, np.float64).reshape(-1, 2)
    if len(poly) < 3:
        poly = robust._corners(ref.width, ref.height).astype(np.float64)
    back = cv2.perspectiveTransform(poly[None], np.linalg.inv(m))[0]
    if verdict.swapped:
        return back, poly, np.linalg.inv(m)
    return poly, back, m


def _overlay_look(
    a: robust.RobustSignature, b: robust.RobustSignature, verdict: robust.Verdict
) -> robust.Appearance | None:
    """For a verdict matched without the overlay rule: the appearance of the pair measured
    again with its differing region, when that region has an overlay's shape
    (`robust._compact_region`), else None. A small sticker or badge leaves so few cells
    differing that the pair matched without the overlay rule (held-out sticker_badge: 23 of
    30 pairs); its region still tells which image carries it."""
    if verdict.transform is None:
        return None
    ref, other = (b, a) if verdict.swapped else (a, b)  # the transform maps other -> ref
    look = robust.appearance(
        ref,
        other,
        robust._homogeneous(verdict.transform),
        region=True,
        antialias=verdict.reason not in robust.PIXEL_ALIGNED,
    )
    return look if robust._compact_region(look, robust.DEFAULT_VERIFY) else None


def _sticker_side(
    a: robust.RobustSignature,
    b: robust.RobustSignature,
    verdict: robust.Verdict,
    look: robust.Appearance | None,
) -> str | None:
    """Which image (A or B) carries the overlay of `look` (measured on the verdict's
    transform): the one whose differing region is flat."""
    if look is None or look.region is None:
        return None
    ref, other = (b, a) if verdict.swapped else (a, b)  # look.region is in ref's content frame
    m = robust._homogeneous(verdict.transform)  # other -> ref
    th, tw = ref.thumbnail.shape
    x0, y0, x1, y1 = look.region
    box = (
        slice(int(y0 * th), max(int(y0 * th) + 1, int(np.ceil(y1 * th)))),
        slice(int(x0 * tw), max(int(x0 * tw) + 1, int(np.ceil(x1 * tw)))),
    )
    mt = robust._pixel_matrix(
        m, (ref.width, ref.height), (tw, th), (other.width, other.height), other.thumbnail.shape[::-1]
    )
    warped = cv2.warpPerspective(other.thumbnail, mt, (tw, th), flags=cv2.INTER_LINEAR, borderValue=0)
    r, o = ref.thumbnail[box].astype(np.float32), warped[box].astype(np.float32)
    # the overlay's footprint: the pixels of the region that differ (a brightness offset aside)
    diff = np.abs(r - o - float(np.median(r - o)))
    footprint = cv2.erode((diff > FOOTPRINT_LEVELS).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    if int(footprint.sum()) < MIN_PIXELS:
        return None
    flat_ref = _flat_share(r[footprint].astype(np.uint8))
    flat_other = _flat_share(o[footprint].astype(np.uint8))
    if abs(flat_ref - flat_other) < OVERLAY_MARGIN:
        return None
    ref_side, other_side = (B, A) if verdict.swapped else (A, B)
    return ref_side if flat_ref > flat_other else other_side


def _original(
    a: robust.RobustSignature, b: robust.RobustSignature, verdict: robust.Verdict, rel: robust.Relation
) -> tuple[str | None, str | None]:
    poly_a, poly_b, _ = _polygons(a, b, verdict)
    sa, sb = _side(a, poly_a), _side(b, poly_b)
    kinds = rel.relation.split("+")
    turned = ROTATED if "rotation" in kinds else PERSPECTIVE if "perspective" in kinds else None
    # One image holds a frame or fill the other lacks: it is the framed (or turned) copy.
    if sa.frame and not sb.frame:
        return B, turned if turned and not sa.trimmed else FRAMED
    if sb.frame and not sa.frame:
        return A, turned if turned and not sb.trimmed else FRAMED
    # Both had a frame trimmed and the same content matched all of both: the original's own
    # border (a dark strip along one side) and, in the copy, that plus bars or a border added
    # around it. The one trimmed of clearly more (by TRIMMED's margin, ~8 content-box rows of
    # 256: far above the trim's one-row rounding) is the framed copy.
    if sa.frame and sb.frame and not sa.more and not sb.more:
        if sb.trimmed_share - sa.trimmed_share > 1.0 - TRIMMED:
            return A, FRAMED
        if sa.trimmed_share - sb.trimmed_share > 1.0 - TRIMMED:
            return B, FRAMED
    # One image holds more picture than the other: the other is a crop of it.
    if sa.picture and not sb.picture:
        return A, CROP
    if sb.picture and not sa.picture:
        return B, CROP
    if not sa.more and not sb.more:
        if verdict.overlay:  # (a sticker adds colour: the colour test does not apply)
            side = _sticker_side(a, b, verdict, verdict.look)
            return ((B if side == A else A), STICKER) if side is not None else (None, None)
        side = _grey_side(a, b)
        if side is not None:
            return (B if side == A else A), GREY
        side = _sticker_side(a, b, verdict, _overlay_look(a, b, verdict))
        if side is not None:
            return (B if side == A else A), STICKER
    return None, None


def explain(a: robust.RobustSignature, b: robust.RobustSignature, verdict: robust.Verdict) -> Explanation:
    """The relation of a matching `robust.verify_pair(a, b)` verdict and which image is the
    original (see the module docstring)."""
    rel = robust.relation(a, b, verdict)
    original, evidence = _original(a, b, verdict, rel)
    return Explanation(rel, original, evidence)
