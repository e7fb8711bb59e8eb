"""The registry of derived numbers (scenarios/validation/derivations.toml) holds its arithmetic.

Each entry names a key path of scenarios/baseline.toml, the rows it rests on (each with its
figure quoted) and a formula over named inputs taken from those figures. The formula must
reproduce the value in baseline.toml, and the key's comment there must cite the same rows.
"""

from __future__ import annotations

import ast
import math
import operator
import tomllib

import pytest

from model.files.scenario import get_path, load
from tests.baseline_citations import BASELINE, DERIVATIONS, entries, rows_cited

REGISTRY = tomllib.loads(DERIVATIONS.read_text())
DERIVED = REGISTRY["derivation"]
SCENARIO = load(BASELINE)
_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def evaluate(formula: str, inputs: dict[str, float]) -> float:
    """+ - * / over named inputs and numbers: nothing else is allowed in a formula."""

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.Name):
            return float(inputs[node.id])
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        raise ValueError(f"not allowed in a formula: {ast.dump(node)}")

    return walk(ast.parse(formula, mode="eval"))


def baseline_value(key: str, part: str | None) -> float:
    value = get_path(SCENARIO.data, key)
    if isinstance(value, dict):
        return float(value[part or "mode"])
    return float(value)


def test_the_registry_covers_the_german_side():
    keys = {d["key"] for d in DERIVED}
    assert len(keys) >= 20
    assert {"germany.harvest.output_t", "germany.reserves.grain.initial_t"} <= keys


@pytest.mark.parametrize("entry", DERIVED, ids=[f"{d['key']}:{d.get('part', '')}" for d in DERIVED])
def test_the_formula_reproduces_the_baseline(entry):
    got = evaluate(entry["formula"], entry["inputs"])
    want = baseline_value(entry["key"], entry.get("part"))
    assert math.isclose(got, want, rel_tol=entry.get("tolerance", 0.01)), (entry["key"], got, want)


@pytest.mark.parametrize("entry", DERIVED, ids=[f"{d['key']}:{d.get('part', '')}" for d in DERIVED])
def test_every_row_is_quoted_and_cited_on_the_key(entry):
    assert set(entry["rows"]) <= set(entry["quotes"]), (
        "quote the figure of every row the entry rests on"
    )
    cited = set()
    for e in entries():
        key = entry["key"]
        if (
            e.path == key
            or e.path.startswith(key + ".")
            or (key.startswith(e.path) and key[len(e.path)] in ".[")
        ):
            cited |= rows_cited(e.comment)
    wanted = {r for r in entry["rows"] if rows_cited(r)}
    assert wanted <= cited, f"{entry['key']}: baseline.toml does not cite {sorted(wanted - cited)}"
