"""The cost model's plans for uniform random hashes (docs/dedup.md, "Practical thresholds").

    python benchmarks/plan_table.py

Prints, per hash length, a Markdown table: for each k and N the exact plan (bands x radius;
a two-sided band as r2(1+1): build rows radius 1, probe rows radius 1) and its estimated cost
(rows generated + join rows) in millions. numpy only, no Spark.
"""

from __future__ import annotations

import sys
from collections import Counter

from sparkhash.dedup.plan import BandPlan, exact_plan, words_for

SIZES = (10**5, 10**6, 10**7, 10**8)
THRESHOLDS = (0, 2, 4, 6, 8, 10, 12, 16)


def layout(plan: BandPlan) -> str:
    """'2×r1+1×r0', a two-sided band written r2(1+1)."""
    counts = Counter(
        f"r{plan.band_radius(i)}"
        + (f"({plan.build_radius(i)}+{plan.probe_radius(i)})" if plan.build_radius(i) else "")
        for i in range(len(plan.bands))
    )
    return "+".join(f"{n}×{r}" for r, n in sorted(counts.items(), reverse=True))


def table(nbits: int) -> list[str]:
    words = words_for(nbits // 4)
    lines = [
        f"{nbits}-bit hashes — plan (bands × radius, e.g. 2×r1+1×r0) and estimated cost in millions of rows:",
        "",
        "| k | " + " | ".join(f"N = 10^{len(str(n)) - 1}" for n in SIZES) + " |",
        "|---|" + "---|" * len(SIZES),
    ]
    for k in THRESHOLDS:
        cells = []
        for n in SIZES:
            plan = exact_plan(nbits, words, k, n)
            cells.append(f"{layout(plan)}: {plan.estimate['cost'] / 1e6:.3g}")
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return lines


def main() -> int:
    for nbits in (64, 256):
        print("\n".join(table(nbits)), end="\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
