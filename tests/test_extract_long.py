"""Records of any length: the pipeline reads whole sentences window by window, offsets stay
exact, and the facts are those of reading the text in one piece."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from openimr.extract import extractor as extractor_module
from openimr.extract.extractor import _windows, default_extractor
from openimr.extract.sentences import sentence_starts
from openimr.model import Fact, Record, RecordPage
from openimr.records import read_record

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
GOLD = Path(__file__).resolve().parent / "gold" / "records"


def _record(text: str, path: str = "records/long.txt") -> Record:
    return Record(
        path=path, kind="text", text=text, pages=(RecordPage(number=1, start=0, end=len(text)),)
    )


def _key(f: Fact) -> tuple[str, str, str, int, str]:
    span = f.spans[0]
    return (f.name, str(f.value), str(f.qualifier), span.start, f.context.model_dump_json())


def test_a_record_over_spacys_length_limit_is_read_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """spaCy refuses a text over ``nlp.max_length`` (1,000,000 characters by default: error
    E088); windows keep every piece under it. (The limit is lowered here so that the test
    runs in seconds: a record of 1,200,000 characters takes about a minute.)"""
    ex = default_extractor()
    monkeypatch.setattr(ex.nlp, "max_length", 50_000)
    head = "SUBJECTIVE:\nLow back pain radiating to the left leg. Pain is 7/10.\n\n"
    filler = "The patient walked to the clinic and back home again today " * 2_000
    tail = "\n\nOBJECTIVE:\nStraight leg raise is positive on the left. Pain is 4/10.\n"
    text = head + filler + tail
    assert len(text) > 2 * ex.nlp.max_length
    monkeypatch.setattr(extractor_module, "WINDOW", 10**9)
    with pytest.raises(ValueError, match="E088"):  # the text in one piece
        ex.extract(_record(text))
    monkeypatch.setattr(extractor_module, "WINDOW", 10_000)
    facts = ex.extract(_record(text))
    pain = sorted((f.value, f.spans[0].start) for f in facts if f.name == "pain_score")
    assert [v for v, _ in pain] == [4.0, 7.0]
    for f in facts:
        span = f.spans[0]
        assert text[span.start : span.end] == span.quote
    tail_start = len(text) - len(tail)
    assert any(f.name == "objective_radiculopathy" and f.spans[0].start > tail_start for f in facts)


def _corpus() -> list[Path]:
    paths = sorted((SHARED / "corpus" / "dwc-cases").glob("*/records/*.txt"))[:12]
    return paths + sorted(GOLD.glob("*.txt"))[:12]


def test_small_windows_give_the_facts_of_the_whole_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows of whole sentences change nothing: every fact (name, value, qualifier, span,
    context) of a record read in windows of a few hundred characters is the same as read in
    one piece."""
    ex = default_extractor()
    records = [read_record(p, p.name) for p in _corpus()]
    assert len(records) > 12
    split = 0
    for record in records:
        monkeypatch.setattr(extractor_module, "WINDOW", 10**9)
        whole = sorted(map(_key, ex.extract(record)))
        monkeypatch.setattr(extractor_module, "WINDOW", 300)
        starts = sentence_starts(record.text)
        split += len(_windows(record.text, starts)) > 1
        assert sorted(map(_key, ex.extract(record))) == whole, record.path
    assert split > 10  # the records were really read in several windows


def test_context_does_not_cross_a_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """A negation reaches its own sentence only, whichever window either falls in."""
    text = (
        "He denies numbness, tingling or weakness in the legs and feet at this time.\n\n"
        "Straight leg raise is positive on the left.\n"
    )
    monkeypatch.setattr(extractor_module, "WINDOW", 40)
    starts = sentence_starts(text)
    windows = _windows(text, starts)
    assert len(windows) == 2 and windows[1][0] == text.index("Straight")
    facts = default_extractor().extract(_record(text))
    radic = {f.spans[0].quote[:8]: f for f in facts if f.name == "radicular_symptoms"}
    assert radic["He denie"].value is False
    slr = [
        f
        for f in facts
        if f.name == "objective_radiculopathy" and f.spans[0].quote.startswith("Straight")
    ]
    assert slr and all(f.value is True and not f.context.negated for f in slr)


def test_windows_cover_the_text_on_sentence_starts() -> None:
    text = "".join(f"Sentence number {i} of the note. " for i in range(2000))
    starts = sentence_starts(text)
    windows = _windows(text, starts, 1000)
    assert windows[0][0] == 0 and windows[-1][1] == len(text)
    assert all(a == b for (_, a), (b, _) in pairwise(windows))
    assert all(a in starts for a, _ in windows[1:])
    assert max(b - a for a, b in windows) < 1100


def test_one_endless_sentence_is_cut_at_spaces() -> None:
    text = "word " * 10_000  # no sentence boundary at all
    windows = _windows(text, sentence_starts(text), 1000)
    assert len(windows) > 40 and max(b - a for a, b in windows) <= 2000
    assert all(text[a - 1] == " " for a, _ in windows[1:])


def test_page_of_on_many_pages() -> None:
    pages = tuple(RecordPage(number=i + 1, start=i * 11, end=i * 11 + 10) for i in range(500))
    record = Record(path="x.pdf", kind="pdf", text="a" * (500 * 11 - 1), pages=pages)
    assert record.page_of(0) == 1
    assert record.page_of(9) == 1
    assert record.page_of(10) is None  # the form feed between pages
    assert record.page_of(11) == 2
    assert record.page_of(500 * 11 - 2) == 500
    assert record.page_of(500 * 11 - 1) == 500  # the end of the text
