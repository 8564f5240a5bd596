"""The library loader refuses bad data and names file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openimr.cli import app
from openimr.errors import LibraryErrors
from openimr.library.loader import DATA_DIR, load_library

GOOD_SET = """\
id: demo
title: Demo treatment
treatments: [demo]
versions:
  - id: v1
    effective: 2010-01-01
    until: 2014-12-31
    tier: mtus
    citation:
      source: mtus
      guideline: MTUS Demo
      citation: MTUS Demo, page 1
    params:
      limit: {value: 10, unit: visits}
    criteria:
      - id: limit
        text: Within {limit}
        rule: {request: sessions, lte: {param: limit}}
"""


def make_library(tmp_path: Path, body: str) -> Path:
    root = tmp_path / "lib"
    (root / "criteria").mkdir(parents=True)
    shutil.copytree(DATA_DIR / "facts", root / "facts")
    (root / "criteria" / "demo.yaml").write_text(body)
    return root


def errors_of(root: Path) -> list[str]:
    with pytest.raises(LibraryErrors) as info:
        load_library(root)
    return [str(e) for e in info.value.errors]


def test_shipped_library_loads() -> None:
    lib = load_library()
    assert {"physical-therapy", "epidural-steroid-injection", "office-visit"} <= set(lib.sets)


def test_good_library_loads(tmp_path: Path) -> None:
    lib = load_library(make_library(tmp_path, GOOD_SET))
    assert lib.sets["demo"].versions[0].params["limit"].value == 10


@pytest.mark.parametrize(
    ("old", "new", "message", "line"),
    [
        ("tier: mtus", "tier: mtus\n    colour: blue", "unknown key 'colour'", 9),
        (
            "rule: {request: sessions, lte: {param: limit}}",
            "rule: {fact: no_such_fact, is: true}",
            "unknown fact 'no_such_fact'",
            18,
        ),
        ("{param: limit}", "{param: missing}", "unknown param 'missing'", 18),
        ("id: demo", "id: other", "must equal the file's path 'demo'", 1),
        (
            "    citation:\n      source: mtus\n      guideline: MTUS Demo\n      citation: MTUS Demo, page 1\n",
            "",
            "missing required key 'citation'",
            5,
        ),
        ("effective: 2010-01-01", "effective: 2010-13-01", "must be a date", 6),
        (
            "rule: {request: sessions, lte: {param: limit}}",
            "rule: {request: colour, is: red}",
            "unknown request field 'colour'",
            18,
        ),
        (
            "rule: {request: sessions, lte: {param: limit}}",
            "rule: {request: sessions, lte: 3, gte: 1}",
            "exactly one test",
            18,
        ),
        (
            "rule: {request: sessions, lte: {param: limit}}",
            "rule: {request: sessions, lte: 3, qualifer: x}",
            "unknown key 'qualifer' (allowed: contains, eq, gt, gte, if_absent, in, is,",
            18,
        ),
        (
            "limit: {value: 10, unit: visits}",
            "limit: {value: 10, units: visits}",
            "unknown key 'units' (allowed: note, unit, value)",
            14,
        ),
        (
            "rule: {request: sessions, lte: {param: limit}}",
            "rule: second_course",
            "'first_course', 'repeat_course'",
            18,
        ),
        (
            "title: Demo treatment",
            "title: Demo treatment\ntitle: Again",
            "duplicate key 'title'",
            3,
        ),
    ],
)
def test_loader_errors_name_file_and_line(
    tmp_path: Path, old: str, new: str, message: str, line: int
) -> None:
    assert old in GOOD_SET
    root = make_library(tmp_path, GOOD_SET.replace(old, new, 1))
    errs = errors_of(root)
    assert any(message in e for e in errs), errs
    hit = next(e for e in errs if message in e)
    assert f"demo.yaml:{line}:" in hit, hit


def test_overlapping_versions_are_refused(tmp_path: Path) -> None:
    second = (
        GOOD_SET.split("versions:\n", 1)[1]
        .replace("id: v1", "id: v2")
        .replace("effective: 2010-01-01", "effective: 2014-06-01")
    )
    root = make_library(tmp_path, GOOD_SET + second)
    errs = errors_of(root)
    assert any("overlaps version 'v1'" in e for e in errs), errs


def test_library_check_command_reports_errors_and_exit_status(tmp_path: Path) -> None:
    root = make_library(tmp_path, GOOD_SET.replace("tier: mtus", "tier: guess"))
    result = CliRunner().invoke(app, ["library", "check", "--root", str(root)])
    assert result.exit_code == 1
    assert "demo.yaml:8:" in result.output
    ok = CliRunner().invoke(app, ["library", "check"])
    assert ok.exit_code == 0, ok.output
    assert "library ok" in ok.output
