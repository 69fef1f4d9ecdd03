"""Table schemas written by the jobs, defined once here and documented in the README.

hashes   one row per input file (exactly one, also when the file cannot be hashed)
segments one row per crop-resistant segment of a hashed file
pairs    one row per near-duplicate pair found by the dups job
clusters one row per file that belongs to a duplicate cluster

The algorithms' own fields are not declared here: each registry record declares its columns
of the hashes table, or the rows of its exploded table (`sparkhash.core.registry.Field`), and
the Spark types below are generated from them (the Arrow UDF takes its Arrow schema from these,
via Spark's `to_arrow_schema`).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from sparkhash.core.registry import EXPLODED_TABLES, REGISTRY, SINGLE_ALGORITHMS, Algorithm, Field

#: Spark type of each registry field type.
SPARK_TYPES = {"string": StringType(), "int32": IntegerType(), "int64": LongType()}


def spark_field(field: Field) -> StructField:
    """The Spark form of a registry record's output field."""
    return StructField(field.name, SPARK_TYPES[field.type], field.nullable)


def hashes_schema(algorithms: tuple[str, ...] = SINGLE_ALGORITHMS) -> StructType:
    """Schema of the hashes table: the columns of each requested single-image algorithm (its
    record's `columns`: usually one hex column named after it), and the row counts of the
    exploded tables."""
    return StructType(
        [
            StructField("path", StringType(), False),
            StructField("length", LongType(), True),
            StructField("modification_time", TimestampType(), True),
            StructField("width", IntegerType(), True),
            StructField("height", IntegerType(), True),
            *[spark_field(c) for a in algorithms if a in SINGLE_ALGORITHMS for c in REGISTRY[a].columns],
            *[
                StructField(r.count_column, IntegerType(), True)
                for r in EXPLODED_TABLES.values()
                if r.count_column
            ],
            StructField("error", StringType(), True),
            StructField("params", StringType(), False),
            StructField("run_id", StringType(), False),
        ]
    )


def row_struct(record: Algorithm) -> StructType:
    """One row of a multi-hash algorithm's exploded table (its record's `rows`)."""
    return StructType([spark_field(f) for f in record.rows])


def exploded_schema(record: Algorithm) -> StructType:
    """Schema of a multi-hash algorithm's exploded table: path, its rows' fields, params, run_id."""
    return StructType(
        [
            StructField("path", StringType(), False),
            *row_struct(record).fields,
            StructField("params", StringType(), False),
            StructField("run_id", StringType(), False),
        ]
    )


#: One crop-resistant segment of an image (the hash job's `segments` array elements).
SEGMENT_STRUCT = row_struct(EXPLODED_TABLES["segments"])
SEGMENTS_SCHEMA = exploded_schema(EXPLODED_TABLES["segments"])

#: A matched box: fractions of the image's width (x) and height (y), top-left to bottom-right.
BOX_STRUCT = StructType([StructField(name, DoubleType(), True) for name in ("x0", "y0", "x1", "y1")])

#: How path_b relates to path_a, for algorithms whose matcher explains its pairs (`robust`:
#: `sparkhash.core.explain`); null for the others. Documented in the README ("Tables").
RELATION_FIELDS = (
    StructField("relation", StringType(), True),  # "+"-joined words: same, crop, contains, framed, ...
    StructField("rotation", DoubleType(), True),  # degrees path_b is turned clockwise (after the flip)
    StructField("mirrored", BooleanType(), True),  # path_b is flipped
    StructField("scale", DoubleType(), True),  # path_b's picture size / path_a's (linear)
    StructField("box_a", BOX_STRUCT, True),  # the matched part of path_a
    StructField("box_b", BOX_STRUCT, True),  # the matched part of path_b
    StructField("differing", DoubleType(), True),  # share of the matched part that differs
    StructField("score", DoubleType(), True),  # correlation of the matched parts
    StructField("original", StringType(), True),  # "a", "b" (which one is the original) or null
    StructField("evidence", StringType(), True),  # what tells: crop, framed, rotated, sticker, ...
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
        *RELATION_FIELDS,
    ]
)


def conform_pairs(pairs: DataFrame) -> DataFrame:
    """`pairs` with PAIRS_SCHEMA's columns first, in its order: a column it lacks (the
    relation columns of a matcher without relations, or of a pairs table an older sparkhash
    wrote) becomes typed nulls. A record's own extra columns (pdq_dihedral's `orientation`)
    follow, unchanged. The one place a pairs table's columns are completed."""
    have = set(pairs.columns)
    known = {f.name for f in PAIRS_SCHEMA.fields}
    return pairs.select(
        *(
            F.col(f.name).cast(f.dataType) if f.name in have else F.lit(None).cast(f.dataType).alias(f.name)
            for f in PAIRS_SCHEMA.fields
        ),
        *(F.col(c) for c in pairs.columns if c not in known),
    )


CLUSTERS_SCHEMA = StructType(
    [
        StructField("path", StringType(), False),
        StructField("cluster", StringType(), False),
        StructField("keep", BooleanType(), False),
    ]
)
