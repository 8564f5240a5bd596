"""The IMR clocks as data: the schema of ``library/data/process/deadlines.yaml``.

Each entry says which clock it is, the law rule (``library/data/law.yaml``) it takes its
citation, words and numbers from, the events that start it, the value counted and its unit,
when it applies, what extends, completes or stops it, and its basis in plain words (the file's
header explains every field). :mod:`openimr.process.deadlines` evaluates it. Errors name
``file:line`` and the field, also for references to law rules, law values or facts that do
not exist.
"""

from __future__ import annotations

import string
from collections.abc import Collection
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openimr.errors import LibraryError
from openimr.process.datafile import parse_model, refuse, shipped_text
from openimr.process.law import LawBook, load_law
from openimr.yamlio import LoadedYaml, PathKey

DEADLINES_RESOURCE = "data/process/deadlines.yaml"

DeadlineKind = Literal[
    "application_due",
    "eligibility_info_due",
    "assignment_notice_due",
    "records_due",
    "decision_due",
    "implementation_due",
    "appeal_due",
]
Unit = Literal["calendar days", "business days", "working days", "hours"]
Party = Literal["employee", "parties", "IMRO", "claims administrator", "any party"]
#: The placeholders a basis may use.
BASIS_FIELDS = frozenset({"count", "how", "extension"})


class DeadlineDataError(LibraryError):
    """The deadline data is invalid."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StartRule(_Frozen):
    """One event that can start a clock."""

    field: str
    event: str = Field(min_length=1)
    how: str | None = None
    basis_note: str = ""
    also_rule: str | None = None
    assumption: str | None = None


class ClosedRule(_Frozen):
    """The fact that stops an unmet clock, and why (``{date}``: the day of that fact)."""

    field: str
    reason: str = Field(min_length=1)


class DeadlineRule(_Frozen):
    """One clock, or one alternative of a clock (entries sharing a ``kind``)."""

    kind: DeadlineKind
    rule: str
    optional: bool = False
    when: dict[str, Any] = Field(default_factory=dict)
    requires: list[str] = Field(default_factory=list)
    fallback: bool = False
    starts: list[StartRule] = Field(min_length=1)
    count: str
    unit: Unit
    service_extension: str | None = None
    citation: str | None = None
    also_cite: list[str] = Field(default_factory=list)
    unread_text_noted: bool = False
    unverified_when: list[str] = Field(default_factory=list)
    assumption: str | None = None
    completed_by: str
    closed_by: ClosedRule | None = None
    responsible: Party
    basis: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> DeadlineRule:
        used = {name for _, name, _, _ in string.Formatter().parse(self.basis) if name}
        if not used <= BASIS_FIELDS:
            unknown = ", ".join(sorted(used - BASIS_FIELDS))
            raise ValueError(f"basis uses {unknown}: only {', '.join(sorted(BASIS_FIELDS))}")
        if self.service_extension is not None and self.unit != "calendar days":
            raise ValueError("a service extension adds calendar days: unit must be calendar days")
        if self.fallback and self.when:
            raise ValueError("a fallback applies when no other alternative does: no when")
        return self

    def facts(self) -> list[tuple[PathKey, str]]:
        """(path in the entry, fact name) of every fact the entry reads."""
        out: list[tuple[PathKey, str]] = [(("when", name), name) for name in self.when]
        out += [(("requires", i), name) for i, name in enumerate(self.requires)]
        out += [(("starts", i, "field"), s.field) for i, s in enumerate(self.starts)]
        out += [(("unverified_when", i), name) for i, name in enumerate(self.unverified_when)]
        out.append((("completed_by",), self.completed_by))
        if self.service_extension is not None:
            out.append((("service_extension",), self.service_extension))
        if self.closed_by is not None:
            out.append((("closed_by", "field"), self.closed_by.field))
        return out


class DeadlineBook(_Frozen):
    deadlines: list[DeadlineRule] = Field(min_length=1)

    def kinds(self) -> list[DeadlineKind]:
        """The clocks in process order (the order of their first entry)."""
        return list(dict.fromkeys(d.kind for d in self.deadlines))


def _check_entry(
    entry: DeadlineRule, i: int, facts: Collection[str], law: LawBook, loaded: LoadedYaml
) -> None:
    at: PathKey = ("deadlines", i)
    for path, name in entry.facts():
        if name not in facts:
            raise refuse(
                DeadlineDataError, f"no fact {name!r} in DeadlineInputs", loaded, at + path
            )
    rules = {r.id: r for r in law.rules}
    refs: list[tuple[PathKey, str]] = [(("rule",), entry.rule)]
    refs += [
        (("starts", j, "also_rule"), s.also_rule) for j, s in enumerate(entry.starts) if s.also_rule
    ]
    for path, rule_id in refs:
        if rule_id not in rules:
            raise refuse(DeadlineDataError, f"no rule {rule_id!r} in law.yaml", loaded, at + path)
    for version in rules[entry.rule].versions:
        if not isinstance(version.values.get(entry.count), int):
            raise refuse(
                DeadlineDataError,
                f"version {version.id!r} of {entry.rule!r} has no whole number {entry.count!r}",
                loaded,
                (*at, "count"),
            )


def parse_deadline_rules(
    text: str, file: str, *, facts: Collection[str], law: LawBook | None = None
) -> DeadlineBook:
    """The deadline data from YAML text, checked against the law data and the fact names."""
    book, loaded = parse_model(text, file, DeadlineBook, DeadlineDataError)
    for i, entry in enumerate(book.deadlines):
        _check_entry(entry, i, facts, law or load_law(), loaded)
    return book


@lru_cache(maxsize=1)
def load_deadline_rules(facts: frozenset[str]) -> DeadlineBook:
    """The deadline data shipped with openimr (cached)."""
    return parse_deadline_rules(*shipped_text(DEADLINES_RESOURCE), facts=facts)
