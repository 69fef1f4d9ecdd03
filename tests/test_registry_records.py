"""A record's output fields, declared once, become the Spark schema and the Arrow UDF's columns.

The records under test are registered for the test only (`monkeypatch.setitem` on the
registry): a PDQ-like algorithm with a hash column and an int quality column, and a
dihedral-like multi-hash algorithm with an exploded table. No Spark session: the UDF's batch
function runs here in-process on real Pillow images, as a Python worker runs it.
"""

from __future__ import annotations

import datetime

import imagehash
import pyarrow as pa
import pytest
from images import encode, smooth_rgb
from pyspark.sql.pandas.types import to_arrow_schema
from pyspark.sql.types import IntegerType, StringType

from sparkhash.core import registry
from sparkhash.core.classes import ImageHash
from sparkhash.core.decode import DecodeOptions
from sparkhash.core.params import HashParams
from sparkhash.core.registry import HAMMING, HAMMING_EXPLODED, Algorithm, Field
from sparkhash.core.results import Segment
from sparkhash.dedup.matchers import matcher_for
from sparkhash.spark import schemas
from sparkhash.spark.api import hashed_schema
from sparkhash.spark.udf import batch_hasher


def _scored(thumbs, p, image=None, grey=None):
    """ahash's bits and a 'quality' of their count of ones."""
    bits = registry.REGISTRY["ahash"].kernel(thumbs, p)
    return ImageHash(bits), int(bits.sum())


def _turns(thumbs, p, image=None, grey=None):
    """ahash of the image and of its quarter turns: 4 signatures."""
    from sparkhash.core.hashes import average_hash

    return [
        Segment(index=k, hash=average_hash(image.rotate(90 * k, expand=True)), box=(0, 0, 0, 0), pixels=0)
        for k in range(4)
    ]


SCORED = Algorithm(
    "scored",
    _scored,
    ("hash_size",),
    lambda p: p.hash_size**2,
    registry.REGISTRY["ahash"].thumbnail,
    columns=(Field("scored"), Field("scored_quality", "int32")),
    cells=lambda v: (str(v[0]), v[1]),
    matcher=HAMMING,
)
TURNS = Algorithm(
    "turns",
    _turns,
    ("hash_size",),
    lambda p: p.hash_size**2,
    multi=True,
    table="turns",
    rows=(Field("segment", "int32", False), Field("hash", "string", False)),
    count_column="turn_count",
    cells=lambda signatures: [(s.index, str(s.hash)) for s in signatures],
    matcher=HAMMING_EXPLODED,
)


@pytest.fixture
def records(monkeypatch):
    monkeypatch.setitem(registry.REGISTRY, "scored", SCORED)
    monkeypatch.setitem(registry.REGISTRY, "turns", TURNS)
    monkeypatch.setitem(schemas.EXPLODED_TABLES, "turns", TURNS)
    monkeypatch.setattr(schemas, "SINGLE_ALGORITHMS", (*schemas.SINGLE_ALGORITHMS, "scored"))
    import sparkhash.spark.api as api

    monkeypatch.setattr(api, "EXPLODED_TABLES", schemas.EXPLODED_TABLES)


def test_a_record_declares_its_columns_once_for_spark_and_arrow(records):
    spark_schema = hashed_schema(("phash", "scored", "turns"))
    fields = {f.name: f for f in spark_schema.fields}
    assert fields["scored"].dataType == StringType() and fields["scored_quality"].dataType == IntegerType()
    assert fields["turn_count"].dataType == IntegerType()
    assert [f.name for f in fields["turns"].dataType.elementType.fields] == ["segment", "hash"]
    assert schemas.exploded_schema(TURNS).fieldNames() == ["path", "segment", "hash", "params", "run_id"]

    image = smooth_rgb(96, 64, seed=3)
    arrow = to_arrow_schema(spark_schema, timezone="UTC")
    source = pa.RecordBatch.from_pydict(
        {
            "path": ["a.png", "bad.png"],
            "length": [1, 2],
            "modification_time": [datetime.datetime(2026, 1, 1)] * 2,
            "content": [encode(image), b"not an image"],
        }
    )
    run = batch_hasher(("phash", "scored", "turns"), HashParams(), DecodeOptions(), "{}", arrow)
    (out,) = list(run(iter([source])))
    assert out.schema == arrow
    rows = out.to_pylist()
    expected = imagehash.average_hash(image)
    assert rows[0]["scored"] == str(expected)
    assert rows[0]["scored_quality"] == int(expected.hash.sum())
    assert rows[0]["phash"] == str(imagehash.phash(image))
    assert [t["segment"] for t in rows[0]["turns"]] == [0, 1, 2, 3] and rows[0]["turn_count"] == 4
    assert rows[0]["turns"][1]["hash"] == str(imagehash.average_hash(image.rotate(90, expand=True)))
    assert rows[0]["segments"] is None and rows[0]["segment_count"] is None  # crop_resistant not asked
    assert rows[1]["error"] and rows[1]["scored"] is None and rows[1]["turns"] is None


def test_the_matcher_comes_from_the_record_not_the_name(records):
    assert matcher_for(SCORED).kind == HAMMING and matcher_for(TURNS).kind == HAMMING_EXPLODED
    assert matcher_for("scored") is matcher_for("phash")


def test_a_record_is_checked_when_declared():
    with pytest.raises(ValueError, match="matcher"):
        Algorithm("x", _scored, (), lambda p: 64, matcher="cosine")
    with pytest.raises(ValueError, match="type"):
        Field("x", "float")
    with pytest.raises(ValueError, match="rows"):
        Algorithm("x", _turns, (), lambda p: 64, multi=True, matcher=HAMMING)
