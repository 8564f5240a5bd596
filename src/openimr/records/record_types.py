"""The record rules as data: ``library/data/record_types.yaml`` and ``sections.yaml``.

Both files ship inside the package. They are read once, checked (unknown keys, bad regular
expressions and unknown section names are refused naming ``file:line``) and compiled.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from openimr.errors import LibraryError
from openimr.yamlio import LoadedYaml, load_yaml_text, validated

DATA_PACKAGE = "openimr"
DATA_DIR = ("library", "data")
RECORD_TYPES_FILE = "record_types.yaml"
SECTIONS_FILE = "sections.yaml"

DATE_LABEL_KINDS = ("service", "procedure", "report")
FHIR_SECTION_TYPES = (
    "Condition",
    "Observation",
    "MedicationStatement",
    "MedicationRequest",
    "Procedure",
    "ServiceRequest",
    "DiagnosticReport",
)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _TypeSpec(_Strict):
    label: str
    priority: int = 1
    titles: list[str] = Field(default_factory=list)
    file_names: list[str] = Field(default_factory=list)
    cues: list[str] = Field(default_factory=list)


class _TypesFile(_Strict):
    version: int
    header_lines: int = Field(gt=0)
    header_chars: int = Field(gt=0)
    title_line_chars: int = Field(gt=0)
    types: dict[str, _TypeSpec]
    date_labels: dict[str, list[str]]
    standalone_date_lines: int = Field(ge=0)


class _SectionSpec(_Strict):
    label: str
    titles: list[str] = Field(default_factory=list)
    historical: bool = False
    family: bool = False
    hypothetical: bool = False


class _SectionsFile(_Strict):
    version: int
    sections: dict[str, _SectionSpec]
    fhir_resources: dict[str, str] = Field(default_factory=dict)


@dataclass(frozen=True)
class RecordTypeRule:
    name: str
    label: str
    priority: int
    order: int
    titles: tuple[re.Pattern[str], ...]
    file_names: tuple[re.Pattern[str], ...]
    cues: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class RecordTypeRules:
    header_lines: int
    header_chars: int
    title_line_chars: int
    types: tuple[RecordTypeRule, ...]
    date_labels: dict[str, tuple[re.Pattern[str], ...]]
    """Per kind: label patterns, each matching a label that ends where its date begins."""
    standalone_date_lines: int

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.types)

    def label(self, name: str) -> str:
        for t in self.types:
            if t.name == name:
                return t.label
        raise KeyError(name)


@dataclass(frozen=True)
class SectionRuleSpec:
    """One heading title of a section; ``needs_colon`` when written with a trailing colon."""

    category: str
    title: str
    needs_colon: bool


@dataclass(frozen=True)
class SectionInfo:
    name: str
    label: str
    historical: bool
    family: bool
    hypothetical: bool = False
    """What the section says states no finding (consent risks, instructions, questions)."""


@dataclass(frozen=True)
class SectionRules:
    sections: dict[str, SectionInfo]
    rules: tuple[SectionRuleSpec, ...]
    fhir_resources: dict[str, str]


# A written date: 08/19/2013, 8-19-13, 2013-08-19, August 19, 2013, Aug. 19 2013, 19 August 2013.
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
DATE_EXPR = (
    r"(?<![\w/.-])(?=[0-9JFMASONDjfmasond])"  # a date starts a word: quick to rule out
    r"(?:\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}\s+(?:{_MONTHS})\.?,?\s+\d{{4}})(?![\d/])"
)
_LABEL_GAP = r"\s*(?:[:#]|-)?[ \t]*(?:of\s+)?\Z"
"""What may stand between a date label and its date (the pattern ends where the date begins)."""
LABEL_LOOKBACK = 100
"""A date's label is looked for in at most this many characters before it."""


def _read(name: str) -> LoadedYaml:
    ref = resources.files(DATA_PACKAGE).joinpath(*DATA_DIR, name)
    shown = "/".join(("src/openimr", *DATA_DIR, name))
    try:
        text = ref.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LibraryError(f"cannot read packaged rules: {exc}", file=shown) from None
    try:
        return load_yaml_text(text, shown)
    except LibraryError:
        raise
    except Exception as exc:  # YamlError carries file and line
        line = getattr(exc, "line", None)
        raise LibraryError(str(getattr(exc, "message", exc)), file=shown, line=line) from None


def _validate(model: type[_Strict], doc: LoadedYaml) -> Any:
    return validated(doc, model, LibraryError)


