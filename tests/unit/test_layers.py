"""The layers of ``model/`` import only downwards.

Every module's imports are read with ``ast`` -- module-level, function-level and
``TYPE_CHECKING`` imports alike -- and an import of a higher layer fails, naming the module
and the import. The order is the one in ``model/__init__.py`` and README's "Where things are".
"""

from __future__ import annotations

import ast
from pathlib import Path

MODEL = Path(__file__).resolve().parents[2] / "model"

# lowest first; a layer may import itself and any layer before it
LAYERS = (
    "record",
    "errors",
    "world",
    "treaties",
    "actors",
    "files",
    "engine",
    "store",
    "batch",
    "analysis",
    "api",
    "presentation",
    "cli",
)
RANK = {name: i for i, name in enumerate(LAYERS)}


def layer_of(dotted: str) -> str | None:
    """``model.world.goods`` -> ``world``; ``model`` itself (PROJECT_ROOT) belongs to none."""
    parts = dotted.split(".")
    if parts[0] != "model" or len(parts) < 2:
        return None
    return parts[1]


def module_name(path: Path) -> str:
    rel = path.relative_to(MODEL.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """Every module named by an import in ``tree`` (absolute, with its line)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from model import plots` / `from model.presentation import figures`
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def violations() -> list[str]:
    out = []
    for path in sorted(MODEL.rglob("*.py")):
        module = module_name(path)
        own = layer_of(module)
        if own is None:  # model/__init__.py
            continue
        assert own in RANK, f"{module}: its layer {own!r} is not in LAYERS; add it in order"
        tree = ast.parse(path.read_text(), filename=str(path))
        for line, target in imported_modules(tree, module, path.name == "__init__.py"):
            other = layer_of(target)
            if other is None or other not in RANK:
                continue  # model itself, a third-party module, or a name imported from a module
            if RANK[other] > RANK[own]:
                out.append(
                    f"{module} (line {line}) imports {target}: layer {other!r} is above {own!r}"
                )
    return out


def test_every_module_belongs_to_a_layer():
    unknown = {
        layer_of(module_name(p))
        for p in MODEL.rglob("*.py")
        if layer_of(module_name(p)) not in (None, *LAYERS)
    }
    assert not unknown, f"modules outside the layers: {sorted(unknown)}"


def test_no_layer_imports_a_higher_one():
    found = violations()
    assert not found, "imports of a higher layer:\n" + "\n".join(found)


def test_the_check_catches_an_upward_import(tmp_path):
    tree = ast.parse("def f():\n    from model.presentation import plots\n")
    targets = [t for _, t in imported_modules(tree, "model.store.results", False)]
    assert "model.presentation.plots" in targets
    assert RANK[layer_of("model.presentation.plots")] > RANK[layer_of("model.store.results")]


def test_every_subpackage_says_what_it_owns_and_may_import():
    for init in sorted(MODEL.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert "May import" in doc, (
            f"{init.relative_to(MODEL.parent)}: docstring lacks 'May import'"
        )


def test_toml_is_parsed_only_in_files():
    """One TOML reader (``model.files.scenario.parse_toml``): errors name the file the same way."""
    readers = [
        f"{module_name(path)} (line {line})"
        for path in sorted(MODEL.rglob("*.py"))
        if layer_of(module_name(path)) != "files"
        for line, target in imported_modules(
            ast.parse(path.read_text()), module_name(path), path.name == "__init__.py"
        )
        if target.split(".")[0] in ("tomllib", "tomli")
    ]
    assert not readers, "TOML parsed outside model/files:\n" + "\n".join(readers)
