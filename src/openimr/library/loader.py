"""Load and validate the guideline library; every error names ``file:line``.

The loader refuses: unknown keys, a version with no citation, overlapping dates within a
variant, an unknown fact, a parameter referenced but not defined, duplicate criterion ids,
a set id that does not equal its path, and any YAML duplicate key. No ``eval``, no code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from openimr.errors import LibraryError, LibraryErrors, OpenIMRError
from openimr.library.schema import (
    CASE_FIELDS,
    PICKS,
    REQUEST_FIELDS,
    TESTS,
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
    WhenSilent,
)
from openimr.yamlio import LoadedYaml, PathKey, load_yaml_file

DATA_DIR = Path(__file__).parent / "data"
TIERS = ("mtus", "acoem", "odg", "other", "studies")


class _Ctx:
    def __init__(self, doc: LoadedYaml, errors: list[LibraryError]) -> None:
        self.doc = doc
        self.errors = errors

    def error(self, message: str, path: PathKey) -> None:
        self.errors.append(LibraryError(message, file=self.doc.file, line=self.doc.line_of(path)))

    def keys(self, data: Any, path: PathKey, allowed: set[str], required: set[str]) -> bool:
        if not isinstance(data, dict):
            self.error("must be a mapping", path)
            return False
        for key in data:
            if key not in allowed:
                self.error(
                    f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})", (*path, key)
                )
        for key in sorted(required - set(data)):
            self.error(f"missing required key {key!r}", path)
        return True


def _str(
    ctx: _Ctx, data: dict[str, Any], key: str, path: PathKey, default: str | None = None
) -> str | None:
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        ctx.error(f"{key!r} must be text", (*path, key))
        return None
    return value


def _date(ctx: _Ctx, value: Any, path: PathKey) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    ctx.error(f"must be a date YYYY-MM-DD, got {value!r}", path)
    return None


def load_facts(path: Path, errors: list[LibraryError], display: str) -> dict[str, FactDef]:
    doc = load_yaml_file(path, display)
    ctx = _Ctx(doc, errors)
    out: dict[str, FactDef] = {}
    if not ctx.keys(doc.data, (), {"facts"}, {"facts"}):
        return out
    facts = doc.data["facts"]
    if not isinstance(facts, dict):
        ctx.error("'facts' must be a mapping of fact name to definition", ("facts",))
        return out
    for name, spec in facts.items():
        p: PathKey = ("facts", name)
        if not ctx.keys(
            spec,
            p,
            {
                "type",
                "unit",
                "meaning",
                "describes",
                "qualified",
                "located",
                "current",
                "when_silent",
                "pick",
            },
            {"type", "meaning", "describes"},
        ):
            continue
        located = spec.get("located", False)
        if located not in (True, False, "nerve"):
            ctx.error("located must be true, false or nerve", (*p, "located"))
            continue
        ftype = spec.get("type")
        if ftype not in ("bool", "int", "number", "string"):
            ctx.error(f"type must be bool, int, number or string, got {ftype!r}", (*p, "type"))
            continue
        out[str(name)] = FactDef(
            name=str(name),
            type=ftype,
            meaning=str(spec.get("meaning", "")),
            describes=str(spec.get("describes", "")),
            unit=spec.get("unit"),
            qualified=bool(spec.get("qualified", False)),
            located="nerve" if located == "nerve" else bool(located),
            current=bool(spec.get("current", False)),
            when_silent=_when_silent(ctx, spec.get("when_silent", "not_applicable"), p),
            pick=_fact_pick(ctx, spec.get("pick", "latest"), p),
        )
    return out


def _fact_pick(ctx: _Ctx, raw: Any, path: PathKey) -> str:
    if raw not in PICKS:
        ctx.error(f"pick must be one of {', '.join(PICKS)}", (*path, "pick"))
        return "latest"
    return str(raw)


def _when_silent(ctx: _Ctx, raw: Any, path: PathKey) -> WhenSilent:
    if raw not in ("not_applicable", "burden", "evidence"):
        ctx.error("when_silent must be not_applicable, burden or evidence", (*path, "when_silent"))
        return "not_applicable"
    value: WhenSilent = raw
    return value


class _SetLoader:
    def __init__(self, ctx: _Ctx, facts: dict[str, FactDef]) -> None:
        self.ctx = ctx
        self.facts = facts
        self.params: dict[str, Param] = {}
        self.param_refs: list[tuple[str, PathKey]] = []

    # -- rules ---------------------------------------------------------------------------
    def value(self, raw: Any, path: PathKey) -> Value:
        if isinstance(raw, dict):
            if set(raw) == {"param"}:
                self.param_refs.append((str(raw["param"]), path))
                return ParamRef(str(raw["param"]))
            if set(raw) == {"request"}:
                if raw["request"] not in REQUEST_FIELDS:
                    self.ctx.error(f"unknown request field {raw['request']!r}", path)
                return RequestRef(str(raw["request"]))
            self.ctx.error(
                "a comparison value is a literal, {param: NAME} or {request: FIELD}", path
            )
            return None
        if isinstance(raw, list):
            return [str(x) for x in raw]
        if raw is None or isinstance(raw, (bool, int, float, str)):
            return raw
        self.ctx.error(f"unsupported value {raw!r}", path)
        return None

    def rule(self, raw: Any, path: PathKey) -> Rule:
        line = self.ctx.doc.line_of(path)
        if not isinstance(raw, dict) or not raw:
            self.ctx.error(
                "a rule must be a mapping (all_of, any_of, not, fact, request, case, purpose, surgery)",
                path,
            )
            return Rule(kind="all_of", line=line)
        for combinator in ("all_of", "any_of"):
            if combinator in raw:
                if len(raw) != 1:
                    self.ctx.error(f"'{combinator}' must stand alone in its mapping", path)
                items = raw[combinator]
                if not isinstance(items, list) or not items:
                    self.ctx.error(
                        f"'{combinator}' takes a non-empty list of rules", (*path, combinator)
                    )
                    return Rule(kind="all_of", line=line)
                kids = tuple(self.rule(x, (*path, combinator, i)) for i, x in enumerate(items))
                return Rule(kind=combinator, children=kids, line=line)
        if "not" in raw:
            if len(raw) != 1:
                self.ctx.error("'not' must stand alone in its mapping", path)
            return Rule(kind="not", children=(self.rule(raw["not"], (*path, "not")),), line=line)
        if "surgery" in raw:
            if set(raw) != {"surgery"} or raw["surgery"] != "indicated":
                self.ctx.error("surgery rules read 'surgery: indicated'", path)
            return Rule(kind="surgery", line=line)
        if "purpose" in raw:
            extra = set(raw) - {"purpose", "tier"}
            if extra:
                self.ctx.error(f"unknown key(s) {sorted(extra)} in a purpose rule", path)
            if raw["purpose"] != "indicated":
                self.ctx.error("purpose rules read 'purpose: indicated'", (*path, "purpose"))
            return Rule(kind="purpose", tier=raw.get("tier"), line=line)
        for kind, fields in (("fact", None), ("request", REQUEST_FIELDS), ("case", CASE_FIELDS)):
            if kind not in raw:
                continue
            subject = str(raw[kind])
            allowed = {kind, "qualifier", "pick", "if_absent", *TESTS}
            for key in raw:
                if key not in allowed:
                    self.ctx.error(f"unknown key {key!r} in a {kind} rule", (*path, key))
            if kind == "fact":
                fdef = self.facts.get(subject)
                if fdef is None:
                    self.ctx.error(
                        f"unknown fact {subject!r} (not in the fact vocabulary, facts/*.yaml)",
                        (*path, kind),
                    )
                elif fdef.qualified and "qualifier" not in raw:
                    self.ctx.error(
                        f"fact {subject!r} is qualified: give a qualifier", (*path, kind)
                    )
            elif fields is not None and subject not in fields:
                self.ctx.error(
                    f"unknown {kind} field {subject!r} (allowed: {', '.join(fields)})",
                    (*path, kind),
                )
            tests = [t for t in TESTS if t in raw]
            if len(tests) != 1:
                self.ctx.error(f"a {kind} rule takes exactly one test of: {', '.join(TESTS)}", path)
                return Rule(kind=kind, subject=subject, test="present", line=line)  # type: ignore[arg-type]
            test = tests[0]
            fact_def = self.facts.get(subject) if kind == "fact" else None
            pick = str(raw.get("pick", fact_def.pick if fact_def is not None else "latest"))
            if pick not in PICKS:
                self.ctx.error(f"pick must be one of {', '.join(PICKS)}", (*path, "pick"))
            value = self.value(raw[test], (*path, test))
            if_absent = str(raw.get("if_absent", "not_documented"))
            if if_absent not in ("not_documented", "not_met", "met"):
                self.ctx.error(
                    "if_absent must be not_documented, not_met or met", (*path, "if_absent")
                )
            if test in ("gte", "lte", "gt", "lt") and not isinstance(
                value, (int, float, ParamRef, RequestRef)
            ):
                self.ctx.error(
                    f"'{test}' compares with a number, a param or a request field", (*path, test)
                )
            return Rule(
                kind=kind,  # type: ignore[arg-type]
                subject=subject,
                test=test,
                value=value,
                qualifier=raw.get("qualifier"),
                pick=pick,
                if_absent=if_absent,
                line=line,
            )
        self.ctx.error(
            "a rule needs one of: all_of, any_of, not, fact, request, case, purpose, surgery", path
        )
        return Rule(kind="all_of", line=line)

    # -- citations, params, criteria -----------------------------------------------------
    def citation(self, raw: Any, path: PathKey, default_id: str) -> Citation | None:
        allowed = {
            "id",
            "source",
            "guideline",
            "citation",
            "chapter",
            "section",
            "pages",
            "edition",
            "effective",
            "regulation",
            "statement",
        }
        if not self.ctx.keys(raw, path, allowed, {"source", "guideline", "citation"}):
            return None
        source = raw.get("source")
        if source not in TIERS:
            self.ctx.error(f"source must be one of {', '.join(TIERS)}", (*path, "source"))
            return None
        return Citation(
            id=_str(self.ctx, raw, "id", path, default_id) or default_id,
            source=source,
            guideline=_str(self.ctx, raw, "guideline", path) or "",
            citation=_str(self.ctx, raw, "citation", path) or "",
            chapter=_str(self.ctx, raw, "chapter", path),
            section=_str(self.ctx, raw, "section", path),
            pages=_str(self.ctx, raw, "pages", path),
            edition=_str(self.ctx, raw, "edition", path),
            effective=_str(self.ctx, raw, "effective", path),
            regulation=_str(self.ctx, raw, "regulation", path),
            statement=_str(self.ctx, raw, "statement", path),
        )

    def partial(self, raw: Any, path: PathKey) -> Partial | None:
        if raw is None:
            return None
        if not self.ctx.keys(raw, path, {"fact", "context"}, {"fact"}):
            return None
        fact = str(raw["fact"])
        if fact not in self.facts:
            self.ctx.error(f"unknown fact {fact!r} (not in the fact vocabulary)", (*path, "fact"))
        return Partial(fact=fact, context=str(raw.get("context", "")))

    def _criterion_when_silent(
        self, raw: Any, path: PathKey
    ) -> Literal["apply", "not_applicable"] | None:
        if raw is None:
            return None
        if raw == "apply":
            return "apply"
        if raw == "not_applicable":
            return "not_applicable"
        self.ctx.error("when_silent must be apply or not_applicable", (*path, "when_silent"))
        return None

    def criterion(self, raw: Any, path: PathKey, cite_ids: set[str]) -> Criterion | None:
        allowed = {
            "id",
            "text",
            "describes",
            "rule",
            "source",
            "when",
            "unless",
            "not_met",
            "checklist",
            "required",
            "partial",
            "silent",
            "when_silent",
        }
        if not self.ctx.keys(raw, path, allowed, {"id", "text", "rule"}):
            return None
        source = str(raw.get("source", "primary"))
        if source not in cite_ids:
            self.ctx.error(
                f"source {source!r} names no citation of this version", (*path, "source")
            )
        unless = None
        if "unless" in raw:
            u = raw["unless"]
            up: PathKey = (*path, "unless")
            if self.ctx.keys(u, up, {"id", "text", "rule"}, {"id", "text", "rule"}):
                unless = Exception_(
                    id=str(u["id"]), text=str(u["text"]), rule=self.rule(u["rule"], (*up, "rule"))
                )
        rule = self.rule(raw.get("rule"), (*path, "rule"))
        describes = raw.get("describes")
        if describes is None:
            names = sorted(rule.facts())
            describes = (
                self.facts[names[0]].describes
                if len(names) == 1 and names[0] in self.facts
                else raw.get("text")
            )
        return Criterion(
            id=str(raw["id"]),
            text=str(raw["text"]),
            describes=str(describes),
            rule=rule,
            source=source,
            when=self.rule(raw["when"], (*path, "when")) if "when" in raw else None,
            unless=unless,
            not_met=raw.get("not_met"),
            checklist=raw.get("checklist"),
            required=bool(raw.get("required", True)),
            partial=self.partial(raw.get("partial"), (*path, "partial")),
            silent=str(raw["silent"]) if "silent" in raw else None,
            when_silent=self._criterion_when_silent(raw.get("when_silent"), path),
            line=self.ctx.doc.line_of(path),
        )

    def version(self, raw: Any, path: PathKey) -> Version | None:
        allowed = {
            "id",
            "effective",
            "until",
            "tier",
            "addresses",
            "citation",
            "supporting",
            "params",
            "criteria",
            "when",
            "variant",
            "note",
        }
        if not self.ctx.keys(
            raw, path, allowed, {"id", "effective", "tier", "citation", "criteria"}
        ):
            return None
        self.params = {}
        self.param_refs = []
        tier = raw.get("tier")
        if tier not in TIERS:
            self.ctx.error(f"tier must be one of {', '.join(TIERS)}", (*path, "tier"))
            return None
        effective = _date(self.ctx, raw.get("effective"), (*path, "effective"))
        until = (
            _date(self.ctx, raw["until"], (*path, "until"))
            if raw.get("until") is not None
            else None
        )
        if effective and until and until < effective:
            self.ctx.error("'until' is before 'effective'", (*path, "until"))
        citation = self.citation(raw.get("citation"), (*path, "citation"), "primary")
        if citation is None:
            return None
        supporting: list[Citation] = []
        for i, s in enumerate(raw.get("supporting") or []):
            c = self.citation(s, (*path, "supporting", i), f"supporting-{i + 1}")
            if c is not None:
                supporting.append(c)
        cite_ids = {"primary", citation.id, *(c.id for c in supporting)}
        params_raw = raw.get("params") or {}
        if not isinstance(params_raw, dict):
            self.ctx.error("params must be a mapping", (*path, "params"))
            params_raw = {}
        for name, spec in params_raw.items():
            pp: PathKey = (*path, "params", name)
            if isinstance(spec, dict):
                if self.ctx.keys(spec, pp, {"value", "unit", "note"}, {"value"}):
                    self.params[str(name)] = Param(
                        str(name), spec["value"], spec.get("unit"), spec.get("note")
                    )
            elif isinstance(spec, (int, float, str, bool)):
                self.params[str(name)] = Param(str(name), spec)
            else:
                self.ctx.error("a param is a value or {value, unit, note}", pp)
        criteria: list[Criterion] = []
        seen: dict[str, int | None] = {}
        crit_raw = raw.get("criteria")
        if not isinstance(crit_raw, list) or not crit_raw:
            self.ctx.error("criteria must be a non-empty list", (*path, "criteria"))
            crit_raw = []
        for i, c in enumerate(crit_raw):
            crit = self.criterion(c, (*path, "criteria", i), cite_ids)
            if crit is None:
                continue
            if crit.id in seen:
                self.ctx.error(
                    f"duplicate criterion id {crit.id!r} (first at line {seen[crit.id]})",
                    (*path, "criteria", i),
                )
            seen[crit.id] = crit.line
            criteria.append(crit)
        when = self.rule(raw["when"], (*path, "when")) if "when" in raw else None
        for name, ref_path in self.param_refs:
            if name not in self.params:
                self.ctx.error(f"unknown param {name!r} (not in this version's params)", ref_path)
        if effective is None:
            return None
        return Version(
            id=str(raw["id"]),
            effective=effective,
            until=until,
            tier=tier,
            addresses=bool(raw.get("addresses", True)),
            citation=citation,
            supporting=tuple(supporting),
            params=dict(self.params),
            criteria=tuple(criteria),
            when=when,
            variant=str(raw.get("variant", "default")),
            note=raw.get("note"),
            line=self.ctx.doc.line_of(path),
        )


def load_set(
    path: Path, set_id: str, facts: dict[str, FactDef], errors: list[LibraryError], display: str
) -> CriteriaSet | None:
    try:
        doc = load_yaml_file(path, display)
    except OpenIMRError as exc:
        errors.append(LibraryError(exc.message, file=exc.file or display, line=exc.line))
        return None
    ctx = _Ctx(doc, errors)
    allowed = {"id", "title", "treatments", "versions", "description", "body_regions"}
    if not ctx.keys(doc.data, (), allowed, {"id", "title", "treatments", "versions"}):
        return None
    data = doc.data
    if data.get("id") != set_id:
        ctx.error(f"id {data.get('id')!r} must equal the file's path {set_id!r}", ("id",))
    treatments = data.get("treatments")
    if (
        not isinstance(treatments, list)
        or not treatments
        or not all(isinstance(t, str) for t in treatments)
    ):
        ctx.error("treatments must be a non-empty list of treatment ids", ("treatments",))
        treatments = []
    loader = _SetLoader(ctx, facts)
    versions: list[Version] = []
    raw_versions = data.get("versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        ctx.error("versions must be a non-empty list", ("versions",))
        raw_versions = []
    ids: set[str] = set()
    for i, v in enumerate(raw_versions):
        ver = loader.version(v, ("versions", i))
        if ver is None:
            continue
        if ver.id in ids:
            ctx.error(f"duplicate version id {ver.id!r}", ("versions", i, "id"))
        ids.add(ver.id)
        versions.append(ver)
    _check_overlaps(ctx, versions)
    versions = _mark_sources(doc.text, display, versions)
    return CriteriaSet(
        id=set_id,
        title=str(data.get("title", set_id)),
        treatments=tuple(treatments),
        versions=tuple(versions),
        file=display,
        description=data.get("description"),
        body_regions=tuple(data.get("body_regions") or ()),
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

    def marks(first: int, end: int) -> list[str]:
        out = []
        for n in range(first, min(end, len(lines) + 1)):
            for m in _MARK.finditer(lines[n - 1]):
                out.append(f"{m.group(1)} {display}:{n}")
        return out

    def range_of(line: int) -> tuple[int, int]:
        i = starts.index(line)
        end = bounds[i + 1] if i + 1 < len(bounds) else len(lines) + 1
        return block_start(line), end

    out = []
    for v in versions:
        header: list[str] = []
        if v.line and v.criteria and v.criteria[0].line and v.criteria[0].line > v.line:
            header = marks(block_start(v.line), block_start(v.criteria[0].line))
        crits = []
        for c in v.criteria:
            own = marks(*range_of(c.line)) if c.line and c.line > (v.line or 0) else []
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


def load_library(root: Path | None = None) -> Library:
    """Load the library at ``root`` (default: the one shipped in the package).

    Raises :class:`LibraryErrors` listing every problem found.
    """
    base = root or DATA_DIR
    errors: list[LibraryError] = []
    shown_base = base if root is not None else Path("openimr/library/data")

    def shown(p: Path) -> str:
        return str(shown_base / p.relative_to(base))

    facts: dict[str, FactDef] = {}
    fact_files = sorted((base / "facts").glob("*.yaml")) if (base / "facts").is_dir() else []
    if (base / "facts.yaml").is_file():
        fact_files.insert(0, base / "facts.yaml")
    if not fact_files:
        raise LibraryErrors([LibraryError("no fact vocabulary (facts/*.yaml)", file=str(base))])
    first_seen: dict[str, str] = {}
    for facts_path in fact_files:
        try:
            loaded = load_facts(facts_path, errors, shown(facts_path))
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


@lru_cache(maxsize=4)
def default_library() -> Library:
    """The shipped library, from the start-up cache when it is current (``diskcache``)."""
    from openimr.diskcache import cached

    return cached("library", load_library)
