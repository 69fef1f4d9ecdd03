"""Small generated image sets and imagehash expectations for the Spark tests."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image

from sparkhash.core.params import SINGLE_ALGORITHMS
from sparkhash.core.registry import DEFAULT_ALGORITHMS

REPO = Path(__file__).resolve().parent.parent

IMAGEHASH_FUNCTIONS = {
    "ahash": imagehash.average_hash,
    "phash": imagehash.phash,
    "phash_simple": imagehash.phash_simple,
    "dhash": imagehash.dhash,
    "dhash_vertical": imagehash.dhash_vertical,
    "whash": imagehash.whash,
    "colorhash": imagehash.colorhash,
}


@contextlib.contextmanager
def machine_lock(path: Path):
    """Hold an exclusive lock on `path` (created if missing) for the block: a resource every
    test run on this machine shares (a fixed folder, a fixed port), one holder at a time —
    pytest-xdist's workers or another pytest run wait. Released when the file closes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def photo_like(width: int, height: int, seed: int) -> Image.Image:
    """A smooth random RGB image with some structure (so segments and hashes are non-trivial)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(float)
    channels = []
    for _ in range(3):
        fx, fy, phase = rng.uniform(0.5, 4, 2).tolist() + [rng.uniform(0, 6.3)]
        wave = np.sin(x / width * fx * 6.3 + phase) * np.cos(y / height * fy * 6.3)
        channels.append((wave + 1) * 110 + rng.normal(0, 8, (height, width)))
    array = np.clip(np.stack(channels, axis=-1), 0, 255).astype("uint8")
    image = Image.fromarray(array, "RGB")
    # a few solid blobs give crop_resistant_hash several segments
    for _ in range(3):
        left, top = int(rng.integers(0, width // 2)), int(rng.integers(0, height // 2))
        box = (left, top, left + width // 3, top + height // 3)
        image.paste(tuple(int(v) for v in rng.integers(0, 255, 3)), box)
    return image


def write_image_set(directory: Path, count: int = 6, seed: int = 0) -> list[Path]:
    """`count` JPEG/PNG images of different sizes, some in a sub-directory."""
    paths = []
    for i in range(count):
        image = photo_like(120 + 37 * i, 90 + 23 * (i % 3), seed + i)
        sub = directory / "sub" if i % 2 else directory
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / (f"img{seed}_{i}.png" if i % 3 == 0 else f"img{seed}_{i}.jpg")
        image.save(path)
        paths.append(path)
    return paths


def expected_hashes(
    path: Path | bytes, algorithms=tuple(a for a in SINGLE_ALGORITHMS if a in DEFAULT_ALGORITHMS)
) -> dict[str, str]:
    """imagehash 4.3.2's hex for every single-image algorithm."""
    data = path if isinstance(path, bytes) else Path(path).read_bytes()
    return {a: str(IMAGEHASH_FUNCTIONS[a](Image.open(io.BytesIO(data)))) for a in algorithms}


def expected_segments(path: Path) -> list[str]:
    """imagehash 4.3.2's crop-resistant segment hashes (default parameters), in its order."""
    multi = imagehash.crop_resistant_hash(Image.open(path))
    return [str(h) for h in multi.segment_hashes]


def file_uri(path: Path) -> str:
    """The binaryFile source's spelling of a local path."""
    return "file:" + str(Path(path).resolve())


def png_with_size(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height but holds almost no data (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def write_bad_input_set(directory: Path) -> dict[str, Path]:
    """One file of every awkward kind; returns kind -> path. 'oversized' is 300 kB."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    files: dict[str, Path] = {}

    def save(kind: str, name: str, data: bytes | None = None, image: Image.Image | None = None, **kw) -> None:
        path = directory / name
        if image is not None:
            image.save(path, **kw)
        else:
            path.write_bytes(data)
        files[kind] = path

    good = photo_like(200, 150, 99)
    jpeg = io.BytesIO()
    good.save(jpeg, "JPEG")
    save("empty", "empty.jpg", b"")
    save("text", "notes.jpg", b"this is not an image\n" * 20)
    save("truncated", "truncated.jpg", jpeg.getvalue()[: len(jpeg.getvalue()) // 2])
    save("random", "random.png", rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    save("bomb", "bomb.png", png_with_size(40_000, 40_000))
    noise = Image.fromarray(rng.integers(0, 256, (320, 320, 3), dtype=np.uint8), "RGB")
    save("oversized", "oversized.png", image=noise)
    save("cmyk", "cmyk.jpg", image=good.convert("CMYK"))
    sixteen = Image.fromarray(np.asarray(good.convert("L"), dtype="<u2") * 257)
    save("16bit", "sixteen.png", image=sixteen)
    save("palette", "palette.png", image=good.convert("P", palette=Image.Palette.ADAPTIVE))
    frames = [photo_like(64, 48, s) for s in (1, 2, 3)]
    save("animated", "animated.gif", image=frames[0], save_all=True, append_images=frames[1:], duration=100)
    rgba = good.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(good.size))
    save("transparent", "transparent.png", image=rgba)
    save("1x1", "one.png", image=Image.new("RGB", (1, 1), (200, 10, 10)))
    save("6000x8", "wide.png", image=photo_like(6000, 8, 5))
    return files


def run_python(
    args: list[str], env: dict[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess:
    """Run a Python entry point / script of this venv as a subprocess with Spark-friendly env."""
    full_env = dict(os.environ)
    full_env.update(PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    full_env.update(env or {})
    return subprocess.run(args, env=full_env, capture_output=True, text=True, timeout=timeout, cwd=REPO)


def refused(capsys, argv: list[str]) -> str:
    """The one stderr line of a command refused with exit code 2 (`sparkhash.cli.main`)."""
    from sparkhash.cli import main

    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]
