"""`sparkhash.core.explain`: which file of a matching robust pair is the original, from the
evidence in the pair (more picture, a frame or fill, a sticker, colour), in both orders."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageOps
from test_core_robust import _scene, _sig, _sticker

from sparkhash.core import explain, robust


def _explain(a: Image.Image, b: Image.Image) -> explain.Explanation:
    sa, sb = _sig(a), _sig(b)
    verdict = robust.verify_pair(sa, sb)
    assert verdict.match, verdict
    return explain.explain(sa, sb, verdict)


def _captioned(im: Image.Image) -> Image.Image:
    w, h = im.size
    out = Image.new("RGB", (w, h + h // 6), (255, 255, 255))
    out.paste(im, (0, h // 6))
    ImageDraw.Draw(out).text((10, 10), "look at this", fill=(0, 0, 0))
    return out


COPIES = {
    # edit: (the copy, the evidence that names the original)
    "crop": (lambda im: im.crop((im.width // 4, im.height // 4, im.width, im.height)), explain.CROP),
    "border": (lambda im: ImageOps.expand(im, border=40, fill=(0, 0, 0)), explain.FRAMED),
    "caption": (_captioned, explain.FRAMED),
    "rotate30": (
        lambda im: im.rotate(30, resample=Image.BICUBIC, expand=True, fillcolor=(255, 255, 255)),
        explain.ROTATED,
    ),
    "sticker": (_sticker, explain.STICKER),
    "grey": (lambda im: ImageOps.grayscale(im).convert("RGB"), explain.GREY),
}


@pytest.mark.parametrize("edit", list(COPIES))
def test_the_original_is_named_in_both_orders(edit: str) -> None:
    original = _scene(21)
    make, evidence = COPIES[edit]
    copy = make(original)
    forward = _explain(original, copy)
    assert (forward.original, forward.evidence) == (explain.A, evidence)
    backward = _explain(copy, original)
    assert (backward.original, backward.evidence) == (explain.B, evidence)


def _with_dark_strip(im: Image.Image) -> Image.Image:
    """The picture with its own uniform dark strip along the left side (a scan's edge, a
    letterbox): its content box is trimmed too."""
    out = im.copy()
    ImageDraw.Draw(out).rectangle((0, 0, im.width // 16, im.height), fill=(8, 8, 8))
    return out


def _meme_bars(im: Image.Image) -> Image.Image:
    """White bars with black text above and below the picture."""
    w, h = im.size
    bar = h // 8
    out = Image.new("RGB", (w, h + 2 * bar), (255, 255, 255))
    out.paste(im, (0, bar))
    draw = ImageDraw.Draw(out)
    draw.text((w // 3, bar // 3), "WHEN THE", fill=(0, 0, 0))
    draw.text((w // 3, h + bar + bar // 3), "BUILD PASSES", fill=(0, 0, 0))
    return out


def test_a_trimmed_original_is_told_from_its_framed_copy() -> None:
    """Both content boxes were trimmed (the original's own strip; the copy's strip and bars)
    and the match covers all of both: the one trimmed of more is the framed copy."""
    original = _with_dark_strip(_scene(23))
    copy = _meme_bars(original)
    forward = _explain(original, copy)
    assert (forward.original, forward.evidence) == (explain.A, explain.FRAMED)
    backward = _explain(copy, original)
    assert (backward.original, backward.evidence) == (explain.B, explain.FRAMED)


def _feed_screenshot(im: Image.Image) -> Image.Image:
    """The picture in a light app feed: an avatar and a name above it, action icons and grey
    text lines below, as dense as a feed's (at thumbnail size the chrome below the picture is
    rows of grey, not one flat level)."""
    w, h = im.size
    page = Image.new("RGB", (w, h * 3 // 2), (255, 255, 255))
    d = ImageDraw.Draw(page)
    d.ellipse((w // 20, h // 10, w // 20 + h // 10, h // 5), fill=(190, 190, 190))
    d.text((w // 20 + h // 8, h // 8), "someone  - 3 h", fill=(30, 30, 30))
    small = im.resize((w * 9 // 10, h * 9 // 10), Image.BILINEAR)
    top = h // 4
    page.paste(small, (w // 20, top))
    y = top + small.height + h // 40
    for k in range(3):
        x = w // 20 + k * h // 12
        d.ellipse((x, y, x + h // 20, y + h // 20), outline=(40, 40, 40), width=3)
    for k, share in enumerate((0.9, 0.85, 0.75, 0.8, 0.6, 0.7, 0.9, 0.8, 0.85, 0.5)):
        ly = y + h // 12 + k * h // 50
        grey = 195 + 5 * k
        d.rectangle((w // 20, ly, w // 20 + int(w * 0.9 * share), ly + h // 70), fill=(grey, grey, grey))
    return page


def test_a_picture_in_an_app_feed_is_the_framed_copy() -> None:
    """An app's chrome (icons, text lines) is no flat frame at thumbnail size, but it has no
    colour where the picture has: the screenshot is the framed copy, not the original with
    more picture."""
    original = _scene(24)
    copy = _feed_screenshot(original)
    forward = _explain(original, copy)
    assert "framed" in forward.relation.relation
    assert (forward.original, forward.evidence) == (explain.A, explain.FRAMED)
    backward = _explain(copy, original)
    assert (backward.original, backward.evidence) == (explain.B, explain.FRAMED)


def _badge(im: Image.Image) -> Image.Image:
    """A small red badge near the top left corner (~2 % of the picture)."""
    out = im.copy()
    r = min(im.size) // 10
    ImageDraw.Draw(out).rounded_rectangle((r, r, 4 * r, 2 * r), radius=r // 3, fill=(230, 30, 60))
    return out


def test_a_badge_too_small_for_the_overlay_rule_still_names_the_original() -> None:
    """The badge leaves so few cells differing that the pair matches without the overlay rule
    (no `overlay` relation); its compact differing region is still flat in the copy."""
    original = _scene(24)
    copy = _badge(original)
    forward = _explain(original, copy)
    assert "overlay" not in forward.relation.relation
    assert (forward.original, forward.evidence) == (explain.A, explain.STICKER)
    backward = _explain(copy, original)
    assert (backward.original, backward.evidence) == (explain.B, explain.STICKER)


@pytest.mark.parametrize(
    "edit",
    [lambda im: im.transpose(Image.Transpose.ROTATE_90), ImageOps.mirror, lambda im: im.resize((320, 240))],
)
def test_turns_mirrors_and_resizes_do_not_tell(edit) -> None:
    original = _scene(22)
    x = _explain(original, edit(original))
    assert x.original is None and x.evidence is None
