"""One evaluation run: truth + hashes -> histogram -> tables, summary and plots in a directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from sparkhash.core.params import HashParams
from sparkhash.core.registry import DEFAULT_ALGORITHMS, get
from sparkhash.evaluation import metrics as M
from sparkhash.evaluation.hash_tables import hash_tables
from sparkhash.evaluation.join_check import check_join, default_thresholds
from sparkhash.evaluation.pairs import distance_histogram
from sparkhash.evaluation.summary import join_check_markdown, markdown_summary
from sparkhash.evaluation.truth import REFERENCE_EDIT, path_key, read_truth
from sparkhash.spark.record_tables import record_table

#: `check_join` value: at each algorithm's default threshold.
DEFAULT_CHECK = "default"


@dataclass(frozen=True)
class EvaluationRequest:
    """What to evaluate and where to write it (the options of `sparkhash evaluate`)."""

    truth_csv: str
    output: Path
    root: str | None = None
    hashes: str | None = None  # an existing `sparkhash hash` output; None: hash the corpus now
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    max_threshold: int | None = None
    target_fprs: tuple[float, ...] = (0.0, 1e-4, 1e-3, 1e-2)
    plot_fpr: float = 1e-3
    reference_edit: str = REFERENCE_EDIT
    exclude_groups: tuple[str, ...] = ()
    plots: bool = True
    # also run the dups job's join at this threshold and compare; DEFAULT_CHECK: at each
    # algorithm's default threshold (what dups and match use when not told)
    check_join: int | str | None = None
    params: HashParams = HashParams()


@dataclass
class EvaluationResult:
    """The tables of one run and the files written."""

    corpus: dict
    metrics: pd.DataFrame
    edits: pd.DataFrame
    points: pd.DataFrame
    join_check: pd.DataFrame | None = None
    files: list[Path] = field(default_factory=list)
    #: each algorithm's default threshold (what dups and match use when not told)
    defaults: dict[str, int] = field(default_factory=dict)

    def summary_line(self, seconds: float) -> str:
        """The one line printed at the end of the command."""
        c = self.corpus
        best = self.points[self.points["target_fpr"] == self.points["target_fpr"].max()]
        best = best[best["threshold"] >= 0].sort_values("recall", ascending=False, kind="stable")
        head = ""
        if len(best):
            top = best.iloc[0]
            head = (
                f"; best at FPR<={top['target_fpr']:g}: {top['algorithm']} t={int(top['threshold'])} "
                f"recall {top['recall']:.3f}"
            )
        check = ""
        if self.join_check is not None:
            same = int(self.join_check["same"].sum())
            check = f"; dups join agrees for {same}/{len(self.join_check)} algorithms"
        return (
            f"evaluate: {c['files']} files, {c['groups']} groups, {c['positives']:,} positive and "
            f"{c['negatives']:,} negative pairs, {len(self.metrics['algorithm'].unique())} algorithms{head}{check}; "
            f"wrote {len(self.files)} files to {self.files[0].parent if self.files else '-'} in {seconds:.1f} s"
        )


def corpus_counts(labelled: DataFrame, hashes: DataFrame, histogram: pd.DataFrame) -> dict:
    """Files, groups, files without hashes, and pair totals (from the first algorithm)."""
    row = labelled.agg(F.count(F.lit(1)).alias("files"), F.countDistinct("group").alias("groups")).first()
    hashed = hashes.where(F.col("error").isNull()) if "error" in hashes.columns else hashes
    found = labelled.join(hashed.select(path_key(F.col("path")).alias("key")), "key", "left_semi").count()
    first = (
        histogram[histogram["algorithm"] == histogram["algorithm"].iloc[0]] if len(histogram) else histogram
    )
    return {
        "files": int(row["files"]),
        "groups": int(row["groups"]),
        "unhashed": int(row["files"]) - int(found),
        "positives": int(first.loc[first["positive"].astype(bool), "pairs"].sum()),
        "negatives": int(first.loc[~first["positive"].astype(bool), "pairs"].sum()),
    }


def evaluate(spark: SparkSession, request: EvaluationRequest) -> EvaluationResult:
    """Run the evaluation and write its outputs to `request.output`."""
    labelled = read_truth(spark, request.truth_csv, request.root)
    if request.exclude_groups:
        labelled = labelled.where(~F.col("group").isin(list(request.exclude_groups)))
    labelled = labelled.cache()
    algorithms = request.algorithms
    hashes, segments = hash_tables(spark, labelled, request.hashes, algorithms, request.params)
    # an algorithm whose table the hashes lack (no segments table: no crop_resistant) is left out
    algorithms = tuple(a for a in algorithms if record_table(get(a), hashes, segments) is not None)
    histogram = distance_histogram(labelled, hashes, algorithms, segments, request.reference_edit)
    order = {a: i for i, a in enumerate(algorithms)}
    histogram = histogram.sort_values(
        ["algorithm", "distance"], key=lambda c: c.map(order) if c.name == "algorithm" else c
    )
    corpus = corpus_counts(labelled, hashes, histogram)
    corpus["excluded_groups"] = list(request.exclude_groups)
    metrics = M.threshold_table(histogram, request.max_threshold)
    edits = M.edit_recall_table(histogram, request.max_threshold)
    points = M.operating_points(metrics, request.target_fprs)
    edit_table = M.edit_recall_at(edits, points, request.plot_fpr)
    result = EvaluationResult(corpus, metrics, edits, points)
    if request.check_join is not None:
        threshold = None if request.check_join == DEFAULT_CHECK else int(request.check_join)
        result.join_check = check_join(
            labelled, hashes, segments, algorithms, threshold, metrics, request.params
        )
    result.defaults = default_thresholds(algorithms, request.params)
    result.files = write_outputs(request, result, edit_table)
    labelled.unpersist()
    return result


def write_outputs(
    request: EvaluationRequest, result: EvaluationResult, edit_table: pd.DataFrame
) -> list[Path]:
    """Tables (CSV + Parquet), Markdown summary and, unless disabled, the two plots."""
    out = request.output
    out.mkdir(parents=True, exist_ok=True)
    wide = M.with_edit_columns(result.metrics, result.edits)
    files = [
        out / "metrics.csv",
        out / "metrics.parquet",
        out / "edit_recall.csv",
        out / "operating_points.csv",
        out / "summary.md",
    ]
    wide.to_csv(files[0], index=False, float_format="%.6g")
    wide.to_parquet(files[1], index=False)
    result.edits.to_csv(files[2], index=False, float_format="%.6g")
    result.points.to_csv(files[3], index=False, float_format="%.6g")
    files[4].write_text(
        markdown_summary(
            result.corpus,
            result.metrics,
            result.points,
            edit_table,
            request.target_fprs,
            request.plot_fpr,
            result.defaults,
        )
    )
    if result.join_check is not None:
        files.append(out / "join_check.csv")
        result.join_check.to_csv(files[-1], index=False)
        with files[4].open("a") as fh:
            fh.write(join_check_markdown(result.join_check))
    if request.plots:
        from sparkhash.evaluation.plots import plot_edit_recall, plot_recall_vs_fpr

        files.append(plot_recall_vs_fpr(result.metrics, result.points, out / "recall_vs_fpr.png"))
        if not edit_table.empty:
            files.append(
                plot_edit_recall(edit_table, result.points, request.plot_fpr, out / "edit_recall.png")
            )
    return files
