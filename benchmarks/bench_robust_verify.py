"""Verification cost of `robust` per candidate pair: this code vs another revision, same pairs.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_robust_verify.py /root/corpus --baseline fc552b6 [--pairs 1000]

The signatures are the hashing job's (`eval_robust.job_signature`, cached like eval_robust.py);
the candidate pairs are the job's (`eval_robust.candidates`: the same bands, bucket cap and
candidate rule), a random sample of --pairs of them (seed 1). Each side verifies the whole
sample with `robust.verify_pair` (process CPU time; the two sides alternate for --rounds
rounds, so a burst of load does not land on one side only); the baseline is `robust.py` as it
is at git revision --baseline, loaded as its own module. Prints ms per pair of both, how many
verdicts (match, reason, score, inliers) are identical, and how many decisions (match or not)
are: a rejected pair's best score may differ when a transform it tried is no longer tried.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from eval_robust import candidates, read_truth, signatures  # noqa: E402

from sparkhash.core import robust  # noqa: E402


def baseline_module(rev: str):
    """`sparkhash/core/robust.py` at git revision rev, imported as module `robust_baseline`."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    source = subprocess.run(
        ["git", "show", f"{rev}:sparkhash/core/robust.py"],
        cwd=root,
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location("robust_baseline", fh.name)
    module = importlib.util.module_from_spec(spec)
    sys.modules["robust_baseline"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    os.unlink(fh.name)
    return module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", help="a labelled corpus (truth.csv), e.g. the dev corpus")
    ap.add_argument("--baseline", required=True, help="git revision of the code to compare with")
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--cache", default="/tmp/robust_sigs.pkl")
    args = ap.parse_args()
    paths = [p for p, _, _ in read_truth(args.corpus)]
    sigs = signatures(paths, args.cache)
    texts = [robust.to_text(sigs[p]) for p in paths]
    cand, _ = candidates([sigs[p] for p in paths], robust.MAX_BUCKET_IMAGES)
    random.seed(1)
    sample = random.sample(sorted(cand), min(args.pairs, len(cand)))
    old = baseline_module(args.baseline)
    sides = {
        "this": (robust, [robust.from_text(t) for t in texts]),
        args.baseline: (old, [old.from_text(t) for t in texts]),
    }
    times: dict[str, list[float]] = {k: [] for k in sides}
    verdicts = {}
    for r in range(args.rounds):
        for name in list(sides) if r % 2 == 0 else list(sides)[::-1]:
            module, s = sides[name]
            t = time.process_time()
            out = [module.verify_pair(s[i], s[j]) for i, j in sample]
            times[name].append(1000 * (time.process_time() - t) / len(sample))
            verdicts[name] = [(v.match, v.reason, round(v.score, 9), v.inliers) for v in out]
    same = sum(a == b for a, b in zip(*verdicts.values(), strict=True))
    decisions = sum(a[0] == b[0] for a, b in zip(*verdicts.values(), strict=True))
    print(f"{len(paths)} files, {len(cand):,} candidate pairs, {len(sample)} sampled (seed 1)")
    for name, ts in times.items():
        print(f"{name:>10}: " + ", ".join(f"{t:.2f}" for t in ts) + " ms per pair (CPU)")
    print(f"identical verdicts: {same} of {len(sample)}; identical decisions (match or not): {decisions}")


if __name__ == "__main__":
    main()
