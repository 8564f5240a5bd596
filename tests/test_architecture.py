"""Each layer imports only itself and the layers below it (docs/architecture.md).

Every module under ``src/openimr`` belongs to a layer: a module in no layer fails. Every
import form counts: ``import openimr.x``, ``from openimr.x import``, ``from openimr import x``,
relative imports, ``importlib.import_module("openimr.x")`` and ``__import__("openimr.x")``
with a literal name, wherever they stand (in functions, under ``if TYPE_CHECKING:``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "openimr"

LAYERS: list[tuple[str, frozenset[str]]] = [
    # bottom first; a unit is a top-level module or package of openimr ("openimr": __init__)
    ("version", frozenset({"openimr"})),
    ("errors", frozenset({"errors"})),
    ("yamlio", frozenset({"yamlio"})),
    ("support", frozenset({"diskcache", "nlp"})),
    ("model", frozenset({"model"})),
    ("library", frozenset({"library"})),
    ("request", frozenset({"request"})),
    ("records", frozenset({"records", "caseio"})),
    ("extract", frozenset({"extract"})),
    ("engine", frozenset({"engine"})),
    ("render", frozenset({"render"})),
    ("pipeline", frozenset({"pipeline", "batch", "distributed", "evaluate"})),
    ("published/process", frozenset({"published", "process"})),
    ("store", frozenset({"store"})),
    ("service", frozenset({"service"})),
    ("api/web", frozenset({"api", "web"})),
    ("cli", frozenset({"cli", "__main__"})),
]

FORBIDDEN: dict[str, frozenset[str]] = {
    # below the unit in the order, and still not to be imported by it
    "engine": frozenset({"extract"}),  # the engine decides on facts; it never reads records
    "published": frozenset({"process"}),  # two independent readers of the same layer
    "process": frozenset({"published"}),
}

RANK = {unit: rank for rank, (_, units) in enumerate(LAYERS) for unit in units}
LAYER_NAME = {unit: name for name, units in LAYERS for unit in units}


@dataclass(frozen=True)
class Import:
    module: str  # absolute, e.g. "openimr.pipeline"
    line: int


def module_name(path: Path, root: Path) -> tuple[str, str]:
    """The dotted name of the module at ``path`` and of its package (``root`` is openimr/)."""
    parts = ["openimr", *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts = parts[:-1]
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


def _literal_import_call(node: ast.Call) -> str | None:
    """``importlib.import_module("x")``, ``import_module("x")`` or ``__import__("x")``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def _from_import(node: ast.ImportFrom, package: str, is_module: set[str]) -> list[str]:
    if node.level:
        base = package.split(".")
        base = base[: len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    out = []
    for alias in node.names:
        sub = f"{source}.{alias.name}"
        # `from openimr import pipeline` imports the module openimr.pipeline
        out.append(sub if sub in is_module else source)
    return out


def imports_of(source: str, package: str, is_module: set[str] | None = None) -> list[Import]:
    """Every openimr module the source text imports, in any form, with its line."""
    modules = is_module or set()
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = _from_import(node, package, modules)
        elif isinstance(node, ast.Call):
            literal = _literal_import_call(node)
            names = [literal] if literal else []
        found += [
            Import(n, node.lineno) for n in names if n == "openimr" or n.startswith("openimr.")
        ]
    return found


def unit_of(module: str) -> str:
    """The layer unit of a dotted module name: ``openimr.engine.logic`` -> ``engine``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "openimr"


def check(root: Path) -> list[str]:
    """Every layering problem in the package tree at ``root`` (the openimr/ directory)."""
    paths = sorted(root.rglob("*.py"))
    named = {path: module_name(path, root) for path in paths}
    is_module = {name for name, _ in named.values()}
    problems: list[str] = []
    for path in paths:
        name, package = named[path]
        unit = unit_of(name)
        where = path.relative_to(root.parent)
        if unit not in RANK:
            problems.append(f"{where}: {unit!r} is in no layer (tests/test_architecture.py)")
            continue
        for imp in imports_of(path.read_text(encoding="utf-8"), package, is_module):
            target = unit_of(imp.module)
            if target == unit:
                continue
            if target not in RANK:
                problems.append(f"{where}:{imp.line}: imports {imp.module}, in no layer")
            elif RANK[target] > RANK[unit] or target in FORBIDDEN.get(unit, ()):
                problems.append(
                    f"{where}:{imp.line}: {unit} ({LAYER_NAME[unit]}) imports {imp.module} "
                    f"({LAYER_NAME[target]})"
                )
    return problems


def test_layers_import_only_downwards() -> None:
    problems = check(SRC)
    assert not problems, "\n".join(problems)


def test_every_layer_unit_exists() -> None:
    units = {unit_of(module_name(p, SRC)[0]) for p in SRC.rglob("*.py")}
    assert set(RANK) - units == set(), "layers name units that are not in src/openimr"


# -- the checker itself: a planted violation of each form is reported ----------------------

PLANTED = {
    "plain import": "import openimr.pipeline\n",
    "import as": "import openimr.pipeline as p\n",
    "from module": "from openimr.pipeline import review_case\n",
    "from package": "from openimr import pipeline\n",
    "relative from parent": "from .. import pipeline\n",
    "relative module": "from ..pipeline import review_case\n",
    "import_module": "import importlib\nimportlib.import_module('openimr.pipeline')\n",
    "bare import_module": "from importlib import import_module\nimport_module('openimr.pipeline')\n",
    "__import__": "__import__('openimr.pipeline')\n",
    "in a function": "def f() -> None:\n    from openimr.pipeline import review_case\n",
    "TYPE_CHECKING": (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import openimr.pipeline\n"
    ),
    "forbidden though below": "from openimr.extract import extract_facts\n",
}


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "openimr"
    base = {
        "__init__.py": "__version__ = '0'\n",
        "pipeline.py": "from openimr.engine import logic\n",
        "extract/__init__.py": "def extract_facts() -> None: ...\n",
        "engine/__init__.py": "",
        "engine/logic.py": "from . import __name__ as _\nfrom openimr import __version__\n",
    }
    for rel, text in {**base, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_clean_planted_tree_passes(tmp_path: Path) -> None:
    assert check(_tree(tmp_path, {})) == []


@pytest.mark.parametrize("form", sorted(PLANTED))
def test_each_import_form_is_caught(tmp_path: Path, form: str) -> None:
    problems = check(_tree(tmp_path, {"engine/bad.py": PLANTED[form]}))
    assert len(problems) == 1, problems
    assert problems[0].startswith("openimr/engine/bad.py:"), problems


def test_a_module_in_no_layer_is_caught(tmp_path: Path) -> None:
    problems = check(_tree(tmp_path, {"newthing.py": "", "newpkg/__init__.py": ""}))
    assert sorted(problems) == [
        "openimr/newpkg/__init__.py: 'newpkg' is in no layer (tests/test_architecture.py)",
        "openimr/newthing.py: 'newthing' is in no layer (tests/test_architecture.py)",
    ]


def test_an_import_of_a_module_in_no_layer_is_caught(tmp_path: Path) -> None:
    problems = check(_tree(tmp_path, {"engine/bad.py": "import openimr.elsewhere\n"}))
    assert problems == ["openimr/engine/bad.py:1: imports openimr.elsewhere, in no layer"]


def test_engine_and_model_do_not_read_the_clock() -> None:
    for package in ("model", "engine", "library", "extract"):
        for path in (SRC / package).rglob("*.py"):
            text = path.read_text()
            for call in (
                "datetime.now(",
                "date.today(",
                "time.time(",
                "dt.datetime.now(",
                "dt.date.today(",
            ):
                assert call not in text, f"{path.relative_to(SRC)} reads the clock ({call})"
