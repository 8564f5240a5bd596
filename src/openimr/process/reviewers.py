"""Reviewer registry logic: qualifications, conflicts, specialty match and assignment ranking.

* :func:`qualification_problems` checks a reviewer against Labor Code 139.5 and the IMRO's
  published practice (license, board certification, years and hours in practice, discipline).
* :func:`conflicts` finds affiliations with any party to the case (Labor Code 139.5: a
  material professional, familial or financial affiliation bars the reviewer), comparing names
  after normalisation (case, punctuation, corporate suffixes, titles such as "Dr." or "MD").
* :func:`specialties_for` maps a treatment, condition and body regions to the "same or similar"
  specialties, from ``openimr/library/data/specialties.yaml``.
* :func:`rank_candidates` keeps qualified, conflict-free, specialty-matching reviewers under
  their maximum load, best specialty match first and then lowest load, and records every
  excluded reviewer with the reasons (audit trail).
* :func:`credentials_paragraph` writes the letter's qualifications paragraph without the name.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from openimr.errors import LibraryError, OpenIMRError
from openimr.process.names import names_match, normalize_item
from openimr.yamlio import YamlError, load_yaml_text

LicenseStatus = Literal["active", "restricted", "revoked", "expired"]
AffiliationKind = Literal[
    "employer",
    "insurer",
    "claims_administrator",
    "provider-group",
    "facility",
    "manufacturer",
    "ur-organization",
    "law-firm",
    "family",
    "other",
]
Profession = Literal[
    "physician",
    "psychologist",
    "chiropractor",
    "acupuncturist",
    "podiatrist",
    "dentist",
    "optometrist",
    "other",
]

SPECIALTIES_RESOURCE = "data/specialties.yaml"
CITE_139_5 = "Lab. Code 139.5 (assumed: text after subdivision (b) not read)"
#: Years in practice and weekly hours are not in Lab. Code 139.5 as far as it could be read:
#: they are the IMRO's own practice, as its determinations state it.
YEARS_HOURS_SOURCE = (
    'IMRO practice stated in its determinations ("more than five years", "at least 24 '
    'hours a week"), not a statute'
)


class ReviewerError(OpenIMRError):
    """A reviewer or case-party input that cannot be used."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- US states ------------------------------------------------------------------------------

US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah",
    "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
}  # fmt: skip
_STATE_BY_NAME = {name.casefold(): code for code, name in US_STATES.items()}


def state_code(value: str) -> str:
    """Two-letter code for a US state given as a code or a name ("California" -> "CA")."""
    text = " ".join(value.replace(".", " ").split())
    if text.upper() in US_STATES:
        return text.upper()
    code = _STATE_BY_NAME.get(text.casefold())
    if code is None:
        raise ValueError(f"not a US state: {value!r}")
    return code


# -- registry shapes ------------------------------------------------------------------------


class License(_Frozen):
    state: str
    number: str
    status: LicenseStatus = "active"
    expires: dt.date | None = None

    @field_validator("state")
    @classmethod
    def _state(cls, value: str) -> str:
        return state_code(value)

    def in_force(self, today: dt.date) -> bool:
        """Active and not past its expiry date."""
        return self.status == "active" and (self.expires is None or self.expires >= today)


class BoardCertification(_Frozen):
    board: str
    specialty: str
    subspecialty: str | None = None
    current: bool = True
    expires: dt.date | None = None

    def in_force(self, today: dt.date) -> bool:
        return self.current and (self.expires is None or self.expires >= today)


class Affiliation(_Frozen):
    name: str
    kind: AffiliationKind = "other"
    relation: str = ""
    until: dt.date | None = None


class DisciplinaryAction(_Frozen):
    authority: str
    description: str
    date: dt.date | None = None
    pending: bool = False


