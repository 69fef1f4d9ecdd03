"""spark-submit entry point of the hashing job (same options as `sparkhash hash`).

    spark-submit --properties-file conf/cluster.conf --py-files sparkhash.zip \
        jobs/hash_images.py INPUT OUTPUT [options]
"""

import sys

from sparkhash.spark.hash_job import main

if __name__ == "__main__":
    sys.exit(main(prog="hash_images.py"))
