"""Decide one disputed item: pick the criteria set and version, evaluate, decide.

The legal evidence order (8 CCR 9792.21.1) is explicit here: among the versions in effect on
the UR decision date, an MTUS version that addresses the treatment decides; only when none
does (or its ``when`` does not fit the patient) does a non-MTUS version (ACOEM, then ODG, then
other guidelines, then studies) decide, and the determination records why.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from openimr.engine.logic import EvalContext, FactOrder, Outcome, combine_all, evaluate
from openimr.library.schema import CriteriaSet, Criterion, Library, Version
from openimr.model import Case, CriterionResult, Evidence, Fact, ParsedRequest, Status
from openimr.request import catalogue

TIER_ORDER = ("mtus", "acoem", "odg", "other", "studies")
_PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")


@dataclass
class EvaluatedCriterion:
    criterion: Criterion
    status: Status
    facts: list[Fact]
    values: dict[str, object]
    exception_applied: bool = False
    nested: list[EvaluatedCriterion] = field(default_factory=list)
    nested_set: CriteriaSet | None = None
    nested_version: Version | None = None
    version: Version | None = None
    set_id: str = ""
    burden: bool = False
    """Applied although the records do not establish its ``when`` (burden of documentation:
    whether the treatment was given before is not established)."""
    condition_facts: list[Fact] = field(default_factory=list)
    """The facts that made the criterion apply (its ``when``): shown apart from the facts that
    meet or fail it."""

    @property
    def met_by_silence(self) -> bool:
        """Met because no record says otherwise (`if_absent: met`), not by a fact: checkable
        only against the whole record, like a not_documented finding."""
        return self.status is Status.MET and not self.facts and bool(self.criterion.rule.facts())


@dataclass
class Determination:
    criteria_set: CriteriaSet | None
    version: Version | None
    evaluated: list[EvaluatedCriterion]
    status: Status | None
    tier_note: str | None = None
    reason: str | None = None

    @property
    def decided(self) -> bool:
        return self.status is not None


def fill(template: str, version: Version, values: dict[str, object], request: ParsedRequest) -> str:
    """Fill ``{param}`` and ``{request.field}`` placeholders; unknown ones stay visible."""

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key == "therapy":
            return treatment_name(request.treatment)
        if key in version.params:
            return _fmt(version.params[key].value)
        if key.startswith("request."):
            name = key.split(".", 1)[1]
            v = values.get(key)
            if v is None:
                v = request.sessions if name == "sessions" else getattr(request, name, None)
            return _fmt(v) if v is not None else m.group(0)
        if key in values and values[key] is not None:
            return _fmt(values[key])
        return m.group(0)

    return _PLACEHOLDER.sub(sub, template)


def treatment_name(treatment: str | None) -> str:
    """Plain words for a treatment id (from the request catalogue when it has the id)."""
    if treatment is None:
        return "the requested"
    entry = catalogue().get(treatment)
    if entry is not None:
        return str(entry.name)
    return treatment.replace("-", " ")


def _fmt(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _version_fits(v: Version, ctx: EvalContext) -> bool:
    if v.when is None:
        return True
    return evaluate(v.when, ctx).status is Status.MET


def select_version(
    cs: CriteriaSet,
    case: Case,
    request: ParsedRequest,
    facts: list[Fact],
    library: Library,
    order: FactOrder | None,
    prefer_tier: str | None = None,
) -> tuple[Version | None, str | None]:
    """The version that decides, and a note when a higher tier did not."""
    day = case.decision_date
    in_effect = cs.versions_on(day)
    if not in_effect:
        return None, None
    ranked = sorted(in_effect, key=lambda v: TIER_ORDER.index(v.tier))
    if prefer_tier is not None:
        ranked = sorted(ranked, key=lambda v: 0 if v.tier == prefer_tier else 1)
    skipped: list[str] = []
    for v in ranked:
        ctx = EvalContext(
            case=case, request=request, facts=facts, version=v, library=library, order=order
        )
        if v.tier == "mtus" and not v.addresses:
            skipped.append(
                v.note or f"the MTUS ({v.citation.citation}) does not address this treatment"
            )
            continue
        if not _version_fits(v, ctx):
            continue
        note = None
        if v.tier != "mtus" and prefer_tier is None:
            note = (
                "; ".join(skipped)
                if skipped
                else (
                    f"the MTUS in effect on {day.isoformat()} does not address {cs.title.lower()}"
                )
            )
        return v, note
    return None, "; ".join(skipped) or None


def _silence_applies(crit: Criterion, ctx: EvalContext) -> bool:
    """Whether a criterion applies although the records are silent on its ``when``: the
    criterion's own ``when_silent``, else whether the ``when`` hinges on silence about prior
    use of the requested treatment itself (a fact read with ``burden``): it would hold were
    that use established. Prior use of another treatment (an NSAID for a PPI request) is
    not read this way."""
    if crit.when_silent is not None:
        return crit.when_silent == "apply"
    assert crit.when is not None
    assumed = evaluate(crit.when, dataclasses.replace(ctx, in_when=True, assume_prior=True))
    return assumed.status is Status.MET


def evaluate_version(
    cs: CriteriaSet,
    version: Version,
    case: Case,
    request: ParsedRequest,
    facts: list[Fact],
    library: Library,
    order: FactOrder | None,
    depth: int = 0,
    surgery: Outcome | None = None,
) -> list[EvaluatedCriterion]:
    nested_holder: dict[str, tuple[list[EvaluatedCriterion], CriteriaSet, Version]] = {}

    def purpose_eval(treatment: str, tier: str | None) -> Outcome:
        if depth > 2:
            return Outcome(Status.NOT_DOCUMENTED)
        sets = library.sets_for(treatment, request.body_regions)
        if not sets:
            return Outcome(Status.NOT_DOCUMENTED)
        sub_set = sets[0]
        sub_request = request.model_copy(update={"treatment": treatment})
        sub_version, _ = select_version(
            sub_set, case, sub_request, facts, library, order, prefer_tier=tier
        )
        if sub_version is None:
            return Outcome(Status.NOT_DOCUMENTED)
        sub = evaluate_version(
            sub_set, sub_version, case, sub_request, facts, library, order, depth + 1
        )
        nested_holder["current"] = (sub, sub_set, sub_version)
        status = combine_all([e.status for e in sub if e.criterion.required])
        return Outcome(status, [f for e in sub for f in e.facts])

    out: list[EvaluatedCriterion] = []
    for crit in version.criteria:
        ctx = EvalContext(
            case=case,
            request=request,
            facts=facts,
            version=version,
            library=library,
            order=order,
            purpose_eval=purpose_eval,
            depth=depth,
            surgery=surgery,
        )
        nested_holder.clear()
        burden = False
        if crit.when is not None:
            applies = evaluate(crit.when, dataclasses.replace(ctx, in_when=True))
            if applies.status is Status.NOT_DOCUMENTED and _silence_applies(crit, ctx):
                burden = True
            elif applies.status is not Status.MET:
                out.append(
                    EvaluatedCriterion(
                        crit,
                        Status.NOT_APPLICABLE,
                        applies.facts,
                        applies.values,
                        version=version,
                        set_id=cs.id,
                    )
                )
                continue
            when_facts = applies.facts
        else:
            when_facts = []
        result = evaluate(crit.rule, ctx)
        status = result.status
        if burden and status is Status.NOT_MET and not result.facts:
            # the rule reads silence as not met (`if_absent: not_met`); applied only because
            # the records are silent on its condition, that silence is not documentation
            status = Status.NOT_DOCUMENTED
        facts_used = list(result.facts)
        exception = False
        if status is not Status.MET and crit.unless is not None:
            exc = evaluate(crit.unless.rule, ctx)
            if exc.status is Status.MET:
                status = Status.MET
                exception = True
                facts_used += exc.facts
        values = dict(result.values)
        if crit.when is not None and "course" in applies.values:
            values["course"] = applies.values["course"]
        if burden:
            values["course"] = (
                "the records do not establish whether the treatment was given before; the"
                " requesting physician bears the burden of documenting it"
            )
        ev = EvaluatedCriterion(
            crit,
            status,
            facts_used,
            values,
            exception,
            version=version,
            set_id=cs.id,
            burden=burden,
            condition_facts=when_facts,
        )
        if "current" in nested_holder:
            ev.nested, ev.nested_set, ev.nested_version = nested_holder["current"]
        out.append(ev)
    return out


def determine(
    case: Case,
    request: ParsedRequest,
    facts: list[Fact],
    library: Library,
    order: FactOrder | None = None,
    surgery: Outcome | None = None,
) -> Determination:
    sets = library.sets_for(request.treatment, request.body_regions)
    if request.treatment is None:
        return Determination(
            None,
            None,
            [],
            None,
            reason="the request could not be matched to a treatment in the library's catalogue",
        )
    if not sets:
        return Determination(
            None,
            None,
            [],
            None,
            reason=f"no criteria set in the library covers the treatment '{request.treatment}'",
        )
    cs = sets[0]
    version, note = select_version(cs, case, request, facts, library, order)
    if version is None:
        return Determination(
            cs,
            None,
            [],
            None,
            tier_note=note,
            reason=(
                f"no version of the criteria set '{cs.id}' is in effect on the UR decision date "
                f"{case.decision_date.isoformat()}"
            ),
        )
    evaluated = evaluate_version(cs, version, case, request, facts, library, order, surgery=surgery)
    status = combine_all([e.status for e in evaluated if e.criterion.required])
    return Determination(cs, version, evaluated, status, tier_note=note)


def _finding(ev: EvaluatedCriterion, version: Version) -> str | None:
    """What the evaluation found, in short words: values compared and exceptions applied."""
    parts: list[str] = []
    for key, value in ev.values.items():
        if value is None or key == "purpose":
            continue
        if key.startswith("request."):
            field_name = key.split(".", 1)[1]
            label = _FIELD_LABELS.get(field_name, field_name)
            parts.append(f"requested {label}: {_fmt(value)}")
        elif key.startswith("case."):
            parts.append(f"{key.split('.', 1)[1].replace('_', ' ')}: {_fmt(value)}")
        else:
            parts.append(f"{key.replace('_', ' ')}: {_fmt(value)}")
    used = [p for p in version.params.values() if "{" + p.name + "}" in ev.criterion.text]
    for p in used:
        parts.append(
            f"guideline {p.name.replace('_', ' ')}: {_fmt(p.value)}{' ' + p.unit if p.unit else ''}"
        )
    if ev.exception_applied and ev.criterion.unless is not None:
        parts.append(f"exception applied: {ev.criterion.unless.text}")
    return "; ".join(parts) or None


# request fields as a finding names them
_FIELD_LABELS = {"course_sessions": "sessions (with any already authorized)"}


def to_results(
    evaluated: list[EvaluatedCriterion],
    request: ParsedRequest,
    searched: tuple[str, ...],
    prefix: str = "",
) -> list[CriterionResult]:
    out: list[CriterionResult] = []
    for ev in evaluated:
        version = ev.version
        assert version is not None
        cid = f"{prefix}{ev.set_id}.{version.id}.{ev.criterion.id}"
        # each span once: the facts that meet or fail the criterion, then those that made it
        # apply (a span already shown as support is not repeated as a condition)
        seen: set[tuple[str, int, int]] = set()
        shown: list[Evidence] = []
        for facts, role in ((ev.facts, None), (ev.condition_facts, "condition")):
            for f in facts:
                for s in f.spans:
                    if (s.record, s.start, s.end) in seen:
                        continue
                    seen.add((s.record, s.start, s.end))
                    shown.append(Evidence.from_span(s, fact=f.name, role=role))  # type: ignore[arg-type]
        evidence = tuple(shown)
        silent = ev.met_by_silence
        out.append(
            CriterionResult(
                id=cid,
                text=fill(ev.criterion.text, version, ev.values, request),
                status=ev.status,
                evidence=evidence,
                searched=searched if ev.status is Status.NOT_DOCUMENTED or silent else (),
                required=ev.criterion.required,
                source_check=(
                    "not retrieved"
                    if ev.criterion.unverified
                    else "from knowledge"
                    if ev.criterion.from_knowledge
                    else None
                ),
                source_marks=ev.criterion.source_marks,
                checklist=fill(ev.criterion.checklist, version, ev.values, request)
                if ev.criterion.checklist
                else None,
                finding=_finding(ev, version)
                or (
                    f"not found in any of the {len(searched)} record(s) searched"
                    if ev.status is Status.NOT_DOCUMENTED
                    else f"nothing against it in any of the {len(searched)} record(s) searched"
                    if silent
                    else None
                ),
            )
        )
        if ev.nested:
            nested_prefix = f"{cid}/"
            out.extend(to_results(ev.nested, request, searched, nested_prefix))
    return out
