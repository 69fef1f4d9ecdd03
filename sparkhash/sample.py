"""A small generated image set to try the jobs on (`sparkhash sample DIR`, in `sparkhash.cli.sample`).

Groups of near-duplicates (an original plus resized, recompressed, cropped, brightened and
greyscale copies, in JPEG/PNG/WebP) and a few broken files (empty, text, truncated), so a first
run shows hashes, error rows, pairs and clusters. Nothing is downloaded.
"""

from __future__ import annotations

import io
import os

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from sparkhash.errors import UsageError


def _photo(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    channels = []
    for _ in range(3):
        fx, fy, phase = rng.uniform(0.5, 5.0, 2).tolist() + [rng.uniform(0, 6.3)]
        wave = np.sin(2 * np.pi * (fx * x / width + fy * y / height) + phase)
        cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(0.1, 0.4) * width
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
        channels.append(127 + 70 * wave + 90 * blob - 40 + rng.normal(0, 4, wave.shape))
    return Image.fromarray(np.clip(np.stack(channels, -1), 0, 255).astype(np.uint8), "RGB")


def write_sample(directory: str, groups: int = 8, size: tuple[int, int] = (640, 480)) -> list[str]:
    """Write `groups` groups of edited copies plus 3 broken files; return the paths written."""
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise UsageError(f"{directory} is a file, not a directory")
    if groups < 1:
        raise UsageError(f"groups must be 1 or more, not {groups}", "groups")
    written = []
    for group in range(groups):
        image = _photo(*size, seed=group)
        w, h = image.size
        edits = {
            "orig.jpg": (image, "JPEG", {"quality": 95}),
            "resize50.jpg": (
                image.resize((w // 2, h // 2), Image.Resampling.BILINEAR),
                "JPEG",
                {"quality": 90},
            ),
            "jpeg_q40.jpg": (image, "JPEG", {"quality": 40}),
            "crop8.jpg": (
                image.crop((w * 8 // 100, h * 8 // 100, w - w * 8 // 100, h - h * 8 // 100)),
                "JPEG",
                {},
            ),
            "bright120.png": (ImageEnhance.Brightness(image).enhance(1.2), "PNG", {}),
            "gray.png": (ImageOps.grayscale(image), "PNG", {}),
            "copy.webp": (image, "WEBP", {"quality": 80}),
        }
        folder = os.path.join(directory, f"g{group:03d}")
        os.makedirs(folder, exist_ok=True)
        for name, (edited, fmt, options) in edits.items():
            path = os.path.join(folder, name)
            edited.save(path, fmt, **options)
            written.append(path)
    broken = os.path.join(directory, "broken")
    os.makedirs(broken, exist_ok=True)
    buffer = io.BytesIO()
    _photo(200, 150, seed=99).save(buffer, "JPEG")
    broken_files = {"empty.jpg": b"", "notes.png": b"not an image\n", "cut.jpg": buffer.getvalue()[:900]}
    for name, data in broken_files.items():
        path = os.path.join(broken, name)
        with open(path, "wb") as fh:
            fh.write(data)
        written.append(path)
    return written
