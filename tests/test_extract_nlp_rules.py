"""The extraction rules kept as data (``library/data/nlp/*.yaml``): every file loads, and a
bad entry is an error naming its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from openimr.errors import LibraryError
from openimr.extract.nlp_rules import (
    DATA,
    DiagnosisRules,
    SentenceRules,
    check_nlp_rules,
    load_rule_file,
    sentence_rules,
)


def test_every_rule_file_loads() -> None:
    check_nlp_rules()
    assert sentence_rules().list_item.match("1. Lumbar strain")
    assert sorted(p.name for p in DATA.glob("*.yaml")) == [
        "context.yaml",
        "diagnoses.yaml",
        "headings.yaml",
        "layout.yaml",
        "numbers.yaml",
        "sentences.yaml",
        "visits.yaml",
    ]


def _copy_with(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = (DATA / name).read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return path


def test_a_bad_regex_names_file_and_line(tmp_path: Path) -> None:
    path = _copy_with(
        tmp_path, "sentences.yaml", "ruled_line:\n  regex: '", "ruled_line:\n  regex: '("
    )
    line = path.read_text().splitlines().index("ruled_line:") + 1
    with pytest.raises(LibraryError) as err:
        load_rule_file(SentenceRules, path)
    assert err.value.line == line and err.value.field == "ruled_line"
    assert f"{path}:{line}" in str(err.value) and "bad regular expression" in str(err.value)


def test_an_unknown_or_missing_rule_is_refused(tmp_path: Path) -> None:
    path = _copy_with(tmp_path, "diagnoses.yaml", "skip:\n", "skipped:\n")
    with pytest.raises(LibraryError) as err:
        load_rule_file(DiagnosisRules, path)
    assert err.value.line is not None and str(path) in str(err.value)
    assert err.value.field in ("skip", "skipped")
