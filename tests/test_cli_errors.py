"""Every input error: a clear message naming file, field (and line), exit status 2, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

GOOD = """\
case_id: CM00-0000001
patient:
  age: 40
  sex: male
  date_of_injury: 2015-01-02
utilization_review:
  date: 2016-09-01
  items:
    - request: Physical therapy 6 visits for the lumbar spine
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openimr", *args], capture_output=True, text=True, timeout=120
    )


def make_case(tmp_path: Path, yaml_text: str, records: dict[str, bytes] | None = None) -> Path:
    case = tmp_path / "case"
    (case / "records").mkdir(parents=True)
    (case / "case.yaml").write_text(yaml_text)
    for name, data in (records or {"note.txt": b"Pain 5/10."}).items():
        (case / "records" / name).write_bytes(data)
    return case


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            GOOD.replace("  date_of_injury: 2015-01-02\n", ""),
            "case.yaml:2: patient.date_of_injury: is required",
        ),
        (
            GOOD.replace("2016-09-01", "2016-31-09"),
            "case.yaml:7: utilization_review.date: must be a date as YYYY-MM-DD",
        ),
        (GOOD.replace("sex: male", "sex: robot"), "patient.sex: input should be"),
        (
            GOOD.replace(
                "  items:\n    - request: Physical therapy 6 visits for the lumbar spine\n",
                "  items: []\n",
            ),
            "utilization_review.items",
        ),
        (
            GOOD.replace("review_type", "x") + "review_type: urgent\n",
            "review_type: input should be 'regular' or 'expedited'",
        ),
        (
            GOOD + "records: [records/missing.txt]\n",
            "records[0]: record file 'records/missing.txt' does not exist",
        ),
        (GOOD + "records: [../../etc/passwd]\n", "is outside the case directory"),
        ("patient: [unclosed\n", "case.yaml:2: not valid YAML"),
        ("- just\n- a list\n", "case.yaml must be a mapping"),
        (
            GOOD.replace("case_id: CM00-0000001\n", "case_id: CM00-0000001\ncase_id: again\n"),
            "case.yaml:2: duplicate key 'case_id'",
        ),
    ],
)
def test_bad_case_yaml(tmp_path: Path, yaml_text: str, expected: str) -> None:
    case = make_case(tmp_path, yaml_text)
    result = run("review", str(case))
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("bad.txt", b"\xff\xfe\xfa not utf-8", "records/bad.txt: record is not UTF-8 text"),
        ("scan.pdf", b"%PDF-1.4 this is not really a pdf", "records/scan.pdf: not a readable PDF"),
        ("image.png", b"\x89PNG", "unsupported record type '.png'"),
    ],
)
def test_bad_records(tmp_path: Path, name: str, data: bytes, expected: str) -> None:
    case = make_case(tmp_path, GOOD, {name: data})
    result = run("review", str(case))
    assert result.returncode == 2
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_missing_case_directory() -> None:
    result = run("review", "/no/such/case")
    assert result.returncode == 2
    assert "/no/such/case: no such case directory or case.yaml" in result.stderr


def test_batch_reports_each_bad_case_as_a_line_and_exits_1(tmp_path: Path) -> None:
    bad = make_case(tmp_path, "patient: 3\n")
    result = run("review", str(bad), "/no/such/case", "--format", "jsonl")
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and all('"error"' in line for line in lines)


def test_unknown_letter_extension_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    case = make_case(tmp_path, "patient: 3\n")
    out = tmp_path / "letter.docx"
    result = run("review", str(case), "--letter", str(out))
    assert result.returncode == 2
    assert not out.exists()


def test_unknown_letter_extension_is_refused_before_the_review_runs(tmp_path: Path) -> None:
    # issue 13: --letter x.docx was refused only after the whole review ran
    case = make_case(tmp_path, GOOD)
    out = tmp_path / "letter.docx"
    result = run("review", str(case), "--letter", str(out))
    assert result.returncode == 2
    assert result.stdout == ""  # no review was printed: refused first
    assert "letter.docx" in result.stderr and "use .pdf, .html or .txt" in result.stderr
    assert not out.exists()


def test_the_command_line_letter_is_a_dated_draft(tmp_path: Path) -> None:
    # issue 13, defect 6: no date and no draft marking; software never signs
    import datetime as dt

    case = make_case(tmp_path, GOOD)
    result = run("review", str(case), "--format", "text")
    assert result.returncode == 0, result.stderr
    assert "DRAFT \u2014 NOT A FINAL DETERMINATION" in result.stdout
    assert "Date Prepared:" in result.stdout
    today = dt.date.today()
    assert f"{today.month:02d}/{today.day:02d}/{today.year}" in result.stdout
    assert "The expert reviewer developed" not in result.stdout


def test_batch_goes_on_after_each_kind_of_bad_case(tmp_path: Path) -> None:
    """An unreadable record, a bad case.yaml, a missing case: one JSON error line each (case
    path and error, no traceback), the good cases reviewed, exit status 1 at the end."""
    good = make_case(tmp_path / "a", GOOD)
    unreadable = make_case(tmp_path / "b", GOOD, {"bad.txt": b"\xff\xfe\xfa not utf-8"})
    bad_yaml = make_case(tmp_path / "c", "patient: [unclosed\n")
    good_again = make_case(tmp_path / "d", GOOD)
    cases = [good, unreadable, bad_yaml, tmp_path / "missing", good_again]
    result = run("review", *map(str, cases), "--format", "jsonl")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert len(lines) == len(cases)
    assert [("error" in line) for line in lines] == [False, True, True, True, False]
    assert lines[1]["case"] == str(unreadable) and "records/bad.txt" in lines[1]["error"]
    assert lines[2]["case"] == str(bad_yaml) and "not valid YAML" in lines[2]["error"]
    assert lines[0]["items"] and lines[4]["items"]


def test_an_unexpected_failure_of_one_case_does_not_stop_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import openimr.pipeline
    from openimr.cli import app

    real = openimr.pipeline.review_case
    boom = make_case(tmp_path / "boom", GOOD)

    def review_case(case: Any, **kwargs: Any) -> Any:
        if case.source == str(boom):
            raise RuntimeError("record text that must never be printed")
        return real(case, **kwargs)

    monkeypatch.setattr(openimr.pipeline, "review_case", review_case)
    good = make_case(tmp_path / "good", GOOD)
    result = CliRunner().invoke(app, ["review", str(boom), str(good), "--format", "jsonl"])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert lines[0]["case"] == str(boom)
    assert "unexpected RuntimeError" in lines[0]["error"]
    assert "must never be printed" not in result.stdout
    assert "items" in lines[1]
    # one case alone: the same line on stderr, exit status 1, no traceback
    single = CliRunner().invoke(app, ["review", str(boom)])
    assert single.exit_code == 1
    assert "unexpected RuntimeError" in single.output and "Traceback" not in single.output


def test_shell_completion_is_offered() -> None:
    # issue 13: shell completion was turned off
    result = run("--help")
    assert result.returncode == 0
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout
