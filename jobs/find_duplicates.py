"""spark-submit entry point of the near-duplicate job (same options as `sparkhash dups`).

    spark-submit --properties-file conf/cluster.conf jobs/find_duplicates.py HASHES OUTPUT --threshold 4
"""

from __future__ import annotations

import argparse
import sys

from sparkhash.dedup import job


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="find_duplicates.py", description="near-duplicate pairs and clusters")
    job.add_arguments(parser)
    return job.run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
