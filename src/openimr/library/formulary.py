"""The MTUS Drug Formulary as data: which drugs need prospective review, and when.

The formulary (8 CCR 9792.27.1 ff., in effect from 2018-01-01) lists drugs as *exempt* (no
prospective review when prescribed in accordance with the MTUS) or *non-exempt* (prospective
review first, except a short special fill at the first visit or a perioperative fill). It
says nothing about medical necessity, which the MTUS treatment guidelines decide.

The list lives in ``data/formulary.yaml``; :func:`load_formulary` validates it (every error
names ``file:line``) and :func:`formulary_status` answers for one drug on one date:

    >>> entry = formulary_status("Norco 10/325mg", dt.date(2019, 3, 1))
    >>> entry.status, entry.prospective_review
    ('non-exempt', True)

``None`` means the formulary says nothing we can support: the date is before the formulary,
or the drug is not among the encoded entries (not the same as "unlisted" in law).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from openimr.errors import LibraryError, LibraryErrors, OpenIMRError
from openimr.yamlio import LoadedYaml, PathKey, load_yaml_file

DATA = Path(__file__).parent / "data" / "formulary.yaml"
SHOWN = "openimr/library/data/formulary.yaml"

Status = Literal["exempt", "non-exempt"]
Confidence = Literal["V", "K"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    citation: str
    url: str | None = None


class ListVersion(_Strict):
    version: str
    effective: dt.date
    source: str
    note: str | None = None


class Rule(_Strict):
    regulation: str
    summary: str
    within_days_of_injury: int | None = None
    days_before_surgery: int | None = None
    days_after_surgery: int | None = None
    max_days_supply: int | None = None


class StatusPeriod(_Strict):
    effective: dt.date
    status: Status
    special_fill: bool = False
    special_fill_days: int | None = Field(default=None, gt=0)
    perioperative_fill: bool = False
    perioperative_fill_days: int | None = Field(default=None, gt=0)
    confidence: Confidence
    source: str
    note: str | None = None

    @model_validator(mode="after")
    def _fills(self) -> StatusPeriod:
        if self.special_fill_days is not None and not self.special_fill:
            raise ValueError("special_fill_days given without special_fill: true")
        if self.perioperative_fill_days is not None and not self.perioperative_fill:
            raise ValueError("perioperative_fill_days given without perioperative_fill: true")
        if self.status == "exempt" and (self.special_fill or self.perioperative_fill):
            raise ValueError("special and perioperative fills apply to non-exempt drugs only")
        return self


class Drug(_Strict):
    drug: str
    names: list[str] = Field(min_length=1)
    drug_class: str | None = None
    statuses: list[StatusPeriod] = Field(min_length=1)


class FormularyFile(_Strict):
    formulary: str
    regulation: str
    effective: dt.date
    sources: dict[str, Source]
    list_versions: list[ListVersion] = Field(min_length=1)
    rules: dict[str, Rule]
    drugs: list[Drug]


class FormularyEntry(_Strict):
    """A drug's formulary status on a date."""

    drug: str
    """The generic entry matched (e.g. ``hydrocodone/acetaminophen``)."""
    name: str
    """The name the request used, as matched."""
    drug_class: str | None
    status: Status
    special_fill: bool
    special_fill_days: int | None
    perioperative_fill: bool
    perioperative_fill_days: int | None
    status_effective: dt.date
    """First day of this status."""
    list_version: str
    """The MTUS Drug List version in effect on the date asked."""
    confidence: Confidence
    citation: str
    regulation: str
    note: str | None = None

    @property
    def prospective_review(self) -> bool:
        """Whether the drug needs prospective review before dispensing (outside the fills)."""
        return self.status == "non-exempt"


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("\u00ae", "").split())


_DOSE = re.compile(r"\s*(?:\(|\d|#).*$")


