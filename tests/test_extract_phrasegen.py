"""The generated phrases of extraction/procedures.yaml are what their source gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from openimr.errors import LibraryError
from openimr.extract.phrasegen import TARGET, expected_text, generate, load_sources


def test_procedures_yaml_is_up_to_date() -> None:
    assert TARGET.read_text(encoding="utf-8") == expected_text()


def test_each_test_name_is_written_in_every_affirmed_form() -> None:
    phrases = load_sources()["meniscal_exam_signs"]
    assert phrases[:3] == ("positive McMurray", "McMurray is positive", "McMurray was positive")
    assert "McMurray's grind test was positive" in phrases
    assert phrases[-1] == "tender lateral joint line"


def test_generate_writes_a_facts_phrases_one_per_line() -> None:
    text = "concepts:\n  - fact: a\n    phrases: [x]\n    sections: [s]\n"
    assert generate(text, {"a": ("p", "it's")}) == (
        'concepts:\n  - fact: a\n    phrases:\n      - "p"\n      - "it\'s"\n    sections: [s]\n'
    )


def test_a_bad_source_names_its_line(tmp_path: Path) -> None:
    source = tmp_path / "tests.yaml"
    source.write_text('forms: ["positive {test}"]\nfacts:\n  a:\n    - names: [x]\n')
    with pytest.raises(LibraryError) as info:
        load_sources(source)
    assert f"{source}:4" in str(info.value)
