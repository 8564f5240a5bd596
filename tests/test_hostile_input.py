"""Hostile input to the readers: each bomb, nesting, oversize file, link out of the case folder
and page flood gets its documented error (file, line, the limit named), quickly, and the CLI
exits 2 without a traceback (docs/security.md, "Limits")."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openimr.caseio import load_case
from openimr.errors import CaseFormatError, RecordError
from openimr.records import read_record
from openimr.records.limits import RecordLimits, record_limits
from openimr.yamlio import MAX_DEPTH, MAX_EXPANDED_NODES, YamlError, load_yaml_text

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


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs": 1 KB of YAML that expands to width**levels values."""
    lines = ['a0: &a0 ["lol"' + ', "lol"' * (width - 1) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def make_case(tmp_path: Path, yaml_text: str, records: dict[str, bytes] | None = None) -> Path:
    case = tmp_path / "case"
    (case / "records").mkdir(parents=True)
    (case / "case.yaml").write_text(yaml_text)
    for name, data in (records or {"note.txt": b"Pain 5/10."}).items():
        (case / "records" / name).write_bytes(data)
    return case


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openimr", *args], capture_output=True, text=True, timeout=120
    )


# ----------------------------------------------------------------------------- YAML


def test_an_alias_bomb_is_refused_in_well_under_a_second() -> None:
    text = alias_bomb()
    assert len(text) < 1500
    started = time.monotonic()
    with pytest.raises(YamlError) as err:
        load_yaml_text(text, "case.yaml")
    assert time.monotonic() - started < 2.0
    assert f"more than {MAX_EXPANDED_NODES} values" in str(err.value)
    assert str(err.value).startswith("case.yaml:1: ")


def test_a_few_anchors_reused_are_still_read() -> None:
    doc = load_yaml_text("base: &b {x: 1}\none: *b\ntwo: *b\n", "f.yaml")
    assert doc.data["two"] == {"x": 1}
    assert doc.line_of(("two",)) == 3


@pytest.mark.parametrize(
    "text",
    [
        "x: " + "[" * 5000 + "]" * 5000,
        "x: " + "{a: " * 5000 + "1" + "}" * 5000,
        "".join("  " * i + f"k{i}:\n" for i in range(200)),
        "- " * 3000 + "x\n",
    ],
    ids=["flow-lists", "flow-maps", "block-maps", "block-lists"],
)
def test_deep_nesting_is_refused_with_the_line(text: str) -> None:
    with pytest.raises(YamlError) as err:
        load_yaml_text(text, "case.yaml")
    assert f"nested more than {MAX_DEPTH} levels deep" in str(err.value)
    assert err.value.file == "case.yaml" and err.value.line is not None


def test_an_oversize_yaml_file_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "case.yaml"
    big.write_text("# " + "x" * (9 * 1024 * 1024) + "\n")
    from openimr.yamlio import load_yaml_file

    with pytest.raises(YamlError, match="the limit is 8388608 for a YAML file"):
        load_yaml_file(big, "case.yaml")


@pytest.mark.parametrize("kind", ["bomb", "nesting"])
def test_the_cli_refuses_a_hostile_case_yaml_with_exit_2_and_no_traceback(
    tmp_path: Path, kind: str
) -> None:
    text = GOOD + alias_bomb() if kind == "bomb" else GOOD + "extra: " + "[" * 3000 + "]" * 3000
    case = make_case(tmp_path, text)
    started = time.monotonic()
    result = cli("review", str(case))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "case.yaml:" in result.stderr
    assert ("alias bomb" if kind == "bomb" else "nested more than") in result.stderr
    assert time.monotonic() - started < 60


# ----------------------------------------------------------------------------- JSON (FHIR)


def _deep_json(depth: int) -> bytes:
    inner = '{"resourceType": "Observation", "status": "final"}'
    return ('{"resourceType": "Bundle", "x": ' + "[" * depth + inner + "]" * depth + "}").encode()


@pytest.mark.parametrize("depth", [150, 100_000])
def test_deeply_nested_fhir_json_is_refused(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "fhir.json"
    path.write_bytes(_deep_json(depth))
    with pytest.raises(RecordError, match="JSON nested more than 100 levels deep") as err:
        read_record(path, "records/fhir.json")
    assert err.value.file == "records/fhir.json"


def test_a_deep_ndjson_line_is_refused_naming_the_line(tmp_path: Path) -> None:
    good = json.dumps({"resourceType": "Condition", "code": {"text": "Low back pain"}})
    path = tmp_path / "bulk.ndjson"
    path.write_bytes((good + "\n" + "[" * 50_000 + "]" * 50_000 + "\n").encode())
    with pytest.raises(RecordError) as err:
        read_record(path, "records/bulk.ndjson")
    assert err.value.line == 2 and "nested more than" in err.value.message


# ----------------------------------------------------------------------------- records


def test_a_record_over_the_byte_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 2048)
    with (
        record_limits(RecordLimits(max_bytes=1024)),
        pytest.raises(RecordError, match=r"2048 bytes; the limit is 1024 bytes per record"),
    ):
        read_record(path, "records/big.txt")


def test_a_record_over_the_character_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("é" * 3000)  # 3000 characters, 6000 bytes
    with (
        record_limits(RecordLimits(max_chars=2000)),
        pytest.raises(RecordError, match="3000 characters of text; the limit is 2000"),
    ):
        read_record(path, "records/long.txt")