def _compile(
    pattern: str, doc: LoadedYaml, loc: tuple[str | int, ...], flags: int = 0
) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE | flags)
    except re.error as exc:
        raise LibraryError(
            f"bad regular expression {pattern!r}: {exc}",
            file=doc.file,
            field=".".join(str(p) for p in loc),
            line=doc.line_of(loc),
        ) from None


@functools.cache
def record_type_rules() -> RecordTypeRules:
    """``record_types.yaml``, read once (from the start-up cache when it is current)."""
    from openimr.diskcache import cached

    return cached("record-types", _load_record_type_rules)


def _load_record_type_rules() -> RecordTypeRules:
    doc = _read(RECORD_TYPES_FILE)
    spec: _TypesFile = _validate(_TypesFile, doc)
    if "other" not in spec.types:
        raise LibraryError("the type 'other' must be listed", file=doc.file, field="types")
    types: list[RecordTypeRule] = []
    for order, (name, t) in enumerate(spec.types.items()):
        where: tuple[str | int, ...] = ("types", name)
        types.append(
            RecordTypeRule(
                name=name,
                label=t.label,
                priority=t.priority,
                order=order,
                titles=tuple(
                    _compile(p, doc, (*where, "titles", i), re.MULTILINE)
                    for i, p in enumerate(t.titles)
                ),
                file_names=tuple(
                    _compile(p, doc, (*where, "file_names", i)) for i, p in enumerate(t.file_names)
                ),
                cues=tuple(
                    _compile(p, doc, (*where, "cues", i), re.MULTILINE)
                    for i, p in enumerate(t.cues)
                ),
            )
        )
    labels: dict[str, tuple[re.Pattern[str], ...]] = {}
    for kind, pats in spec.date_labels.items():
        if kind not in DATE_LABEL_KINDS:
            raise LibraryError(
                f"unknown date label kind {kind!r}; expected one of {', '.join(DATE_LABEL_KINDS)}",
                file=doc.file,
                field=f"date_labels.{kind}",
                line=doc.line_of(("date_labels", kind)),
            )
        for i, p in enumerate(pats):  # each alone first, so that an error names its line
            _compile(p, doc, ("date_labels", kind, i), re.MULTILINE)
        either = "|".join(f"(?:{p})" for p in pats)
        labels[kind] = (
            _compile(rf"(?:{either}){_LABEL_GAP}", doc, ("date_labels", kind), re.MULTILINE),
        )
    return RecordTypeRules(
        header_lines=spec.header_lines,
        header_chars=spec.header_chars,
        title_line_chars=spec.title_line_chars,
        types=tuple(types),
        date_labels=labels,
        standalone_date_lines=spec.standalone_date_lines,
    )


@functools.cache
def section_rules() -> SectionRules:
    """``sections.yaml``, read once (from the start-up cache when it is current)."""
    from openimr.diskcache import cached

    return cached("section-rules", _load_section_rules)


def _load_section_rules() -> SectionRules:
    doc = _read(SECTIONS_FILE)
    spec: _SectionsFile = _validate(_SectionsFile, doc)
    infos: dict[str, SectionInfo] = {}
    rules: list[SectionRuleSpec] = []
    seen: dict[str, str] = {}
    for name, s in spec.sections.items():
        infos[name] = SectionInfo(name, s.label, s.historical, s.family, s.hypothetical)
        for i, title in enumerate(s.titles):
            key = title.rstrip(":").strip().lower()
            if not key:
                raise LibraryError(
                    "empty title",
                    file=doc.file,
                    field=f"sections.{name}.titles[{i}]",
                    line=doc.line_of(("sections", name, "titles", i)),
                )
            if key in seen:
                raise LibraryError(
                    f"title {title!r} is already a title of section {seen[key]!r}",
                    file=doc.file,
                    field=f"sections.{name}.titles[{i}]",
                    line=doc.line_of(("sections", name, "titles", i)),
                )
            seen[key] = name
            rules.append(SectionRuleSpec(name, " ".join(key.split()), title.endswith(":")))
    for rtype, section in spec.fhir_resources.items():
        where = {
            "file": doc.file,
            "field": f"fhir_resources.{rtype}",
            "line": doc.line_of(("fhir_resources", rtype)),
        }
        if rtype not in FHIR_SECTION_TYPES:
            raise LibraryError(f"not a FHIR resource type openimr renders: {rtype!r}", **where)  # type: ignore[arg-type]
        if section not in infos:
            raise LibraryError(f"unknown section {section!r}", **where)  # type: ignore[arg-type]
    return SectionRules(sections=infos, rules=tuple(rules), fhir_resources=spec.fhir_resources)
