"""The Markdown summary of an evaluation run (pasted into docs and benchmarks as is)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Thresholds tabled in the summary (the dups job's default is 4).
FIXED_THRESHOLDS = (0, 2, 4, 6, 8, 10, 12)


def _fmt(value: float, digits: int = 3) -> str:
    return "n/a" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.{digits}f}"


def _threshold(value: int) -> str:
    return f"t={int(value)}" if value >= 0 else "no threshold"


def _fpr(value: float) -> str:
    return "0" if value == 0 else f"{value:.2e}"


def markdown_summary(
    corpus: dict,
    metrics: pd.DataFrame,
    points: pd.DataFrame,
    edit_table: pd.DataFrame,
    target_fprs: Sequence[float],
    plot_fpr: float,
    defaults: dict[str, int] | None = None,
) -> str:
    """Headline tables: operating points per algorithm and target FPR, recall per edit type,
    fixed thresholds and (`defaults`: algorithm -> threshold) each algorithm's default one."""
    lines = [
        f"Corpus: {corpus['files']} files in {corpus['groups']} groups ({corpus['unhashed']} not hashed); "
        f"{corpus['positives']:,} within-group pairs (positives), {corpus['negatives']:,} between-group pairs "
        "(negatives). A pair is within threshold t when its Hamming distance is <= t."
        + (
            f" Groups left out: {', '.join(corpus['excluded_groups'])}."
            if corpus.get("excluded_groups")
            else ""
        ),
        "",
        "Largest threshold whose false-positive rate stays at or under the target, and what it gives:",
        "",
        "| algorithm | "
        + " | ".join(f"FPR <= {_fpr(t)}: t / recall / precision" for t in target_fprs)
        + " |",
        "|---|" + "---|" * len(target_fprs),
    ]
    for algorithm in dict.fromkeys(points["algorithm"]):
        cells = []
        for target in target_fprs:
            row = points[(points["algorithm"] == algorithm) & np.isclose(points["target_fpr"], target)].iloc[
                0
            ]
            if row["threshold"] < 0:
                cells.append("none")
            else:
                cells.append(f"{int(row['threshold'])} / {_fmt(row['recall'])} / {_fmt(row['precision'])}")
        lines.append(f"| {algorithm} | " + " | ".join(cells) + " |")
    if not edit_table.empty:
        chosen = points[np.isclose(points["target_fpr"], plot_fpr)].set_index("algorithm")["threshold"]
        lines += [
            "",
            f"Recall per edit type at each algorithm's threshold for FPR <= {_fpr(plot_fpr)} "
            "(edited copy found when its pair with the group's original is within the threshold):",
            "",
            "| edit | " + " | ".join(f"{a} ({_threshold(chosen[a])})" for a in edit_table.columns) + " |",
            "|---|" + "---|" * len(edit_table.columns),
        ]
        for edit, row in edit_table.iterrows():
            lines.append(f"| {edit} | " + " | ".join(_fmt(row[a], 2) for a in edit_table.columns) + " |")
    fixed = [t for t in FIXED_THRESHOLDS if t in set(metrics["threshold"])]
    lines += ["", "Recall / false-positive rate at fixed thresholds:", ""]
    lines += ["| algorithm | " + " | ".join(f"t={t}" for t in fixed) + " |", "|---|" + "---|" * len(fixed)]
    for algorithm, table in metrics.groupby("algorithm", sort=False):
        at = table.set_index("threshold")
        cells = [
            f"{_fmt(at.loc[t, 'recall'])} / {_fpr(at.loc[t, 'fpr'])}" if t in at.index else "" for t in fixed
        ]
        lines.append(f"| {algorithm} | " + " | ".join(cells) + " |")
    if defaults:
        lines += [
            "",
            "At each algorithm's default threshold (what dups and match use when not told one):",
            "",
            "| algorithm | t | recall | FPR | precision |",
            "|---|---|---|---|---|",
        ]
        for algorithm, table in metrics.groupby("algorithm", sort=False):
            t = defaults.get(algorithm)
            at = table.set_index("threshold")
            if t is None or t not in at.index:
                continue
            row = at.loc[t]
            lines.append(
                f"| {algorithm} | {t} | {_fmt(row['recall'])} | {_fpr(row['fpr'])} | {_fmt(row['precision'])} |"
            )
    return "\n".join(lines) + "\n"


def join_check_markdown(check: pd.DataFrame) -> str:
    """The join cross-check as a Markdown paragraph and table."""
    lines = [
        "",
        "Cross-check with the dups job's own join (exact mode) on the same files: pairs within the threshold.",
        "",
        "| algorithm | threshold | evaluation pairs | dups pairs | same |",
        "|---|---|---|---|---|",
    ]
    for _, row in check.iterrows():
        lines.append(
            f"| {row['algorithm']} | {row['threshold']} | {row['evaluation_pairs']} | {row['dups_pairs']} | "
            f"{'yes' if row['same'] else 'NO'} |"
        )
    return "\n".join(lines) + "\n"
