"""spark-submit entry point of the hashing job (same options as `sparkhash hash`).

    spark-submit --properties-file conf/cluster.conf --py-files sparkhash.zip \
        jobs/hash_images.py INPUT OUTPUT [options]
"""

import sys

from sparkhash.cli import main

if __name__ == "__main__":
    sys.exit(main(["hash", *sys.argv[1:]], prog="hash_images.py"))
