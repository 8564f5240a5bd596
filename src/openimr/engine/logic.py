"""Three-valued evaluation of criteria rules over facts.

``all_of`` is not_met if any part is, else not_documented if any part is, else met.
``any_of`` is met if any part is, else not_documented if any part is, else not_met.
A fact that is absent gives not_documented (silence); a fact the record states otherwise
(a negated mention, a number on the wrong side) gives not_met.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from openimr.engine.course import infer_course
from openimr.library.schema import Library, ParamRef, RequestRef, Rule, Value, Version
from openimr.model import Case, Fact, ParsedRequest, Status

# Ordering key of a fact: later records and later positions come last ("latest").
FactOrder = Callable[[Fact], tuple[object, ...]]


def combine_all(statuses: Sequence[Status]) -> Status:
    relevant = [s for s in statuses if s is not Status.NOT_APPLICABLE]
    if any(s is Status.NOT_MET for s in relevant):
        return Status.NOT_MET
    if any(s is Status.NOT_DOCUMENTED for s in relevant):
        return Status.NOT_DOCUMENTED
    return Status.MET


def combine_any(statuses: Sequence[Status]) -> Status:
    relevant = [s for s in statuses if s is not Status.NOT_APPLICABLE]
    if not relevant:
        return Status.MET
    if any(s is Status.MET for s in relevant):
        return Status.MET
    if any(s is Status.NOT_DOCUMENTED for s in relevant):
        return Status.NOT_DOCUMENTED
    return Status.NOT_MET


def negate(status: Status) -> Status:
    if status is Status.MET:
        return Status.NOT_MET
    if status is Status.NOT_MET:
        return Status.MET
    return status


@dataclass
class Outcome:
    """A rule's status and the facts it rested on."""

    status: Status
    facts: list[Fact] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)


@dataclass
class EvalContext:
    case: Case
    request: ParsedRequest
    facts: Sequence[Fact]
    version: Version
    library: Library | None = None
    order: FactOrder | None = None
    purpose_eval: Callable[[str, str | None], Outcome] | None = None
    depth: int = 0
    surgery: Outcome | None = None
    """The decision on the surgery a pre/post-operative item serves, when the case has one."""
    in_when: bool = False
    """Evaluating a criterion's ``when``: silence on prior use or a prior study is read there
    through ``engine/course.py``; in a criterion's own rule silence stays silence."""
    assume_prior: bool = False
    """Read unsettled silence on prior use of the requested treatment (``burden`` facts) as
    prior use: does the ``when`` hinge on that silence alone?"""

    def params(self) -> dict[str, object]:
        return {name: p.value for name, p in self.version.params.items()}

    def request_field(self, name: str) -> object:
        req = self.request
        if name == "sessions":
            return req.sessions
        if name == "course_sessions":
            return self.course_sessions()
        if name == "per_week":
            return req.schedule.per_week_max or req.schedule.per_week if req.schedule else None
        if name == "weeks":
            return req.schedule.weeks_max or req.schedule.weeks if req.schedule else None
        if name == "body_regions":
            return list(req.body_regions) or None
        if name == "ingredients":
            return [i.split()[0].lower() for i in req.ingredients] or None
        if name == "levels":
            levels = getattr(req, "spinal_levels", ())
            return len(levels) if levels else None
        if name == "spinal_levels":
            return list(req.spinal_levels) or None
        if name == "text":
            return req.disputed.lower()
        return getattr(req, name, None)

    def course_sessions(self) -> int | None:
        """The sessions the course comes to: for the remaining portion of a request the UR
        modified, the disputed sessions plus those it authorized (from the request's words,
        else the records' count of authorized visits of this treatment); otherwise the
        sessions requested. Reviewers judge a trial or course limit on the whole."""
        req = self.request
        asked = req.sessions
        if asked is None or not req.modified:
            return asked
        authorized = req.authorized_sessions
        if authorized is None:
            counts = [
                int(f.value)
                for f in self.facts
                if f.name == "authorized_visits"
                and f.qualifier in (req.treatment, None, "*")
                and isinstance(f.value, (int, float))
                and not isinstance(f.value, bool)
            ]
            authorized = max(counts) if counts else 0
        return asked + authorized

    def case_field(self, name: str) -> object:
        day = self.case.decision_date
        doi = self.case.patient.date_of_injury
        if name == "days_since_injury":
            return (day - doi).days
        if name == "weeks_since_injury":
            return (day - doi).days / 7
        if name == "age":
            return self.case.patient.age_on(day)
        raise KeyError(name)

    def resolve(self, value: Value) -> object:
        if isinstance(value, ParamRef):
            return self.version.params[value.param].value
        if isinstance(value, RequestRef):
            return self.request_field(value.field)
        return value

    def qualifier(self, q: str | None) -> str | None:
        if q == "$treatment":
            return self.request.treatment
        return q

    def inferred(self, rule: Rule) -> Outcome | None:
        """A fact of prior use or a prior study that no record states, settled where the
        request and the case establish it (``engine/course.py``); None where they do not."""
        if not self.in_when or self.library is None or rule.subject is None:
            return None
        if rule.test not in ("is", "eq"):
            return None
        fd = self.library.facts.get(rule.subject)
        mode = fd.silence(self.request.category) if fd is not None else "not_applicable"
        if mode == "not_applicable":
            return None
        if rule.qualifier not in (None, "$treatment") and (
            self.qualifier(rule.qualifier) != self.request.treatment
        ):
            return None
        history = start = None
        if rule.subject == "prior_therapy":
            # the silence is about a therapy: an account of the treatment to date that does
            # not name it settles it
            accounts = [f for f in self.facts if f.name == "treatment_history" and f.value is True]
            history = accounts[-1] if accounts else None
        if rule.subject in ("prior_therapy", "medication_in_use"):
            # and so does the physician's plan to start the therapy or the drug
            plans = [
                f
                for f in self.facts
                if f.name == "therapy_start_planned"
                and f.value is True
                and f.qualifier == self.request.treatment
                and not f.context.negated
            ]
            start = plans[-1] if plans else None
        course = infer_course(self.case, self.request, mode, history, start)
        if course.kind is None:
            if self.assume_prior and mode == "burden":
                return Outcome(_compare(rule.test, True, self.resolve(rule.value)))
            return None
        value = course.kind == "continuation"
        return Outcome(
            _compare(rule.test, value, self.resolve(rule.value)),
            values={"course": course.reason},
        )


