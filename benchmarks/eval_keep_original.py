"""Does `--keep original` keep the original? `sparkhash dups --algorithm robust` on a labelled corpus.

    python benchmarks/eval_keep_original.py /root/corpus [--work /tmp/keep-eval] [--out FILE.md]

Runs the real pipeline on a local Spark: `sparkhash hash --algorithms robust` on the corpus's
`images/` and `distractors/` (two runs into one OUTPUT; skipped when `--work` already holds it),
then `sparkhash dups --algorithm robust` at its defaults (keep policy `original`). Then, with
`truth.csv` (file, group, edit; the original's edit is `orig`):

* keep: for every group whose original is in a cluster, whether that cluster keeps it — the
  `original` policy as the job wrote it, and the other policies re-applied to the same
  clusters for comparison (most-pixels, largest-file);
* pairs: for every (original, copy) pair the job found, per edit, whether its `original`
  column names the original, the copy, or nothing.

Writes a Markdown report (stdout, and `--out`).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sparkhash.cli import main as cli  # noqa: E402
from sparkhash.dedup.keep import keep_attributes, parse_policy, with_keep_policy  # noqa: E402
from sparkhash.dedup.output import read_dups  # noqa: E402
from sparkhash.spark.session import get_session  # noqa: E402
from sparkhash.spark.tables import read_hash_output  # noqa: E402


def read_truth(root: str) -> dict[str, tuple[str, str]]:
    """relative file -> (group, edit)."""
    with open(os.path.join(root, "truth.csv"), newline="") as fh:
        return {r["file"]: (r["group"], r["edit"]) for r in csv.DictReader(fh)}


def relative(path: str, root: str) -> str:
    bare = path[len("file:") :] if path.startswith("file:") else path
    return os.path.relpath(bare, root)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--work", default="/tmp/sparkhash-keep-original")
    ap.add_argument("--out")
    args = ap.parse_args()
    root = os.path.abspath(args.corpus)
    truth = read_truth(root)
    hashes, dups = os.path.join(args.work, "hashes"), os.path.join(args.work, "dups")
    timings = {}
    t0 = time.perf_counter()
    if not os.path.isdir(hashes):
        for part in ("images", "distractors"):
            if os.path.isdir(os.path.join(root, part)):
                assert cli(["hash", os.path.join(root, part), hashes, "--algorithms", "robust"]) == 0
    timings["hash"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    assert cli(["dups", hashes, dups, "--algorithm", "robust"]) == 0
    timings["dups"] = time.perf_counter() - t0

    spark = get_session(app_name="sparkhash-eval-keep-original")
    result = read_dups(spark, dups)
    assert result.policy == "original", result.policy
    members = result.clusters.select("path", "cluster")
    attributes = keep_attributes(read_hash_output(spark, hashes)[0])
    kept_by = {"original": {r.cluster: r.path for r in result.clusters.where("keep").collect()}}
    for name in ("most-pixels", "largest-file"):
        chosen = with_keep_policy(members, attributes, parse_policy(name))
        kept_by[name] = {r.cluster: r.path for r in chosen.where("keep").collect()}
    cluster_of = {r.path: r.cluster for r in result.clusters.collect()}
    files = {relative(p, root): p for p in cluster_of}

    originals = {g: f for f, (g, e) in truth.items() if e == "orig"}
    lines = ["# `--keep original` on the dev corpus", ""]
    lines.append(
        f"Corpus {root}: {len(truth)} files, {len(originals)} groups. Pipeline on a local Spark "
        f"(busy 2-core machine): hash {timings['hash']:.0f} s, dups {timings['dups']:.0f} s; "
        f"{result.pairs.count()} pairs, {len(kept_by['original'])} clusters."
    )
    lines += [
        "",
        "| policy | groups whose original is clustered | original kept | another file kept |",
        "|---|---|---|---|",
    ]
    failures: dict[str, list[str]] = defaultdict(list)
    for name, kept in kept_by.items():
        clustered = ok = 0
        for group, orig in sorted(originals.items()):
            path = files.get(orig)
            if path is None:
                continue
            clustered += 1
            winner = kept[cluster_of[path]]
            if winner == path:
                ok += 1
            else:
                failures[name].append(f"g{int(group):03d}: kept {relative(winner, root)}")
        lines.append(f"| {name} | {clustered} | {ok} | {clustered - ok} |")
    for name in kept_by:
        if failures[name]:
            lines += ["", f"{name}, other file kept: " + ", ".join(failures[name])]

    # the pairs' original column, per edit, for (original, copy) pairs of one group
    verdicts: dict[str, Counter] = defaultdict(Counter)
    for r in result.pairs.select("path_a", "path_b", "original", "evidence").collect():
        a, b = truth.get(relative(r.path_a, root)), truth.get(relative(r.path_b, root))
        if a is None or b is None or a[0] != b[0] or "orig" not in (a[1], b[1]) or a == b:
            continue
        orig_side = "a" if a[1] == "orig" else "b"
        edit = b[1] if orig_side == "a" else a[1]
        verdicts[edit]["right" if r.original == orig_side else "none" if r.original is None else "wrong"] += 1
    lines += ["", "Pairs (original, copy) found, by the copy's edit: what their `original` column says", ""]
    lines += [
        "| edit | pairs | names the original | names the copy | does not tell |",
        "|---|---|---|---|---|",
    ]
    total = Counter()
    for edit in sorted(verdicts):
        c = verdicts[edit]
        total += c
        lines.append(f"| {edit} | {sum(c.values())} | {c['right']} | {c['wrong']} | {c['none']} |")
    lines.append(f"| all | {sum(total.values())} | {total['right']} | {total['wrong']} | {total['none']} |")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
