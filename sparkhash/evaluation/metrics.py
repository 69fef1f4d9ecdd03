"""From the pair histogram to the evaluation tables (pandas, driver side, exact integers).

A pair is "within threshold t" when its distance is <= t (the dups job's rule). For each
algorithm and threshold:

    tp  within-group pairs within t        fn  within-group pairs not within t
    fp  between-group pairs within t       tn  between-group pairs not within t
    recall = tp / (tp + fn)    fpr = fp / (fp + tn)    precision = tp / (tp + fp) (NaN if 0/0)

Recall per edit: an edited copy counts as found at t when its pair with its group's reference
file ("orig") is within t.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

METRIC_COLUMNS = [
    "algorithm",
    "threshold",
    "positives",
    "negatives",
    "tp",
    "fp",
    "fn",
    "tn",
    "recall",
    "fpr",
    "precision",
]
EDIT_COLUMNS = ["algorithm", "threshold", "edit", "copies", "found", "recall"]
OPERATING_COLUMNS = ["algorithm", "target_fpr", "threshold", "recall", "fpr", "precision", "tp", "fp"]


def _ratio(numerator: np.ndarray, denominator: np.ndarray | int) -> np.ndarray:
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.broadcast_to(np.asarray(denominator, dtype=float), numerator.shape)
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _cumulative(counts: pd.DataFrame, thresholds: np.ndarray) -> np.ndarray:
    """Number of pairs with distance <= t for each t, from (distance, pairs) rows."""
    known = counts.dropna(subset=["distance"])
    if known.empty:
        return np.zeros(len(thresholds), dtype=np.int64)
    per_distance = known.groupby("distance")["pairs"].sum()
    distances = per_distance.index.to_numpy(dtype=float)
    totals = np.concatenate([[0], np.cumsum(per_distance.to_numpy(dtype=np.int64))])
    return totals[np.searchsorted(distances, thresholds, side="right")]


def algorithms_of(histogram: pd.DataFrame) -> list[str]:
    """Algorithms in first-seen order."""
    return list(dict.fromkeys(histogram["algorithm"]))


def thresholds_for(histogram: pd.DataFrame, algorithm: str, max_threshold: int | None = None) -> np.ndarray:
    """0..max_threshold, or 0..the largest distance seen for the algorithm."""
    if max_threshold is None:
        seen = histogram.loc[histogram["algorithm"] == algorithm, "distance"].dropna()
        max_threshold = int(seen.max()) if len(seen) else 0
    return np.arange(0, max_threshold + 1)


def threshold_table(histogram: pd.DataFrame, max_threshold: int | None = None) -> pd.DataFrame:
    """One row per (algorithm, threshold) with the confusion counts and rates."""
    frames = []
    for algorithm in algorithms_of(histogram):
        rows = histogram[histogram["algorithm"] == algorithm]
        thresholds = thresholds_for(histogram, algorithm, max_threshold)
        positive = rows[rows["positive"].astype(bool)]
        negative = rows[~rows["positive"].astype(bool)]
        n_pos, n_neg = int(positive["pairs"].sum()), int(negative["pairs"].sum())
        tp, fp = _cumulative(positive, thresholds), _cumulative(negative, thresholds)
        frames.append(
            pd.DataFrame(
                {
                    "algorithm": algorithm,
                    "threshold": thresholds,
                    "positives": n_pos,
                    "negatives": n_neg,
                    "tp": tp,
                    "fp": fp,
                    "fn": n_pos - tp,
                    "tn": n_neg - fp,
                    "recall": _ratio(tp, n_pos),
                    "fpr": _ratio(fp, n_neg),
                    "precision": _ratio(tp, tp + fp),
                }
            )
        )
    return (
        pd.concat(frames, ignore_index=True)[METRIC_COLUMNS]
        if frames
        else pd.DataFrame(columns=METRIC_COLUMNS)
    )


def edit_recall_table(histogram: pd.DataFrame, max_threshold: int | None = None) -> pd.DataFrame:
    """One row per (algorithm, threshold, edit): edited copies and how many were found."""
    edited = histogram.dropna(subset=["edit"])
    frames = []
    for algorithm in algorithms_of(histogram):
        thresholds = thresholds_for(histogram, algorithm, max_threshold)
        rows = edited[edited["algorithm"] == algorithm]
        for edit in sorted(rows["edit"].unique()):
            of_edit = rows[rows["edit"] == edit]
            copies = int(of_edit["pairs"].sum())
            found = _cumulative(of_edit, thresholds)
            frames.append(
                pd.DataFrame(
                    {
                        "algorithm": algorithm,
                        "threshold": thresholds,
                        "edit": edit,
                        "copies": copies,
                        "found": found,
                        "recall": _ratio(found, copies),
                    }
                )
            )
    return (
        pd.concat(frames, ignore_index=True)[EDIT_COLUMNS] if frames else pd.DataFrame(columns=EDIT_COLUMNS)
    )


def with_edit_columns(metrics: pd.DataFrame, edits: pd.DataFrame) -> pd.DataFrame:
    """The metrics table with one `recall_<edit>` column per edit (one wide table to share)."""
    if edits.empty:
        return metrics
    wide = edits.pivot_table(
        index=["algorithm", "threshold"], columns="edit", values="recall", aggfunc="first"
    )
    wide.columns = [f"recall_{edit}" for edit in wide.columns]
    return metrics.merge(wide.reset_index(), on=["algorithm", "threshold"], how="left")


def operating_points(metrics: pd.DataFrame, target_fprs: Sequence[float]) -> pd.DataFrame:
    """Per algorithm and target: the largest threshold whose false-positive rate is <= target.

    threshold is -1 (and recall 0) when even threshold 0 exceeds the target.
    """
    rows = []
    for algorithm, table in metrics.groupby("algorithm", sort=False):
        for target in target_fprs:
            ok = table[table["fpr"] <= target + 1e-15]
            if ok.empty:
                rows.append(
                    {
                        "algorithm": algorithm,
                        "target_fpr": target,
                        "threshold": -1,
                        "recall": 0.0,
                        "fpr": 0.0,
                        "precision": np.nan,
                        "tp": 0,
                        "fp": 0,
                    }
                )
                continue
            best = ok.loc[ok["threshold"].idxmax()]
            rows.append(
                {
                    "algorithm": algorithm,
                    "target_fpr": target,
                    "threshold": int(best["threshold"]),
                    "recall": best["recall"],
                    "fpr": best["fpr"],
                    "precision": best["precision"],
                    "tp": int(best["tp"]),
                    "fp": int(best["fp"]),
                }
            )
    return pd.DataFrame(rows, columns=OPERATING_COLUMNS)


def edit_recall_at(edits: pd.DataFrame, points: pd.DataFrame, target_fpr: float) -> pd.DataFrame:
    """Recall per edit (rows) and algorithm (columns) at each algorithm's operating threshold
    for `target_fpr` (0 where no threshold meets the target)."""
    if edits.empty:
        return pd.DataFrame()
    chosen = points[np.isclose(points["target_fpr"], target_fpr)].set_index("algorithm")["threshold"]
    table = pd.DataFrame(index=pd.Index(sorted(edits["edit"].unique()), name="edit"))
    for algorithm, threshold in chosen.items():
        rows = edits[(edits["algorithm"] == algorithm) & (edits["threshold"] == threshold)]
        table[algorithm] = rows.set_index("edit")["recall"].reindex(table.index).fillna(0.0)
    return table