def _compare(test: str, actual: object, expected: object) -> Status:
    """Compare a known value; an unknown expected value (e.g. request field) is not documented."""
    if test == "present":
        return Status.MET if (actual is not None) == bool(expected) else Status.NOT_MET
    if expected is None:
        return Status.NOT_DOCUMENTED
    if test in ("is", "eq"):
        return Status.MET if actual == expected else Status.NOT_MET
    if test == "contains":
        words = expected if isinstance(expected, list) else [expected]
        hay = " ".join(actual) if isinstance(actual, list) else str(actual)
        # a listed word matches where a word of the text starts with it ("pillow" finds
        # "pillows", "pt" finds "pt/ptt" but not the "pt" inside "except")
        low = hay.lower()
        ok = any(re.search(r"(?<![a-z0-9])" + re.escape(str(w).lower()), low) for w in words)
        return Status.MET if ok else Status.NOT_MET
    if test == "in":
        if isinstance(actual, list):
            ok = (
                any(a in expected for a in actual)
                if isinstance(expected, list)
                else expected in actual
            )
        else:
            ok = actual in expected if isinstance(expected, list) else actual == expected
        return Status.MET if ok else Status.NOT_MET
    if not isinstance(actual, (int, float)) or not isinstance(expected, (int, float)):
        return Status.NOT_DOCUMENTED
    ok = {
        "gte": actual >= expected,
        "lte": actual <= expected,
        "gt": actual > expected,
        "lt": actual < expected,
    }[test]
    return Status.MET if ok else Status.NOT_MET


def _pick(facts: list[Fact], how: str, order: FactOrder | None) -> list[Fact]:
    if not facts:
        return []
    ordered = sorted(facts, key=order) if order else list(facts)
    if how == "latest":
        return [ordered[-1]]
    if how in ("max", "min"):
        numeric = [
            f
            for f in ordered
            if isinstance(f.value, (int, float)) and not isinstance(f.value, bool)
        ]
        if not numeric:
            return [ordered[-1]]
        best = (
            max(numeric, key=lambda f: float(f.value))
            if how == "max"
            else min(numeric, key=lambda f: float(f.value))
        )
        return [best]
    if how == "any_true":
        trues = [f for f in ordered if f.value is True]
        return [trues[-1]] if trues else [ordered[-1]]
    if how == "sum":
        return ordered
    return [ordered[-1]]


