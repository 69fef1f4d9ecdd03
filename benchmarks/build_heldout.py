"""Build a held-out corpus for `robust`: other photos, other distractors, other strengths.

    python benchmarks/build_heldout.py OUTDIR [--builder ../shared/data/build_dev_corpus.py]

The dev corpus (`build_dev_corpus.py`) draws its photos from gnome-backgrounds and
mate-backgrounds and its distractors from wesnoth's artwork; this one takes its photos from
other Debian wallpaper packages (`PACKAGES`), its distractors from other games' artwork
(`DISTRACTOR_PACKAGES`) plus wesnoth files the dev corpus did not use (<= 50 kB, one per
directory), and makes the same kinds of copies at other strengths and with other overlays,
frames and templates (`heldout_edits`): nothing here was tuned on. It reuses the builder's
download, de-duplication and near-copy filters. Writes OUTDIR/images/gNNN/<edit>.jpg|png,
OUTDIR/distractors/dNNNN.jpg and OUTDIR/truth.csv (file,group,edit), as the builder does.

Two edits put every group's photo into one shared page template (`phone_feed`: the photo at
90 % width in a phone feed screenshot, about half the page; `album_small`: the photo at 45 %
width in a web album page, about 14 % of it): every pair of them across groups is a
different-group pair that shares the template's UI chrome, the case where a matcher must
decide on the photo, not the frame. `album_small` is below the 35 % the issue asks to find.
"""

from __future__ import annotations

import argparse
import csv
import glob
import importlib.util
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PACKAGES = ["ukui-wallpapers", "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04"]
DISTRACTOR_PACKAGES = ["frozen-bubble-data", "pingus-data", "neverball-data"]


def _perspective(im: Image.Image, dst: list[tuple[float, float]], fill=(0, 0, 0)) -> Image.Image:
    w, h = im.size
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    a, b = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        b.append(u)
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b.append(v)
    coeffs = tuple(np.linalg.solve(np.array(a, float), np.array(b, float)))
    return im.transform((w, h), Image.PERSPECTIVE, coeffs, Image.BICUBIC, fillcolor=fill)


