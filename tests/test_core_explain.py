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


@pytest.mark.parametrize(
    "edit",
    [lambda im: im.transpose(Image.Transpose.ROTATE_90), ImageOps.mirror, lambda im: im.resize((320, 240))],
)
def test_turns_mirrors_and_resizes_do_not_tell(edit) -> None:
    original = _scene(22)
    x = _explain(original, edit(original))
    assert x.original is None and x.evidence is None