class ReviewerProfile(_Frozen):
    """One reviewer in the IMRO's registry. ``name`` never leaves the IMRO (LC 4610.6(f))."""

    id: str
    name: str | None = None
    profession: Profession = "physician"
    licenses: list[License] = Field(default_factory=list)
    board_certifications: list[BoardCertification] = Field(default_factory=list)
    specialties: list[str] = Field(default_factory=list)
    years_in_practice: float = Field(ge=0)
    weekly_practice_hours: float = Field(ge=0)
    affiliations: list[Affiliation] = Field(default_factory=list)
    disciplinary_actions: list[DisciplinaryAction] = Field(default_factory=list)
    current_load: int = Field(default=0, ge=0)
    max_load: int = Field(ge=0)
    active: bool = True


class CaseParties(_Frozen):
    """Everyone a reviewer must not be affiliated with (Lab. Code 139.5)."""

    employer: str | None = None
    insurer: str | None = None
    claims_administrator: str | None = None
    ur_organization: str | None = None
    providers: list[str] = Field(default_factory=list)
    facility: str | None = None
    manufacturers: list[str] = Field(default_factory=list)
    employee: str | None = None
    employee_attorney: str | None = None
    others: list[str] = Field(default_factory=list)

    def named(self) -> list[tuple[str, str]]:
        """(role, name) for every named party."""
        out: list[tuple[str, str]] = []
        for role in (
            "employer",
            "insurer",
            "claims_administrator",
            "ur_organization",
            "facility",
            "employee",
            "employee_attorney",
        ):
            value = getattr(self, role)
            if value and value.strip():
                out.append((role, value))
        for role, values in (
            ("provider", self.providers),
            ("manufacturer", self.manufacturers),
            ("other", self.others),
        ):
            out.extend((role, v) for v in values if v.strip())
        return out


# -- qualifications -------------------------------------------------------------------------


class QualificationPolicy(_Frozen):
    """The thresholds applied by :func:`qualification_problems`.

    ``require_california_license`` is off by default: Lab. Code 139.5 asks for a
    non-restricted license in a US state, and published determinations name reviewers
    licensed only in other states; an IMRO that wants California-only reviewers turns it on.
    """

    min_years_in_practice: float = 5.0  # "more than five years" (strictly greater)
    min_weekly_hours: float = 24.0  # "at least 24 hours a week"
    require_california_license: bool = False
    board_certification_for: frozenset[Profession] = frozenset({"physician"})


class QualificationProblem(_Frozen):
    code: Literal[
        "inactive",
        "no_license",
        "license_restricted",
        "no_california_license",
        "no_board_certification",
        "too_few_years",
        "too_few_hours",
        "disciplinary_history",
    ]
    message: str
    citation: str


def qualification_issues(
    reviewer: ReviewerProfile,
    *,
    today: dt.date,
    policy: QualificationPolicy | None = None,
) -> list[QualificationProblem]:
    """Every reason ``reviewer`` may not review, as structured problems."""
    pol = policy or QualificationPolicy()
    out: list[QualificationProblem] = []

    def add(code: Any, message: str, citation: str = CITE_139_5) -> None:
        out.append(QualificationProblem(code=code, message=message, citation=citation))

    if not reviewer.active:
        add("inactive", "not active in the reviewer registry", "IMRO registry")
    in_force = [lic for lic in reviewer.licenses if lic.in_force(today)]
    if not in_force:
        add("no_license", "no active, unexpired license to practice in any US state")
    for lic in reviewer.licenses:
        if lic.status in ("restricted", "revoked"):
            add("license_restricted", f"license in {US_STATES[lic.state]} is {lic.status}")
    if pol.require_california_license and not any(lic.state == "CA" for lic in in_force):
        add(
            "no_california_license",
            "no active California license (required by this IMRO's policy)",
            "IMRO policy",
        )
    if reviewer.profession in pol.board_certification_for and not any(
        c.in_force(today) for c in reviewer.board_certifications
    ):
        add("no_board_certification", "no current board certification")
    if reviewer.years_in_practice <= pol.min_years_in_practice:
        add(
            "too_few_years",
            f"{reviewer.years_in_practice:g} years in active practice; more than "
            f"{pol.min_years_in_practice:g} required",
            YEARS_HOURS_SOURCE,
        )
    if reviewer.weekly_practice_hours < pol.min_weekly_hours:
        add(
            "too_few_hours",
            f"{reviewer.weekly_practice_hours:g} hours a week in active practice; at least "
            f"{pol.min_weekly_hours:g} required",
            YEARS_HOURS_SOURCE,
        )
    if reviewer.disciplinary_actions:
        what = "; ".join(
            f"{a.authority}: {a.description}" + (" (pending)" if a.pending else "")
            for a in reviewer.disciplinary_actions
        )
        add("disciplinary_history", f"history of disciplinary action or sanctions ({what})")
    return out


