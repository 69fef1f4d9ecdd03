"""Recall per edit and false-positive rate of `robust` on a labelled corpus, stage by stage.

    python benchmarks/eval_robust.py /root/.cache/sparkhash/corpus [--hard DIR] [--extra-distractors DIR]

Simulates exactly the stages of the Spark `dups` job for robust, on the signatures the
hashing job writes (`job_signature`: `compute_hashes(data, ["robust"])`):

1. candidates: banded joins on the fixed-width hex candidate rows (`robust.candidate_rows`):
   two rows match when one band (a fixed slice of hex digits) is equal; buckets holding rows
   of more than `--max-bucket` images are dropped (hot buckets); a pair of images is a
   candidate when its hits per kind pass `robust.is_candidate` (`robust.MIN_HITS`; fewer
   descriptor hits when one image has few, `robust.FEW_DESCRIPTORS`);
2. verification (`robust.verify`) of the candidate pairs only;
3. the second pass: pairs of images that both match a third and were no candidates
   (`robust.hop_pairs`), verified.

Recall is per edit: the share of (orig, edited copy) pairs of a group reported. The false-
positive rate is over ALL different-group pairs. Pairs of two copies of one group (neither
the original) are verified (the second pass goes through them) but are neither false pairs nor
an edit's recall. Tuning half / held-out half: groups and
distractors with even index vs odd index, each half's pairs among its own files.
Baselines (phash, dhash, crop_resistant) are brute-force Hamming distances on all pairs at the
largest threshold whose FPR is at most robust's (or 1e-5, whichever is larger).

--hard DIR writes harder variants of every group's original there (once) and reports them.
--lake DIR does the same with the format-3 kinds of copies at other strengths (`lake_edits`).
--extra-distractors DIR adds other unrelated images (not in the corpus) to the FPR count.
--variants-only skips the corpus's own sections (with --hard / --lake), --no-halves the
tuning / held-out halves. A held-out corpus of other photos, distractors and strengths:
`benchmarks/build_heldout.py DIR`, then `eval_robust.py DIR --no-halves`.
"""

from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import itertools
import os
import pickle
import sys
import time
from collections import defaultdict

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sparkhash.core as core  # noqa: E402
from sparkhash.core import robust  # noqa: E402


def read_truth(root: str) -> list[tuple[str, int, str]]:
    with open(os.path.join(root, "truth.csv"), newline="") as fh:
        return [(os.path.join(root, r["file"]), int(r["group"]), r["edit"]) for r in csv.DictReader(fh)]


def _code_key() -> str:
    """The cache key: the source of the signature code and of the job's decode (any change
    recomputes)."""
    digest = hashlib.sha256()
    for module in (robust, core.decode, core.multi):
        with open(module.__file__, "rb") as fh:
            digest.update(fh.read())
    return digest.hexdigest()


def job_signature(data: bytes) -> robust.RobustSignature:
    """The signature `sparkhash hash --algorithms robust` stores for a file's bytes.

    `robust.compute(bytes)` gives the same text since 2026-12-05 23:15 (before, it drafted
    JPEGs straight to YCbCr and differed slightly: one more false pair on the dev corpus
    through the job's path); the evaluator reads the job's path so that it cannot drift again."""
    return robust.from_text(str(core.compute_hashes(data, ["robust"]).hashes["robust"]))


def signatures(paths: list[str], cache: str | None) -> dict[str, robust.RobustSignature]:
    done: dict[str, bytes] = {}
    if cache and os.path.exists(cache):
        with open(cache, "rb") as fh:
            stored = pickle.load(fh)
        if stored.get("code") == _code_key():
            done = stored["sigs"]
    out = {}
    for p in paths:
        if p not in done:
            with open(p, "rb") as fh:
                done[p] = job_signature(fh.read()).to_bytes()
        out[p] = robust.RobustSignature.from_bytes(done[p])
    if cache:
        with open(cache, "wb") as fh:
            pickle.dump({"code": _code_key(), "sigs": done}, fh)
    return out


