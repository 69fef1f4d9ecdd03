"""The package-root API: lazy imports, and find_pairs / hamming_distance on a plain (id, hex) table."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys

import pytest

import sparkhash


def test_import_sparkhash_does_not_import_pyspark():
    code = (
        "import sys, sparkhash; "
        "assert 'pyspark' not in sys.modules, 'pyspark imported'; "
        "sparkhash.HashParams; assert 'pyspark' not in sys.modules; "
        "sparkhash.UsageError, sparkhash.QueryError, sparkhash.EmptyImageError; "
        "assert 'pyspark' not in sys.modules, 'the errors imported pyspark'; "
        "print(sorted(sparkhash.__all__))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    for name in (
        "hash_images",
        "find_pairs",
        "find_segment_pairs",
        "clusters",
        "read_hashes",
        "hamming_distance",
        "DupsResult",
        "PairsResult",
        "JobSummary",
        "UsageError",
        "ParamsMismatch",
    ):
        assert name in out


def test_every_exception_is_in_errors_and_exported():
    import sparkhash.errors as errors

    defined = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, Exception) and value.__module__ == errors.__name__
    }
    assert {"UsageError", "ParamsMismatch", "QueryError", "LeaseHeld", "ImageDecodeError"} <= defined
    assert defined <= set(sparkhash.__all__)
    assert all(getattr(sparkhash, name) is getattr(errors, name) for name in defined)
    # no exception class is defined anywhere else in the package
    import pathlib
    import re

    root = pathlib.Path(sparkhash.__file__).parent
    elsewhere = [
        f"{path.relative_to(root)}: {m[1]}"
        for path in root.rglob("*.py")
        if path.name != "errors.py"
        for m in re.finditer(
            r"^class (\w+)\((\w*(Error|Exception|Mismatch|Held|Lost|Unavailable))\)", path.read_text(), re.M
        )
    ]
    assert not elsewhere, elsewhere


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        sparkhash.no_such_thing  # noqa: B018


def _hexes(count: int, seed: int) -> list[tuple[str, str]]:
    """(id, 16-digit hex) rows in a few tight families, so pairs exist at small distances."""
    rng = random.Random(seed)
    rows = []
    for family in range(count // 5):
        base = rng.getrandbits(64)
        for member in range(5):
            value = base
            for _ in range(rng.randrange(0, 6)):
                value ^= 1 << rng.randrange(64)
            rows.append((f"img{family:02d}_{member}", f"{value:016x}"))
    return rows


@pytest.mark.spark
def test_find_pairs_on_a_plain_id_hex_table_equals_brute_force(spark):
    from sparkhash import find_pairs, hamming_distance

    rows = _hexes(40, seed=3)
    threshold = 6
    expected = {
        (min(a, b), max(a, b)): bin(int(x, 16) ^ int(y, 16)).count("1")
        for (a, x), (b, y) in itertools.combinations(rows, 2)
        if bin(int(x, 16) ^ int(y, 16)).count("1") <= threshold
    }
    df = spark.createDataFrame(rows, "id string, hex string")
    result = find_pairs(df, threshold, id_col="id", hash_col="hex", algorithm="phash")
    got = {(r["path_a"], r["path_b"]): r["distance"] for r in result.pairs.collect()}
    assert expected and got == expected

    pairs = df.alias("a").crossJoin(df.alias("b")).where("a.id < b.id")
    distances = pairs.select("a.id", "b.id", hamming_distance("a.hex", "b.hex").alias("d")).collect()
    lookup = dict(rows)
    assert all(r["d"] == bin(int(lookup[r[0]], 16) ^ int(lookup[r[1]], 16)).count("1") for r in distances)


@pytest.mark.spark
def test_find_pairs_checks_params_when_present(spark):
    from sparkhash import HashParams, UsageError, find_pairs

    rows = [
        ("a", "00ff00ff00ff00ff", HashParams().to_json()),
        ("b", "00ff00ff00ff00fe", HashParams(hash_size=16).to_json()),
    ]
    df = spark.createDataFrame(rows, "id string, hex string, params string")
    with pytest.raises(UsageError, match="different parameters"):
        find_pairs(df, 4, id_col="id", hash_col="hex", algorithm="phash")