class Formulary:
    """A validated formulary: list versions, rules and drugs."""

    def __init__(self, data: FormularyFile) -> None:
        self.data = data
        self._index: dict[str, Drug] = {}
        for drug in data.drugs:
            for name in drug.names:
                self._index[_norm(name)] = drug

    @property
    def effective(self) -> dt.date:
        return self.data.effective

    def list_version_on(self, day: dt.date) -> ListVersion | None:
        """The MTUS Drug List version in effect on ``day`` (None before the formulary)."""
        current = None
        for v in self.data.list_versions:
            if v.effective <= day:
                current = v
        return current

    def find(self, drug: str) -> tuple[Drug, str] | None:
        """The drug entry a request names (brand or generic, dose and form ignored)."""
        text = _norm(drug)
        candidates = [text, _DOSE.sub("", text).strip()]
        words = candidates[-1].split()
        candidates += [" ".join(words[:n]) for n in range(len(words) - 1, 0, -1)]
        for cand in candidates:
            if cand in self._index:
                return self._index[cand], cand
        return None

    def status(self, drug: str, day: dt.date, *, compounded: bool = False) -> FormularyEntry | None:
        version = self.list_version_on(day)
        if version is None or day < self.data.effective:
            return None
        if compounded:
            rule = self.data.rules["compounded"]
            return FormularyEntry(
                drug="compounded drug",
                name=_norm(drug),
                drug_class="topical-compound",
                status="non-exempt",
                special_fill=False,
                special_fill_days=None,
                perioperative_fill=False,
                perioperative_fill_days=None,
                status_effective=self.data.effective,
                list_version=version.version,
                confidence="V",
                citation=self.data.sources["regs"].citation,
                regulation=rule.regulation,
                note=rule.summary,
            )
        found = self.find(drug)
        if found is None:
            return None
        entry, name = found
        period = None
        for p in entry.statuses:
            if p.effective <= day:
                period = p
        if period is None:
            return None
        return FormularyEntry(
            drug=entry.drug,
            name=name,
            drug_class=entry.drug_class,
            status=period.status,
            special_fill=period.special_fill,
            special_fill_days=period.special_fill_days,
            perioperative_fill=period.perioperative_fill,
            perioperative_fill_days=period.perioperative_fill_days,
            status_effective=period.effective,
            list_version=version.version,
            confidence=period.confidence,
            citation=self.data.sources[period.source].citation,
            regulation=self.data.rules[
                "exempt" if period.status == "exempt" else "non_exempt"
            ].regulation,
            note=period.note,
        )


def _loc_path(loc: tuple[int | str, ...]) -> PathKey:
    return tuple(x for x in loc if isinstance(x, (int, str)))


def _check(data: FormularyFile, doc: LoadedYaml, errors: list[LibraryError]) -> None:
    def err(message: str, path: PathKey) -> None:
        errors.append(LibraryError(message, file=doc.file, line=doc.line_of(path)))

    for key in ("exempt", "non_exempt", "compounded"):
        if key not in data.rules:
            err(f"rules: missing the {key!r} rule", ("rules",))
    if "regs" not in data.sources:
        err("sources: missing 'regs' (the regulation itself)", ("sources",))
    dates = [v.effective for v in data.list_versions]
    if dates[0] != data.effective:
        err("the first list version must take effect with the formulary", ("list_versions", 0))
    seen_versions: set[str] = set()
    for i, v in enumerate(data.list_versions):
        if i and v.effective <= data.list_versions[i - 1].effective:
            err("list versions must be in date order", ("list_versions", i, "effective"))
        if v.version in seen_versions:
            err(f"duplicate list version {v.version!r}", ("list_versions", i, "version"))
        seen_versions.add(v.version)
        if v.source not in data.sources:
            err(f"unknown source {v.source!r}", ("list_versions", i, "source"))
    version_dates = set(dates)
    names: dict[str, int] = {}
    for d, drug in enumerate(data.drugs):
        for n, name in enumerate(drug.names):
            key = _norm(name)
            if key in names:
                err(
                    f"name {name!r} already belongs to drug entry {names[key] + 1}",
                    ("drugs", d, "names", n),
                )
            names[key] = d
        for s, period in enumerate(drug.statuses):
            path: PathKey = ("drugs", d, "statuses", s)
            if period.effective not in version_dates:
                err(
                    f"status date {period.effective.isoformat()} is not the date of a list version",
                    (*path, "effective"),
                )
            if s and period.effective <= drug.statuses[s - 1].effective:
                err("status periods must be in date order", (*path, "effective"))
            if period.source not in data.sources:
                err(f"unknown source {period.source!r}", (*path, "source"))


def load_formulary(path: Path = DATA, display: str | None = None) -> Formulary:
    """Load and validate a formulary file; raises :class:`LibraryErrors` naming file:line."""
    shown = display or (SHOWN if path == DATA else str(path))
    try:
        doc = load_yaml_file(path, shown)
    except OpenIMRError as exc:
        raise LibraryErrors([LibraryError(exc.message, file=exc.file, line=exc.line)]) from None
    errors: list[LibraryError] = []
    try:
        data = FormularyFile.model_validate(doc.data)
    except ValidationError as exc:
        for e in exc.errors():
            path_key = _loc_path(tuple(e["loc"]))
            where = ".".join(str(x) for x in path_key)
            message = e["msg"].removeprefix("Value error, ")
            errors.append(
                LibraryError(
                    f"{where}: {message}" if where else message,
                    file=shown,
                    line=doc.line_of(path_key),
                )
            )
        raise LibraryErrors(errors) from None
    _check(data, doc, errors)
    if errors:
        raise LibraryErrors(errors)
    return Formulary(data)


@lru_cache(maxsize=1)
def default_formulary() -> Formulary:
    return load_formulary()


def formulary_status(
    drug: str, date: dt.date, *, compounded: bool = False
) -> FormularyEntry | None:
    """The MTUS Drug Formulary status of ``drug`` on ``date`` (the date of service).

    ``compounded=True`` answers for a compounded drug, which always needs prospective review.
    ``None``: before 2018-01-01, or a drug whose status the shipped data cannot support.
    """
    return default_formulary().status(drug, date, compounded=compounded)
