"""Load and validate the guideline library; every error names ``file:line``.

Each file is validated against its shape in :mod:`openimr.library.files` (pydantic: unknown
keys, missing keys, wrong types, unknown request or case fields, a rule without exactly one
test); the set is then checked as a whole: a set id that does not equal its path, an unknown
fact, a qualified fact without a qualifier, a parameter referenced but not defined, a source
that names no citation, duplicate criterion or version ids, overlapping dates within a tier
and variant. YAML duplicate keys and malformed dates are refused by :mod:`openimr.yamlio`.
No ``eval``, no code.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from openimr.errors import LibraryError, LibraryErrors, OpenIMRError
from openimr.library.files import (
    SHORTHANDS,
    AllOfFile,
    AnyOfFile,
    CaseRuleFile,
    CitationFile,
    Compared,
    CriterionFile,
    FactFile,
    FactRuleFile,
    FactsFile,
    NotFile,
    ParamFile,
    ParamRefFile,
    PartialFile,
    PurposeRuleFile,
    RequestRefFile,
    RequestRuleFile,
    RuleFile,
    SetFile,
    VersionFile,
    allowed_keys,
)
from openimr.library.schema import (
    Citation,
    CriteriaSet,
    Criterion,
    Exception_,
    FactDef,
    Library,
    Param,
    ParamRef,
    Partial,
    RequestRef,
    Rule,
    Value,
    Version,
)
from openimr.library.shipped import default_library  # noqa: F401  (its home before)
from openimr.yamlio import LoadedYaml, PathKey, load_yaml_file

DATA_DIR = Path(__file__).parent / "data"
Model = TypeVar("Model", bound=BaseModel)
_RULE: TypeAdapter[RuleFile] = TypeAdapter(RuleFile)


class _Ctx:
    """One file being loaded: its parsed YAML (for lines) and the errors found so far."""

    def __init__(self, doc: LoadedYaml, errors: list[LibraryError]) -> None:
        self.doc = doc
        self.errors = errors

    def error(self, message: str, path: PathKey) -> None:
        self.errors.append(LibraryError(message, file=self.doc.file, line=self.doc.line_of(path)))

    def validate(self, shape: type[Model], at: PathKey = ()) -> Model | None:
        """The document (or its part at ``at``) as ``shape``, or None with an error
        (``file:line``) per problem."""
        data = self.doc.data
        for step in at:
            data = data[step]
        try:
            return shape.model_validate(data)
        except ValidationError as exc:
            for problem in exc.errors():
                path = (*at, *_data_path(data, problem["loc"]))
                self.error(_message(problem, path, shape), path)
            return None


def _data_path(data: Any, loc: tuple[int | str, ...]) -> PathKey:
    """The path in the document of a pydantic error location: the keys and indexes found in
    the data, without the union tags and type names pydantic puts between them (a missing key
    leads to its mapping)."""
    path: list[str | int] = []
    here = data
    for step in loc:
        found = isinstance(here, dict) and step in here
        found |= isinstance(here, list) and isinstance(step, int) and 0 <= step < len(here)
        if found:
            here = here[step]
            path.append(step)
    return tuple(path)


def _message(problem: Any, path: PathKey, shape: type[BaseModel]) -> str:
    """A pydantic error in the library's words (``path``: where it is in the data)."""
    kind = problem["type"]
    name = problem["loc"][-1] if problem["loc"] else ""
    if kind == "extra_forbidden":
        allowed = allowed_keys(shape, problem["loc"])
        return f"unknown key {name!r}" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
    if kind == "missing":
        return f"missing required key {name!r}"
    message = str(problem["msg"]).removeprefix("Value error, ")
    if kind.startswith("value_error") or not path or not isinstance(path[-1], str):
        return message
    return f"{path[-1]}: {message}"


def _facts_of(path: Path, errors: list[LibraryError], display: str) -> dict[str, FactDef]:
    ctx = _Ctx(load_yaml_file(path, display), errors)
    listed = ctx.validate(FactsFile)
    if listed is None:
        return {}
    shapes = {name: ctx.validate(FactFile, ("facts", name)) for name in listed.facts}
    return {
        str(name): FactDef(
            name=str(name),
            type=spec.type,
            meaning=spec.meaning,
            describes=spec.describes,
            unit=spec.unit,
            qualified=spec.qualified,
            located=spec.located,
            current=spec.current,
            plan=spec.plan,
            when_silent=spec.when_silent,
            when_silent_by_category=dict(spec.when_silent_by_category),
            pick=spec.pick or "latest",
        )
        for name, spec in shapes.items()
        if spec is not None
    }


