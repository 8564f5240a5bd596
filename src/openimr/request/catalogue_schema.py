"""The form of ``treatments.yaml`` (pydantic models) and the checks a type cannot make.

:func:`file_errors` lists every problem of a catalogue file, each naming ``file:line``:
unknown keys and wrong types (by the models), then duplicate and malformed ids, bad regular
expressions, unknown categories and dangling references.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from openimr.errors import LibraryError
from openimr.yamlio import LoadedYaml, PathKey

CATEGORIES: tuple[str, ...] = (
    "physical-medicine",
    "diagnostic-imaging",
    "electrodiagnostics",
    "injections",
    "medications-opioids",
    "medications-nsaids",
    "medications-gastroprotective",
    "medications-muscle-relaxants",
    "medications-topicals",
    "medications-sleep",
    "medications-benzodiazepines",
    "medications-antidepressants",
    "medications-anticonvulsants",
    "medications-other",
    "dme",
    "surgery",
    "perioperative",
    "evaluation-management",
    "psychological",
    "home-care",
    "rehabilitation-programs",
    "laboratory",
    "other",
)

#: Dosage forms a brand may carry; "patch" and the topical ones steer a drug's treatment.
PATCH_FORMS = frozenset({"patch", "pad", "plaster"})
TOPICAL_FORMS = frozenset(
    {"cream", "gel", "ointment", "lotion", "spray", "foam", "liniment", "roll-on", "topical"}
)
ORAL_FORMS = frozenset({"tablet", "capsule", "solution", "liquid", "suspension", "injection"})
FORMS = PATCH_FORMS | TOPICAL_FORMS | ORAL_FORMS

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Brand(_Model):
    """A brand name, with the dosage form it implies when it implies one (Lidoderm: patch)."""

    name: str
    form: str | None = None

    @field_validator("form")
    @classmethod
    def _known_form(cls, v: str | None) -> str | None:
        if v is not None and v not in FORMS:
            raise ValueError(f"unknown form {v!r} (one of {', '.join(sorted(FORMS))})")
        return v


class Drug(_Model):
    """A drug of a medication entry: normalised generic name, brands, class."""

    generic: str
    drug_class: str = Field(alias="class")
    brands: tuple[Brand, ...] = ()
    synonyms: tuple[str, ...] = ()
    topical: str | None = None
    patch: str | None = None
    transdermal: bool = False

    @field_validator("brands", mode="before")
    @classmethod
    def _brand_strings(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [{"name": b} if isinstance(b, str) else b for b in v]
        return v

    @property
    def brand_names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.brands)


class Requires(_Model):
    perioperative: Literal["pre", "post"] | None = None
    regions: tuple[str, ...] = ()


class TreatmentEntry(_Model):
    """One treatment of the catalogue (its ``id`` names the engine's criteria file)."""

    id: str
    name: str
    category: str
    unit: str | None = None
    priority: int = 0
    synonyms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    requires: Requires = Requires()
    drugs: tuple[Drug, ...] = ()
    notes: str | None = None


class Region(_Model):
    id: str
    name: str
    synonyms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    covers: tuple[str, ...] = ()


class Specialty(_Model):
    id: str
    name: str
    synonyms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()


class CatalogueFile(_Model):
    version: Literal[1]
    regions: tuple[Region, ...] = ()
    specialties: tuple[Specialty, ...] = ()
    treatments: tuple[TreatmentEntry, ...]


def name_key(name: str) -> str:
    """How a drug name is looked up: lower case, no spaces or hyphens."""
    return re.sub(r"[\s-]+", "", name.lower())


def drug_names(d: Drug) -> list[tuple[str, Brand | None]]:
    names: list[tuple[str, Brand | None]] = [(d.generic, None)]
    names += [(s, None) for s in d.synonyms]
    names += [(b.name, b) for b in d.brands]
    return names


def _where(doc: LoadedYaml, loc: Sequence[str | int]) -> int | None:
    """The line of a pydantic error location, skipping parts that are not YAML keys."""
    path: PathKey = ()
    for part in loc:
        if (*path, part) in doc.lines:
            path = (*path, part)
    return doc.line_of(path)


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _pydantic_errors(exc: ValidationError, doc: LoadedYaml) -> list[LibraryError]:
    errors = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if isinstance(p, str | int)]
        kind = err["type"]
        if kind == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r}"
            field = _dotted(loc[:-1]) or None
        elif kind == "missing":
            msg = f"missing required key {loc[-1]!r}"
            field = _dotted(loc[:-1]) or None
        else:
            msg = str(err["msg"])
            field = _dotted(loc) or None
        errors.append(LibraryError(msg, file=doc.file, field=field, line=_where(doc, loc)))
    return sorted(errors, key=lambda e: e.line or 0)


