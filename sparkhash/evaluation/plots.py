"""The two evaluation figures, as PNG (matplotlib is the optional `report` extra, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _pyplot():
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError("plots need matplotlib: pip install 'sparkhash[report]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_recall_vs_fpr(metrics: pd.DataFrame, points: pd.DataFrame, path: str | Path) -> Path:
    """Recall against false-positive rate, one curve per algorithm (thresholds along the curve).

    The x axis is symmetric-log with its linear part below one false pair, so FPR = 0 is shown.
    Markers: each algorithm's operating points (largest threshold under each target FPR).
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    negatives = int(metrics["negatives"].max()) if len(metrics) else 1
    for algorithm, table in metrics.groupby("algorithm", sort=False):
        (line,) = ax.plot(table["fpr"], table["recall"], label=algorithm, linewidth=1.6)
        marks = points[(points["algorithm"] == algorithm) & (points["threshold"] >= 0)]
        ax.scatter(marks["fpr"], marks["recall"], color=line.get_color(), s=18, zorder=3)
        for _, mark in marks.iterrows():
            ax.annotate(
                f"t={int(mark['threshold'])}",
                (mark["fpr"], mark["recall"]),
                fontsize=6,
                xytext=(3, -8),
                textcoords="offset points",
                color=line.get_color(),
            )
    linthresh = 10.0 ** np.floor(np.log10(1.0 / max(negatives, 1)))
    ax.set_xscale("symlog", linthresh=linthresh, linscale=0.5)
    ax.set_xlim(0, 1)
    ticks = [0.0] + [10.0**k for k in range(int(np.log10(linthresh)), 1)]
    ax.set_xticks(ticks, ["0"] + [f"1e{int(np.log10(t))}" if t < 1 else "1" for t in ticks[1:]])
    ax.minorticks_off()
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"false-positive rate over {negatives:,} between-group pairs (symlog)")
    ax.set_ylabel("recall over within-group pairs")
    ax.set_title("Recall vs false-positive rate, per algorithm (thresholds 0..max)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out)
    plt.close(fig)
    return out


def plot_edit_recall(table: pd.DataFrame, points: pd.DataFrame, target_fpr: float, path: str | Path) -> Path:
    """Grouped bars: recall per edit type (x) and algorithm (bars) at each algorithm's threshold
    for `target_fpr`; `table` is `metrics.edit_recall_at(...)` (edits x algorithms)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(8, 0.9 * len(table.index) + 2), 5), dpi=110)
    algorithms = list(table.columns)
    width = 0.8 / max(len(algorithms), 1)
    x = np.arange(len(table.index))
    chosen = points[np.isclose(points["target_fpr"], target_fpr)].set_index("algorithm")["threshold"]
    for i, algorithm in enumerate(algorithms):
        threshold = int(chosen.get(algorithm, -1))
        label = f"{algorithm} ({f't={threshold}' if threshold >= 0 else 'no threshold'})"
        ax.bar(x + (i - (len(algorithms) - 1) / 2) * width, table[algorithm].fillna(0), width, label=label)
    ax.set_xticks(x)
    ax.set_xticklabels(table.index, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("edited copies found (pair with original within threshold)")
    ax.set_title(f"Recall per edit type at false-positive rate <= {target_fpr:g}")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out)
    plt.close(fig)
    return out
