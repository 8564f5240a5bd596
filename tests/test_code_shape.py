"""The shape the layout keeps (docs/architecture.md): no module of the package above 600 lines.

Function complexity (at most 25) is ruff's C901 rule, set in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "openimr"
MAX_LINES = 600


def long_modules(root: Path, limit: int = MAX_LINES) -> list[str]:
    """The modules under ``root`` longer than ``limit`` lines, with their length."""
    out = []
    for path in sorted(root.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            out.append(f"{path.relative_to(root)}: {lines} lines")
    return out


def test_no_module_is_longer_than_600_lines() -> None:
    assert not long_modules(SRC), long_modules(SRC)


def test_the_check_finds_a_long_module(tmp_path: Path) -> None:
    (tmp_path / "short.py").write_text("x = 1\n" * 10)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "long.py").write_text("x = 1\n" * 601)
    assert long_modules(tmp_path) == ["pkg/long.py: 601 lines"]
