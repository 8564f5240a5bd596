"""The shapes of the library's YAML files, validated by pydantic (no key outside them).

These are the files as written; :mod:`openimr.library.loader` turns them into the models of
:mod:`openimr.library.schema` the engine reads, after the checks that need the whole set
(known facts, defined params, cited sources, dates that do not overlap). A rule is a mapping
whose kind is the key it holds (``all_of``, ``any_of``, ``not``, ``fact``, ``request``,
``case``, ``purpose``, ``surgery``), or one of the names in :data:`SHORTHANDS`.
"""

from __future__ import annotations

import datetime as dt
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from openimr.library.schema import CASE_FIELDS, PICKS, REQUEST_FIELDS, TESTS

TierName = Literal["mtus", "acoem", "odg", "other", "studies"]
PickName = Literal["latest", "max", "min", "any_true", "sum"]
IfAbsent = Literal["not_documented", "not_met", "met"]
Shorthand = Literal[
    "first_course", "repeat_course", "first_use", "continued_use", "not_recommended"
]
_COURSE: dict[str, Any] = {"qualifier": "$treatment", "is": True, "pick": "any_true"}
SHORTHANDS: dict[str, dict[str, Any]] = {
    # the requested therapy was given before / was not (silence: not given)
    "repeat_course": {"fact": "prior_therapy", **_COURSE},
    "first_course": {"not": {"fact": "prior_therapy", **_COURSE, "if_absent": "not_met"}},
    # the requested drug is in use / is not (silence: not in use)
    "continued_use": {"fact": "medication_in_use", **_COURSE},
    "first_use": {"not": {"fact": "medication_in_use", **_COURSE, "if_absent": "not_met"}},
    # the guideline does not recommend the request (under the criterion's `when`): a test no
    # request passes (not documented only when the request names no treatment)
    "not_recommended": {"request": "treatment", "in": []},
}
"""Names a rule may be written as, and the rule each stands for."""
RULE_KINDS = ("all_of", "any_of", "not", "fact", "request", "case", "purpose", "surgery")
assert set(PICKS) == set(PickName.__args__)  # type: ignore[attr-defined]
assert set(SHORTHANDS) == set(Shorthand.__args__)  # type: ignore[attr-defined]


