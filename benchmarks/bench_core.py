"""Core speed vs imagehash 4.3.2, measured in one run on a directory of real images.

    python benchmarks/bench_core.py /work/corpus/images [--limit 100]

For every image: imagehash decodes once and runs its eight functions; sparkhash runs
`compute_hashes(bytes)` (decode included). Every hash is checked to be identical. Per-algorithm
rows time each function alone on the already-decoded image (imagehash.f(img) vs sparkhash.core.f(img)).
Every timing is the best of --repeat interleaved runs per image, so a burst of load from other
processes does not land on one library only. Run with OPENBLAS_NUM_THREADS=1 for a per-core
comparison (imagehash is single-threaded; Spark tasks get one BLAS thread per task core).
sparkhash runs cold: its cache of resampling coefficients is cleared before every timed call.
glibc's malloc is tuned as in the Spark workers (sparkhash.core.allocator), for both libraries
in this one process; --malloc-defaults measures without it.
Prints ms/image and the speed-up ratio; --markdown prints a table for BENCHMARKS.md.

"From bytes vs the decode alone" rows: phash, dhash, ahash (each, and the three together) from
bytes with `compute_hashes(bytes, ...)` against `decode_image(bytes)` alone, interleaved per
image: how far above the decoder's floor the hashing is.

Reduced decoding (`DecodeOptions(decode="reduced")`, not imagehash's bits) is timed in the same
loop on the same bytes: all eight and phash from bytes, exact vs reduced, interleaved per image
(best of --repeat each), so the gain is a ratio measured under the same load; and phash's decode
alone in both modes (the reduced decode is the floor under reduced phash: exact phash divided by
it bounds the gain).

PDQ rows (when the `pdqhash` bindings of Meta's reference are installed: the test extra):
`pdqhash` as its users run it, Image.open + load + numpy.asarray(image.convert("RGB")) +
pdqhash.compute (or compute_dihedral), against sparkhash's decode_image + pdq_hash (or
pdq_hash_dihedral), hash and quality checked identical; and all eight imagehash algorithms
plus PDQ from one decode on each side. --pdq-only runs only the PDQ rows. --cpu-time times
with the thread's CPU clock instead of the wall clock (on a machine busy with other work
it measures this process's work, not its waiting; both libraries run in this one thread).
"""

from __future__ import annotations

import argparse
import glob
import io
import os
import platform
import time

import imagehash
import numpy
from PIL import Image

import sparkhash.core as core
from sparkhash.core import resample
from sparkhash.core.allocator import keep_freed_memory
from sparkhash.core.decode import DecodeOptions, decode_image
from sparkhash.core.multi import decode_size
from sparkhash.core.params import HashParams

try:
    import pdqhash
except ImportError:  # the test extra is not installed: no PDQ rows
    pdqhash = None

REDUCED = DecodeOptions(decode="reduced")
_EXACT = DecodeOptions()
_PARAMS = HashParams()

FUNCTIONS = {
    "ahash": "average_hash",
    "phash": "phash",
    "phash_simple": "phash_simple",
    "dhash": "dhash",
    "dhash_vertical": "dhash_vertical",
    "whash": "whash",
    "colorhash": "colorhash",
    "crop_resistant": "crop_resistant_hash",
}