class _Checker:
    """Gathers the errors of one catalogue file, each naming its field and line."""

    def __init__(self, doc: LoadedYaml) -> None:
        self.doc = doc
        self.errors: list[LibraryError] = []

    def err(self, msg: str, *path: str | int) -> None:
        self.errors.append(
            LibraryError(msg, file=self.doc.file, field=_dotted(path), line=self.doc.line_of(path))
        )

    def check_regex(self, pattern: str, *path: str | int) -> None:
        try:
            re.compile(pattern)
        except re.error as exc:
            self.err(f"bad regular expression {pattern!r}: {exc}", *path)

    def regions(self, data: CatalogueFile) -> dict[str, int]:
        """Check the regions; their ids, each with its first index."""
        region_ids: dict[str, int] = {}
        for i, r in enumerate(data.regions):
            if not _ID.match(r.id):
                self.err(f"region id {r.id!r} is not kebab-case", "regions", i, "id")
            if r.id in region_ids:
                self.err(
                    f"duplicate region id {r.id!r} (first at regions[{region_ids[r.id]}])",
                    "regions",
                    i,
                    "id",
                )
            region_ids.setdefault(r.id, i)
            for j, p in enumerate(r.patterns):
                self.check_regex(p, "regions", i, "patterns", j)
        for i, r in enumerate(data.regions):
            for j, c in enumerate(r.covers):
                if c not in region_ids:
                    self.err(f"unknown region {c!r}", "regions", i, "covers", j)
        return region_ids

    def specialties(self, data: CatalogueFile) -> None:
        specialty_ids: set[str] = set()
        for i, s in enumerate(data.specialties):
            if s.id in specialty_ids:
                self.err(f"duplicate specialty id {s.id!r}", "specialties", i, "id")
            specialty_ids.add(s.id)
            for j, p in enumerate(s.patterns):
                self.check_regex(p, "specialties", i, "patterns", j)

    def treatments(self, data: CatalogueFile, region_ids: dict[str, int]) -> None:
        ids: dict[str, int] = {}
        for i, e in enumerate(data.treatments):
            if e.id in ids:
                self.err(
                    f"duplicate treatment id {e.id!r} (first at treatments[{ids[e.id]}])",
                    "treatments",
                    i,
                    "id",
                )
            ids.setdefault(e.id, i)
        drug_names_seen: dict[str, str] = {}
        for i, e in enumerate(data.treatments):
            self.treatment(i, e, region_ids)
            for k, d in enumerate(e.drugs):
                self.drug(("treatments", i, "drugs", k), d, ids, drug_names_seen)

    def treatment(self, i: int, e: TreatmentEntry, region_ids: dict[str, int]) -> None:
        at = ("treatments", i)
        if not _ID.match(e.id):
            self.err(f"treatment id {e.id!r} is not kebab-case", *at, "id")
        if e.category not in CATEGORIES:
            self.err(
                f"unknown category {e.category!r} (one of {', '.join(CATEGORIES)})", *at, "category"
            )
        if not (e.synonyms or e.patterns or e.drugs):
            self.err("an entry needs synonyms, patterns or drugs to be found", *at, "id")
        for key in ("patterns", "exclude"):
            for j, p in enumerate(getattr(e, key)):
                self.check_regex(p, *at, key, j)
        for j, rid in enumerate(e.requires.regions):
            if rid not in region_ids:
                self.err(f"unknown region {rid!r}", *at, "requires", "regions", j)

    def drug(
        self, at: tuple[str | int, ...], d: Drug, ids: dict[str, int], seen: dict[str, str]
    ) -> None:
        """A drug's treatment references, and names not already another drug's."""
        for key in ("topical", "patch"):
            target = getattr(d, key)
            if target is not None and target not in ids:
                self.err(f"unknown treatment id {target!r}", *at, key)
        for name, _ in drug_names(d):
            nk = name_key(name)
            if nk in seen and seen[nk] != d.generic:
                self.err(f"drug name {name!r} is already used by {seen[nk]!r}", *at)
            seen.setdefault(nk, d.generic)


def _semantic_errors(data: CatalogueFile, doc: LoadedYaml) -> list[LibraryError]:
    checker = _Checker(doc)
    region_ids = checker.regions(data)
    checker.specialties(data)
    checker.treatments(data, region_ids)
    return checker.errors


def file_errors(doc: LoadedYaml) -> tuple[CatalogueFile | None, list[LibraryError]]:
    """The catalogue read from ``doc`` and its errors: those of its form (sorted by line;
    then no catalogue), else those of its content."""
    try:
        data = CatalogueFile.model_validate(doc.data)
    except ValidationError as exc:
        return None, _pydantic_errors(exc, doc)
    return data, _semantic_errors(data, doc)