def _weak(fact: Fact) -> bool:
    return fact.context.uncertain or fact.context.hypothetical or fact.context.historical


def _firmest_alike(chosen: Fact, candidates: list[Fact], order: FactOrder | None) -> Fact:
    """The mention a picked fact rests on: when it is uncertain, hypothetical or historical
    and the same record states the same value plainly ("tenderness in the anatomic snuffbox"
    before "x-rays to rule out a scaphoid fracture"), the plain statement. The value, and so
    the status, is the same; only the evidence is firmer."""
    if not _weak(chosen) or not chosen.spans:
        return chosen
    record = chosen.spans[0].record
    alike = [
        f
        for f in candidates
        if f.value == chosen.value
        and type(f.value) is type(chosen.value)
        and not _weak(f)
        and f.spans
        and f.spans[0].record == record
    ]
    return _pick(alike, "latest", order)[0] if alike else chosen


def evaluate(rule: Rule, ctx: EvalContext) -> Outcome:
    """The status of ``rule`` for the case, and the facts and values it rested on."""
    return _BY_KIND[rule.kind](rule, ctx)


def _combined(rule: Rule, ctx: EvalContext) -> Outcome:
    """``all_of`` / ``any_of``: the parts combined in three-valued logic."""
    outs = [evaluate(c, ctx) for c in rule.children]
    combine = combine_all if rule.kind == "all_of" else combine_any
    status = combine([o.status for o in outs])
    # a choice met by one branch rests on that branch: the facts of the branches not met
    # ("sensation normal" beside "straight leg raise positive") are not its evidence
    shown = (
        [o for o in outs if o.status is Status.MET]
        if rule.kind == "any_of" and status is Status.MET
        else outs
    )
    # of the branches met, those resting on plain statements: a branch met only by an
    # uncertain or planned mention ("to rule out a fracture") adds nothing to one met by a
    # finding on examination
    if rule.kind == "any_of" and status is Status.MET:
        firm = [o for o in shown if not any(_weak(f) for f in o.facts)]
        if firm:
            shown = firm
    facts = [f for o in shown for f in o.facts]
    values: dict[str, object] = {}
    for o in outs:
        values.update(o.values)
    return Outcome(status, facts, values)


def _negated(rule: Rule, ctx: EvalContext) -> Outcome:
    inner = evaluate(rule.children[0], ctx)
    return Outcome(negate(inner.status), inner.facts, inner.values)


def _surgery_indicated(rule: Rule, ctx: EvalContext) -> Outcome:
    """The surgery a pre- or post-operative item serves: decided in this case, else
    documented as planned (or, for a post-operative item, done)."""
    if ctx.surgery is not None:
        return ctx.surgery
    # a surgery already done ("status post ...") serves post-operative items; a
    # pre-operative item needs one still to come
    pre = ctx.request.perioperative == "pre"
    planned = _pick(
        [
            f
            for f in ctx.facts
            if f.name == "planned_surgery" and not (pre and f.qualifier == "performed")
        ],
        "latest",
        ctx.order,
    )
    if planned:
        return Outcome(Status.MET, planned, {"planned_surgery": planned[0].value})
    return Outcome(Status.NOT_DOCUMENTED)


def _purpose_indicated(rule: Rule, ctx: EvalContext) -> Outcome:
    """A visit judged by its purpose: the treatment it is for, under its own criteria."""
    if ctx.purpose_eval is None:
        return Outcome(Status.NOT_DOCUMENTED)
    purpose = _pick([f for f in ctx.facts if f.name == "visit_purpose"], "latest", ctx.order)
    if not purpose:
        return Outcome(Status.NOT_DOCUMENTED)
    out = ctx.purpose_eval(str(purpose[0].value), rule.tier)
    return Outcome(
        out.status, [purpose[0], *out.facts], {"purpose": purpose[0].value, **out.values}
    )


