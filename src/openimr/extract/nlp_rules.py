"""The extraction rules that are record language, as data: ``library/data/nlp/*.yaml``.

Each file is a set of named regular expressions (and word lists), validated by a pydantic
model: an unknown or missing name, a bad regular expression or a value of the wrong kind is
an error naming ``file:line``. Each file is read and compiled once per process.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError

from openimr.errors import LibraryError
from openimr.yamlio import load_yaml_file

DATA = Path(__file__).resolve().parents[1] / "library" / "data" / "nlp"


_RULE_KEYS = {"regex", "ignore_case", "multiline"}


def _compile(value: Any) -> re.Pattern[str]:
    """A rule ``{regex: text or [parts], ignore_case: bool, multiline: bool}`` compiled."""
    if not isinstance(value, dict) or "regex" not in value or set(value) - _RULE_KEYS:
        raise ValueError(
            "a rule is a mapping of 'regex' and, optionally, 'ignore_case', 'multiline'"
        )
    regex = value["regex"]
    parts = [regex] if isinstance(regex, str) else regex
    if not isinstance(parts, list) or not parts or not all(isinstance(p, str) for p in parts):
        raise ValueError("'regex' must be a text or a list of texts (joined)")
    flags = 0
    for key, flag in (("ignore_case", re.IGNORECASE), ("multiline", re.MULTILINE)):
        on = value.get(key, False)
        if not isinstance(on, bool):
            raise ValueError(f"'{key}' must be true or false")
        flags |= flag if on else 0
    try:
        return re.compile("".join(parts), flags)
    except re.error as exc:
        raise ValueError(f"bad regular expression: {exc}") from None


Regex = Annotated[re.Pattern[str], PlainValidator(_compile)]


class _RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1


class SentenceRules(_RuleFile):
    """``sentences.yaml``: where sentences start, and the labels they open with."""

    list_item: Regex
    heading_line: Regex
    label_line: Regex
    ruled_line: Regex
    sentence_end: Regex
    abbreviations: tuple[str, ...]
    list_number: Regex
    label: Regex
    heading_prefix: Regex


class DiagnosisRules(_RuleFile):
    """``diagnoses.yaml``: diagnosis lists, cues and ICD-10 codes."""

    icd10_code: Regex
    code_group: Regex
    cue: Regex
    cue_words: tuple[str, ...]
    split: Regex
    prose: Regex
    prose_cue: Regex
    prose_long: Regex
    evidence: Regex
    not_made: Regex
    skip: Regex
    not_named: Regex
    leading_conjunction: Regex
    leading_label: Regex


class ContextRules(_RuleFile):
    """``context.yaml``: what a mention states and what it is about."""

    guideline_subject: Regex
    review_decision: Regex
    qualifying: Regex
    negation_blockers: Regex
    fixed_value_negation: Regex
    tied_after: Regex
    tied_before: Regex
    clause_break: Regex
    plan_before: Regex
    visits_completed: Regex
    consent_opens: Regex
    consent_closes: Regex
    consent_reach: int


class HeadingRules(_RuleFile):
    """``headings.yaml``: the extractor's section headings."""

    sections: dict[str, tuple[str, ...]]
    heading: Regex
    bare_heading: Regex
    list_lead: Regex


class LayoutRules(_RuleFile):
    """``layout.yaml``: where a run-on record is read with a line break."""

    inline_heading: Regex
    inline_long_heading: Regex
    inline_list_heading: Regex
    list_after_heading: Regex
    inline_title_heading: Regex
    inline_number: Regex
    inline_number_after_word: Regex
    short_headings: frozenset[str]


class VisitRules(_RuleFile):
    """``visits.yaml``: what a planned visit is for."""

    visit_words: Regex
    plan_words: Regex
    medication_management: Regex
    conditional: Regex
    surgery: Regex
    injection: Regex


class NumberRules(_RuleFile):
    """``numbers.yaml``: fractions in words and ranges."""

    fraction_percent: dict[str, int]
    range_separator: Regex


_File = TypeVar("_File", bound=_RuleFile)


def load_rule_file(model: type[_File], path: Path) -> _File:
    """Read and validate one rule file; errors name ``file:line``."""
    shown = f"openimr/library/data/nlp/{path.name}" if path.parent == DATA else str(path)
    doc = load_yaml_file(path, shown)
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        raise LibraryError(
            str(err["msg"]).removeprefix("Value error, "),
            file=shown,
            field=".".join(str(p) for p in loc) or None,
            line=doc.line_of(loc),
        ) from None


def _shipped(model: type[_File], name: str) -> _File:
    """The shipped rule file ``name`` read and validated (from the start-up cache when it is
    current: the YAML is then neither parsed nor validated again)."""
    from openimr.diskcache import cached

    return cached(f"nlp-{Path(name).stem}", lambda: load_rule_file(model, DATA / name))


@cache
def sentence_rules() -> SentenceRules:
    """``sentences.yaml``, read once."""
    return _shipped(SentenceRules, "sentences.yaml")


@cache
def diagnosis_rules() -> DiagnosisRules:
    """``diagnoses.yaml``, read once."""
    return _shipped(DiagnosisRules, "diagnoses.yaml")


@cache
def context_rules() -> ContextRules:
    """``context.yaml``, read once."""
    return _shipped(ContextRules, "context.yaml")


@cache
def heading_rules() -> HeadingRules:
    """``headings.yaml``, read once."""
    return _shipped(HeadingRules, "headings.yaml")


@cache
def layout_rules() -> LayoutRules:
    """``layout.yaml``, read once."""
    return _shipped(LayoutRules, "layout.yaml")


@cache
def visit_rules() -> VisitRules:
    """``visits.yaml``, read once."""
    return _shipped(VisitRules, "visits.yaml")


@cache
def number_rules() -> NumberRules:
    """``numbers.yaml``, read once."""
    return _shipped(NumberRules, "numbers.yaml")


@cache
def abbreviation_end() -> re.Pattern[str]:
    """A line that ends with an abbreviation's full stop (``sentences.yaml``), an initial
    ("J.") or an ellipsis."""
    words = "|".join(re.escape(w) for w in sentence_rules().abbreviations)
    return re.compile(r"(?:\b(?:" + words + r")\.|\b[A-Z]\.|\.\.\.)$")


def check_nlp_rules() -> None:
    """Read every rule file (``library check``-style: raises on the first bad one)."""
    loads = (sentence_rules, heading_rules, layout_rules, diagnosis_rules, context_rules)
    for load in (*loads, visit_rules, number_rules):
        load()
