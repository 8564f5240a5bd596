"""``letters to-case`` reproduces dwc-cases; ``letters stats`` counts and reports."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from openimr.caseio import load_case
from openimr.cli import app
from openimr.published import parse_letter
from openimr.published.stats import Row, collect, find_letters, to_csv, to_html, wilson_interval
from openimr.published.tocase import CaseWriteError, sentence_case, write_case

SHARED = Path(os.environ.get("OPENIMR_SHARED", Path(__file__).resolve().parents[2] / "shared"))
LETTERS = SHARED / "corpus" / "dwc-letters"
CASES = SHARED / "corpus" / "dwc-cases"
SEED_LETTER = SHARED / "seed" / "imr-final-determination-letter.txt"

pytestmark = pytest.mark.skipif(not LETTERS.is_dir(), reason="shared corpus not found")
runner = CliRunner()

# plain, several items, a modified request, an overturn, a letter whose dwc case lacks age
SAMPLES = ["CM16-0219557", "CM16-0232543", "CM16-0231706", "CM17-0010420", "CM16-0249170"]


def norm(text: Any) -> str:
    return re.sub(r"(?<=[-/]) ", "", " ".join(str(text).split()))


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", SAMPLES)
def test_to_case_reproduces_the_dwc_case(tmp_path: Path, name: str) -> None:
    result = runner.invoke(
        app, ["letters", "to-case", str(LETTERS / f"{name}.txt"), "-o", str(tmp_path / name)]
    )
    assert result.exit_code == 0, result.output
    ours, theirs = tmp_path / name, CASES / name
    got, want = load(ours / "case.yaml"), load(theirs / "case.yaml")
    assert got["case_id"] == want["case_id"]
    assert got["review_type"] == want["review_type"]
    for key in ("age", "date_of_injury"):
        assert got["patient"].get(key) == want["patient"].get(key)
    if want["patient"]["sex"] != "unknown":  # dwc-cases read sex only next to an age
        assert got["patient"]["sex"] == want["patient"]["sex"]
    assert got["utilization_review"]["date"] == want["utilization_review"]["date"]
    pairs = zip(
        got["utilization_review"]["items"], want["utilization_review"]["items"], strict=True
    )
    for g, w in pairs:
        assert norm(g["request"]).endswith(norm(w["request"]))
        assert g.get("outcome", "denied") == (
            "modified" if g["request"] != w["request"] else "denied"
        )
        assert g["guideline"] == w["guideline"]
    exp_got, exp_want = load(ours / "expected.yaml"), load(theirs / "expected.yaml")
    assert exp_got["decision_date"] == exp_want["decision_date"]
    for g, w in zip(exp_got["items"], exp_want["items"], strict=True):
        assert norm(g["request"]).endswith(norm(w["request"]))
        for key in ("decision", "medically_necessary", "guideline"):
            assert g[key] == w[key]
        assert g["guideline_keys"]
    summary = (ours / "records" / "clinical-case-summary.txt").read_text()
    assert norm(summary) == norm((theirs / "records" / "clinical-case-summary.txt").read_text())
    case = load_case(ours)
    assert len(case.utilization_review.items) == len(exp_got["items"])
    assert [r.path for r in case.records] == ["records/clinical-case-summary.txt"]


def test_to_case_plain_letter_is_byte_identical_to_dwc_case(tmp_path: Path) -> None:
    write_case(parse_letter(LETTERS / "CM16-0219557.txt"), tmp_path / "c")
    ours = (tmp_path / "c" / "case.yaml").read_text().splitlines()
    theirs = (CASES / "CM16-0219557" / "case.yaml").read_text().splitlines()
    # ours also gives the application's date
    assert [line for line in ours if "application" not in line and "received" not in line] == (
        theirs
    )


def test_to_case_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    target = tmp_path / "case"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    letter = parse_letter(LETTERS / "CM16-0219557.txt")
    with pytest.raises(CaseWriteError, match="not empty"):
        write_case(letter, target)
    assert (target / "notes.txt").read_text() == "mine"
    write_case(letter, target, force=True)
    assert not (target / "notes.txt").exists() and (target / "case.yaml").is_file()


def test_to_case_older_letter_needs_the_ur_date(tmp_path: Path) -> None:
    result = runner.invoke(app, ["letters", "to-case", str(SEED_LETTER), "-o", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "UR denial date" in result.stderr and "--ur-date" in result.stderr
    assert not (tmp_path / "s").exists()
    result = runner.invoke(
        app,
        ["letters", "to-case", str(SEED_LETTER), "-o", str(tmp_path / "s"), "--ur-date",
         "2013-08-30"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    case = load_case(tmp_path / "s")
    assert str(case.patient.date_of_injury) == "2000-06-29"  # read from the summary
    assert case.utilization_review.items[0].request == (
        "Follow-up visit with anesthesiologist for the lumbar"
    )


def test_to_case_several_letters_one_directory_each(tmp_path: Path) -> None:
    paths = [str(LETTERS / f"{n}.txt") for n in SAMPLES[:2]]
    result = runner.invoke(app, ["letters", "to-case", *paths, "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SAMPLES[:2])


def test_sentence_case_only_for_all_capitals() -> None:
    assert sentence_case("MRI OF THE LUMBAR SPINE") == "MRI of the lumbar spine"
    assert sentence_case("PT 12 VISITS") == "PT 12 visits"
    assert sentence_case("Norco 10/325mg #60") == "Norco 10/325mg #60"


# -- stats ---------------------------------------------------------------------------------


def test_wilson_interval_known_values() -> None:
    low, high = wilson_interval(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and round(high, 4) == 0.2775
    assert wilson_interval(0, 0) == (0.0, 0.0)
    low, high = wilson_interval(18, 122)
    assert low < 18 / 122 < high
    assert Row("x", 10, 5, 5).rate == 0.5


def test_stats_over_the_corpus() -> None:
    stats = collect(find_letters([LETTERS]), jobs=1)
    assert stats.letters == 60 and not stats.failures
    overall = stats.overall()
    assert (overall.items, overall.overturned) == (122, 18)
    years = {r.group: r.items for r in stats.table("year")}
    assert sum(years.values()) == 122 and set(years) <= {"2016", "2017"}
    guidelines = {r.group: r for r in stats.table("guideline")}
    assert guidelines["mtus:chronic-pain"].items > 10
    assert all(r.upheld + r.overturned == r.items for r in guidelines.values())
    specialty = {r.group for r in stats.table("specialty")}
    assert "Family Practice" in specialty
    rows = list(csv.DictReader(io.StringIO(to_csv(stats))))
    assert rows[0]["dimension"] == "all" and rows[0]["items"] == "122"
    assert {r["dimension"] for r in rows} == {
        "all", "category", "treatment", "guideline", "specialty", "year",
    }  # fmt: skip
    report = to_html(stats)
    assert report.count("<svg") == 5 and "mtus:chronic-pain" in report


def test_stats_command_in_parallel_with_outputs(tmp_path: Path) -> None:
    letters = tmp_path / "letters"
    letters.mkdir()
    names = sorted(LETTERS.glob("*.txt"))
    for copy in range(2):
        for path in names:
            shutil.copy(path, letters / f"{copy}-{path.name}")
    (letters / "broken.txt").write_text("not a letter\n")
    result = runner.invoke(
        app,
        ["letters", "stats", str(letters), "-j", "2", "-q", "--csv", str(tmp_path / "s.csv"),
         "--html", str(tmp_path / "s.html")],
    )  # fmt: skip
    assert result.exit_code == 1  # one letter could not be read
    assert "broken.txt" in result.stderr
    assert "120 letters, 244 items" in result.stdout
    assert (tmp_path / "s.csv").read_text().startswith("dimension,group,items")
    assert "<svg" in (tmp_path / "s.html").read_text()


def test_stats_command_without_letters(tmp_path: Path) -> None:
    result = runner.invoke(app, ["letters", "stats", str(tmp_path)])
    assert result.exit_code == 2 and "no letters" in result.stderr
    result = runner.invoke(app, ["letters", "stats", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_items_carry_the_engines_treatment_and_category() -> None:
    from openimr.request import parse_request

    letter = parse_letter(LETTERS / "CM17-0020728.txt")  # a modified physical-therapy request
    item = letter.items[0]
    parsed = parse_request(item.request)
    assert (item.treatment, item.category) == (parsed.treatment, parsed.category)
    assert item.treatment == "physical-therapy"
    stats = collect(find_letters([LETTERS]), jobs=1)
    categories = {r.group for r in stats.table("category")}
    assert "physical-medicine" in categories and "diagnostic-imaging" in categories
