"""The docs hold the same catalogue as `openimr library list`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from openimr.cli import app

ROOT = Path(__file__).resolve().parents[1]


def test_library_catalogue_in_docs_is_current() -> None:
    result = CliRunner().invoke(app, ["library", "list", "--markdown"])
    assert result.exit_code == 0
    text = (ROOT / "docs" / "library.md").read_text()
    body = text.split("<!-- catalogue:start -->", 1)[1].split("<!-- catalogue:end -->", 1)[0]
    assert body.strip() == result.output.strip(), "run: python scripts/update-docs.py"
