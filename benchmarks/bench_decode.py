"""decode_image vs Pillow's own decode, per format: same pixels, and the CPU time of each.

    python benchmarks/bench_decode.py /root/corpus/images [--limit N] [--repeat 3]

For every PNG, JPEG and WebP file: Pillow's `Image.open(...).load()` and sparkhash's
`decode_image(bytes)` (its PNG fast path, RGB JPEGs decoded to 4-byte pixels, still WebP
without Pillow's copy) must give the same mode, size, info and pixels: `tobytes()`, and for
RGB/RGBA Pillow's whole 4-byte pixel memory (pad byte included, via its Arrow export); JPEGs
are compared at a 1/2 DCT scale too (reduced mode's `draft`). Any difference is printed and
the exit status is 1. Timing: the thread's CPU clock, best of --repeat per file and decoder,
interleaved, so the ratio is measured under the same load; say the machine's load with it.
"""

from __future__ import annotations

import argparse
import collections
import glob
import io
import os
import sys
import time

import numpy
import pyarrow
from PIL import Image

from sparkhash.core.decode import DecodeOptions, decode_image

EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")


def _pillow(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _same(image: Image.Image, expected: Image.Image) -> bool:
    if (image.mode, image.size, image.format, image.info) != (
        expected.mode,
        expected.size,
        expected.format,
        expected.info,
    ):
        return False
    if image.tobytes() != expected.tobytes():
        return False
    if image.mode in ("RGB", "RGBA"):
        memory = [bytes(pyarrow.array(i).buffers()[-1]) for i in (image, expected)]
        return memory[0] == memory[1]
    return numpy.array_equal(numpy.asarray(image), numpy.asarray(expected))


def _drafted_same(data: bytes) -> bool:
    expected = Image.open(io.BytesIO(data))
    expected.draft(expected.mode, (expected.size[0] // 2, expected.size[1] // 2))
    expected.load()
    image = decode_image(data, DecodeOptions(decode="reduced"), scale_to=lambda s: (s[0] // 2, s[1] // 2))
    return image.size == expected.size and image.tobytes() == expected.tobytes()


def _best_times(data: bytes, repeat: int) -> tuple[float, float]:
    """Best CPU time of Pillow's decode and of decode_image on `data`, the two interleaved."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, decode in enumerate((_pillow, decode_image)):
            start = time.thread_time()
            decode(data)
            best[i] = min(best[i], time.thread_time() - start)
    return best[0], best[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--limit", type=int, default=0, help="at most this many files (0: all)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = sorted(
        p
        for p in glob.glob(os.path.join(args.directory, "**", "*"), recursive=True)
        if p.lower().endswith(EXTENSIONS)
    )
    if args.limit:
        files = files[: args.limit]
    times: dict[tuple[str, str], float] = collections.defaultdict(float)
    counts: collections.Counter[str] = collections.Counter()
    different = 0
    for path in files:
        with open(path, "rb") as handle:
            data = handle.read()
        expected = _pillow(data)
        kind = f"{expected.format} {expected.mode}"
        same = _same(decode_image(data), expected)
        if expected.format == "JPEG":
            same = same and _drafted_same(data)
        if not same:
            different += 1
            print(f"DIFFERENT: {path}")
        pillow, ours = _best_times(data, args.repeat)
        times[kind, "pillow"] += pillow
        times[kind, "sparkhash"] += ours
        counts[kind] += 1
    print(
        f"# {len(files)} files, {different} with different pixels; CPU time per file, best of {args.repeat}"
    )
    print(f"# load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
    for kind in sorted(counts):
        pillow, ours = (times[kind, who] / counts[kind] * 1e3 for who in ("pillow", "sparkhash"))
        print(
            f"{kind:10s} {counts[kind]:5d} files   Pillow {pillow:6.2f} ms   decode_image {ours:6.2f} ms   x {pillow / ours:4.2f}"
        )
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