def default_pick(fact: FactDef | None, test: str, value: object) -> str:
    """Which mention a rule reads when it gives no ``pick``: the fact's own ``pick`` where
    its definition gives one (examination findings: ``any_true``); ``any_true`` for an
    ``is: true`` test of a yes/no fact (one mention that documents it is enough, its only
    sense); otherwise ``latest`` (for a number or a text ``any_true`` reads as ``latest``)."""
    if fact is None:
        return "latest"
    if fact.pick != "latest":
        return fact.pick
    return "any_true" if fact.type == "bool" and test == "is" and value is True else "latest"


class _SetBuilder:
    """Turns a validated criteria set into the engine's models, checking it as a whole."""

    def __init__(self, ctx: _Ctx, facts: dict[str, FactDef]) -> None:
        self.ctx = ctx
        self.facts = facts
        self.params: dict[str, Param] = {}
        self.param_refs: list[tuple[str, PathKey]] = []

    # -- rules ---------------------------------------------------------------------------
    def value(self, raw: Compared, path: PathKey) -> Value:
        if isinstance(raw, ParamRefFile):
            self.param_refs.append((raw.param, path))
            return ParamRef(raw.param)
        if isinstance(raw, RequestRefFile):
            return RequestRef(raw.request)
        return raw

    def rule(self, raw: RuleFile, path: PathKey) -> Rule:
        line = self.ctx.doc.line_of(path)
        if isinstance(raw, str):
            return self.rule(_RULE.validate_python(SHORTHANDS[raw]), path)
        if isinstance(raw, AllOfFile):
            kids = tuple(self.rule(x, (*path, "all_of", i)) for i, x in enumerate(raw.all_of))
            return Rule(kind="all_of", children=kids, line=line)
        if isinstance(raw, AnyOfFile):
            kids = tuple(self.rule(x, (*path, "any_of", i)) for i, x in enumerate(raw.any_of))
            return Rule(kind="any_of", children=kids, line=line)
        if isinstance(raw, NotFile):
            return Rule(kind="not", children=(self.rule(raw.not_, (*path, "not")),), line=line)
        if isinstance(raw, PurposeRuleFile):
            return Rule(kind="purpose", tier=raw.tier, line=line)
        if isinstance(raw, (FactRuleFile, RequestRuleFile, CaseRuleFile)):
            return self.test_rule(raw, path, line)
        return Rule(kind="surgery", line=line)

    def test_rule(
        self, raw: FactRuleFile | RequestRuleFile | CaseRuleFile, path: PathKey, line: int | None
    ) -> Rule:
        test, compared = raw.test()
        fact_def = None
        if isinstance(raw, FactRuleFile):
            subject = raw.fact
            fact_def = self.facts.get(subject)
            if fact_def is None:
                self.ctx.error(
                    f"unknown fact {subject!r} (not in the fact vocabulary, facts/*.yaml)",
                    (*path, "fact"),
                )
            elif fact_def.qualified and raw.qualifier is None:
                self.ctx.error(f"fact {subject!r} is qualified: give a qualifier", (*path, "fact"))
        else:
            subject = raw.request if isinstance(raw, RequestRuleFile) else raw.case
        return Rule(
            kind=raw.kind,
            subject=subject,
            test=test,
            value=self.value(compared, (*path, test)),
            qualifier=raw.qualifier,
            pick=raw.pick or default_pick(fact_def, test, compared),
            if_absent=raw.if_absent,
            line=line,
        )

    # -- citations, params, criteria -----------------------------------------------------
    @staticmethod
    def citation(raw: CitationFile, default_id: str) -> Citation:
        return Citation(**{**raw.model_dump(), "id": raw.id or default_id})

    def partial(self, raw: PartialFile | None, path: PathKey) -> Partial | None:
        if raw is None:
            return None
        if raw.fact not in self.facts:
            self.ctx.error(
                f"unknown fact {raw.fact!r} (not in the fact vocabulary)", (*path, "fact")
            )
        return Partial(fact=raw.fact, context=raw.context)

    def criterion(self, raw: CriterionFile, path: PathKey, cite_ids: set[str]) -> Criterion:
        if raw.source not in cite_ids:
            self.ctx.error(
                f"source {raw.source!r} names no citation of this version", (*path, "source")
            )
        unless = None
        if raw.unless is not None:
            u = raw.unless
            rule_path: PathKey = (*path, "unless", "rule")
            unless = Exception_(id=u.id, text=u.text, rule=self.rule(u.rule, rule_path))
        rule = self.rule(raw.rule, (*path, "rule"))
        describes = raw.describes
        if describes is None:
            names = sorted(rule.facts())
            one = len(names) == 1 and names[0] in self.facts
            describes = self.facts[names[0]].describes if one else raw.text
        return Criterion(
            id=raw.id,
            text=raw.text,
            describes=describes,
            rule=rule,
            source=raw.source,
            when=self.rule(raw.when, (*path, "when")) if raw.when is not None else None,
            unless=unless,
            not_met=raw.not_met,
            checklist=raw.checklist,
            required=raw.required,
            partial=self.partial(raw.partial, (*path, "partial")),
            silent=raw.silent,
            when_silent=raw.when_silent,
            line=self.ctx.doc.line_of(path),
        )

    def version(self, raw: VersionFile, path: PathKey) -> Version:
        self.params = {}
        self.param_refs = []
        citation = self.citation(raw.citation, "primary")
        supporting = [
            self.citation(s, f"supporting-{i + 1}") for i, s in enumerate(raw.supporting or [])
        ]
        cite_ids = {"primary", citation.id, *(c.id for c in supporting)}
        for name, spec in (raw.params or {}).items():
            if isinstance(spec, ParamFile):
                self.params[name] = Param(name, spec.value, spec.unit, spec.note)
            else:
                self.params[name] = Param(name, spec)
        criteria: list[Criterion] = []
        seen: dict[str, int | None] = {}
        for i, c in enumerate(raw.criteria):
            crit = self.criterion(c, (*path, "criteria", i), cite_ids)
            if crit.id in seen:
                self.ctx.error(
                    f"duplicate criterion id {crit.id!r} (first at line {seen[crit.id]})",
                    (*path, "criteria", i),
                )
            seen[crit.id] = crit.line
            criteria.append(crit)
        when = self.rule(raw.when, (*path, "when")) if raw.when is not None else None
        for name, ref_path in self.param_refs:
            if name not in self.params:
                self.ctx.error(f"unknown param {name!r} (not in this version's params)", ref_path)
        return Version(
            id=raw.id,
            effective=raw.effective,
            until=raw.until,
            tier=raw.tier,
            addresses=raw.addresses,
            citation=citation,
            supporting=tuple(supporting),
            params=dict(self.params),
            criteria=tuple(criteria),
            when=when,
            variant=raw.variant,
            note=raw.note,
            line=self.ctx.doc.line_of(path),
        )