def _request_test(rule: Rule, ctx: EvalContext) -> Outcome:
    """A test of a field of the request (unknown: not documented, unless tested absent)."""
    assert rule.subject is not None and rule.test is not None
    expected = ctx.resolve(rule.value)
    actual = ctx.request_field(rule.subject)
    if actual is None and (rule.test != "present" or expected is True):
        return Outcome(Status.NOT_DOCUMENTED, values={f"request.{rule.subject}": None})
    return Outcome(
        _compare(rule.test, actual, expected), values={f"request.{rule.subject}": actual}
    )


def _case_test(rule: Rule, ctx: EvalContext) -> Outcome:
    """A test of the case (the injury's age, the patient's age on the UR date)."""
    assert rule.subject is not None and rule.test is not None
    expected = ctx.resolve(rule.value)
    actual = ctx.case_field(rule.subject)
    if actual is None:
        return Outcome(Status.NOT_DOCUMENTED)
    return Outcome(_compare(rule.test, actual, expected), values={f"case.{rule.subject}": actual})


def _mentions_that_count(rule: Rule, ctx: EvalContext) -> list[Fact]:
    """The mentions of the rule's fact that bear on this request: current ones for a
    finding needed now, those of the requested part and side for a located fact, and those
    of the rule's qualifier (the requested treatment, the request's regions)."""
    named = [f for f in ctx.facts if f.name == rule.subject]
    fdef = ctx.library.facts.get(rule.subject or "") if ctx.library is not None else None
    if fdef is not None and fdef.current:
        # a finding needed at the time of the request: one given as history is not
        named = [f for f in named if not f.context.historical]
    if fdef is not None and fdef.located:
        # a finding about another part of the body, or the other side, is not evidence
        # for this request (a right-shoulder MRI for a left shoulder surgery); an
        # unlocated one counts
        nerve = fdef.located == "nerve"
        named = [f for f in named if located_for(f, ctx.request, nerve=nerve)]
    if rule.qualifier == "$region":
        # a finding located in a body region counts for a request about that region; one
        # located elsewhere (a thumb fracture for a shoulder MRI) does not; an unlocated one
        # counts for any region
        regions = _region_family(ctx.request.body_regions)
        return [
            f for f in named if not regions or f.qualifier in (None, "*") or f.qualifier in regions
        ]
    if rule.qualifier is None:
        return named
    # facts naming this treatment; failing those, facts that name no treatment ("*")
    qualifier = ctx.qualifier(rule.qualifier)
    candidates = [f for f in named if f.qualifier == qualifier]
    return candidates or [f for f in named if f.qualifier in (None, "*")]


def _fact_test(rule: Rule, ctx: EvalContext) -> Outcome:
    """A test of a fact of the records: the mentions that count, picked (``pick``); with
    none, what the rule says silence is (``if_absent``) unless the request settles it."""
    assert rule.subject is not None and rule.test is not None
    expected = ctx.resolve(rule.value)
    candidates = _mentions_that_count(rule, ctx)
    if not candidates:
        if rule.test == "present" and rule.value is False:
            return Outcome(Status.MET)
        inferred = ctx.inferred(rule)
        if inferred is not None:
            return inferred
        return Outcome(Status(rule.if_absent))
    chosen = _pick(candidates, rule.pick, ctx.order)
    if rule.pick != "sum" and len(chosen) == 1:
        chosen = [_firmest_alike(chosen[0], candidates, ctx.order)]
    if rule.pick == "sum":
        total = sum(float(f.value) for f in chosen if isinstance(f.value, (int, float)))
        actual_value: object = total
    else:
        actual_value = chosen[0].value
    return Outcome(
        _compare(rule.test, actual_value, expected), chosen, {rule.subject: actual_value}
    )


_BY_KIND: dict[str, Callable[[Rule, EvalContext], Outcome]] = {
    "all_of": _combined,
    "any_of": _combined,
    "not": _negated,
    "surgery": _surgery_indicated,
    "purpose": _purpose_indicated,
    "request": _request_test,
    "case": _case_test,
    "fact": _fact_test,
}