def _images(root: str, limit: int | None) -> list[str]:
    exts = (".jpg", ".jpeg", ".png", ".webp")
    paths = sorted(
        p for p in glob.glob(os.path.join(root, "**", "*"), recursive=True) if p.lower().endswith(exts)
    )
    if limit and len(paths) > limit:  # evenly spaced, so every group / edit kind is represented
        paths = [paths[i * len(paths) // limit] for i in range(limit)]
    return paths


def imagehash_all(data: bytes) -> dict[str, str]:
    image = Image.open(io.BytesIO(data))
    image.load()
    return {alg: str(getattr(imagehash, fn)(image)) for alg, fn in FUNCTIONS.items()}


def cold() -> None:
    """Forget cached resampling coefficients, so repeats and images of equal size do not
    time cache hits (Pillow computes its coefficients on every call)."""
    resample.clear_cache()


def sparkhash_all(data: bytes, options: DecodeOptions | None = None) -> dict[str, str]:
    result = core.compute_hashes(data, decode_options=options)
    out = {alg: str(h) for alg, h in result.hashes.items()}
    out["crop_resistant"] = str(result.multihash())
    return out


REDUCED_CASES = {
    "all 8": lambda data, options: sparkhash_all(data, options),
    "phash": lambda data, options: core.compute_hashes(data, ("phash",), decode_options=options),
    # The decode phash is hashed from, alone (exact: every pixel; reduced: its DCT scale): the
    # floor under the row above, so the gain reduced decoding can give phash at most.
    "phash's decode alone": lambda data, options: decode_image(
        data,
        options or _EXACT,
        scale_to=lambda size: decode_size("phash", size, _PARAMS, options or _EXACT),
    ),
}


def reduced_gain(
    function, blobs: list[bytes], repeat: int, clock=time.perf_counter
) -> list[tuple[float, float]]:
    """(exact s, reduced s) per file: both from bytes, interleaved, best of `repeat`."""
    times = []
    for data in blobs:
        best_exact = best_reduced = float("inf")
        for _ in range(repeat):
            cold()
            t0 = clock()
            function(data, None)
            cold()
            t1 = clock()
            function(data, REDUCED)
            t2 = clock()
            best_exact, best_reduced = min(best_exact, t1 - t0), min(best_reduced, t2 - t1)
        times.append((best_exact, best_reduced))
    return times


FROM_BYTES = ("phash", "dhash", "ahash")


def decode_floor_rows(blobs: list[bytes], repeat: int, clock) -> list[tuple[str, float, float]]:
    """(what, decode-alone ms, hashes-from-bytes ms): `decode_image(bytes)` vs
    `compute_hashes(bytes, algorithms)` (decode included), interleaved, best of `repeat`."""
    rows = []
    for algorithms in [(a,) for a in FROM_BYTES] + [FROM_BYTES]:
        t_decode = t_hash = 0.0
        for data in blobs:
            best_decode = best_hash = float("inf")
            for _ in range(repeat):
                t0 = clock()
                decode_image(data)
                cold()
                t1 = clock()
                core.compute_hashes(data, algorithms)
                t2 = clock()
                best_decode, best_hash = min(best_decode, t1 - t0), min(best_hash, t2 - t1)
            t_decode += best_decode
            t_hash += best_hash
        rows.append((" + ".join(algorithms), t_decode / len(blobs) * 1000, t_hash / len(blobs) * 1000))
    return rows


def pdqhash_from_bytes(data: bytes, dihedral: bool = False) -> tuple[list[str], int]:
    """What pdqhash's users run: decode, convert to RGB, numpy array, the bindings."""
    image = Image.open(io.BytesIO(data))
    image.load()
    rgb = numpy.asarray(image.convert("RGB"))
    if dihedral:
        vectors, quality = pdqhash.compute_dihedral(rgb)
    else:
        vector, quality = pdqhash.compute(rgb)
        vectors = [vector]
    return [core.pdq.pdq_hex(v) for v in vectors], quality


def sparkhash_pdq_from_bytes(data: bytes, dihedral: bool = False) -> tuple[list[str], int]:
    image = decode_image(data)
    if dihedral:
        hashes, quality = core.pdq_hash_dihedral(image)
    else:
        h, quality = core.pdq_hash(image)
        hashes = [h]
    return [str(h) for h in hashes], quality


def imagehash_all_and_pdqhash(data: bytes) -> dict[str, str]:
    image = Image.open(io.BytesIO(data))
    image.load()
    out = {alg: str(getattr(imagehash, fn)(image)) for alg, fn in FUNCTIONS.items()}
    vector, quality = pdqhash.compute(numpy.asarray(image.convert("RGB")))
    out["pdq"] = f"{core.pdq.pdq_hex(vector)}/{quality}"
    return out


def sparkhash_all_and_pdq(data: bytes) -> dict[str, str]:
    image = decode_image(data)
    result = core.compute_hashes(image)
    out = {alg: str(h) for alg, h in result.hashes.items()}
    out["crop_resistant"] = str(result.multihash())
    h, quality = core.pdq_hash(image)
    out["pdq"] = f"{h}/{quality}"
    return out


def _pdq_rows(blobs: list[bytes], repeat: int, clock) -> tuple[list[tuple[str, float, float]], int, int]:
    """(rows, hashes compared, mismatches) of the PDQ comparisons, interleaved best of `repeat`."""
    pairs = [
        ("pdq (decode + hash)", pdqhash_from_bytes, sparkhash_pdq_from_bytes, {}),
        (
            "pdq dihedral (decode + 8 hashes)",
            pdqhash_from_bytes,
            sparkhash_pdq_from_bytes,
            {"dihedral": True},
        ),
        ("all 8 + pdq (one decode)", imagehash_all_and_pdqhash, sparkhash_all_and_pdq, {}),
    ]
    rows, compared, mismatches = [], 0, 0
    for name, ref_fn, our_fn, kwargs in pairs:
        t_ref = t_ours = 0.0
        for data in blobs:
            best_ref = best_ours = float("inf")
            for _ in range(repeat):
                t0 = clock()
                ref = ref_fn(data, **kwargs)
                cold()
                t1 = clock()
                ours = our_fn(data, **kwargs)
                t2 = clock()
                best_ref, best_ours = min(best_ref, t1 - t0), min(best_ours, t2 - t1)
            t_ref += best_ref
            t_ours += best_ours
            compared += 1
            mismatches += ref != ours
        rows.append((name, t_ref / len(blobs) * 1000, t_ours / len(blobs) * 1000))
    return rows, compared, mismatches


def imagehash_rows(
    blobs: list[bytes], decoded: list, repeat: int, clock=time.perf_counter
) -> tuple[list, int]:
    """(rows of (what, imagehash ms, sparkhash ms), hashes that differ): all eight from bytes,
    then each function alone on the decoded image."""
    rows = []
    t_ref = t_ours = 0.0
    mismatches = 0
    n = len(blobs)
    for data in blobs:
        best_ref = best_ours = float("inf")
        for _ in range(repeat):  # interleaved, best of N per image, as the rows below
            t0 = clock()
            ref = imagehash_all(data)
            cold()
            t1 = clock()
            ours = sparkhash_all(data)
            t2 = clock()
            best_ref, best_ours = min(best_ref, t1 - t0), min(best_ours, t2 - t1)
        t_ref += best_ref
        t_ours += best_ours
        mismatches += sum(ref[a] != ours[a] for a in ref)
    rows.append(("all 8 (decode + hash)", t_ref / n * 1000, t_ours / n * 1000))

    for alg, fn in FUNCTIONS.items():
        ref_fn, our_fn = getattr(imagehash, fn), getattr(core, fn)
        t_ref = t_ours = 0.0
        for image in decoded:
            best_ref = best_ours = float("inf")
            for _ in range(repeat):  # interleaved, best of N: robust to a busy machine
                t0 = clock()
                a = str(ref_fn(image))
                cold()
                t1 = clock()
                b = str(our_fn(image))
                t2 = clock()
                best_ref, best_ours = min(best_ref, t1 - t0), min(best_ours, t2 - t1)
            t_ref += best_ref
            t_ours += best_ours
            mismatches += a != b
        rows.append((alg, t_ref / n * 1000, t_ours / n * 1000))
    return rows, mismatches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", help="directory of images (searched recursively)")
    parser.add_argument("--limit", type=int, default=None, help="use N evenly spaced images")
    parser.add_argument("--repeat", type=int, default=3, help="per-algorithm timing: best of N per image")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument(
        "--reduced-only",
        action="store_true",
        help="time only exact vs reduced decoding (no imagehash rows): quicker on a busy machine",
    )
    parser.add_argument(
        "--malloc-defaults",
        action="store_true",
        help="keep glibc's malloc thresholds (see sparkhash.core.allocator)",
    )
    parser.add_argument("--pdq-only", action="store_true", help="only the PDQ rows (needs pdqhash)")
    parser.add_argument(
        "--cpu-time", action="store_true", help="time with the thread's CPU clock instead of the wall clock"
    )
    args = parser.parse_args()
    if args.pdq_only and pdqhash is None:
        raise SystemExit("--pdq-only needs the pdqhash package (pip install -e '.[test]')")
    clock = time.thread_time if args.cpu_time else time.perf_counter
    # Like the Spark workers: reuse freed memory instead of faulting fresh pages in for every
    # image. Process-wide, so imagehash runs with the same allocator.
    tuned = not args.malloc_defaults and keep_freed_memory()
    paths = _images(args.images, args.limit)
    blobs = [open(p, "rb").read() for p in paths]
    decoded = []
    for data in blobs:
        image = Image.open(io.BytesIO(data))
        image.load()
        decoded.append(image)
    megapixels = sum(im.size[0] * im.size[1] for im in decoded) / len(decoded) / 1e6

    # Warm-up (imports, pywt/scipy plans) on one image, not timed.
    imagehash_all(blobs[0]), sparkhash_all(blobs[0]), sparkhash_all(blobs[0], REDUCED)
    pdq_first_call = None
    if pdqhash is not None and not args.reduced_only:
        t0 = time.perf_counter()
        sparkhash_pdq_from_bytes(blobs[0])  # numba: compiles, or loads its on-disk cache
        pdq_first_call = time.perf_counter() - t0
        sparkhash_pdq_from_bytes(blobs[0], dihedral=True)
        pdqhash_from_bytes(blobs[0])
    n = len(blobs)
    skip_imagehash = args.reduced_only or args.pdq_only
    rows, mismatches = ([], 0) if skip_imagehash else imagehash_rows(blobs, decoded, args.repeat, clock)
    compared = 0 if skip_imagehash else n * 8 * 2
    if pdq_first_call is not None:
        pdq_rows, pdq_compared, pdq_mismatches = _pdq_rows(blobs, args.repeat, clock)
        rows += pdq_rows
        compared += pdq_compared
        mismatches += pdq_mismatches
    floor_rows = [] if skip_imagehash else decode_floor_rows(blobs, args.repeat, clock)
    jpeg = [im.format == "JPEG" for im in decoded]
    reduced_rows = []
    for name, function in REDUCED_CASES.items() if not args.pdq_only else ():
        times = reduced_gain(function, blobs, args.repeat, clock)
        for label, keep in ((f"{name}, all {n} files", [True] * n), (f"{name}, the {sum(jpeg)} JPEGs", jpeg)):
            chosen = [t for t, k in zip(times, keep, strict=True) if k]
            if chosen:
                exact, reduced = (sum(t[i] for t in chosen) / len(chosen) * 1000 for i in (0, 1))
                reduced_rows.append((label, exact, reduced))

    print(
        f"# core benchmark: {n} images, mean {megapixels:.2f} MP, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    print(
        f"# hashes compared: {compared}, mismatches: {mismatches}; BLAS threads: "
        f"{os.environ.get('OPENBLAS_NUM_THREADS', 'default')}; malloc: {'tuned' if tuned else 'defaults'} (both libraries); "
        f"clock: {'thread CPU time' if args.cpu_time else 'wall'}"
    )
    if pdq_first_call is not None:
        print(
            f"# pdq: baseline pdqhash {pdqhash.__version__} (decode + convert('RGB') + numpy.asarray + compute); "
            f"first sparkhash pdq call in this process {pdq_first_call:.2f} s (numba compile or cache load)"
        )
    if args.markdown and rows:
        print("| what | imagehash (pdq: pdqhash) ms/image | sparkhash ms/image | speed-up |")
        print("|---|---:|---:|---:|")
        for name, ref, ours in rows:
            print(f"| {name} | {ref:.1f} | {ours:.1f} | {ref / ours:.1f}x |")
    else:
        for name, ref, ours in rows:
            print(f"{name:<34} reference {ref:8.1f} ms   sparkhash {ours:8.1f} ms   x{ref / ours:5.1f}")
    if floor_rows:
        print(
            f"# from bytes vs the decode alone (decode_image), same run, interleaved (best of {args.repeat})"
        )
        if args.markdown:
            print("| from bytes | decode alone ms/image | decode + hash ms/image | ratio |")
            print("|---|---:|---:|---:|")
            for name, decode, hashed in floor_rows:
                print(f"| {name} | {decode:.1f} | {hashed:.1f} | {hashed / decode:.2f}x |")
        else:
            for name, decode, hashed in floor_rows:
                print(
                    f"{name:<24} decode {decode:8.1f} ms   decode + hash {hashed:8.1f} ms   x{hashed / decode:5.2f}"
                )
    print(
        f"# reduced decoding: same files, same run, exact vs reduced interleaved per image (best of {args.repeat})"
    )
    if args.markdown:
        print("| from bytes | exact ms/image | reduced ms/image | reduced gain |")
        print("|---|---:|---:|---:|")
        for name, exact, reduced in reduced_rows:
            print(f"| {name} | {exact:.1f} | {reduced:.1f} | {exact / reduced:.1f}x |")
    else:
        for name, exact, reduced in reduced_rows:
            print(f"{name:<24} exact {exact:8.1f} ms   reduced {reduced:8.1f} ms   x{exact / reduced:5.1f}")
    if mismatches:
        raise SystemExit(f"{mismatches} hashes differ from imagehash / pdqhash")


if __name__ == "__main__":
    main()
