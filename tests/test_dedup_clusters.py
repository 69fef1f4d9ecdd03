"""Connected components equal a union-find on the driver; one keep path per cluster by the rule."""

from __future__ import annotations

import random

import pytest

from sparkhash.dedup.clusters import clusters, connected_components

pytestmark = pytest.mark.spark


def union_find(edges: list[tuple[str, str]]) -> dict[str, str]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


def test_components_equal_union_find(spark):
    rng = random.Random(2)
    nodes = [f"n{i:04d}" for i in range(400)]
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(250)]
    # a long chain (diameter 30) in reverse order and a self loop
    edges += [(f"c{i + 1:03d}", f"c{i:03d}") for i in range(30)] + [("n0001", "n0001")]
    df = spark.createDataFrame(edges, "src string, dst string")
    got = {r.node: r.component for r in connected_components(df).collect()}
    expected = union_find([(a, b) for a, b in edges if a != b])
    assert got == expected


def test_keep_rule(spark):
    pairs = spark.createDataFrame(
        [("a", "b"), ("b", "c"), ("d", "e"), ("f", "g")], "path_a string, path_b string"
    )
    attributes = spark.createDataFrame(
        [
            ("a", 100, 5),
            ("b", 400, 1),
            ("c", 400, 2),
            ("d", 50, 7),
            ("e", 50, 7),
            ("f", None, None),
            ("g", 1, None),
        ],
        "path string, pixels long, length long",
    )
    rows = {r.path: (r.cluster, r.keep) for r in clusters(pairs, attributes).collect()}
    assert rows == {
        "a": ("a", False),
        "b": ("a", False),
        "c": ("a", True),  # most pixels, then largest file
        "d": ("d", True),
        "e": ("d", False),  # tie: smallest path
        "f": ("f", False),
        "g": ("f", True),  # unknown size loses
    }
