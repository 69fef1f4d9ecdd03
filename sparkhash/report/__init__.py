"""The duplicate review report: `sparkhash report DUPS_OUTPUT REPORT.html`.

clusters    ranking, totals and top-cluster members, on Spark
hashes      finding the hash table for file sizes and dimensions
thumbnails  small JPEG data URIs made on the driver
page        the self-contained HTML (embedded JSON, paged rendering)
build       putting it together

The command line is `sparkhash.cli.report`.
"""
