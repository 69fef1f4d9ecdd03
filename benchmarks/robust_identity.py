"""Check that a change leaves robust's stored signatures bit-identical.

    python benchmarks/robust_identity.py save REF.json [--corpus /root/corpus]   # on the old code
    python benchmarks/robust_identity.py check REF.json [--corpus /root/corpus]  # on the new code

The files: every distractor, every 7th photo of images/ and every PNG/WebP photo (508 files of
the dev corpus). For each, the text `compute_hashes(data, ["robust"]).hashes["robust"]` (what
`sparkhash hash` stores) and `robust.to_text(robust.compute(data))`. `check` prints how many
are identical and exits 1 when any differs.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sparkhash.core as core  # noqa: E402
from sparkhash.core import robust  # noqa: E402


def files(corpus: str) -> list[str]:
    distractors = sorted(glob.glob(os.path.join(corpus, "distractors", "*")))
    photos = sorted(glob.glob(os.path.join(corpus, "images", "*", "*")))
    picked = {p for i, p in enumerate(photos) if i % 7 == 0} | {
        p for p in photos if p.endswith((".png", ".webp"))
    }
    return distractors + sorted(picked)


def texts(path: str) -> list[str]:
    data = open(path, "rb").read()
    return [core.compute_hashes(data, ["robust"]).hashes["robust"], robust.to_text(robust.compute(data))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("save", "check"))
    ap.add_argument("reference")
    ap.add_argument("--corpus", default="/root/corpus")
    args = ap.parse_args()
    paths = files(args.corpus)
    if args.mode == "save":
        with open(args.reference, "w") as f:
            json.dump({p: texts(p) for p in paths}, f)
        print(f"{len(paths)} files saved")
        return
    with open(args.reference) as f:
        reference = json.load(f)
    differ = [p for p in paths if texts(p) != reference[p]]
    print(f"{len(paths) - len(differ)}/{len(paths)} identical (compute_hashes and robust.compute texts)")
    for p in differ[:10]:
        print("differs:", p)
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
