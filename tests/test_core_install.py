"""The core install reviews a case: no extra ([pdf], [service], [stats]) is imported on the way.

A ``sitecustomize`` on PYTHONPATH makes the extras' packages unimportable in a subprocess, as
they are after ``pip install openimr`` alone (``.ci/run`` also checks that install for real).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

BLOCKED = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "alembic",
    "uvicorn",
    "weasyprint",
    "matplotlib",
    "httpx",
    "pydantic_settings",
    "multipart",
    "holidays",
)

BLOCKER = f'''
import sys
from importlib.abc import MetaPathFinder

BLOCKED = {BLOCKED!r}


class Blocker(MetaPathFinder):
    """Refuses the optional packages, as if they were not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, Blocker())
'''


def run_core(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m openimr ARGS`` with the extras' packages unimportable."""
    site = tmp_path / "block-extras"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(SRC)])}
    return subprocess.run(
        [sys.executable, "-m", "openimr", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def test_the_blocker_blocks(tmp_path: Path) -> None:
    site = tmp_path / "block-extras"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = "import weasyprint"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 1 and "No module named 'weasyprint'" in done.stderr


def test_review_to_json_without_the_extras(tmp_path: Path, seed_case: Path) -> None:
    done = run_core(tmp_path, "review", str(seed_case), "--format", "json")
    assert done.returncode == 0, done.stderr
    review = json.loads(done.stdout)
    assert review["items"] and all("decision" in item for item in review["items"])
    assert "Traceback" not in done.stderr


def test_review_without_pdf_writes_all_but_the_pdf_and_says_so(
    tmp_path: Path, seed_case: Path
) -> None:
    letter = tmp_path / "letter.pdf"
    done = run_core(tmp_path, "review", str(seed_case), "--letter", str(letter))
    assert done.returncode == 2
    assert json.loads(done.stdout)["items"]  # the review itself is printed
    assert done.stderr.splitlines() == [
        f"openimr: error: {letter} needs the [pdf] extra: pip install 'openimr[pdf]'"
    ]
    assert not letter.exists()
    assert not list(tmp_path.glob(".letter.pdf.*"))  # no half-written file left


@pytest.mark.parametrize(
    ("args", "command", "extra"),
    [
        (["cases", "list"], "openimr cases list", "service"),
        (["serve", "--port", "0"], "openimr serve", "service"),
    ],
)
def test_a_service_command_without_its_extra_says_which(
    tmp_path: Path, args: list[str], command: str, extra: str
) -> None:
    done = run_core(tmp_path, *args)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"openimr: error: {command} needs the [{extra}] extra: pip install 'openimr[{extra}]'"
    ]


def test_letters_stats_html_without_stats_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from openimr.cli import app

    letters = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dwc-letters"
    first = sorted(letters.glob("*.txt"))[:1]
    if not first:
        pytest.skip("no published letters in ../shared")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    html = tmp_path / "s.html"
    result = CliRunner().invoke(
        app, ["letters", "stats", str(first[0]), "-j", "1", "-q", "--html", str(html)]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"openimr: error: --html {html} needs the [stats] extra: pip install 'openimr[stats]'"
    ]
    assert "1 letters" in result.stdout  # the tables are still printed


def test_the_command_a_missing_extra_line_names() -> None:
    from openimr.cli import _command

    assert _command(["cases", "list", "--state", "x"]) == "openimr cases list"
    assert _command(["serve", "--port", "1"]) == "openimr serve"
    assert _command(["audit", "verify"]) == "openimr audit verify"
    assert _command(["review", "case-dir"]) == "openimr review"