def qualification_problems(
    reviewer: ReviewerProfile,
    *,
    today: dt.date,
    policy: QualificationPolicy | None = None,
) -> list[str]:
    """Plain-text reasons ``reviewer`` may not review (empty: qualified), with citations."""
    return [
        f"{p.message} ({p.citation})"
        for p in qualification_issues(reviewer, today=today, policy=policy)
    ]


# -- names and conflicts --------------------------------------------------------------------


class Conflict(_Frozen):
    reviewer_id: str
    party_role: str
    party_name: str
    affiliation: Affiliation | None
    match: Literal["exact", "partial"]

    def describe(self) -> str:
        if self.affiliation is None:
            return f"the reviewer is the {self.party_role.replace('_', ' ')} ({self.party_name})"
        rel = f" ({self.affiliation.relation})" if self.affiliation.relation else ""
        return (
            f"affiliated with {self.party_role.replace('_', ' ')} {self.party_name!r} through "
            f"{self.affiliation.kind} {self.affiliation.name!r}{rel}"
            + (" [partial name match]" if self.match == "partial" else "")
        )


def conflicts(reviewer: ReviewerProfile, parties: CaseParties) -> list[Conflict]:
    """Every affiliation of ``reviewer`` with any party, past or present (Lab. Code 139.5).

    Any affiliation counts whatever its kind or end date: the screen is deliberately strict,
    and a reviewer with a conflict is never assigned.
    """
    out: list[Conflict] = []
    for role, party in parties.named():
        if reviewer.name:
            match = names_match(reviewer.name, party)
            if match is not None:
                out.append(
                    Conflict(
                        reviewer_id=reviewer.id,
                        party_role=role,
                        party_name=party,
                        affiliation=None,
                        match=match,
                    )
                )
        for aff in reviewer.affiliations:
            match = names_match(aff.name, party)
            if match is not None:
                out.append(
                    Conflict(
                        reviewer_id=reviewer.id,
                        party_role=role,
                        party_name=party,
                        affiliation=aff,
                        match=match,
                    )
                )
    return out