class Strict(BaseModel):
    """A mapping of the library's files: unknown keys are refused; a number is read as text
    where text is expected (``pages: 98``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


def _date_only(raw: object) -> object:
    # YAML gives dates; text is read as ISO; a number is not a date (pydantic would take it
    # as a timestamp)
    if isinstance(raw, (dt.date, str)) or raw is None:
        return raw
    raise ValueError(f"must be a date YYYY-MM-DD, got {raw!r}")


Day = Annotated[dt.date, BeforeValidator(_date_only)]


class ParamRefFile(Strict):
    param: str


class RequestRefFile(Strict):
    request: str

    @model_validator(mode="after")
    def _known_field(self) -> RequestRefFile:
        if self.request not in REQUEST_FIELDS:
            raise ValueError(f"unknown request field {self.request!r}")
        return self


def _one_reference(raw: object) -> object:
    if isinstance(raw, dict) and set(raw) not in ({"param"}, {"request"}):
        raise ValueError("a comparison value is a literal, {param: NAME} or {request: FIELD}")
    return raw


Compared = Annotated[
    bool | int | float | str | list[str] | ParamRefFile | RequestRefFile | None,
    BeforeValidator(_one_reference),
]


class _Test(Strict):
    """One test of a fact, request or case rule (exactly one is given)."""

    qualifier: str | None = None
    pick: PickName | None = None
    if_absent: IfAbsent = "not_documented"
    is_: Compared = Field(None, alias="is")
    eq: Compared = None
    gte: Compared = None
    lte: Compared = None
    gt: Compared = None
    lt: Compared = None
    present: Compared = None
    in_: Compared = Field(None, alias="in")
    contains: Compared = None

    @property
    def kind(self) -> Literal["fact", "request", "case"]:
        raise NotImplementedError

    def tests(self) -> list[str]:
        """The tests given, as written (``is``, ``in`` ...)."""
        given = {
            f.alias or name
            for name, f in type(self).model_fields.items()
            if name in self.model_fields_set
        }
        return [t for t in TESTS if t in given]

    def test(self) -> tuple[str, Compared]:
        name = self.tests()[0]
        return name, getattr(self, {"is": "is_", "in": "in_"}.get(name, name))

    @model_validator(mode="after")
    def _one_test(self) -> _Test:
        tests = self.tests()
        if len(tests) != 1:
            raise ValueError(f"a {self.kind} rule takes exactly one test of: {', '.join(TESTS)}")
        name, value = self.test()
        if name in ("gte", "lte", "gt", "lt") and (
            isinstance(value, bool)
            or not isinstance(value, (int, float, ParamRefFile, RequestRefFile))
        ):
            raise ValueError(f"'{name}' compares with a number, a param or a request field")
        return self


class FactRuleFile(_Test):
    fact: str

    @property
    def kind(self) -> Literal["fact", "request", "case"]:
        return "fact"


class RequestRuleFile(_Test):
    request: str

    @property
    def kind(self) -> Literal["fact", "request", "case"]:
        return "request"

    @model_validator(mode="after")
    def _known_field(self) -> RequestRuleFile:
        if self.request not in REQUEST_FIELDS:
            raise ValueError(
                f"unknown request field {self.request!r} (allowed: {', '.join(REQUEST_FIELDS)})"
            )
        return self


class CaseRuleFile(_Test):
    case: str

    @property
    def kind(self) -> Literal["fact", "request", "case"]:
        return "case"

    @model_validator(mode="after")
    def _known_field(self) -> CaseRuleFile:
        if self.case not in CASE_FIELDS:
            raise ValueError(
                f"unknown case field {self.case!r} (allowed: {', '.join(CASE_FIELDS)})"
            )
        return self


class PurposeRuleFile(Strict):
    purpose: Literal["indicated"]
    tier: str | None = None


class SurgeryRuleFile(Strict):
    surgery: Literal["indicated"]


class AllOfFile(Strict):
    all_of: list[RuleFile] = Field(min_length=1)


class AnyOfFile(Strict):
    any_of: list[RuleFile] = Field(min_length=1)


class NotFile(Strict):
    not_: RuleFile = Field(alias="not")


def _rule_kind(raw: Any) -> str | None:
    """The tag of a rule: ``<kind> rule`` by the key it holds, or ``shorthand``. (Tags are
    not keys, so an error's location leads to the key at fault.)"""
    if isinstance(raw, str):
        return "shorthand"
    if isinstance(raw, BaseModel):
        raw = raw.model_dump(by_alias=True)
    if isinstance(raw, dict):
        for kind in RULE_KINDS:
            if kind in raw:
                return f"{kind} rule"
    return None


RuleFile = Annotated[
    Annotated[AllOfFile, Tag("all_of rule")]
    | Annotated[AnyOfFile, Tag("any_of rule")]
    | Annotated[NotFile, Tag("not rule")]
    | Annotated[FactRuleFile, Tag("fact rule")]
    | Annotated[RequestRuleFile, Tag("request rule")]
    | Annotated[CaseRuleFile, Tag("case rule")]
    | Annotated[PurposeRuleFile, Tag("purpose rule")]
    | Annotated[SurgeryRuleFile, Tag("surgery rule")]
    | Annotated[Shorthand, Tag("shorthand")],
    Discriminator(
        _rule_kind,
        custom_error_type="rule_kind",
        custom_error_message=(
            "a rule needs one of: "
            + ", ".join(RULE_KINDS)
            + "; or one of: "
            + ", ".join(SHORTHANDS)
        ),
    ),
]
AllOfFile.model_rebuild()
AnyOfFile.model_rebuild()
NotFile.model_rebuild()


class CitationFile(Strict):
    id: str | None = None
    source: TierName
    guideline: str
    citation: str
    chapter: str | None = None
    section: str | None = None
    pages: str | None = None
    edition: str | None = None
    effective: str | None = None
    regulation: str | None = None
    statement: str | None = None


ParamValue = bool | int | float | str | list[bool | int | float | str]


class ParamFile(Strict):
    model_config = ConfigDict(coerce_numbers_to_str=False)
    value: ParamValue
    unit: str | None = None
    note: str | None = None


ParamEntry = Annotated[
    Annotated[ParamFile, Tag("param mapping")] | Annotated[ParamValue, Tag("param value")],
    Discriminator(lambda raw: "param mapping" if isinstance(raw, dict) else "param value"),
]
"""A param: ``{value, unit, note}`` or the value alone."""


class ExceptionFile(Strict):
    id: str
    text: str
    rule: RuleFile


class PartialFile(Strict):
    fact: str
    context: str = ""


class CriterionFile(Strict):
    id: str
    text: str
    rule: RuleFile
    describes: str | None = None
    source: str = "primary"
    when: RuleFile | None = None
    unless: ExceptionFile | None = None
    not_met: str | None = None
    checklist: str | None = None
    required: bool = True
    partial: PartialFile | None = None
    silent: str | None = None
    when_silent: Literal["apply", "not_applicable"] | None = None


class VersionFile(Strict):
    id: str
    effective: Day
    until: Day | None = None
    tier: TierName
    addresses: bool = True
    citation: CitationFile
    supporting: list[CitationFile] | None = None
    params: dict[str, ParamEntry] | None = None
    criteria: list[CriterionFile] = Field(min_length=1)
    when: RuleFile | None = None
    variant: str = "default"
    note: str | None = None

    @model_validator(mode="after")
    def _until_after_effective(self) -> VersionFile:
        if self.until is not None and self.until < self.effective:
            raise ValueError("'until' is before 'effective'")
        return self


class SetFile(Strict):
    """A criteria set: ``criteria/<id>.yaml``."""

    id: str
    title: str
    treatments: list[str] = Field(min_length=1)
    versions: list[VersionFile] = Field(min_length=1)
    description: str | None = None
    body_regions: list[str] | None = None


class FactFile(Strict):
    type: Literal["bool", "int", "number", "string"]
    meaning: str
    describes: str
    unit: str | None = None
    qualified: bool = False
    located: bool | Literal["nerve"] = False
    current: bool = False
    plan: bool = False
    when_silent: Literal["not_applicable", "burden", "evidence"] = "not_applicable"
    when_silent_by_category: dict[str, Literal["not_applicable", "burden", "evidence"]] = Field(
        default_factory=dict
    )
    pick: PickName | None = None


class FactsFile(Strict):
    """A file of the fact vocabulary: ``facts/*.yaml`` (each definition a :class:`FactFile`,
    validated one by one so that one bad definition does not hide the others)."""

    facts: dict[str, dict[str, Any]]


_TAGGED: dict[str, type[BaseModel]] = {
    "all_of rule": AllOfFile,
    "any_of rule": AnyOfFile,
    "not rule": NotFile,
    "fact rule": FactRuleFile,
    "request rule": RequestRuleFile,
    "case rule": CaseRuleFile,
    "purpose rule": PurposeRuleFile,
    "surgery rule": SurgeryRuleFile,
    "param mapping": ParamFile,
}


def _inner(shape: Any, step: int | str) -> Any:
    """The type one step of a pydantic error location leads to from ``shape`` (None when
    it leads nowhere known)."""
    while get_origin(shape) is Annotated:
        shape = get_args(shape)[0]
    if isinstance(step, str) and step in _TAGGED:
        return _TAGGED[step]
    origin = get_origin(shape)
    if origin in (Union, UnionType):
        members = [m for m in get_args(shape) if m is not type(None)]
        named = [m for m in members if getattr(m, "__name__", None) == step]
        if named:
            return named[0]
        if len(members) == 1:
            return _inner(members[0], step)
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        return _inner(models[0], step) if len(models) == 1 else None
    if origin is list:
        return get_args(shape)[0] if isinstance(step, int) else None
    if origin is dict:
        return get_args(shape)[1]
    if isinstance(shape, type) and issubclass(shape, BaseModel):
        for name, spec in shape.model_fields.items():
            if step in (name, spec.alias):
                return spec.annotation
    return None


def allowed_keys(shape: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys the mapping at a pydantic error location ``loc`` may hold (``loc`` ends with
    the key refused); empty when the mapping's shape cannot be told."""
    current: Any = shape
    for step in loc[:-1]:
        current = _inner(current, step)
        if current is None:
            return []
    while get_origin(current) is Annotated or get_origin(current) in (Union, UnionType):
        models = [m for m in get_args(current) if isinstance(m, type)]
        models = [m for m in models if issubclass(m, BaseModel)]
        if len(models) != 1:
            return []
        current = models[0]
    if not (isinstance(current, type) and issubclass(current, BaseModel)):
        return []
    return sorted(spec.alias or name for name, spec in current.model_fields.items())
