"""sparkhash: perceptual image hashing bit-exact with imagehash 4.3.2, and near-duplicate
detection on Apache Spark.

`sparkhash.core` is portable (no Spark); `sparkhash.spark` and `sparkhash.dedup` run on Spark.
"""

__version__ = "0.1.0"
