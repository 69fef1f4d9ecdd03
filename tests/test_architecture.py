"""Architecture rules that lint-imports cannot check.

No code outside the algorithm registry and the kernels branches on an algorithm's name: what
differs between algorithms is a field of their registry record (`sparkhash.core.registry`),
matching included (`Algorithm.matcher`, implemented in `sparkhash.dedup.matchers`). The scan
below reads every module of the package (AST, no import) and fails on a comparison, an `in`
test, a `match` case, a dispatch-dict key or set algebra against an algorithm name — a string
literal such as "robust", or a constant holding one such as CROP_RESISTANT — and on a list of
two or more algorithm names kept outside the registry.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sparkhash.core.registry import ALGORITHMS, REGISTRY

PACKAGE = Path(__file__).resolve().parents[1] / "sparkhash"

#: Where branching on an algorithm's name is the point: the registry and the kernels (the core
#: modules that compute one algorithm's bits, and compare e.g. a segment-hash name).
ALLOWED = {
    "core/registry.py",
    "core/hashes.py",
    "core/haar.py",
    "core/colour.py",
    "core/segmentation.py",
    "core/crop_resistant.py",
    "core/compat.py",
    "core/robust.py",
    "core/pdq.py",
}

_COMPARISONS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Is, ast.IsNot)


def _name_constants(trees: dict[str, ast.Module]) -> set[str]:
    """Constants (upper-case names) bound anywhere in the package to an algorithm name
    (ROBUST = "robust", ...); a field default such as `algorithm: str = "phash"` is no constant."""
    names = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            value = getattr(node, "value", None)
            if isinstance(value, ast.Constant) and value.value in ALGORITHMS:
                names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()}
    return names


def _is_algorithm_name(node: ast.AST, constants: set[str]) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in ALGORITHMS
    if isinstance(node, ast.Name):
        return node.id in constants
    if isinstance(node, ast.Attribute):
        return node.attr in constants
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_is_algorithm_name(e, constants) for e in node.elts)
    return False


def name_branches(source: str, constants: set[str]) -> list[tuple[int, str]]:
    """(line, code) of every branch on an algorithm name in `source`."""
    found = []
    tree = ast.parse(source)
    exports = {  # __all__ names public functions, some called like the algorithms (phash)
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets)
    }
    for node in ast.walk(tree):
        operands: list[ast.AST] = []
        if isinstance(node, ast.Compare) and any(isinstance(op, _COMPARISONS) for op in node.ops):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.MatchValue):
            operands = [node.value]
        elif isinstance(node, ast.Dict):  # a dispatch table keyed by algorithm name
            operands = [k for k in node.keys if k is not None]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr, ast.Sub)):
            operands = [node.left, node.right]  # set algebra: wanted & {"phash", "phash_simple"}
        elif (
            isinstance(node, (ast.Tuple, ast.List, ast.Set)) and id(node) not in exports
        ):  # a list of its own
            operands = [node] if sum(_is_algorithm_name(e, constants) for e in node.elts) >= 2 else []
        if any(_is_algorithm_name(o, constants) for o in operands):
            found.append((node.lineno, ast.get_source_segment(source, node) or ""))
    return found


def _trees() -> dict[str, tuple[str, ast.Module]]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        out[path.relative_to(PACKAGE).as_posix()] = (source, ast.parse(source))
    return out


def test_no_code_outside_the_registry_and_kernels_branches_on_an_algorithm_name():
    trees = _trees()
    constants = _name_constants({k: t for k, (_, t) in trees.items()})
    assert {"CROP_RESISTANT", "ROBUST"} <= constants  # the scan knows the constants in use
    offenders = [
        f"sparkhash/{module}:{line}: {code}"
        for module, (source, _) in trees.items()
        if module not in ALLOWED
        for line, code in name_branches(source, constants)
    ]
    assert not offenders, (
        "branches on an algorithm's name (declare the difference in its registry record, e.g. "
        "its matcher kind, and dispatch on that):\n" + "\n".join(offenders)
    )


@pytest.mark.parametrize(
    "code",
    [
        'if algorithm == "robust":\n    pass',
        "if CROP_RESISTANT in algorithms:\n    pass",
        "single = [a for a in algorithms if a not in (CROP_RESISTANT, ROBUST)]",
        "if config.algorithm != registry.ROBUST:\n    pass",
        'text = "x" if link["algorithm"] == "robust" else "y"',
        'match algorithm:\n    case "crop_resistant":\n        pass',
        'run = {"robust": find_robust_pairs, "phash": find_pairs}[algorithm]',
        'if wanted & {"phash", "phash_simple"}:\n    pass',
        '_HASH_SIZE_ALGORITHMS = ("ahash", "phash", "dhash")',
    ],
)
def test_the_scan_finds_a_name_branch(code):
    assert name_branches(code, {"CROP_RESISTANT", "ROBUST"})


@pytest.mark.parametrize(
    "code",
    [
        "if record.matcher == HAMMING:\n    pass",
        'if "hash_size" in wanted:\n    pass',
        "rows = valid_hashes(hashes, ROBUST, keep_case=True)",
        'pairs = pairs.select(F.lit("robust").alias("algorithm"))',
        "def f(algorithm: str = CROP_RESISTANT): ...",
    ],
)
def test_the_scan_allows_dispatch_on_record_fields_and_plain_uses_of_a_name(code):
    assert not name_branches(code, {"CROP_RESISTANT", "ROBUST"})


def test_every_record_declares_its_outputs_and_a_matcher_with_an_implementation():
    from sparkhash.dedup.matchers import MATCHERS

    for record in REGISTRY.values():
        assert record.matcher in MATCHERS
        if record.multi:
            assert not record.columns and {"segment", "hash"} <= {f.name for f in record.rows}
        else:
            assert record.columns and record.columns[0].name == record.name == record.hash_field
