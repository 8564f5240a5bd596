"""The eligibility checks as data: the schema of ``library/data/process/eligibility.yaml``
and the evaluation of one data check.

A check names its law rule (``library/data/law.yaml``) and either a Python check kept by name
(``function``) or ``cases``: the first case whose conditions on the facts hold asks for a
missing fact or gives a reason (code, message, citation, effect, verified). The file's header
explains every field. Errors name ``file:line`` and the field, also for unknown facts, law
rules, law values or Python checks.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable, Collection, Mapping
from functools import lru_cache
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openimr.errors import LibraryError
from openimr.process.datafile import parse_model, refuse, shipped_text
from openimr.process.law import LAW_DATA_START, LawBook, LawVersion, load_law, rule_on
from openimr.yamlio import LoadedYaml, PathKey

ELIGIBILITY_RESOURCE = "data/process/eligibility.yaml"

ReasonCode = Literal[
    "ur_before_imr_era",
    "not_ur_dispute",
    "not_medical_necessity",
    "ur_untimely",
    "authorized",
    "invalid_filer",
    "unsigned",
    "filed_late",
    "ur_missing",
    "conditional_noncertification",
    "duplicate",
    "already_decided",
    "liability_deferred",
]
#: What a reason does to the application.
Effect = Literal["ineligible", "terminated", "wcab", "deferred"]
#: The order reasons are reported in.
REASON_ORDER: tuple[ReasonCode, ...] = get_args(ReasonCode)


class EligibilityDataError(LibraryError):
    """The eligibility data is invalid."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Before(_Frozen):
    """The fact is known and earlier than ``before``."""

    before: dt.date


class NotInLaw(_Frozen):
    """The fact is not one of the list ``not_in_law`` of the rule's version."""

    not_in_law: str


Condition = Before | NotInLaw | bool | str | None


class Ask(_Frozen):
    field: str
    why: str = Field(min_length=1)


class Case(_Frozen):
    """One outcome of a check: ask for a fact, or give a reason."""

    when: dict[str, Condition] = Field(min_length=1)
    ask: Ask | None = None
    reason: ReasonCode | None = None
    message: str | None = None
    citation: str | None = None
    effect: Effect = "ineligible"
    verified: bool = True

    @model_validator(mode="after")
    def _one_outcome(self) -> Case:
        if (self.ask is None) == (self.reason is None):
            raise ValueError("a case either asks for a fact or gives a reason")
        if self.reason is not None and not (self.message and self.citation):
            raise ValueError("a reason needs a message and a citation")
        return self

    def cites_rule(self) -> bool:
        return "{cite}" in (self.citation or "")


class Check(_Frozen):
    id: str
    rule: str | None = None
    law_day: str | None = None
    function: str | None = None
    why: str | None = None
    cases: list[Case] = Field(default_factory=list)

    @model_validator(mode="after")
    def _data_or_function(self) -> Check:
        if self.function is not None:
            if self.cases or not self.why:
                raise ValueError("a Python check has no cases and says why it is Python")
        elif not self.cases:
            raise ValueError("a check needs cases or a Python function")
        if self.rule is None and self.uses_law():
            raise ValueError("{cite} and not_in_law need the check's rule")
        return self

    def uses_law(self) -> bool:
        """Whether a case cites the rule or compares a fact with its values."""
        return any(c.cites_rule() or _uses_law(c) for c in self.cases)


def _uses_law(case: Case) -> bool:
    return any(isinstance(c, NotInLaw) for c in case.when.values())


class EligibilityBook(_Frozen):
    checks: list[Check] = Field(min_length=1)


#: The rule's version for a check, looked up only when a condition or citation needs it.
LawOf = Callable[[], LawVersion | None]


def law_for(check: Check, facts: Mapping[str, Any]) -> LawVersion | None:
    """The version of the check's rule in force on its ``law_day`` (None: it names no rule)."""
    if check.rule is None:
        return None
    day = facts[check.law_day] if check.law_day is not None else None
    return rule_on(check.rule, max(day, LAW_DATA_START) if day is not None else LAW_DATA_START)


def _holds(condition: Condition, value: Any, law: LawOf) -> bool:
    if isinstance(condition, Before):
        return value is not None and value < condition.before
    if isinstance(condition, NotInLaw):
        version = law()
        return version is not None and value not in version.values[condition.not_in_law]
    return bool(value == condition)


def matching_case(check: Check, facts: Mapping[str, Any], law: LawOf) -> Case | None:
    """The first case of ``check`` whose conditions hold for ``facts``."""
    for case in check.cases:
        if all(_holds(cond, facts[name], law) for name, cond in case.when.items()):
            return case
    return None


def message_of(case: Case, facts: Mapping[str, Any]) -> str:
    """The case's message with the facts it names filled in (dates as YYYY-MM-DD)."""
    shown = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in facts.items()}
    return (case.message or "").format(**shown)


def citation_of(case: Case, law: LawVersion | None) -> str:
    """The case's citation, ``{cite}`` replaced by the rule's citation and words."""
    return (case.citation or "").replace("{cite}", law.cite() if law is not None else "")


def _facts_named(check: Check) -> list[tuple[PathKey, str]]:
    out: list[tuple[PathKey, str]] = []
    if check.law_day is not None:
        out.append((("law_day",), check.law_day))
    for i, case in enumerate(check.cases):
        out += [(("cases", i, "when", name), name) for name in case.when]
        if case.ask is not None:
            out.append((("cases", i, "ask", "field"), case.ask.field))
        for _, name, _, _ in string.Formatter().parse(case.message or ""):
            if name:
                out.append((("cases", i, "message"), name))
    return out


def _check_refs(
    check: Check,
    at: PathKey,
    facts: Collection[str],
    functions: Collection[str],
    law: LawBook,
    loaded: LoadedYaml,
) -> None:
    for path, name in _facts_named(check):
        if name not in facts:
            raise refuse(
                EligibilityDataError, f"no fact {name!r} in ApplicationFacts", loaded, at + path
            )
    if check.function is not None and check.function not in functions:
        raise refuse(
            EligibilityDataError, f"no Python check {check.function!r}", loaded, (*at, "function")
        )
    if check.rule is None:
        return
    rules = {r.id: r for r in law.rules}
    if check.rule not in rules:
        raise refuse(
            EligibilityDataError, f"no rule {check.rule!r} in law.yaml", loaded, (*at, "rule")
        )
    for i, case in enumerate(check.cases):
        for name, cond in case.when.items():
            if isinstance(cond, NotInLaw) and any(
                not isinstance(v.values.get(cond.not_in_law), list)
                for v in rules[check.rule].versions
            ):
                raise refuse(
                    EligibilityDataError,
                    f"not every version of {check.rule!r} has a list {cond.not_in_law!r}",
                    loaded,
                    (*at, "cases", i, "when", name),
                )


def parse_eligibility_checks(
    text: str,
    file: str,
    *,
    facts: Collection[str],
    functions: Collection[str],
    law: LawBook | None = None,
) -> EligibilityBook:
    """The eligibility data from YAML text, checked against the law, facts and Python checks."""
    book, loaded = parse_model(text, file, EligibilityBook, EligibilityDataError)
    for i, check in enumerate(book.checks):
        _check_refs(check, ("checks", i), facts, functions, law or load_law(), loaded)
    return book


@lru_cache(maxsize=1)
def load_eligibility_checks(facts: frozenset[str], functions: frozenset[str]) -> EligibilityBook:
    """The eligibility data shipped with openimr (cached)."""
    return parse_eligibility_checks(
        *shipped_text(ELIGIBILITY_RESOURCE), facts=facts, functions=functions
    )
