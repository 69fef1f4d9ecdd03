"""Table schemas written by the jobs, defined once here and documented in the README.

hashes   one row per input file (exactly one, also when the file cannot be hashed)
segments one row per crop-resistant segment of a hashed file
pairs    one row per near-duplicate pair found by the dups job
clusters one row per file that belongs to a duplicate cluster
"""

from __future__ import annotations

from pyspark.sql.types import (
    BooleanType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from sparkhash.core.params import SINGLE_ALGORITHMS


def hashes_schema(algorithms: tuple[str, ...] = SINGLE_ALGORITHMS) -> StructType:
    """Schema of the hashes table: one hex column per requested single-image algorithm."""
    return StructType(
        [
            StructField("path", StringType(), False),
            StructField("length", LongType(), True),
            StructField("modification_time", TimestampType(), True),
            StructField("width", IntegerType(), True),
            StructField("height", IntegerType(), True),
            *[StructField(a, StringType(), True) for a in algorithms if a in SINGLE_ALGORITHMS],
            StructField("segment_count", IntegerType(), True),
            StructField("error", StringType(), True),
            StructField("params", StringType(), False),
            StructField("run_id", StringType(), False),
        ]
    )


#: One crop-resistant segment of an image (the hash job's `segments` array elements).
SEGMENT_STRUCT = StructType(
    [
        StructField("segment", IntegerType(), False),
        StructField("hash", StringType(), False),
        # bounding box in original-image pixels, as Image.crop used it (right/bottom exclusive)
        StructField("left", IntegerType(), False),
        StructField("top", IntegerType(), False),
        StructField("right", IntegerType(), False),
        StructField("bottom", IntegerType(), False),
        # pixel count of the segment in the segmentation image (S x S)
        StructField("pixels", IntegerType(), False),
    ]
)

SEGMENTS_SCHEMA = StructType(
    [
        StructField("path", StringType(), False),
        *SEGMENT_STRUCT.fields,
        StructField("params", StringType(), False),
        StructField("run_id", StringType(), False),
    ]
)

PAIRS_SCHEMA = StructType(
    [
        StructField("path_a", StringType(), False),
        StructField("path_b", StringType(), False),
        StructField("algorithm", StringType(), False),
        StructField("distance", IntegerType(), True),
        StructField("matched_segments", IntegerType(), True),
        StructField("segments_a", IntegerType(), True),
        StructField("segments_b", IntegerType(), True),
    ]
)

CLUSTERS_SCHEMA = StructType(
    [
        StructField("path", StringType(), False),
        StructField("cluster", StringType(), False),
        StructField("keep", BooleanType(), False),
    ]
)
