"""Every parameter is declared once, in the schema, beside the code that reads it.

- No read site states a default: ``ParameterView.number/.month/.raw`` take a key path only,
  and no call in ``model/`` passes a second argument (an AST scan), so an absent key reads
  as the default its schema node declares. Nor do the modules that read a scenario (the
  world, the actors, the treaties and the engine) default a key of a table they hold
  (``table.get("shock_sd", 0.0)``, ``spec.get("route") or ...``): a second scan. Nor does
  any module give ``Scenario.get`` a default (it takes a key path only and reads an absent
  key as its declared default).
- The "may be a distribution" flag cannot drift from how the code reads a key: building and
  running every shipped scenario, each key read through ``view.number`` / ``view.month`` is
  a ``sampled`` Number / Month of the schema, and no key read through ``view.raw`` is.
"""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

import pytest

from model.engine.simulation import PactModel
from model.files.scenario import Scenario, load
from model.files.schema import SCENARIO
from model.world.nodes import Month, Number
from model.world.parameters import ParameterView, declared

ROOT = Path(__file__).resolve().parents[2]
READS = ("number", "month", "raw")


def _reads_with_a_default(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        target = node.func.value
        named = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
        if node.func.attr in READS and named == "view" and (len(node.args) > 1 or node.keywords):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} view.{node.func.attr}(...)")
    return found


# the modules that read a scenario's tables; the distribution specs (whose absent ``low`` /
# ``high`` mean "unbounded" by the kind's own definition) and the schema's checks, which
# run on data not yet checked, are not reads
READERS = ("model/world", "model/actors", "model/treaties", "model/engine")
NOT_READS = {"model/world/distributions.py", "model/world/nodes.py", "model/world/kinds.py"}
NOT_DATA = {"ctx.names"}  # the schema check's names, not a scenario table


def _receiver(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_receiver(node.value)}.{node.attr}"
    return "?"


def _table_defaults(path: Path) -> list[str]:
    """``x.get("key", default)`` and ``x.get("key") or default`` in ``path``."""
    tree = ast.parse(path.read_text(), str(path))
    defaulted = {id(n.values[0]) for n in ast.walk(tree) if isinstance(n, ast.BoolOp)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        keyed = node.args and isinstance(node.args[0], ast.Constant)
        if node.func.attr != "get" or not keyed or isinstance(node.args[0].value, int):
            continue
        if _receiver(node.func.value) in NOT_DATA:
            continue
        if len(node.args) > 1 or node.keywords or id(node) in defaulted:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} .get({node.args[0].value!r})")
    return found


def _scenario_reads_with_a_default(path: Path) -> list[str]:
    """``<...scenario>.get(path, default)`` in ``path``: a scenario read with its own default."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr == "get" and _receiver(node.func.value).endswith("scenario"):
            if len(node.args) > 1 or node.keywords:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} scenario.get(...)")
    return found


def _none_found(paths: list[Path], scan) -> None:
    found = [hit for path in paths for hit in scan(path)]
    assert not found, "defaults belong in the schema node of the key:\n" + "\n".join(found)


def test_no_scenario_read_states_a_default():
    _none_found(sorted((ROOT / "model").rglob("*.py")), _scenario_reads_with_a_default)
    assert list(inspect.signature(Scenario.get).parameters) == ["self", "path"]
    baseline = load("baseline")
    data = {k: v for k, v in baseline.data.items() if k != "blockade"}
    bare = type(baseline)(baseline.name, baseline.path, data)
    assert bare.get("blockade.import_start") == "none" and bare.get("blockade.preemption") == []
    assert bare.get("no_such.key") is None


def test_no_reader_defaults_a_key_of_a_table():
    paths = [p for d in READERS for p in sorted((ROOT / d).rglob("*.py"))]
    assert len(paths) > 30
    _none_found([p for p in paths if str(p.relative_to(ROOT)) not in NOT_READS], _table_defaults)


def test_the_table_scan_sees_a_default():
    module = ROOT / "model" / "actors" / "_probe_for_the_scan.py"
    try:
        module.write_text(
            "def f(h, spec, ctx):\n"
            '    sd = h.get("shock_sd", 0.0)\n'
            '    route = spec.get("route") or "transit"\n'
            '    return sd, route, spec.get("goods"), ctx.names.get("phases", ())\n'
            "def g(model):\n"
            '    return model.pact_scenario.get("events.invasion", "none")\n'
        )
        assert _scenario_reads_with_a_default(module) == [
            "model/actors/_probe_for_the_scan.py:6 scenario.get(...)"
        ]
        assert sorted(_table_defaults(module)) == [
            "model/actors/_probe_for_the_scan.py:2 .get('shock_sd')",
            "model/actors/_probe_for_the_scan.py:3 .get('route')",
            "model/actors/_probe_for_the_scan.py:6 .get('events.invasion')",
        ]
    finally:
        module.unlink()


def test_no_read_site_states_a_default():
    _none_found(sorted((ROOT / "model").rglob("*.py")), _reads_with_a_default)
    for name in READS:
        assert list(inspect.signature(getattr(ParameterView, name)).parameters) == ["self", "path"]


def test_the_scan_sees_an_inline_default():
    module = ROOT / "model" / "_probe_for_the_scan.py"
    try:
        module.write_text('def f(view):\n    return view.number("blockade.effectiveness", 0.0)\n')
        assert _reads_with_a_default(module) == ["model/_probe_for_the_scan.py:2 view.number(...)"]
    finally:
        module.unlink()


def test_an_absent_key_reads_as_its_declared_default():
    baseline = load("baseline")
    data = {k: v for k, v in baseline.data.items() if k != "blockade"}
    view = ParameterView(type(baseline)(baseline.name, baseline.path, data), 3)
    node = declared(SCENARIO, "blockade.effectiveness")
    assert node.default == 0.0 and list(view.number("blockade.effectiveness")) == [0.0] * 3
    assert view.raw("blockade.preemption") == []  # an array declared without a default
    with pytest.raises(KeyError):
        view.number("soviet_union.pool_cap_months.nothing")


SHIPPED = [
    *sorted((ROOT / "scenarios").glob("*.toml")),
    ROOT / "scenarios/validation/no_soviet_supply.toml",
]


def test_keys_read_as_numbers_or_months_are_sampled_and_raw_reads_are_not(monkeypatch):
    reads: set[tuple[str, str]] = set()
    originals = {name: getattr(ParameterView, name) for name in READS}

    def recording(name):
        def read(self, path):
            caller = sys._getframe(1).f_code.co_name
            if name != "raw" or caller not in ("_present", "resolved"):
                reads.add((name, path))
            return originals[name](self, path)

        return read

    for name in READS:
        monkeypatch.setattr(ParameterView, name, recording(name))
    assert len(SHIPPED) >= 20
    for path in SHIPPED:
        PactModel(load(path), n_runs=1).run()
    wrong = []
    for how, path in sorted(reads):
        node = declared(SCENARIO, path)
        sampled = isinstance(node, Number | Month) and node.sampled
        if (how == "raw") == sampled:
            wrong.append(f"{path}: read by view.{how}, declared {node!r}")
    assert len(reads) > 150
    assert not wrong, "\n".join(wrong)
