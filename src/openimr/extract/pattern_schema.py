"""The form of an ``extraction/*.yaml`` file, as pydantic models (unknown keys refused).

:mod:`openimr.extract.patterns` validates each file with :class:`ExtractionFile`, then
checks what a type cannot say (known facts, regular expressions, ``when_negated``) and
compiles the rules the extractor uses.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

ContextCategory = Literal[
    "NEGATED_EXISTENCE",
    "HISTORICAL",
    "HYPOTHETICAL",
    "FAMILY",
    "POSSIBLE_EXISTENCE",
    "NOT_A_FINDING",
    "REPORTED_NORMAL",
    "PSEUDO",
    "TERMINATE",
]
ContextDirection = Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"]
SummaryCueKind = Literal["complaint", "exam_finding", "diagnosis", "plan_item"]
CONTEXT_CATEGORIES: tuple[str, ...] = get_args(ContextCategory)
CONTEXT_DIRECTIONS: tuple[str, ...] = get_args(ContextDirection)


class _Strict(BaseModel):
    """Types as written in YAML (no coercion) and no key beyond the fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class _MatchLimits(_Strict):
    """Keys a concept and a pattern share: where a mention counts, and what cancels it."""

    fact: str
    requires_therapy: str | None = None
    requires_words: list[str] = Field(default_factory=list)
    qualified: bool = False
    excludes_words: list[str] = Field(default_factory=list)
    sections: list[str] = Field(default_factory=list)
    exclude_sections: list[str] = Field(default_factory=list)
    context_therapy: bool = False
    strong_words: list[str] = Field(default_factory=list)
    excludes_before: list[str] = Field(default_factory=list)
    qualifier: str | None = None
    keep_hypothetical: bool = False


class ConceptSpec(_MatchLimits):
    """A ``concepts:`` item: phrases that state a fact (see ``ConceptRule``)."""

    phrases: list[str] = Field(default_factory=list)
    target: str | None = None
    requires_any: list[str] = Field(default_factory=list)
    value: bool | str | None = None
    only_negated: bool = False
    ignore_negation: bool = False
    nearest_therapy: str | None = None
    excludes_after: list[str] = Field(default_factory=list)
    current_only: bool = False
    region_qualified: bool = False
    requires_words_reach: int = 0


class PatternSpec(_MatchLimits):
    """A ``patterns:`` item: a regular expression that reads a fact (see ``PatternRule``)."""

    regex: str
    type: str = "string"
    unit: str | None = None
    value: bool | int | str | None = None
    when_negated: bool | str | None = None
    excludes_in: Literal["sentence", "clause"] = "sentence"


class DerivedSpec(_Strict):
    """A ``derived:`` item (see ``DerivedRule``)."""

    fact: str
    source: str = Field(alias="from")
    value: bool | str | None = None
    qualifiers: list[str] = Field(default_factory=list)
    qualifier: str | None = None
    from_value: bool | str | None = None


class DrugCombinationSpec(_Strict):
    """A ``drug_combinations:`` item (see ``DrugCombination``)."""

    fact: str
    classes: list[str]
    value: bool = True


class ContextSpec(_Strict):
    """A ``context:`` item: one medspaCy ConText rule."""

    literal: str
    category: ContextCategory
    direction: ContextDirection
    pattern: list[dict[str, Any]] | None = None
    max_scope: int | None = None


class DrugsSpec(_Strict):
    """``drugs:``: the therapy ids that are drug classes, and how doses are written."""

    classes: list[str] = Field(default_factory=list)
    class_words: list[str] = Field(default_factory=list)
    dose: str | None = None
    frequency: str | None = None
    list_heading: str | None = None
    listed_drug: str | None = None
    unclassified: str | None = None
    not_drug_words: list[str] = Field(default_factory=list)


class ExtractionFile(_Strict):
    """One ``extraction/*.yaml`` file; every key may be left out."""

    therapies: dict[str, list[str]] = Field(default_factory=dict)
    numbers: dict[str, int] = Field(default_factory=dict)
    concepts: list[ConceptSpec] = Field(default_factory=list)
    patterns: list[PatternSpec] = Field(default_factory=list)
    summary_cues: dict[SummaryCueKind, list[str]] = Field(default_factory=dict)
    drugs: DrugsSpec = Field(default_factory=DrugsSpec)
    derived: list[DerivedSpec] = Field(default_factory=list)
    visit_therapies: list[str] = Field(default_factory=list)
    surgery_kinds: dict[str, list[str]] = Field(default_factory=dict)
    drug_combinations: list[DrugCombinationSpec] = Field(default_factory=list)
    positive_wins: list[str] = Field(default_factory=list)
    context: list[ContextSpec] = Field(default_factory=list)
