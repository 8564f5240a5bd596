"""Bad input gets a clear error and a non-zero exit; PDFs are read through pypdf."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openimr.cli import app
from openimr.errors import LetterParseError
from openimr.published import parse_letter, parse_text

SHARED = Path(os.environ.get("OPENIMR_SHARED", Path(__file__).resolve().parents[2] / "shared"))
LETTERS = SHARED / "corpus" / "dwc-letters"
SEED_LETTER = SHARED / "seed" / "imr-final-determination-letter.txt"

pytestmark = pytest.mark.skipif(not LETTERS.is_dir(), reason="shared corpus not found")
runner = CliRunner()


def letter_text(name: str = "CM17-0003619") -> str:
    return (LETTERS / f"{name}.txt").read_text(encoding="utf-8")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def blank_pdf(path: Path) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def letter_pdf(text: str, path: Path) -> Path:
    """A PDF of a letter laid out as prose (headings, paragraphs), made with WeasyPrint."""
    from weasyprint import HTML

    blocks = []
    for page in text.split("\f"):
        for para in page.split("\n\n"):
            if para.strip():
                lines = "<br>".join(html.escape(line.strip()) for line in para.split("\n"))
                blocks.append(f"<p>{lines}</p>")
        blocks.append('<div style="page-break-after: always"></div>')
    HTML(
        string="<html><body style='font-size:10pt'>" + "".join(blocks) + "</body></html>"
    ).write_pdf(str(path))
    return path


# -- the parser ----------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(LetterParseError, match="empty") as info:
        parse_letter(write(tmp_path, "empty.txt", ""))
    assert "empty.txt" in str(info.value)


def test_whitespace_only_file(tmp_path: Path) -> None:
    with pytest.raises(LetterParseError, match="empty"):
        parse_letter(write(tmp_path, "blank.txt", " \n\n\f\n"))


def test_not_a_letter(tmp_path: Path) -> None:
    notes = "PR-2 progress note\nPatient reports low back pain 6/10.\nPlan: PT 2x6.\n"
    with pytest.raises(LetterParseError, match="not an IMR Final Determination Letter"):
        parse_letter(write(tmp_path, "note.txt", notes))


def test_binary_junk(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(b"\x00\x01\x02binary\x00")
    with pytest.raises(LetterParseError, match="not a text file"):
        parse_letter(path)


def test_cut_off_inside_a_rationale() -> None:
    text = letter_text()
    cut = text[: text.index("widely used for localizing") + len("widely used")]
    with pytest.raises(LetterParseError, match=r"item 1 .*ends mid-sentence.*cut off"):
        parse_text(cut, "cut.txt")


def test_cut_off_after_a_heading() -> None:
    text = letter_text()
    second = text.index("Nerve Conduction Studies of the left upper extremity: Upheld")
    cut = text[: second + len("Nerve Conduction Studies of the left upper extremity: Upheld\n")]
    with pytest.raises(LetterParseError, match=r"item 2 .*lacks 'Claims Administrator guideline:'"):
        parse_text(cut, "cut.txt")


def test_cut_off_inside_a_guideline() -> None:
    text = letter_text()
    first_reviewer = text.index("MAXIMUS guideline:")
    with pytest.raises(
        LetterParseError, match=r"lacks 'MAXIMUS guideline:', 'Decision rationale:'"
    ):
        parse_text(text[:first_reviewer], "cut.txt")


def test_cut_off_before_the_items() -> None:
    text = letter_text()
    cut = text[: text.index("IMR ISSUES, DECISIONS AND RATIONALES")]
    with pytest.raises(LetterParseError, match="'IMR ISSUES, DECISIONS AND RATIONALES' not found"):
        parse_text(cut, "cut.txt")


def test_header_field_missing_is_named() -> None:
    text = letter_text().replace("UR Denial Date:", "UR Date:", 1)
    with pytest.raises(LetterParseError, match="lacks UR Denial Date"):
        parse_text(text, "hdr.txt")


def test_credentials_missing_are_named() -> None:
    text = letter_text().replace("Certification(s)/Specialty:", "Specialty list -", 1)
    with pytest.raises(LetterParseError, match=r"Certification\(s\)/Specialty"):
        parse_text(text, "cred.txt")


def test_a_heading_without_readable_decision_is_not_dropped() -> None:
    text = letter_text().replace(
        "Nerve Conduction Studies of the left upper extremity: Upheld",
        "Nerve Conduction Studies of the left upper extremity: Pending",
    )
    with pytest.raises(LetterParseError, match="no readable decision"):
        parse_text(text, "dec.txt")


def test_blank_page_pdf_has_no_text(tmp_path: Path) -> None:
    with pytest.raises(LetterParseError, match="no text layer"):
        parse_letter(blank_pdf(tmp_path / "scan.pdf"))


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF")
    with pytest.raises(LetterParseError, match=r"broken\.pdf"):
        parse_letter(path)


def test_pdf_letter_reads_like_its_text(tmp_path: Path) -> None:
    text = letter_text("CM16-0232543")
    from_text = parse_text(text)
    from_pdf = parse_letter(letter_pdf(text, tmp_path / "letter.pdf"))
    assert from_pdf.case_number == from_text.case_number
    assert from_pdf.dates == from_text.dates
    assert from_pdf.reviewer == from_text.reviewer
    for a, b in zip(from_text.items, from_pdf.items, strict=True):
        assert (a.request, a.decision) == (b.request, b.decision)
        assert a.claims_administrator_guideline.text == b.claims_administrator_guideline.text
        assert a.reviewer_guideline == b.reviewer_guideline
        assert " ".join(a.rationale.split()) == " ".join(b.rationale.split())


# -- the command ---------------------------------------------------------------------------


def test_cli_parse_prints_json() -> None:
    result = runner.invoke(app, ["letters", "parse", str(SEED_LETTER)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [i["decision"] for i in data["items"]] == ["upheld", "upheld"]
    assert data["items"][1]["reviewer_guideline"]["citations"][0]["source"] == "MTUS"


def test_cli_parse_several_gives_json_lines_and_names_failures(tmp_path: Path) -> None:
    bad = write(tmp_path, "empty.txt", "")
    result = runner.invoke(app, ["letters", "parse", str(LETTERS / "CM16-0219557.txt"), str(bad)])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines[0]["case_number"] == "CM16-0219557"
    assert lines[1]["letter"] == str(bad) and "empty" in lines[1]["error"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", "", "empty"),
        ("note.txt", "Progress note.\nPain 5/10.\n", "not an IMR Final Determination Letter"),
    ],
)
def test_cli_parse_bad_input_exits_2_without_traceback(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    result = runner.invoke(app, ["letters", "parse", str(write(tmp_path, name, content))])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_cli_parse_blank_pdf_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["letters", "parse", str(blank_pdf(tmp_path / "scan.pdf"))])
    assert result.exit_code == 2
    assert "no text layer" in result.stderr


def test_cli_parse_cut_off_letter_exits_2(tmp_path: Path) -> None:
    text = letter_text()
    cut = write(tmp_path, "cut.txt", text[: text.index("MAXIMUS guideline:")])
    result = runner.invoke(app, ["letters", "parse", str(cut)])
    assert result.exit_code == 2
    assert "cut.txt" in result.stderr and "lacks" in result.stderr
