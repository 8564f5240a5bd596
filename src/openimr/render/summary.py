"""The clinical case summary, in the style of the seed letter, written from facts.

Every clause comes from a fact with its span; the function returns the text and the
evidence it rests on. Findings come from the latest record that has them (earlier records
are history), so the summary describes the patient at the time of the request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from openimr.model import Case, Evidence, Fact
from openimr.render.rationale import join_phrases, request_phrase

MAX_CLAUSES = 4


def _clause(text: str) -> str:
    t = " ".join(text.split()).strip().rstrip(".;")
    if not t:
        return t
    first = t.split(" ", 1)[0]
    if not (first.isupper() and len(first) > 1):
        t = t[0].lower() + t[1:]
    return t


_SIDE_WORDS = re.compile(r"\b(?:left|right|bilateral(?:ly)?|both|lt|rt)\b", re.IGNORECASE)


def where_phrase(fact: Fact) -> str | None:
    """The side and body region of a fact in words ("left knee", "lumbar spine"), or None."""
    if fact.region is None:
        return None
    from openimr.request.catalogue import catalogue

    region = catalogue().region(fact.region)
    name = region.name if region is not None else fact.region.replace("-", " ")
    return f"{fact.side} {name}" if fact.side else name


def _located(clause: str, fact: Fact) -> str:
    """A clause with the side and region its fact is located at, when the clause itself does
    not say them (a finding under a "LEFT KNEE:" heading, the impression of a report whose
    title names the part): "small effusion, left knee"."""
    if fact.region is None:
        return clause
    from openimr.request.catalogue import catalogue

    named = catalogue().find_regions(clause)
    missing_side = fact.side is not None and not _SIDE_WORDS.search(clause)
    if not named or (missing_side and fact.region in named):
        where = where_phrase(fact)
        return f"{clause}, {where}" if where else clause
    return clause


def _latest_group(
    facts: Sequence[Fact], order: Callable[[Fact], tuple[object, ...]] | None
) -> list[Fact]:
    """Facts of the latest record that has any of them, in reading order."""
    if not facts:
        return []
    ordered = sorted(facts, key=order) if order else list(facts)
    latest_record = ordered[-1].spans[0].record if ordered[-1].spans else None
    group = [f for f in ordered if f.spans and f.spans[0].record == latest_record]
    return sorted(group, key=lambda f: f.spans[0].start)


def _date(d: object) -> str:
    import datetime as dt

    if isinstance(d, dt.date):
        return f"{d.month}/{d.day}/{d.strftime('%y')}"
    return str(d)


def write_summary(
    case: Case,
    facts: Sequence[Fact],
    order: Callable[[Fact], tuple[object, ...]] | None = None,
) -> tuple[str, list[Evidence]]:
    patient = case.patient
    age = patient.age_on(case.decision_date)
    sex = patient.sex if patient.sex in ("female", "male") else "patient"
    who = f"a {age}-year-old {sex}" if age is not None else f"a {sex} of unstated age"
    if sex == "patient" and age is not None:
        who = f"a {age}-year-old patient"
    parts = [
        f"According to the records made available for review, this is {who} with a "
        f"{_date(patient.date_of_injury)} date of injury."
    ]
    evidence: list[Evidence] = []

    def take(name: str) -> list[str]:
        group = _latest_group([f for f in facts if f.name == name], order)
        seen: set[str] = set()
        out: list[str] = []
        for f in group:
            c = _clause(str(f.value))
            c = _located(c, f) if c else c
            if c and c.lower() not in seen and len(c) > 2:
                seen.add(c.lower())
                out.append(c)
                evidence.extend(Evidence.from_span(s, fact=f.name) for s in f.spans)
            if len(out) >= MAX_CLAUSES:
                break
        return out

    requests = [request_phrase(i.request) for i in case.utilization_review.items]
    subjective = take("complaint")
    objective = take("exam_finding")
    diagnoses = take("diagnosis")
    treatments = [
        _clause(str(f.spans[0].quote))
        for f in facts
        if f.name in ("prior_therapy", "prior_esi") and f.value is True and f.spans
    ]
    already = {c.lower() for c in (*subjective, *objective)}
    treatments = [t for t in dict.fromkeys(treatments) if t.lower() not in already][:MAX_CLAUSES]
    evidence.extend(
        Evidence.from_span(f.spans[0], fact=f.name)
        for f in facts
        if f.name in ("prior_therapy", "prior_esi") and f.value is True and f.spans
    )
    plan = take("plan_item")
    documented: list[str] = []
    if subjective or objective:
        if subjective and objective:
            documented.append(
                f"subjective ({'; '.join(subjective)}) and objective ({'; '.join(objective)}) findings"
            )
        elif subjective:
            documented.append(f"subjective ({'; '.join(subjective)}) findings")
        else:
            documented.append(f"objective ({'; '.join(objective)}) findings")
    if diagnoses:
        documented.append(f"current diagnoses ({'; '.join(diagnoses)})")
    if treatments:
        documented.append(f"treatment to date ({'; '.join(treatments)})")
    if documented:
        parts.append(
            f"At the time of request for authorization for {join_phrases(requests)}, there is "
            f"documentation of {join_phrases(documented)}."
        )
    else:
        parts.append(
            f"The request for authorization was for {join_phrases(requests)}; the records made "
            "available do not set out subjective or objective findings in sections openimr reads."
        )
    if plan:
        parts.append(f"In addition, medical reports identify a plan for {'; '.join(plan)}.")
    return " ".join(parts), evidence