# -- specialties ----------------------------------------------------------------------------


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
    try:
        smap = SpecialtyMap.model_validate(doc.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        where = ".".join(str(p) for p in loc)
        raise LibraryError(f"{where}: {first['msg']}", file=file, line=doc.line_of(loc)) from None
    problems = smap.check()
    if problems:
        raise LibraryError("; ".join(problems), file=file)
    return smap


@lru_cache(maxsize=1)
def load_specialty_map() -> SpecialtyMap:
    """The specialty map shipped with openimr (cached)."""
    res = resources.files("openimr.library").joinpath(SPECIALTIES_RESOURCE)
    return parse_specialty_map(res.read_text(encoding="utf-8"), f"openimr/library/{res.name}")


def _dedupe(items: Iterable[str]) -> list[str]:
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
        return _dedupe([*own, *regional, *clinical])
    if cat is not None and cat.context_first:
        return _dedupe([*regional, *clinical, *generic])
    return _dedupe([*generic, *regional, *clinical])


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
    return _dedupe(m.canonical(t) for t in texts if t.strip())


# -- ranking --------------------------------------------------------------------------------


class SpecialtyMatch(_Frozen):
    treatment_id: str
    specialty: str
    rank: int  # 0 = the strongest specialty for this treatment


class Candidate(_Frozen):
    reviewer_id: str
    rank: int
    matches: list[SpecialtyMatch]
    uncovered: list[str]
    covers_all: bool
    match_score: int  # sum of match ranks over covered treatments (lower is stronger)
    current_load: int
    max_load: int

    @property
    def load_ratio(self) -> float:
        return self.current_load / self.max_load if self.max_load else 1.0


class Exclusion(_Frozen):
    reviewer_id: str
    reasons: list[str]


class Ranking(_Frozen):
    candidates: list[Candidate]
    excluded: list[Exclusion]
    wanted: dict[str, list[str]]


class CandidateList(list[Candidate]):
    """The ranked candidates (a plain list) carrying the exclusions for the audit trail."""

    def __init__(
        self,
        candidates: Iterable[Candidate] = (),
        *,
        excluded: Sequence[Exclusion] = (),
        wanted: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(candidates)
        self.excluded: list[Exclusion] = list(excluded)
        self.wanted: dict[str, list[str]] = dict(wanted or {})


def rank_reviewers(
    reviewers: Iterable[ReviewerProfile],
    *,
    treatment_ids: Sequence[str],
    condition: str | None,
    body_regions: Sequence[str],
    parties: CaseParties,
    today: dt.date,
    policy: QualificationPolicy | None = None,
    smap: SpecialtyMap | None = None,
) -> Ranking:
    """Rank reviewers for a case; see :func:`rank_candidates`."""
    if not treatment_ids:
        raise ReviewerError("no treatment to match a reviewer to", field="treatment_ids")
    m = smap or load_specialty_map()
    wanted = {tid: specialties_for(tid, condition, body_regions, smap=m) for tid in treatment_ids}
    scored: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    excluded: list[Exclusion] = []
    seen_ids: set[str] = set()
    for reviewer in reviewers:
        if reviewer.id in seen_ids:
            raise ReviewerError(f"reviewer id {reviewer.id!r} appears twice", field="id")
        seen_ids.add(reviewer.id)
        reasons = qualification_problems(reviewer, today=today, policy=policy)
        reasons += [f"conflict of interest: {c.describe()}" for c in conflicts(reviewer, parties)]
        if reviewer.current_load >= reviewer.max_load:
            reasons.append(f"at capacity ({reviewer.current_load} of {reviewer.max_load} cases)")
        own = reviewer_specialties(reviewer, today=today, smap=m)
        matches: list[SpecialtyMatch] = []
        uncovered: list[str] = []
        for tid, specs in wanted.items():
            hits = [(i, s) for i, s in enumerate(specs) if s in own]
            if hits:
                i, s = hits[0]
                matches.append(SpecialtyMatch(treatment_id=tid, specialty=s, rank=i))
            else:
                uncovered.append(tid)
        if not matches:
            labels = ", ".join(sorted({m.label(s) for specs in wanted.values() for s in specs[:3]}))
            reasons.append(f"no same or similar specialty (wanted e.g. {labels})")
        if reasons:
            excluded.append(Exclusion(reviewer_id=reviewer.id, reasons=reasons))
            continue
        score = sum(x.rank for x in matches)
        ratio = reviewer.current_load / reviewer.max_load
        key = (len(uncovered), score, reviewer.current_load, ratio, reviewer.id)
        scored.append(
            (
                key,
                {
                    "reviewer_id": reviewer.id,
                    "matches": matches,
                    "uncovered": uncovered,
                    "covers_all": not uncovered,
                    "match_score": score,
                    "current_load": reviewer.current_load,
                    "max_load": reviewer.max_load,
                },
            )
        )
    scored.sort(key=lambda item: item[0])
    candidates = [Candidate(rank=i + 1, **data) for i, (_, data) in enumerate(scored)]
    return Ranking(candidates=candidates, excluded=excluded, wanted=wanted)


def rank_candidates(
    reviewers: Iterable[ReviewerProfile],
    *,
    treatment_ids: Sequence[str],
    condition: str | None,
    body_regions: Sequence[str],
    parties: CaseParties,
    today: dt.date,
    policy: QualificationPolicy | None = None,
) -> CandidateList:
    """Qualified, conflict-free, specialty-matching reviewers under their maximum load.

    Order: reviewers covering every treatment first, then the strongest specialty match
    (sum of match ranks), then the lowest current load (load balancing), then the lowest
    load ratio, then the id (deterministic). The returned list's ``excluded`` attribute holds
    every other reviewer with all the reasons it was left out.
    """
    ranking = rank_reviewers(
        reviewers,
        treatment_ids=treatment_ids,
        condition=condition,
        body_regions=body_regions,
        parties=parties,
        today=today,
        policy=policy,
    )
    return CandidateList(ranking.candidates, excluded=ranking.excluded, wanted=ranking.wanted)


# -- the letter paragraph -------------------------------------------------------------------

_PROFESSION_NOUN = {
    "psychologist": "a licensed psychologist",
    "chiropractor": "a licensed chiropractor",
    "acupuncturist": "a licensed acupuncturist",
    "podiatrist": "a licensed podiatrist",
    "dentist": "a licensed dentist",
    "optometrist": "a licensed optometrist",
}


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def credentials_paragraph(
    reviewer: ReviewerProfile,
    *,
    today: dt.date | None = None,
    parties: CaseParties | None = None,
) -> str:
    """The letter's description of the reviewer's qualifications, without the name.

    Only facts from the profile are stated (license states, current board certifications and
    subspecialties, years and hours of practice); license numbers and the name are never
    included (Lab. Code 4610.6(f)). The sentence saying the reviewer has no affiliation with
    the parties is added only when ``parties`` is given and :func:`conflicts` finds none; a
    reviewer with a conflict raises :class:`ReviewerError`. With ``today``, expired licenses
    and board certifications are left out; without it only their status and current flags
    are used.
    """
    m = load_specialty_map()

    def license_ok(lic: License) -> bool:
        return lic.status == "active" if today is None else lic.in_force(today)

    def cert_ok(cert: BoardCertification) -> bool:
        return cert.current if today is None else cert.in_force(today)

    sentences: list[str] = []
    if parties is not None:
        found = conflicts(reviewer, parties)
        if found:
            raise ReviewerError(
                f"reviewer {reviewer.id} has a conflict of interest: {found[0].describe()}"
            )
        sentences.append(
            "The expert reviewer has no affiliation with the employer, employee, providers "
            "or the claims administrator."
        )
    certs = [c for c in reviewer.board_certifications if cert_ok(c)]
    states = _dedupe(US_STATES[lic.state] for lic in reviewer.licenses if license_ok(lic))
    main = _dedupe(m.label(m.canonical(c.specialty)) for c in certs)
    subs = _dedupe(
        m.label(m.canonical(c.subspecialty))
        for c in certs
        if c.subspecialty and m.label(m.canonical(c.subspecialty)) not in main
    )
    parts: list[str] = []
    if main:
        part = f"is Board Certified in {_join(main)}"
        if len(subs) == 1:
            part += f", has a subspecialty in {subs[0]},"
        elif subs:
            part += f", has subspecialties in {_join(subs)},"
        parts.append(part)
    elif reviewer.profession in _PROFESSION_NOUN:
        parts.append(f"is {_PROFESSION_NOUN[reviewer.profession]}")
    if states:
        parts.append(f"is licensed to practice in {_join(states)}")
    if parts:
        sentences.append("The expert reviewer " + " and ".join(parts) + ".")
    years = reviewer.years_in_practice
    if years > 5:
        practice = "has been in active clinical practice for more than five years"
    else:
        practice = f"has been in active clinical practice for {years:g} years"
    hours = reviewer.weekly_practice_hours
    if hours >= 24:
        work = "is currently working at least 24 hours a week in active practice"
    else:
        work = f"currently works {hours:g} hours a week in active practice"
    sentences.append(f"The reviewer {practice} and {work}.")
    sentences.append(
        "The reviewer was selected for clinical experience, education, background and "
        "expertise in the same or similar specialties that evaluate or treat the medical "
        "condition and the disputed items and services, and is familiar with the governing "
        "laws and regulations, including the strength of evidence hierarchy that applies to "
        "Independent Medical Review determinations."
    )
    specialty_line = _dedupe(
        [*main, *subs, *(m.label(m.canonical(s)) for s in reviewer.specialties)]
    )
    lines = [
        " ".join(sentences),
        "",
        f"State(s) of Licensure: {', '.join(states) if states else 'none on file'}",
        f"Certification(s)/Specialty: {', '.join(specialty_line) if specialty_line else 'none'}",
    ]
    return "\n".join(lines)