def _sticker(im: Image.Image) -> Image.Image:
    """A blue star badge with a white label top right (about 8 % of the picture)."""
    out = im.copy()
    w, h = out.size
    d = ImageDraw.Draw(out)
    r = min(w, h) // 9
    cx, cy = w - w // 7, h // 6
    d.regular_polygon((cx, cy, r), 5, rotation=15, fill=(40, 120, 240), outline=(255, 255, 255))
    d.rounded_rectangle((cx - r, cy + r + 4, cx + r, cy + r + 4 + r // 2), radius=6, fill=(255, 255, 255))
    d.text((cx - r + 6, cy + r + 8), "WOW", fill=(220, 0, 0))
    return out


def _phone_feed(im: Image.Image) -> Image.Image:
    """The photo at 90 % width in a light phone feed screenshot (status bar, header, actions)."""
    w, h = im.size
    page = Image.new("RGB", (w, int(h * 1.6)), (255, 255, 255))
    d = ImageDraw.Draw(page)
    d.rectangle((0, 0, w, h // 16), fill=(0, 0, 0))
    d.text((10, h // 64), "9:41        LTE  87%", fill=(255, 255, 255))
    d.ellipse((w // 20, h // 10, w // 20 + h // 10, h // 5), fill=(180, 120, 200))
    d.text((w // 20 + h // 8, h // 8), "traveller_23  - 2 h", fill=(20, 20, 20))
    small = im.resize((w * 9 // 10, h * 9 // 10), Image.BILINEAR)
    top = h // 4
    page.paste(small, (w // 20, top))
    y = top + small.height + h // 40
    for k in range(3):
        d.ellipse(
            (w // 20 + k * h // 12, y, w // 20 + k * h // 12 + h // 20, y + h // 20),
            outline=(40, 40, 40),
            width=3,
        )
    for k in range(4):
        yy = y + h // 12 + k * h // 30
        d.rectangle((w // 20, yy, w // 20 + (w * (8 - k)) // 10, yy + h // 60), fill=(210, 210, 210))
    return page


def _album_small(im: Image.Image) -> Image.Image:
    """The photo at 45 % width in a web album page (navigation, sidebar, text): ~14 % of it."""
    w, h = im.size
    page = Image.new("RGB", (w, h * 4 // 3), (244, 246, 250))
    d = ImageDraw.Draw(page)
    d.rectangle((0, 0, w, h // 9), fill=(30, 110, 80))
    d.text((12, h // 30), "Family album  |  Home  Photos  Shared", fill=(255, 255, 255))
    d.rectangle((0, h // 9, w // 5, h * 4 // 3), fill=(225, 230, 236))
    for k in range(10):
        d.text((10, h // 6 + 26 * k), f"2019 / trip {k}", fill=(60, 60, 60))
    small = im.resize((w * 45 // 100, h * 45 // 100), Image.BILINEAR)
    page.paste(small, (w // 4, h // 5))
    for k in range(7):
        y = h // 5 + small.height + 14 + 20 * k
        d.rectangle((w // 4, y, w // 4 + (w * (6 - k % 3)) // 10, y + 8), fill=(190, 195, 205))
    return page


def heldout_edits(im: Image.Image):
    """(name, image, format, options): the dev corpus's kinds of copies at other strengths."""
    w, h = im.size
    yield "orig", im, "JPEG", {"quality": 93}
    yield "resize35", im.resize((w * 35 // 100, h * 35 // 100), Image.BICUBIC), "JPEG", {"quality": 85}
    yield "jpeg_q30", im, "JPEG", {"quality": 30}
    yield (
        "crop12",
        im.crop((w * 12 // 100, h * 12 // 100, w - w * 12 // 100, h - h * 12 // 100)),
        "JPEG",
        {"quality": 88},
    )
    yield "crop30_corner_tl", im.crop((0, 0, w * 70 // 100, h * 70 // 100)), "JPEG", {"quality": 88}
    yield "rotate4_ccw", im.rotate(-4, resample=Image.BICUBIC), "JPEG", {"quality": 88}
    yield (
        "dark75_contrast",
        ImageEnhance.Contrast(ImageEnhance.Brightness(im).enhance(0.75)).enhance(1.2),
        "JPEG",
        {"quality": 88},
    )
    yield "gray_jpeg", ImageOps.grayscale(im), "JPEG", {"quality": 85}
    yield "png_small", im.resize((w * 6 // 10, h * 6 // 10), Image.LANCZOS), "PNG", {}
    yield (
        "mirror_resize",
        ImageOps.mirror(im).resize((w * 7 // 10, h * 7 // 10), Image.BILINEAR),
        "JPEG",
        {"quality": 85},
    )
    yield "crop45_side_right", im.crop((w * 45 // 100, 0, w, h)), "JPEG", {"quality": 88}
    yield (
        "border_white",
        ImageOps.expand(im, border=max(8, w // 18), fill=(255, 255, 255)),
        "JPEG",
        {"quality": 88},
    )
    c = im.copy()
    d = ImageDraw.Draw(c)
    d.rectangle((0, h - h * 15 // 100, w, h), fill=(10, 10, 10))
    d.text((12, h - h * 10 // 100), "look at this view!!", fill=(255, 255, 255))
    yield "caption15_bottom", c, "JPEG", {"quality": 88}
    yield "rot90", im.transpose(Image.Transpose.ROTATE_90), "JPEG", {"quality": 88}
    yield (
        "transverse_crop",
        im.transpose(Image.Transpose.TRANSVERSE).crop((h * 12 // 100, 0, h, w * 88 // 100)),
        "JPEG",
        {"quality": 88},
    )
    yield (
        "rotate12_black",
        im.rotate(-12, resample=Image.BICUBIC, expand=True, fillcolor=(0, 0, 0)),
        "JPEG",
        {"quality": 88},
    )
    yield (
        "rotate20_grey",
        im.rotate(20, resample=Image.BICUBIC, expand=True, fillcolor=(128, 128, 128)),
        "JPEG",
        {"quality": 88},
    )
    yield (
        "keystone_top12",
        _perspective(im, [(w * 0.06, 0), (w - w * 0.06, 0), (w, h), (0, h)]),
        "JPEG",
        {"quality": 88},
    )
    yield "sticker_badge", _sticker(im), "JPEG", {"quality": 88}
    yield "phone_feed", _phone_feed(im), "PNG", {}
    yield (
        "crop_center58",
        im.crop((w * 21 // 100, h * 21 // 100, w * 79 // 100, h * 79 // 100)),
        "JPEG",
        {"quality": 88},
    )
    meme = Image.new("RGB", (w, h + h // 6 + h // 10), (255, 255, 255))
    meme.paste(im, (0, h // 6))
    d = ImageDraw.Draw(meme)
    d.text((w // 5, h // 18), "nobody:", fill=(0, 0, 0))
    d.text((w // 5, h + h // 6 + h // 40), "me on holiday:", fill=(0, 0, 0))
    yield "meme_white", meme, "JPEG", {"quality": 85}
    yield "album_small", _album_small(im), "JPEG", {"quality": 90}


def _load_builder(path: str):
    spec = importlib.util.spec_from_file_location("build_dev_corpus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _flat_rgb(path: str, max_side: int) -> Image.Image:
    im = Image.open(path)
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA")
        flat = Image.new("RGB", im.size, (0, 0, 0))
        flat.paste(im, mask=im.getchannel("A"))
        im = flat
    im = im.convert("RGB")
    im.thumbnail((max_side, max_side), Image.LANCZOS)
    return im


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument(
        "--builder",
        default=os.path.join(here, "..", "..", "shared", "data", "build_dev_corpus.py"),
        help="the dev corpus builder (shared/ beside the checkout)",
    )
    ap.add_argument(
        "--dev-corpus", default="/root/corpus", help="its wesnoth tree gives the unused small files"
    )
    ap.add_argument("--max-side", type=int, default=1600)
    ap.add_argument("--distractors", type=int, default=320)
    args = ap.parse_args()
    b = _load_builder(args.builder)
    b.PACKAGES, b.DISTRACTOR_PACKAGES = PACKAGES, DISTRACTOR_PACKAGES
    originals = b.sources(os.path.join(args.outdir, "_sources"))
    rows = []
    for group, path in enumerate(originals):
        im = _flat_rgb(path, args.max_side)
        for name, edited, fmt, opts in heldout_edits(im):
            ext = {"JPEG": "jpg", "PNG": "png"}[fmt]
            out = os.path.join(args.outdir, "images", f"g{group:03d}", f"{name}.{ext}")
            os.makedirs(os.path.dirname(out), exist_ok=True)
            edited.save(out, fmt, **opts)
            rows.append((os.path.relpath(out, args.outdir), group, name))
    # distractors: other games' artwork (>= 12 kB), then wesnoth files the dev corpus skipped
    tree = b._extract(os.path.join(args.outdir, "_distractor_sources"), DISTRACTOR_PACKAGES)
    paths = sorted(
        p
        for p in glob.glob(os.path.join(tree, "**", "*"), recursive=True)
        if p.lower().endswith((".png", ".jpg", ".jpeg")) and os.path.getsize(p) >= 12_000
    )
    picked, dirs = [], {}
    for p in b.drop_near_copies(b.distinct_pictures(paths, 8.0), originals):
        d = os.path.dirname(p)
        if dirs.get(d, 0) >= 6:  # animation frames and tile variants sit side by side
            continue
        dirs[d] = dirs.get(d, 0) + 1
        picked.append(p)
    import eval_robust  # noqa: E402  (benchmarks/)

    wesnoth = os.path.join(args.dev_corpus, "_distractor_sources", "tree")
    if os.path.isdir(wesnoth) and len(picked) < args.distractors:
        picked += eval_robust.extra_distractors(wesnoth, args.distractors - len(picked), originals + picked)
    top = len(originals)
    for k, path in enumerate(picked[: args.distractors]):
        out = os.path.join(args.outdir, "distractors", f"d{k:04d}.jpg")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        _flat_rgb(path, args.max_side).save(out, "JPEG", quality=92)
        rows.append((os.path.relpath(out, args.outdir), top + k, "distractor"))
    with open(os.path.join(args.outdir, "truth.csv"), "w", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(["file", "group", "edit"])
        wr.writerows(rows)
    print(f"{len(rows)} images: {len(originals)} groups, {min(len(picked), args.distractors)} distractors")


if __name__ == "__main__":
    main()
