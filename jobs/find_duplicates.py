"""spark-submit entry point of the near-duplicate job (same options as `sparkhash dups`).

spark-submit --properties-file conf/cluster.conf jobs/find_duplicates.py HASHES OUTPUT --threshold 4
"""

from __future__ import annotations

import sys

from sparkhash.cli import main

if __name__ == "__main__":
    sys.exit(main(["dups", *sys.argv[1:]], prog="find_duplicates.py"))
