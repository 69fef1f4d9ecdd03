"""Quality evaluation on a labelled corpus: exact pair counts, recall/false-positive tables, plots.

truth     reading the labelled CSV (file, group[, edit])
hamming   Hamming distances between hex hashes as Spark SQL expressions
pairs     all labelled pairs with their distance per algorithm, histogrammed on Spark
metrics   histograms -> recall / FPR / precision per threshold, per edit, operating points
plots     the two PNG figures (matplotlib, optional)
summary   the Markdown summary written next to the tables
"""