def load_set(
    path: Path, set_id: str, facts: dict[str, FactDef], errors: list[LibraryError], display: str
) -> CriteriaSet | None:
    """The criteria set in ``path`` (None, with its errors added to ``errors``, if invalid)."""
    try:
        doc = load_yaml_file(path, display)
    except OpenIMRError as exc:
        errors.append(LibraryError(exc.message, file=exc.file or display, line=exc.line))
        return None
    ctx = _Ctx(doc, errors)
    shape = ctx.validate(SetFile)
    if shape is None:
        return None
    if shape.id != set_id:
        ctx.error(f"id {shape.id!r} must equal the file's path {set_id!r}", ("id",))
    builder = _SetBuilder(ctx, facts)
    versions: list[Version] = []
    ids: set[str] = set()
    for i, raw in enumerate(shape.versions):
        version = builder.version(raw, ("versions", i))
        if version.id in ids:
            ctx.error(f"duplicate version id {version.id!r}", ("versions", i, "id"))
        ids.add(version.id)
        versions.append(version)
    _check_overlaps(ctx, versions)
    return CriteriaSet(
        id=set_id,
        title=shape.title,
        treatments=tuple(shape.treatments),
        versions=tuple(_mark_sources(doc.text, display, versions)),
        file=display,
        description=shape.description,
        body_regions=tuple(shape.body_regions or ()),
    )


_MARK = re.compile(r"\[(U|K)\b[^\]]*\]")