_SPINE = {"spine", "cervical-spine", "thoracic-spine", "lumbar-spine", "sacroiliac-joint"}
_FAMILIES: tuple[set[str], ...] = (
    {"hand", "finger", "wrist"},
    {"wrist", "forearm"},
    {"elbow", "forearm", "arm"},
    {"shoulder", "arm"},
    {"hip", "thigh"},
    {"knee", "thigh", "leg"},
    {"ankle", "foot", "leg"},
)


def _region_family(regions: Sequence[str]) -> set[str]:
    """The regions whose findings bear on a request for ``regions``: the regions themselves,
    the generic spine for any spinal region (and every spinal region for "spine"), and the
    neighbouring parts of a limb (the shoulder and the upper arm, the knee and the leg)."""
    out = set(regions)
    for r in regions:
        if r == "spine":
            out |= _SPINE
        elif r in _SPINE:
            out.add("spine")
        for fam in _FAMILIES:
            if r in fam:
                out |= fam
    return out


_LIMBS: dict[str, set[str]] = {
    "upper-extremity": {"shoulder", "arm", "elbow", "forearm", "wrist", "hand", "finger"},
    "lower-extremity": {"hip", "thigh", "knee", "leg", "ankle", "foot", "toe"},
}
# a limb as a whole is where the spine's nerve roots show ("numbness in the left lower
# extremity" bears on a lumbar request); a joint of it is not
_LIMB_SPINE: dict[str, set[str]] = {
    "upper-extremity": {"cervical-spine", "spine"},
    "lower-extremity": {"lumbar-spine", "sacroiliac-joint", "spine"},
}
_MORE_FAMILIES: tuple[set[str], ...] = ({"foot", "toe"}, {"hip", "pelvis", "groin"})


def region_fits(region: str, requested: Sequence[str]) -> bool:
    """Whether a finding located in ``region`` bears on a request about ``requested``: the
    region family (``_region_family``), a limb named as a whole for one of its parts (or
    for the spine that supplies it), and the other way round."""
    family = _region_family(requested)
    for r in requested:
        for fam in _MORE_FAMILIES:
            if r in fam:
                family |= fam
    if region in family:
        return True
    limb = _LIMBS.get(region)
    if limb is not None and set(requested) & (limb | _LIMB_SPINE[region]):
        return True
    return any(region in _LIMBS.get(r, set()) for r in requested)


def side_fits(side: str | None, requested: str | None) -> bool:
    """Whether a finding on ``side`` bears on a request for ``requested``: any side when
    either is unknown or bilateral; otherwise the same side."""
    if side is None or requested is None or "bilateral" in (side, requested):
        return True
    return side == requested


# a neurologic finding bears on the limb where it is found and on the spinal region whose
# nerve roots serve the limb: numbness in the foot for a lumbar request or a leg EMG, a
# finding at L5 for a leg EMG; not numbness in the toe for an EMG of the arms
_LOWER = {*_LIMBS["lower-extremity"], "lower-extremity"}
_UPPER = {*_LIMBS["upper-extremity"], "upper-extremity"}
_NERVE_TERRITORY: tuple[tuple[set[str], set[str]], ...] = (
    ({"lumbar-spine", "sacroiliac-joint", "spine"}, _LOWER),
    ({"cervical-spine", "spine"}, _UPPER),
)


def nerve_region_fits(region: str, requested: Sequence[str]) -> bool:
    """Whether a neurologic finding in ``region`` bears on a request about ``requested``."""
    if region_fits(region, requested):
        return True
    wanted = set(requested)
    for spine, limb in _NERVE_TERRITORY:
        if wanted & (spine | limb) and region in (spine | limb) - {"spine"}:
            return True
        if "spine" in wanted and region in limb:
            return True
    return False


def located_for(fact: Fact, request: ParsedRequest, nerve: bool = False) -> bool:
    """Whether a located fact counts for the request: its region (when known) fits the
    request's regions (when named), and its side (when known) the request's side. With
    ``nerve``, a limb and the spinal region serving it are one territory."""
    fits = nerve_region_fits if nerve else region_fits
    if (
        fact.region is not None
        and request.body_regions
        and not fits(fact.region, request.body_regions)
    ):
        return False
    return side_fits(fact.side, request.side)


def days_between(a: dt.date, b: dt.date) -> int:
    return (b - a).days
