"""Every input error: a clear message naming file, field (and line), exit status 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
