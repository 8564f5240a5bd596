"""Errors in extraction/*.yaml name file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from openimr.errors import LibraryErrors
from openimr.extract.patterns import load_rules


def _errors(tmp_path: Path, text: str, facts: set[str] | None = None) -> list[str]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(text)
    with pytest.raises(LibraryErrors) as info:
        load_rules(rules, facts)
    return [str(e) for e in info.value.errors]


def test_an_unknown_key_and_a_wrong_type_name_their_lines(tmp_path: Path) -> None:
    text = "concepts:\n  - fact: a\n    phrases: [x]\n    bogus: 1\n    value: 3\n"
    errors = _errors(tmp_path, text)
    assert any(
        e.startswith(f"{tmp_path}/rules.yaml:4: ") and "unknown key 'bogus'" in e for e in errors
    )
    assert any(e.startswith(f"{tmp_path}/rules.yaml:5: concepts.0.value: ") for e in errors)


def test_an_unknown_fact_and_a_bad_regex_name_their_lines(tmp_path: Path) -> None:
    text = (
        "patterns:\n  - fact: a\n    regex: '(?P<value>x'\n  - fact: b\n    regex: '(?P<value>x)'\n"
    )
    errors = _errors(tmp_path, text, {"a"})
    assert any(e.startswith(f"{tmp_path}/rules.yaml:3: bad regular expression") for e in errors)
    assert f"{tmp_path}/rules.yaml:4: unknown fact 'b'" in errors


def test_an_unknown_context_category_is_refused(tmp_path: Path) -> None:
    text = "context:\n  - {literal: x, category: FOO, direction: FORWARD}\n"
    [error] = _errors(tmp_path, text)
    assert error.startswith(f"{tmp_path}/rules.yaml:2: context.0.category: ")
    assert "NEGATED_EXISTENCE" in error
