"""Synthetic test images of every mode and shape the parity tests need."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter


def smooth_rgb(width: int, height: int, seed: int = 0) -> Image.Image:
    """A photo-like RGB image: a few low-frequency colour waves plus mild noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    channels = []
    for _ in range(3):
        fx, fy, phase = rng.uniform(0.5, 4.0), rng.uniform(0.5, 4.0), rng.uniform(0, 6.3)
        wave = np.sin(2 * np.pi * (fx * x / max(width, 1) + fy * y / max(height, 1)) + phase)
        blob = np.exp(
            -(((x - rng.uniform(0, width)) / (0.3 * width + 1)) ** 2)
            - ((y - rng.uniform(0, height)) / (0.3 * height + 1)) ** 2
        )
        channels.append(127 + 80 * wave + 60 * blob + rng.normal(0, 6, size=wave.shape))
    array = np.clip(np.stack(channels, axis=-1), 0, 255).astype(np.uint8)
    return Image.fromarray(array, "RGB")


def noise_rgb(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8), "RGB")


def blocks_rgb(width: int, height: int, seed: int = 0) -> Image.Image:
    """Large flat colour blocks: many exact ties in means and medians."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
    return Image.fromarray(small, "RGB").resize((width, height), Image.Resampling.NEAREST)


def in_mode(image: Image.Image, mode: str, seed: int = 0) -> Image.Image:
    """`image` converted to `mode`, with real alpha / 16-bit / float content where the mode has it."""
    if mode in ("RGB", "L", "1", "CMYK", "P"):
        return image.convert(mode)
    if mode in ("RGBA", "LA"):
        base = image.convert(mode[:-1])
        rng = np.random.default_rng(seed)
        alpha = Image.fromarray(rng.integers(0, 256, size=image.size[::-1], dtype=np.uint8), "L")
        base.putalpha(alpha.filter(ImageFilter.BoxBlur(2)))
        return base
    grey = np.asarray(image.convert("L"), dtype=np.float64)
    if mode == "I;16":
        # 16-bit: values spread over 0..65535 (imagehash clips to 0..255 when converting to L)
        return Image.fromarray((grey * 257).astype(np.uint16))
    if mode == "I":
        return Image.fromarray((grey * 2 - 100).astype(np.int32))
    if mode == "F":
        return Image.fromarray((grey * 1.37 - 20.5).astype(np.float32))
    raise ValueError(mode)


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()
