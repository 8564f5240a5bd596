"""``openimr request parse|catalogue|check``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openimr.cli import app

runner = CliRunner()


def test_parse_one_request_prints_json() -> None:
    result = runner.invoke(app, ["request", "parse", "PT 2x6 lumbar"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["treatment"] == "physical-therapy"
    assert out["schedule"]["per_week"] == 2.0
    assert out["sessions"] == 12
    assert out["body_regions"] == ["lumbar-spine"]


def test_parse_several_requests_prints_json_lines() -> None:
    result = runner.invoke(app, ["request", "parse", "Norco 10/325mg #60", "MRI left knee"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["treatment"] for o in lines] == ["opioid", "mri-knee"]


def test_parse_reads_standard_input() -> None:
    result = runner.invoke(app, ["request", "parse"], input="TENS unit\n\nLumbar support\n")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["treatment"] for line in result.stdout.splitlines()] == [
        "tens",
        "dme-brace",
    ]


def test_parse_empty_request_is_a_clear_error() -> None:
    result = runner.invoke(app, ["request", "parse", "  "])
    assert result.exit_code == 2
    assert "openimr: error: the request is empty" in result.output
    assert "Traceback" not in result.output


def test_parse_batch_reports_bad_lines_and_exits_1() -> None:
    result = runner.invoke(app, ["request", "parse", "--format", "jsonl", "TENS unit", " "])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["treatment"] == "tens" and "empty" in lines[1]["error"]


def test_catalogue_markdown_is_the_docs_table() -> None:
    result = runner.invoke(app, ["request", "catalogue", "--format", "markdown"])
    assert result.exit_code == 0
    assert result.stdout.startswith("| id | name | category |")
    assert "| `physical-therapy` | physical therapy | physical-medicine |" in result.stdout


def test_catalogue_json_lists_drugs_with_their_class() -> None:
    result = runner.invoke(app, ["request", "catalogue", "--format", "json"])
    entries = {e["id"]: e for e in json.loads(result.stdout)}
    assert entries["nsaid"]["drugs"][0]["class"] == "NSAID"


def test_check_shipped_catalogue() -> None:
    result = runner.invoke(app, ["request", "check"])
    assert result.exit_code == 0 and "ok" in result.stdout


def test_check_bad_catalogue_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "treatments.yaml"
    path.write_text(
        "version: 1\ntreatments:\n  - id: x\n    name: x\n    category: nope\n    synonyms: [x]\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["request", "check", str(path)])
    assert result.exit_code == 2
    assert f"{path}:5:" in result.output and "unknown category" in result.output
    result = runner.invoke(app, ["request", "catalogue", "--file", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
