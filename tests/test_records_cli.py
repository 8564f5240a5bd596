"""``openimr records inspect``: what it shows, and that it never prints record text."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openimr.cli import app
from records_support import DATA


def test_inspect_shows_structure_not_text() -> None:
    result = CliRunner().invoke(app, ["records", "inspect", str(DATA / "2013-08-19-pr2.txt")])
    assert result.exit_code == 0, result.output
    assert "Progress report (PR-2) (progress_report)" in result.output
    assert "date of service: 2013-08-19 (from service)" in result.output
    assert "work_status" in result.output
    assert "Straight leg raise" not in result.output


def test_inspect_json_and_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": "world"}', encoding="utf-8")
    result = CliRunner().invoke(
        app, ["records", "inspect", "--json", str(DATA / "2013-fhir-bundle.json"), str(bad)]
    )
    assert result.exit_code == 2
    first = json.loads(result.stdout.splitlines()[0])
    assert first["kind"] == "fhir"
    assert "Observation/obs-pain" in first["resources"]
    assert "bad.json: not a FHIR resource" in result.stderr
