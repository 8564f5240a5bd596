"""The MTUS Drug Formulary data: statuses by date, the fills, and file:line errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openimr.cli import app
from openimr.errors import LibraryErrors
from openimr.library.formulary import DATA, default_formulary, formulary_status, load_formulary

D = dt.date


def test_the_shipped_formulary_loads_and_validates() -> None:
    form = load_formulary()
    assert form.effective == D(2018, 1, 1)
    assert [v.version for v in form.data.list_versions][:3] == ["1", "2", "3"]


def test_no_status_before_the_formulary_took_effect_and_one_on_its_first_day() -> None:
    assert formulary_status("naproxen", D(2017, 12, 31)) is None
    entry = formulary_status("naproxen", D(2018, 1, 1))
    assert entry is not None
    assert entry.status == "exempt" and not entry.prospective_review
    assert entry.list_version == "1"


@pytest.mark.parametrize(
    ("day", "version"),
    [
        (D(2018, 5, 14), "1"),
        (D(2018, 5, 15), "2"),
        (D(2018, 9, 30), "2"),
        (D(2018, 10, 1), "3"),
        (D(2020, 1, 14), "3"),
        (D(2020, 1, 15), "6"),
        (D(2020, 10, 31), "6"),
        (D(2020, 11, 1), "7"),
    ],
)
def test_the_list_version_in_effect_changes_on_its_date(day: dt.date, version: str) -> None:
    v = default_formulary().list_version_on(day)
    assert v is not None and v.version == version


def test_antidepressants_made_exempt_on_1_november_2020() -> None:
    assert formulary_status("Cymbalta 60mg", D(2020, 10, 31)) is None
    entry = formulary_status("Cymbalta 60mg", D(2020, 11, 1))
    assert entry is not None
    assert entry.drug == "duloxetine" and entry.status == "exempt"
    assert entry.confidence == "V"
    assert formulary_status("trazodone", D(2021, 3, 1)) is not None


def test_opioids_need_prospective_review_outside_the_short_fills() -> None:
    entry = formulary_status("Norco 10/325mg #60", D(2019, 6, 1))
    assert entry is not None
    assert entry.drug == "hydrocodone/acetaminophen" and entry.drug_class == "opioid"
    assert entry.prospective_review
    assert entry.special_fill and entry.perioperative_fill
    long_acting = formulary_status("OxyContin 20 mg", D(2019, 6, 1))
    assert long_acting is not None and not long_acting.perioperative_fill


def test_a_compounded_drug_always_needs_prospective_review() -> None:
    entry = formulary_status("Flurbiprofen 20% cream", D(2018, 2, 1), compounded=True)
    assert entry is not None
    assert entry.prospective_review and entry.regulation == "8 CCR 9792.27.9"
    assert formulary_status("Flurbiprofen 20% cream", D(2017, 2, 1), compounded=True) is None


def test_a_drug_not_encoded_has_no_status_rather_than_a_guess() -> None:
    assert formulary_status("unobtainium 5 mg", D(2019, 1, 1)) is None


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "formulary.yaml"
    path.write_text(text)
    return path


GOOD = """\
formulary: MTUS Drug Formulary
regulation: 8 CCR 9792.27.1
effective: 2018-01-01
sources:
  regs: {citation: regs}
list_versions:
  - {version: "1", effective: 2018-01-01, source: regs}
  - {version: "2", effective: 2018-05-15, source: regs}
rules:
  exempt: {regulation: a, summary: b}
  non_exempt: {regulation: a, summary: b}
  compounded: {regulation: a, summary: b}
drugs:
  - drug: naproxen
    names: [naproxen]
    statuses:
      - {effective: 2018-01-01, status: exempt, confidence: K, source: regs}
      - {effective: 2018-05-15, status: non-exempt, confidence: K, source: regs}
"""


def test_a_status_change_applies_from_its_list_version(tmp_path: Path) -> None:
    form = load_formulary(_write(tmp_path, GOOD))
    before = form.status("naproxen", D(2018, 5, 14))
    after = form.status("naproxen", D(2018, 5, 15))
    assert before is not None and before.status == "exempt"
    assert after is not None and after.status == "non-exempt"


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("status: non-exempt", "status: sometimes", 18, "status"),
        ("effective: 2018-05-15, status", "effective: 2018-06-01, status", 18, "not the date"),
        ("names: [naproxen]", "names: [naproxen]\n    colour: blue", 16, "colour"),
        (
            '{version: "2", effective: 2018-05-15',
            '{version: "2", effective: 2017-05-15',
            8,
            "date order",
        ),
        (
            "confidence: K, source: regs}\n      - {effective: 2018-05-15",
            "confidence: K, source: nowhere}\n      - {effective: 2018-05-15",
            17,
            "unknown source",
        ),
    ],
)
def test_errors_name_the_file_and_line(
    tmp_path: Path, old: str, new: str, line: int, words: str
) -> None:
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(LibraryErrors) as info:
        load_formulary(path)
    errors = info.value.errors
    assert any(e.line == line and words in e.message for e in errors), [str(e) for e in errors]
    assert all(e.file == str(path) for e in errors)


def test_a_name_used_by_two_drugs_is_refused(tmp_path: Path) -> None:
    text = GOOD + (
        "  - drug: naprosyn\n    names: [Naproxen]\n    statuses:\n"
        "      - {effective: 2018-01-01, status: exempt, confidence: K, source: regs}\n"
    )
    with pytest.raises(LibraryErrors) as info:
        load_formulary(_write(tmp_path, text))
    assert any("already belongs" in e.message and e.line == 20 for e in info.value.errors)


def test_a_malformed_date_is_refused_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(LibraryErrors) as info:
        load_formulary(
            _write(tmp_path, GOOD.replace("effective: 2018-01-01\n", "effective: 2018-13-01\n", 1))
        )
    assert info.value.errors[0].line == 3


def test_the_formulary_command_prints_the_status_and_refuses_a_bad_date() -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["library", "formulary", "Norco 10/325mg", "--date", "2019-01-01"])
    assert ok.exit_code == 0 and '"prospective_review": true' in ok.output
    bad = runner.invoke(app, ["library", "formulary", "Norco", "--date", "2019-13-01"])
    assert bad.exit_code != 0 and "--date" in bad.output


def test_shipped_data_path_is_inside_the_package() -> None:
    assert DATA.is_file() and DATA.parent.name == "data"