def test_the_default_character_limit_stops_a_30_mb_text_record(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"Pain 5/10. " * (30 * 1024 * 1024 // 11))
    with pytest.raises(RecordError, match="OPENIMR_MAX_RECORD_CHARS"):
        read_record(path, "records/huge.txt")


def _blank_pdf(path: Path, pages: int) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    with path.open("wb") as fh:
        writer.write(fh)


def test_a_page_flood_pdf_is_refused_before_any_page_is_read(tmp_path: Path) -> None:
    path = tmp_path / "flood.pdf"
    _blank_pdf(path, 2001)
    started = time.monotonic()
    with pytest.raises(RecordError, match="2001 pages; the limit is 2000 pages per PDF") as err:
        read_record(path, "records/flood.pdf")
    assert time.monotonic() - started < 10
    assert err.value.file == "records/flood.pdf"


def test_the_page_limit_is_a_setting(tmp_path: Path) -> None:
    path = tmp_path / "six.pdf"
    _blank_pdf(path, 6)
    with (
        record_limits(RecordLimits(max_pdf_pages=5)),
        pytest.raises(RecordError, match="6 pages; the limit is 5"),
    ):
        read_record(path, "records/six.pdf")


# ----------------------------------------------------------------------------- symlinks


def test_a_symlinked_record_pointing_out_of_the_case_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "outside.txt"
    secret.write_text("a secret outside the case folder")
    case = make_case(tmp_path, GOOD)
    (case / "records" / "passwd.txt").symlink_to(secret)
    with pytest.raises(CaseFormatError, match="outside the case directory") as err:
        load_case(case)
    assert "passwd.txt" in str(err.value)
    assert "a secret" not in str(err.value)


def test_a_symlinked_directory_out_of_the_case_folder_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "other.txt").write_text("someone else's record")
    case = make_case(tmp_path, GOOD)
    (case / "records" / "linked").symlink_to(outside, target_is_directory=True)
    loaded = load_case(case)
    assert [r.path for r in loaded.records] == ["records/note.txt"]


def test_a_symlink_inside_the_case_folder_is_read(tmp_path: Path) -> None:
    case = make_case(tmp_path, GOOD)
    (case / "records" / "again.txt").symlink_to(case / "records" / "note.txt")
    loaded = load_case(case)
    assert sorted(r.path for r in loaded.records) == ["records/again.txt", "records/note.txt"]


def test_the_cli_refuses_a_symlink_out_with_exit_2(tmp_path: Path) -> None:
    case = make_case(tmp_path, GOOD)
    (case / "records" / "passwd.txt").symlink_to("/etc/passwd")
    result = cli("review", str(case))
    assert result.returncode == 2
    assert "outside the case directory" in result.stderr and "Traceback" not in result.stderr
    assert "root:" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "path", ["records/" + "note" * 100 + ".txt", "records/a\x00b.txt"], ids=["too-long", "nul"]
)
def test_a_record_path_the_system_refuses_is_a_case_error(tmp_path: Path, path: str) -> None:
    """Found by the fuzzer: a listed record name too long for the file system."""
    text = GOOD + "records:\n  - " + json.dumps(path) + "\n"
    case = make_case(tmp_path, text)
    with pytest.raises(CaseFormatError) as err:
        load_case(case)
    assert err.value.field == "records[0]" and err.value.line == 11


# -- requests: the patterns that went quadratic on a long run of letters (found by the fuzz pass)

_OLD_INGREDIENT = re.compile(
    r"(?P<name>[A-Za-z][A-Za-z-]*(?:\s+[A-Za-z][A-Za-z-]*){0,2}?)\s+(?P<s>\d+(?:\.\d+)?)\s*%"
)
_OLD_SURGERY = re.compile(r"\w+(?:ectomy|otomy|oplasty|orrhaphy)\b", re.IGNORECASE)
_REQUESTS = [
    "Flurbiprofen 20%, Cyclobenzaprine 10%, Menthol 4% cream 180g",
    "compound: ketoprofen 10% -lidocaine 5%  in lipoderm base, gabapentin 6 %",
    "xx-Ketamine 5% / baclofen-2% ab 3.5 %",
    "L4-5 microdiscectomy, carpal tunnel release; herniorrhaphy and arthroplasty",
    "Laminectomyotomy _ectomy 9ectomy éectomy Ä-oplasty",
    "Physical therapy 2xcal theraperaperaperaperaperaperaperaperaperaperaperape 12%",
]


def _fuzzed_requests() -> list[str]:
    sys.path.insert(0, str(Path(__file__).parent))
    from fuzz_targets import GENERATORS

    generate = GENERATORS["request"]
    return [generate(random.Random(i)).decode("utf-8", "replace") for i in range(300)]


def test_the_ingredient_and_surgery_patterns_match_as_before() -> None:
    """The linear patterns find exactly what the quadratic ones found."""
    from openimr.request.catalogue import catalogue
    from openimr.request.medications import INGREDIENT as _INGREDIENT

    (entry,) = [e for e in catalogue().entries if e.id == "surgery-other"]
    new_surgery = re.compile(entry.patterns[0], re.IGNORECASE)
    for text in [*_REQUESTS, *_fuzzed_requests()]:
        old = [(m.span(), m.groupdict()) for m in _OLD_INGREDIENT.finditer(text)]
        assert [(m.span(), m.groupdict()) for m in _INGREDIENT.finditer(text)] == old, text
        old_s = [m.span() for m in _OLD_SURGERY.finditer(text)]
        new_s = [m.span() for m in new_surgery.finditer(text)]
        assert new_s == old_s, text


def test_a_request_with_a_long_run_of_letters_is_read() -> None:
    from openimr.request import parse_request

    parsed = parse_request("Keto" + "profenketo" * 2000 + " 10% and lido 5% cream")
    assert parsed.treatment is not None
    parsed = parse_request("Lumbar " + "lamin" * 3000 + "ectomy L4-5")
    assert parsed.treatment == "surgery-other"
