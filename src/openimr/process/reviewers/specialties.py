"""The "same or similar" specialties for a treatment, condition and body regions, read from
``openimr/library/data/specialties.yaml``, and the specialties a reviewer holds."""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from openimr.errors import LibraryError
from openimr.process.names import normalize_item
from openimr.process.reviewers.profiles import ReviewerProfile
from openimr.yamlio import YamlError, load_yaml_text, validated

SPECIALTIES_RESOURCE = "data/specialties.yaml"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _SpecialtyEntry(_Frozen):
    label: str
    aliases: list[str] = Field(default_factory=list)


class _Category(_Frozen):
    specialties: list[str]
    context_first: bool = False


class _Treatment(_Frozen):
    category: str
    specialties: list[str] = Field(default_factory=list)


class _Pattern(_Frozen):
    match: str
    category: str


class _ConditionRule(_Frozen):
    pattern: str
    specialties: list[str]


class SpecialtyMap(_Frozen):
    """The parsed ``specialties.yaml`` (see the file's header for its sections)."""

    version: int
    specialties: dict[str, _SpecialtyEntry]
    categories: dict[str, _Category]
    treatments: dict[str, _Treatment]
    patterns: list[_Pattern] = Field(default_factory=list)
    default: list[str]
    body_regions: dict[str, list[str]] = Field(default_factory=dict)
    conditions: list[_ConditionRule] = Field(default_factory=list)
    _aliases: dict[str, str] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        for sid, entry in self.specialties.items():
            for text in (sid.replace("-", " "), entry.label, *entry.aliases):
                self._aliases.setdefault(_specialty_key(text), sid)

    def check(self) -> list[str]:
        """References to unknown specialties or categories, and bad patterns."""
        errors: list[str] = []
        known = set(self.specialties)

        def refs(where: str, ids: Iterable[str]) -> None:
            for sid in ids:
                if sid not in known:
                    errors.append(f"{where}: unknown specialty {sid!r}")

        for name, cat in self.categories.items():
            refs(f"categories.{name}", cat.specialties)
        for tid, tr in self.treatments.items():
            if tr.category not in self.categories:
                errors.append(f"treatments.{tid}: unknown category {tr.category!r}")
            refs(f"treatments.{tid}", tr.specialties)
        for i, pat in enumerate(self.patterns):
            if pat.category not in self.categories:
                errors.append(f"patterns[{i}]: unknown category {pat.category!r}")
        refs("default", self.default)
        for region, ids in self.body_regions.items():
            refs(f"body_regions.{region}", ids)
        for i, rule in enumerate(self.conditions):
            refs(f"conditions[{i}]", rule.specialties)
            try:
                re.compile(rule.pattern)
            except re.error as exc:
                errors.append(f"conditions[{i}]: bad pattern: {exc}")
        return errors

    def label(self, specialty_id: str) -> str:
        entry = self.specialties.get(specialty_id)
        return entry.label if entry else specialty_id.replace("-", " ").title()

    def canonical(self, text: str) -> str:
        """The canonical id of a specialty written any way ("Pain Management" -> pain-medicine).

        Unknown specialties become a kebab-case slug, so they still match themselves.
        """
        key = _specialty_key(text)
        return self._aliases.get(key, key.replace(" ", "-"))

    def category_of(self, treatment_id: str) -> str | None:
        tid = _slug(treatment_id)
        entry = self.treatments.get(tid)
        if entry is not None:
            return entry.category
        for pat in self.patterns:
            if fnmatch.fnmatchcase(tid, pat.match):
                return pat.category
        return None


def _specialty_key(text: str) -> str:
    """Comparison key for specialty names: "PM&R" == "pm r", "Medicine and Rehab" == "... & ..."."""
    return " ".join(t for t in normalize_item(text).split() if t != "and")


def _slug(text: str) -> str:
    return normalize_item(text).replace(" ", "-")


def parse_specialty_map(text: str, file: str) -> SpecialtyMap:
    """Parse and check a specialty map; errors name the file and, where known, the line."""
    try:
        doc = load_yaml_text(text, file)
    except YamlError as exc:
        raise LibraryError(exc.message, file=file, line=exc.line) from None
    smap = validated(doc, SpecialtyMap, LibraryError)
    problems = smap.check()
    if problems:
        raise LibraryError("; ".join(problems), file=file)
    return smap


@lru_cache(maxsize=1)
def load_specialty_map() -> SpecialtyMap:
    """The specialty map shipped with openimr (cached)."""
    res = resources.files("openimr.library").joinpath(SPECIALTIES_RESOURCE)
    return parse_specialty_map(res.read_text(encoding="utf-8"), f"openimr/library/{res.name}")


def dedupe(items: Iterable[str]) -> list[str]:
    """The items in first-seen order, each once."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def specialties_for(
    treatment_id: str,
    condition: str | None,
    body_regions: Iterable[str] = (),
    *,
    smap: SpecialtyMap | None = None,
) -> list[str]:
    """Specialty ids that evaluate or treat this treatment and condition, strongest first.

    The treatment's own list (or, for an id not in the map, its category's list found by
    pattern, or the ``default`` list) comes first, then the body-region specialties, then
    the condition's. For categories marked ``context_first`` (imaging, surgery, evaluation)
    the region and condition specialties come before the category's generic list.
    """
    m = smap or load_specialty_map()
    tid = _slug(treatment_id)
    entry = m.treatments.get(tid)
    category = m.category_of(tid)
    cat = m.categories.get(category) if category else None
    own = list(entry.specialties) if entry is not None else []
    generic = list(cat.specialties) if cat is not None else list(m.default)
    regional: list[str] = []
    for region in body_regions:
        regional.extend(m.body_regions.get(_slug(region), []))
    clinical: list[str] = []
    if condition:
        for rule in m.conditions:
            if re.search(rule.pattern, condition, flags=re.IGNORECASE):
                clinical.extend(rule.specialties)
    if own:
        return dedupe([*own, *regional, *clinical])
    if cat is not None and cat.context_first:
        return dedupe([*regional, *clinical, *generic])
    return dedupe([*generic, *regional, *clinical])


def reviewer_specialties(
    reviewer: ReviewerProfile, *, today: dt.date, smap: SpecialtyMap | None = None
) -> list[str]:
    """Canonical ids of the reviewer's specialties and current board certifications.

    Listed specialties count as well as board-certified ones. Lab. Code 139.5 (whose text
    after subdivision (b) could not be read) is assumed to ask for a clinician knowledgeable
    in the condition and treatment; whether the board certification itself must be in a
    fitting specialty was not read, so openimr does not require it (``docs/workflow-rules.md``).
    """
    m = smap or load_specialty_map()
    texts: list[str] = []
    for cert in reviewer.board_certifications:
        if cert.in_force(today):
            texts.append(cert.specialty)
            if cert.subspecialty:
                texts.append(cert.subspecialty)
    texts.extend(reviewer.specialties)
    return dedupe(m.canonical(t) for t in texts if t.strip())