def candidates(sigs: list[robust.RobustSignature], max_bucket: int) -> tuple[set, dict]:
    """Candidate pairs (i < j) from the banded joins, and hits per pair for diagnostics."""
    buckets: dict[tuple, set[int]] = defaultdict(set)
    for i, sig in enumerate(sigs):
        for kind, hexrow in robust.candidate_rows(sig):
            for band, key in enumerate(robust.bands(kind, hexrow)):
                buckets[(kind, band, key)].add(i)
    hits: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (kind, _band, _key), members in buckets.items():
        if len(members) < 2 or len(members) > max_bucket:
            continue
        for i, j in itertools.combinations(sorted(members), 2):
            hits[(i, j)][kind] += 1
    count = [len(sig.descriptors[0]) if sig.descriptors else 0 for sig in sigs]
    pairs = {p for p, h in hits.items() if robust.is_candidate(h, min(count[p[0]], count[p[1]]))}
    return pairs, hits


def evaluate(rows, sigs_by_path, max_bucket, label, verbose=False):
    paths = [p for p, _, _ in rows]
    groups = np.array([g for _, g, _ in rows])
    edits = [e for _, _, e in rows]
    sigs = [sigs_by_path[p] for p in paths]
    t0 = time.perf_counter()
    cand, hits = candidates(sigs, max_bucket)
    t1 = time.perf_counter()
    accepted = set()
    verdicts = {}
    for i, j in cand:  # every candidate: two copies' match is a path for the second pass
        v = robust.verify_pair(sigs[i], sigs[j])
        verdicts[(i, j)] = v
        if v.match:
            accepted.add((i, j))
    hops = robust.hop_pairs(accepted, cand)  # the second pass: pairs that both match a third
    hop_matches = set()
    for i, j in hops:
        v = robust.verify_pair(sigs[i], sigs[j])
        verdicts[(i, j)] = v
        if v.match:
            hop_matches.add((i, j))
    accepted |= hop_matches
    t2 = time.perf_counter()
    n = len(rows)
    same = groups[:, None] == groups[None, :]
    negatives = int((~same).sum() // 2)
    false_pairs = [(i, j) for i, j in accepted if groups[i] != groups[j]]
    orig_of = {g: i for i, (g, e) in enumerate(zip(groups, edits, strict=True)) if e == "orig"}
    per_edit: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for i, (g, e) in enumerate(zip(groups, edits, strict=True)):
        if e in ("orig", "distractor") or g not in orig_of:
            continue
        pair = tuple(sorted((orig_of[g], i)))
        per_edit[e][0] += 1
        per_edit[e][1] += pair in cand or pair in hops
        per_edit[e][2] += pair in accepted
        if verbose and pair not in accepted:
            v = verdicts.get(pair)
            print(
                f"  miss {paths[i]}: cand={pair in cand} hits={dict(hits.get(pair, {}))} verdict={v and (v.reason, round(v.score, 3), v.inliers)}"
            )
    if verbose:
        for i, j in false_pairs:
            v = verdicts[(i, j)]
            print(f"  FALSE {paths[i]} ~ {paths[j]}: {v.reason} ncc={v.score:.3f} inliers={v.inliers}")
    recall = {e: c[2] / c[0] for e, c in sorted(per_edit.items())}
    return {
        "label": label,
        "files": n,
        "negatives": negatives,
        "candidates": len(cand),
        "hop_candidates": len(hops),
        "hop_matches": len(hop_matches),
        "hop_false": sum(groups[i] != groups[j] for i, j in hop_matches),
        "hop_originals": sum(
            groups[i] == groups[j] and "orig" in (edits[i], edits[j]) for i, j in hop_matches
        ),
        "false": len(false_pairs),
        "fpr": len(false_pairs) / max(negatives, 1),
        "recall": recall,
        "candidate_recall": {e: c[1] / c[0] for e, c in sorted(per_edit.items())},
        "mean_recall": float(np.mean(list(recall.values()))) if recall else float("nan"),
        "min_recall": min(recall.values()) if recall else float("nan"),
        "seconds_candidates": t1 - t0,
        "seconds_verify": t2 - t1,
        "false_pairs": [(paths[i], paths[j]) for i, j in false_pairs],
    }


def print_result(r):
    print(f"\n## {r['label']}: {r['files']} files, {r['negatives']:,} different-group pairs")
    print(
        f"candidates {r['candidates']:,} ({r['seconds_candidates']:.1f} s) + {r['hop_candidates']:,} through a "
        f"common match, verified in {r['seconds_verify']:.1f} s"
    )
    print(
        f"second pass: {r['hop_matches']:,} pairs matched ({r['hop_originals']} (original, copy), "
        f"{r['hop_false']} false)"
    )
    print(
        f"false pairs {r['false']} -> FPR {r['fpr']:.2e}; mean recall per edit {r['mean_recall']:.3f}, min {r['min_recall']:.3f}"
    )
    print("| edit | candidate recall | recall |\n|---|---|---|")
    for e in r["recall"]:
        print(f"| {e} | {r['candidate_recall'][e]:.2f} | {r['recall'][e]:.2f} |")
    for a, b in r["false_pairs"]:
        print(f"  false: {a} ~ {b}")


# ---------------------------------------------------------------- harder variants


def hard_edits(im: Image.Image):
    w, h = im.size
    yield "crop30_side_right", im.crop((w * 30 // 100, 0, w, h))
    yield "crop50_side_left", im.crop((0, 0, w // 2, h))
    yield "crop50_side_bottom", im.crop((0, 0, w, h // 2))
    yield "crop30_corner_tl", im.crop((0, 0, w * 70 // 100, h * 70 // 100))
    yield "crop40_corner_br", im.crop((w * 40 // 100, h * 40 // 100, w, h))
    yield "crop30_center", im.crop((w * 15 // 100, h * 15 // 100, w * 85 // 100, h * 85 // 100))
    yield "border_white10", ImageOps.expand(im, border=max(6, w // 10), fill=(255, 255, 255))
    yield "border_red3", ImageOps.expand(im, border=max(4, w // 33), fill=(200, 30, 40))
    yield "border_pad_sides", ImageOps.expand(im, border=(w // 6, 0, w // 6, 0), fill=(0, 0, 0))
    for name, top, height, bg, fg in (
        ("caption20_bottom", False, 20, (255, 255, 255), (0, 0, 0)),
        ("caption6_top_black", True, 6, (0, 0, 0), (255, 255, 255)),
    ):
        c = im.copy()
        d = ImageDraw.Draw(c)
        y0 = 0 if top else h - h * height // 100
        d.rectangle((0, y0, w, y0 + h * height // 100), fill=bg)
        d.text((10, y0 + h * height // 300), "who wore it better? repost", fill=fg)
        yield name, c
    c = ImageOps.expand(im, border=(0, h // 8, 0, 0), fill=(250, 250, 250))  # a bar added above
    ImageDraw.Draw(c).text((10, h // 30), "caption bar above", fill=(0, 0, 0))
    yield "caption_added_above", c
    yield "rotate3", im.rotate(3, resample=Image.BICUBIC)
    yield "rotate5", im.rotate(-5, resample=Image.BICUBIC)
    yield "mirror_crop30", ImageOps.mirror(im.crop((0, 0, w * 70 // 100, h)))
    yield "mirror_border", ImageOps.expand(ImageOps.mirror(im), border=max(6, w // 20), fill=(255, 255, 255))
    yield "bright70", ImageEnhance.Brightness(im).enhance(0.7)
    yield "contrast150", ImageEnhance.Contrast(im).enhance(1.5)
    yield "resize25", im.resize((max(1, w // 4), max(1, h // 4)), Image.BILINEAR)
    yield "jpeg_q20", im


def _keystone(im: Image.Image, left: float, top: float) -> Image.Image:
    """The left edge shrunk by `left` of the height at each end, the top edge by `top` of the width."""
    w, h = im.size
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[w * top, h * left], [w - w * top, 0], [w, h], [0, h - h * left]])
    coeffs = _perspective_coeffs(dst, src)
    return im.transform((w, h), Image.PERSPECTIVE, coeffs, Image.BICUBIC, fillcolor=(0, 0, 0))


def _perspective_coeffs(dst: np.ndarray, src: np.ndarray) -> tuple[float, ...]:
    """PIL's 8 coefficients mapping output (dst) points to input (src) points."""
    a, b = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        b.append(u)
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b.append(v)
    return tuple(np.linalg.solve(np.array(a, float), np.array(b, float)))


def lake_edits(im: Image.Image):
    """Copies of the kinds format 3 was built for (turns, flips, rotations, keystones, stickers,
    frames, deep crops, meme bars) at other strengths and with other overlays than the dev
    corpus's: measured, never tuned on."""
    w, h = im.size
    s = min(w, h)
    yield "rot90", im.transpose(Image.Transpose.ROTATE_90)
    yield "rot180", im.transpose(Image.Transpose.ROTATE_180)
    yield "transpose", im.transpose(Image.Transpose.TRANSPOSE)
    yield "transverse_crop", im.transpose(Image.Transpose.TRANSVERSE).crop((0, 0, h * 85 // 100, w))
    yield "rotate15_black", im.rotate(-15, resample=Image.BICUBIC, expand=True, fillcolor=(0, 0, 0))
    yield "rotate30", im.rotate(30, resample=Image.BICUBIC, expand=True, fillcolor=(255, 255, 255))
    yield "rotate45", im.rotate(45, resample=Image.BICUBIC, expand=True, fillcolor=(128, 128, 128))
    yield "rotate95", im.rotate(95, resample=Image.BICUBIC, expand=True, fillcolor=(255, 255, 255))
    yield "keystone_left12", _keystone(im, 0.06, 0.0)
    yield "keystone_top8", _keystone(im, 0.0, 0.04)
    c = im.copy()
    d = ImageDraw.Draw(c)
    r = s // 8
    d.regular_polygon((w - w // 6, h // 5, r), 5, fill=(40, 160, 255), outline=(255, 255, 255))
    d.rectangle(
        (w - w // 6 - r, h // 5 + r + 4, w - w // 6 + r, h // 5 + r + 4 + r // 2), fill=(250, 250, 250)
    )
    d.text((w - w // 6 - r + 4, h // 5 + r + 6), "NEW!", fill=(200, 0, 0))
    yield "sticker_top_right", c
    c = im.copy()
    d = ImageDraw.Draw(c)
    d.rounded_rectangle((w // 3, h - h // 4, w - w // 4, h - h // 12), radius=8, fill=(20, 20, 20))
    d.text((w // 3 + 10, h - h // 4 + 10), "@someone - reposted", fill=(255, 255, 255))
    yield "text_box", c
    page = Image.new("RGB", (w, h * 3 // 2), (250, 250, 250))
    d = ImageDraw.Draw(page)
    d.rectangle((0, 0, w, h // 10), fill=(60, 90, 160))
    d.text((10, h // 30), "Album - 14 photos", fill=(255, 255, 255))
    small = im.resize((w * 6 // 10, h * 6 // 10), Image.BILINEAR)
    page.paste(small, (w // 10, h // 6))
    for k in range(6):
        y = h // 6 + small.height + 16 + 18 * k
        d.rectangle((w // 10, y, w // 10 + (w * (7 - k)) // 10, y + 8), fill=(200, 200, 200))
    yield "screenshot_page", page
    frame = Image.new("RGB", (w * 5 // 4, h), (235, 235, 240))
    d = ImageDraw.Draw(frame)
    d.rectangle((0, 0, w // 5, h), fill=(45, 45, 60))
    for k in range(8):
        d.text((10, 20 + 30 * k), f"folder {k}", fill=(220, 220, 220))
    small = im.resize((w * 9 // 10, h * 9 // 10), Image.BILINEAR)
    frame.paste(small, (w // 5 + w // 40, h // 20))
    yield "app_sidebar", frame
    yield "crop_area30", im.crop((w // 5, h // 6, w // 5 + w * 55 // 100, h // 6 + h * 55 // 100))
    yield "crop_side45", im.crop((w * 55 // 100, 0, w, h))
    meme = Image.new("RGB", (w, h + h // 5), (255, 255, 255))
    meme.paste(im, (0, h // 5))
    ImageDraw.Draw(meme).text((w // 4, h // 15), "when the photo is too good", fill=(0, 0, 0))
    yield "meme_white_top", meme
    small = im.transpose(Image.Transpose.ROTATE_270).resize((h * 6 // 10, w * 6 // 10), Image.BILINEAR)
    yield "rot270_small", small


def build_hard(rows, outdir: str, make=None) -> list[tuple[str, int, str]]:
    truth = os.path.join(outdir, "truth.csv")
    if os.path.exists(truth):
        return read_truth(outdir)
    out = []
    for path, group, edit in rows:
        if edit != "orig":
            continue
        im = Image.open(path).convert("RGB")
        gdir = os.path.join(outdir, "images", f"g{group:03d}")
        os.makedirs(gdir, exist_ok=True)
        im.save(os.path.join(gdir, "orig.jpg"), "JPEG", quality=95)
        out.append((os.path.join("images", f"g{group:03d}", "orig.jpg"), group, "orig"))
        for name, edited in (make or hard_edits)(im):
            q = 20 if name == "jpeg_q20" else 88
            f = os.path.join("images", f"g{group:03d}", f"{name}.jpg")
            edited.convert("RGB").save(os.path.join(outdir, f), "JPEG", quality=q)
            out.append((f, group, name))
    with open(truth, "w", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(["file", "group", "edit"])
        wr.writerows(out)
    return read_truth(outdir)


def _thumb16(path: str) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(ImageOps.autocontrast(im.convert("L").resize((16, 16), Image.BILINEAR)), np.float32)


def extra_distractors(source_tree: str, count: int, exclude: list[str]) -> list[str]:
    """Other unrelated images: files of the distractor package the corpus did not use (<= 50 kB).

    As the corpus builder does, near-copies are dropped (16 x 16 autocontrast thumbnails
    within a mean difference of 20 of a kept image or of a corpus image), and at most one file
    per directory is taken, because the package ships animation frames and tile variants of
    one picture side by side.
    """
    paths = sorted(
        p
        for p in glob.glob(os.path.join(source_tree, "**", "*"), recursive=True)
        if p.lower().endswith((".png", ".jpg")) and os.path.getsize(p) <= 50_000
    )
    rng = np.random.default_rng(7)
    rng.shuffle(paths)
    kept = [_thumb16(p) for p in exclude]
    out, dirs = [], set()
    for p in paths:
        if os.path.dirname(p) in dirs:
            continue
        try:
            with Image.open(p) as im:
                if min(im.size) < 96 or np.asarray(im.convert("L")).std() < 8:
                    continue
            t = _thumb16(p)
        except Exception:
            continue
        if any(np.abs(t - k).mean() <= 20 for k in kept):
            continue
        kept.append(t)
        dirs.add(os.path.dirname(p))
        out.append(p)
        if len(out) >= count:
            break
    return out


# ---------------------------------------------------------------- baselines


def baseline_tables(rows, target_fpr: float) -> dict[str, dict]:
    import sparkhash.core as core

    groups = np.array([g for _, g, _ in rows])
    edits = [e for _, _, e in rows]
    hashes = {"phash": [], "dhash": []}
    segs = []
    for p, _, _ in rows:
        with open(p, "rb") as fh:
            r = core.compute_hashes(fh.read(), ["phash", "dhash", "crop_resistant"])
        for a in hashes:
            hashes[a].append(int(str(r.hashes[a]), 16))
        segs.append([int(str(s.hash), 16) for s in r.segments] or [0])
    dist = {}
    for a, hs in hashes.items():
        v = np.array(hs, dtype=np.uint64)
        x = v[:, None] ^ v[None, :]
        dist[a] = np.vectorize(lambda z: bin(int(z)).count("1"), otypes=[np.int64])(x)
    n = len(rows)
    flat = np.concatenate([np.array(s, dtype=np.uint64) for s in segs])
    owner = np.concatenate([np.full(len(s), i) for i, s in enumerate(segs)])
    x = flat[:, None] ^ flat[None, :]
    d = np.unpackbits(x.view(np.uint8).reshape(len(flat), len(flat), 8), axis=2).sum(axis=2)
    cr = np.full((n, n), 99, np.int64)
    np.minimum.at(cr, (owner[:, None].repeat(len(flat), 1), owner[None, :].repeat(len(flat), 0)), d)
    dist["crop_resistant"] = cr
    iu = np.triu_indices(n, 1)
    neg = groups[iu[0]] != groups[iu[1]]
    orig_of = {g: i for i, (g, e) in enumerate(zip(groups, edits, strict=True)) if e == "orig"}
    out = {}
    for a, m in dist.items():
        dn = m[iu][neg]
        best_t = -1
        for t in range(0, 40):
            if (dn <= t).mean() <= target_fpr:
                best_t = t
        per = defaultdict(list)
        for i, (g, e) in enumerate(zip(groups, edits, strict=True)):
            if e not in ("orig", "distractor") and g in orig_of:
                per[e].append(m[orig_of[g], i] <= best_t)
        out[a] = {
            "t": best_t,
            "fpr": float((dn <= best_t).mean()) if best_t >= 0 else 0.0,
            "recall": {e: float(np.mean(v)) for e, v in sorted(per.items())},
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--cache", default="/tmp/robust_sigs.pkl")
    ap.add_argument("--max-bucket", type=int, default=robust.MAX_BUCKET_IMAGES)
    ap.add_argument("--hard", help="directory for the harder variants (built once)")
    ap.add_argument(
        "--lake", help="directory for the format-3 kinds of copies at other strengths (built once)"
    )
    ap.add_argument("--extra-distractors", help="tree of images to draw other distractors from")
    ap.add_argument("--extra-count", type=int, default=400)
    ap.add_argument("--baselines", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--no-halves", action="store_true", help="skip the tuning / held-out halves")
    ap.add_argument(
        "--variants-only",
        action="store_true",
        help="with --hard / --lake: skip the dev corpus's own sections",
    )
    args = ap.parse_args()

    rows = read_truth(args.corpus)
    all_rows = list(rows)
    hard_rows = build_hard(rows, args.hard) if args.hard else []
    lake_rows = build_hard(rows, args.lake, lake_edits) if args.lake else []
    extra = (
        extra_distractors(args.extra_distractors, args.extra_count, set()) if args.extra_distractors else []
    )
    top = max(g for _, g, _ in rows) + 1
    extra_rows = [(p, top + k, "distractor") for k, p in enumerate(extra)]
    t = time.perf_counter()
    sigs = signatures([p for p, _, _ in all_rows + hard_rows + lake_rows + extra_rows], args.cache)
    print(
        f"signatures: {len(sigs)} in {time.perf_counter() - t:.1f} s; low detail: "
        f"{sum(s.low_detail for s in sigs.values())} ({[p for p, s in sigs.items() if s.low_detail][:8]})"
    )

    results = (
        [] if args.variants_only else [evaluate(rows, sigs, args.max_bucket, "dev corpus, all", args.verbose)]
    )
    for half, name in (
        ()
        if args.no_halves or args.variants_only
        else ((0, "tuning half (even groups)"), (1, "held-out half (odd groups)"))
    ):
        sub = [r for r in rows if r[1] % 2 == half]
        results.append(evaluate(sub, sigs, args.max_bucket, name))
    if hard_rows:
        distractors = [r for r in rows if r[2] == "distractor"]
        results.append(
            evaluate(
                hard_rows + distractors,
                sigs,
                args.max_bucket,
                "harder variants + corpus distractors",
                args.verbose,
            )
        )
    if lake_rows:
        distractors = [r for r in rows if r[2] == "distractor"]
        results.append(
            evaluate(
                lake_rows + distractors,
                sigs,
                args.max_bucket,
                "lake variants + corpus distractors",
                args.verbose,
            )
        )
    if extra_rows:
        results.append(
            evaluate(
                rows + extra_rows,
                sigs,
                args.max_bucket,
                f"dev corpus + {len(extra_rows)} other distractors",
                args.verbose,
            )
        )
    for r in results:
        print_result(r)
    if args.baselines:
        target = max(results[0]["fpr"], 1e-5)
        base = baseline_tables(rows, target)
        print(f"\n## baselines at FPR <= {target:.1e} (brute force, dev corpus)")
        edits = list(results[0]["recall"])
        print("| edit | robust | " + " | ".join(f"{a} (t={b['t']})" for a, b in base.items()) + " |")
        print("|---|---|" + "---|" * len(base))
        for e in edits:
            print(
                f"| {e} | {results[0]['recall'][e]:.2f} | "
                + " | ".join(f"{b['recall'].get(e, 0):.2f}" for b in base.values())
                + " |"
            )
        print(
            f"| **mean** | {results[0]['mean_recall']:.3f} | "
            + " | ".join(f"{np.mean(list(b['recall'].values())):.3f}" for b in base.values())
            + " |"
        )
        print(
            f"| FPR | {results[0]['fpr']:.1e} | "
            + " | ".join(f"{b['fpr']:.1e}" for b in base.values())
            + " |"
        )


if __name__ == "__main__":
    main()
