"""Each layer imports only the layers above it (docs/architecture in the shared docs).

model -> library -> extract/engine -> render -> pipeline -> process/store/service -> api/web/cli
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "openimr"

# package -> openimr packages it must not import
FORBIDDEN: dict[str, set[str]] = {
    "model": {
        "library",
        "extract",
        "engine",
        "render",
        "pipeline",
        "records",
        "caseio",
        "store",
        "api",
        "service",
        "process",
        "cli",
        "published",
    },
    "library": {
        "extract",
        "engine",
        "render",
        "pipeline",
        "store",
        "api",
        "service",
        "process",
        "cli",
        "published",
    },
    "extract": {
        "engine",
        "render",
        "pipeline",
        "store",
        "api",
        "service",
        "process",
        "cli",
        "published",
    },
    "engine": {"extract", "render", "store", "api", "service", "process", "cli", "published"},
    "render": {"store", "api", "service", "process", "cli"},
    "records": {
        "engine",
        "render",
        "pipeline",
        "store",
        "api",
        "service",
        "process",
        "cli",
        "published",
    },
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("openimr."):
            out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("openimr."):
                    out.add(alias.name.split(".")[1])
    return out


def test_layers_import_only_upwards() -> None:
    problems = []
    for package, forbidden in FORBIDDEN.items():
        for path in (SRC / package).rglob("*.py"):
            if path.name == "cli.py":  # command-line shells sit at the bottom layer
                continue
            bad = imports_of(path) & forbidden
            if bad:
                problems.append(f"{path.relative_to(SRC)} imports {sorted(bad)}")
    assert not problems, "\n".join(problems)


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
