"""The guideline library's shapes: fact definitions, rules, criteria, dated versions.

A criteria set is one file per treatment (its id is its path under ``criteria/``). Each
version is dated and cited and states its criteria in a small declarative vocabulary:

- ``all_of: [...]``, ``any_of: [...]``, ``not: rule``
- ``fact: NAME`` with one test: ``is``, ``eq``, ``gte``, ``lte``, ``gt``, ``lt``, ``present``,
  ``in``, ``contains``; optional ``qualifier`` (``$treatment`` = the request's treatment),
  ``pick`` and ``if_absent`` (``not_documented`` default; ``not_met`` or ``met`` where
  silence is itself the answer, e.g. "prior therapy" when none is mentioned)
- ``pick`` (which of several mentions is read: ``latest``, ``any_true``, ``max``, ``min``,
  ``sum``) defaults to the fact's own ``pick`` where its definition gives one, else to
  ``any_true`` for an ``is: true`` test of a yes/no fact (one mention documenting it is
  enough: the only sense of the test), else ``latest`` (for a number or a text ``any_true``
  reads the same as ``latest``); a rule names ``pick`` only where it chooses another sense
- course shorthands: ``repeat_course`` = ``{fact: prior_therapy, qualifier: $treatment,
  is: true}`` (the requested therapy was given before), ``first_course`` = its ``not`` with
  ``if_absent: not_met``; ``continued_use`` and ``first_use`` the same with
  ``medication_in_use`` (the requested drug is in use); ``not_recommended`` =
  ``{request: treatment, in: []}`` (no request passes: the guideline does not recommend it)
- ``request: FIELD`` (sessions, quantity, per_week, weeks, side, body_regions, retrospective,
  perioperative, levels, spinal_levels, treatment, drug, drug_class, ingredients, strength,
  category, specialty, dosage_form, contrast, acquisition, refills,
  associated_surgical_service, text, quantity_unit) with the same tests
- ``case: FIELD`` (days_since_injury, weeks_since_injury, age) with the same tests
- ``purpose: indicated``: the visit's purpose (a treatment id) is itself indicated under its
  own criteria set (``tier: same`` prefers the version of the calling tier)
- ``surgery: indicated``: for a pre- or post-operative item, the surgery it serves is
  indicated — decided in the same case when the surgery is itself disputed, else documented
  as planned or authorized (the ``planned_surgery`` fact)
- comparison values may be literals, ``{param: NAME}`` or ``{request: FIELD}``

Three-valued logic: met / not_met / not_documented (see :mod:`openimr.engine.logic`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

FactType = Literal["bool", "int", "number", "string"]
WhenSilent = Literal["not_applicable", "burden", "evidence"]
Tier = Literal["mtus", "acoem", "odg", "other", "studies"]
TIER_SOURCE: dict[str, str] = {
    "mtus": "MTUS",
    "acoem": "ACOEM",
    "odg": "ODG",
    "other": "other",
    "studies": "studies",
}
TESTS = ("is", "eq", "gte", "lte", "gt", "lt", "present", "in", "contains")
PICKS = ("latest", "max", "min", "any_true", "sum")
REQUEST_FIELDS = (
    "sessions",
    "course_sessions",
    "quantity",
    "per_week",
    "weeks",
    "side",
    "body_regions",
    "retrospective",
    "perioperative",
    "levels",
    "treatment",
    "drug",
    "drug_class",
    "ingredients",
    "strength",
    "category",
    "spinal_levels",
    "specialty",
    "dosage_form",
    "contrast",
    "acquisition",
    "refills",
    "associated_surgical_service",
    "text",
    "quantity_unit",
)
CASE_FIELDS = ("days_since_injury", "weeks_since_injury", "age")


@dataclass(frozen=True)
class FactDef:
    name: str
    type: FactType
    meaning: str
    describes: str
    unit: str | None = None
    qualified: bool = False
    located: bool | Literal["nerve"] = False
    """The fact is about a part of the body (a finding, an imaging result, a diagnosis, a red
    flag): for a request about a body region or side, one located elsewhere does not count.
    ``"nerve"``: a neurologic finding, which bears on the limb where it is found and on the
    spinal region whose nerve roots serve that limb (and the other way round)."""
    pick: str = "latest"
    """Which of several mentions a rule reads when the rule does not say (``pick``), where
    it differs from the rule's own default (see the module docstring); ``any_true`` for
    examination findings, where one abnormal finding
    is documented whatever other parts of the examination were normal ("gait normal" does
    not undo "lumbar flexion to 60 degrees")."""
    current: bool = False
    """An examination finding: a criterion needs it at the time of the request, so a mention
    the record gives as history ("a history of a positive straight leg raise", a past-history
    section) does not count, positive or negative; with only such mentions the finding is not
    documented. (Symptoms and red flags are not marked: "a long history of pain radiating to
    the leg" goes on, and a history of cancer is a red flag.)"""
    plan: bool = False
    """The fact is about a plan by nature (what a requested visit is for, a surgery
    considered, a treatment to start): its mentions are plans, so a hypothetical context is
    no weakness in how firmly a criterion rests on it (``engine/confidence.py``)."""
    when_silent: WhenSilent = "not_applicable"
    """How the records' silence on this fact is read in a criterion's ``when``
    (``engine/course.py``): ``burden`` (prior use of the requested treatment: the condition
    is not established, the criterion applies), ``evidence`` (a prior study: a repeat only
    when the request or records show one), ``not_applicable`` (the default)."""
    when_silent_by_category: Mapping[str, WhenSilent] = field(default_factory=dict)
    """``when_silent`` for requests of a catalogue category where it reads otherwise (an
    earlier injection is a prior procedure: ``prior_therapy`` reads as ``evidence`` for
    ``injections``)."""

    def silence(self, category: str | None) -> WhenSilent:
        """How silence on this fact is read for a request of ``category``."""
        return self.when_silent_by_category.get(category or "", self.when_silent)


@dataclass(frozen=True)
class ParamRef:
    param: str


@dataclass(frozen=True)
class RequestRef:
    field: str


Value = bool | int | float | str | list[str] | ParamRef | RequestRef | None


@dataclass(frozen=True)
class Rule:
    """One node of a criterion's rule tree."""

    kind: Literal["all_of", "any_of", "not", "fact", "request", "case", "purpose", "surgery"]
    children: tuple[Rule, ...] = ()
    subject: str | None = None
    test: str | None = None
    value: Value = None
    qualifier: str | None = None
    pick: str = "latest"
    tier: str | None = None
    if_absent: str = "not_documented"
    line: int | None = None

    def facts(self) -> set[str]:
        out = {self.subject} if self.kind == "fact" and self.subject else set()
        for child in self.children:
            out |= child.facts()
        return out


@dataclass(frozen=True)
class Citation:
    id: str
    source: Tier
    guideline: str
    citation: str
    chapter: str | None = None
    section: str | None = None
    pages: str | None = None
    edition: str | None = None
    effective: str | None = None
    regulation: str | None = None
    statement: str | None = None
    """What this source recommends, in our own words (opens the rationale)."""

    @property
    def mtus(self) -> bool:
        return self.source == "mtus"


@dataclass(frozen=True)
class Param:
    name: str
    value: float | int | str | bool | list[float | int | str | bool]
    unit: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Exception_:
    id: str
    text: str
    rule: Rule


@dataclass(frozen=True)
class Partial:
    """A fact that documents a criterion only in part ("good relief" for "50% relief"):
    the rationale says "despite documentation of <value> <context>, there is no ..."."""

    fact: str
    context: str = ""


@dataclass(frozen=True)
class Criterion:
    id: str
    text: str
    describes: str
    rule: Rule
    source: str
    when: Rule | None = None
    unless: Exception_ | None = None
    not_met: str | None = None
    checklist: str | None = None
    required: bool = True
    partial: Partial | None = None
    # what no record states when the criterion is met by the records' silence
    # (`if_absent: met`): "that the patient cannot take part in intensive therapy"
    silent: str | None = None
    source_marks: tuple[str, ...] = ()
    """Where the library data marks what this criterion rests on as not retrieved from the
    guideline text (``[U]``) or written from knowledge (``[K]``): ``"U file:line"`` entries,
    from the criterion's own lines and its version's citation and params."""
    when_silent: Literal["apply", "not_applicable"] | None = None
    """Overrides, for this criterion, how silence on its ``when`` facts is read: ``apply``
    (the physician must document the condition) or ``not_applicable`` (the guideline sets the
    default). None: each fact's own ``when_silent``."""
    line: int | None = None

    @property
    def unverified(self) -> bool:
        """Some of what it rests on was not retrieved from the guideline text (``[U]``)."""
        return any(m.startswith("U ") for m in self.source_marks)

    @property
    def from_knowledge(self) -> bool:
        """Some of what it rests on was written from knowledge, not checked against the
        guideline text (``[K]``)."""
        return any(m.startswith("K ") for m in self.source_marks)


@dataclass(frozen=True)
class Version:
    id: str
    effective: dt.date
    until: dt.date | None
    tier: Tier
    addresses: bool
    citation: Citation
    supporting: tuple[Citation, ...]
    params: dict[str, Param]
    criteria: tuple[Criterion, ...]
    when: Rule | None = None
    variant: str = "default"
    note: str | None = None
    line: int | None = None

    def in_effect(self, day: dt.date) -> bool:
        return self.effective <= day and (self.until is None or day <= self.until)

    def citations(self) -> tuple[Citation, ...]:
        return (self.citation, *self.supporting)

    def cite(self, cid: str) -> Citation:
        for c in self.citations():
            if c.id == cid:
                return c
        raise KeyError(cid)


@dataclass(frozen=True)
class CriteriaSet:
    id: str
    title: str
    treatments: tuple[str, ...]
    versions: tuple[Version, ...]
    file: str
    description: str | None = None
    body_regions: tuple[str, ...] = ()

    def versions_on(self, day: dt.date) -> list[Version]:
        return [v for v in self.versions if v.in_effect(day)]


@dataclass
class Library:
    facts: dict[str, FactDef]
    sets: dict[str, CriteriaSet]
    root: str
    by_treatment: dict[str, list[CriteriaSet]] = field(default_factory=dict)
    plan_facts: frozenset[str] = frozenset()
    """The facts that are plans by nature (``FactDef.plan``), for ``engine/confidence.py``."""

    def __post_init__(self) -> None:
        self.by_treatment = {}
        for cs in self.sets.values():
            for t in cs.treatments:
                self.by_treatment.setdefault(t, []).append(cs)
        self.plan_facts = frozenset(name for name, fd in self.facts.items() if fd.plan)

    def sets_for(
        self, treatment: str | None, body_regions: tuple[str, ...] = ()
    ) -> list[CriteriaSet]:
        """Criteria sets deciding ``treatment``: region-specific ones first."""
        if treatment is None:
            return []
        found = self.by_treatment.get(treatment, [])
        specific = [s for s in found if s.body_regions and set(s.body_regions) & set(body_regions)]
        general = [s for s in found if not s.body_regions]
        return specific + general