def _mark_sources(text: str, display: str, versions: list[Version]) -> list[Version]:
    """Attach to each criterion the ``[U]``/``[K]`` marks of the library data that bear on it:
    those on its own lines and on its version's lines before the criteria (citation, params),
    a comment block just above a version or criterion counting as its own. ``text`` is the
    set's YAML source (the marks are comments, absent from the parsed data)."""
    lines = text.splitlines()
    starts = sorted(
        {v.line for v in versions if v.line}
        | {c.line for v in versions for c in v.criteria if c.line}
    )

    def block_start(line: int) -> int:
        # 1-based line of a list item; a comment block right above it belongs to it
        i = line - 1
        while i > 0 and lines[i - 1].lstrip().startswith("#"):
            i -= 1
        return i + 1

    bounds = [block_start(b) for b in starts]

    def marks(first: int, end: int) -> Iterator[str]:
        for n in range(first, min(end, len(lines) + 1)):
            for m in _MARK.finditer(lines[n - 1]):
                yield f"{m.group(1)} {display}:{n}"

    def range_of(line: int) -> tuple[int, int]:
        i = starts.index(line)
        end = bounds[i + 1] if i + 1 < len(bounds) else len(lines) + 1
        return block_start(line), end

    out = []
    for v in versions:
        header: list[str] = []
        if v.line and v.criteria and v.criteria[0].line and v.criteria[0].line > v.line:
            header = list(marks(block_start(v.line), block_start(v.criteria[0].line)))
        crits = []
        for c in v.criteria:
            own = list(marks(*range_of(c.line))) if c.line and c.line > (v.line or 0) else []
            found = tuple(dict.fromkeys([*own, *header]))
            crits.append(dataclasses.replace(c, source_marks=found) if found else c)
        out.append(dataclasses.replace(v, criteria=tuple(crits)))
    return out


def _check_overlaps(ctx: _Ctx, versions: list[Version]) -> None:
    groups: dict[tuple[str, str], list[Version]] = {}
    for v in versions:
        groups.setdefault((v.tier, v.variant), []).append(v)
    for group in groups.values():
        ordered = sorted(group, key=lambda v: v.effective)
        for a, b in itertools.pairwise(ordered):
            if a.until is None or a.until >= b.effective:
                ctx.errors.append(
                    LibraryError(
                        f"version {b.id!r} overlaps version {a.id!r} (same tier and variant); "
                        f"give {a.id!r} an 'until' before {b.effective.isoformat()}",
                        file=ctx.doc.file,
                        line=b.line,
                    )
                )


def _load_facts(base: Path, errors: list[LibraryError], shown: Any) -> dict[str, FactDef]:
    """The fact vocabulary: ``facts/*.yaml`` (and a ``facts.yaml``), a fact defined once."""
    fact_files = sorted((base / "facts").glob("*.yaml")) if (base / "facts").is_dir() else []
    if (base / "facts.yaml").is_file():
        fact_files.insert(0, base / "facts.yaml")
    if not fact_files:
        raise LibraryErrors([LibraryError("no fact vocabulary (facts/*.yaml)", file=str(base))])
    facts: dict[str, FactDef] = {}
    first_seen: dict[str, str] = {}
    for facts_path in fact_files:
        try:
            loaded = _facts_of(facts_path, errors, shown(facts_path))
        except OpenIMRError as exc:
            errors.append(LibraryError(exc.message, file=exc.file, line=exc.line))
            continue
        for name, fdef in loaded.items():
            if name in facts:
                errors.append(
                    LibraryError(
                        f"fact {name!r} is already defined in {first_seen[name]}",
                        file=shown(facts_path),
                    )
                )
                continue
            facts[name] = fdef
            first_seen[name] = shown(facts_path)
    return facts


def load_library(root: Path | None = None) -> Library:
    """Load the library at ``root`` (default: the one shipped in the package).

    Raises :class:`LibraryErrors` listing every problem found.
    """
    base = root or DATA_DIR
    errors: list[LibraryError] = []
    shown_base = base if root is not None else Path("openimr/library/data")

    def shown(p: Path) -> str:
        return str(shown_base / p.relative_to(base))

    facts = _load_facts(base, errors, shown)
    sets: dict[str, CriteriaSet] = {}
    crit_dir = base / "criteria"
    for path in sorted(crit_dir.rglob("*.yaml")):
        set_id = path.relative_to(crit_dir).with_suffix("").as_posix()
        cs = load_set(path, set_id, facts, errors, shown(path))
        if cs is not None:
            sets[set_id] = cs
    if errors:
        raise LibraryErrors(errors)
    return Library(facts=facts, sets=sets, root=str(base))
