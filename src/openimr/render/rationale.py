"""Decision rationales in the register of real IMR letters, written from criteria and facts.

A rationale has four movements, as in the seed letter: what the guideline(s) require (each
cited source's statement, in our own words, with its parameters filled in); what the
records document (met criteria); what they do not (``not_documented``: "there is no
documentation of ...", only for silence) or say otherwise (``not_met``: the criterion's own
sentence); and the conclusion. Every sentence is returned with the criteria and citations it
rests on, so it can be traced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from openimr.engine.determine import Determination, EvaluatedCriterion, fill
from openimr.library.schema import Citation, Version
from openimr.model import Evidence, Fact, ParsedRequest, Status


@dataclass
class Sentence:
    text: str
    criteria: list[str] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


def join_phrases(items: list[str], conj: str = "and") -> str:
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} {conj} {items[1]}"
    return ", ".join(items[:-1]) + f", {conj} " + items[-1]


def request_phrase(request: str) -> str:
    """'Physical therapy 12 visits' -> 'physical therapy 12 visits' (acronyms kept)."""
    text = re.sub(r"\s+", " ", request.strip().rstrip(".:"))
    first = text.split(" ", 1)[0]
    if (
        first.isupper()
        or any(c.isdigit() for c in first)
        or (len(first) > 1 and first[1].isupper())
    ):
        return text
    return text[0].lower() + text[1:]


def _statement(cite: Citation, version: Version, request: ParsedRequest) -> str | None:
    if not cite.statement:
        return None
    return fill(" ".join(cite.statement.split()), version, {}, request)


def _criterion_id(ev: EvaluatedCriterion) -> str:
    assert ev.version is not None
    return f"{ev.set_id}.{ev.version.id}.{ev.criterion.id}"


def _evidence(facts: list[Fact]) -> list[Evidence]:
    return [Evidence.from_span(s, fact=f.name) for f in facts for s in f.spans]


def _flatten(evaluated: list[EvaluatedCriterion]) -> list[EvaluatedCriterion]:
    out: list[EvaluatedCriterion] = []
    for ev in evaluated:
        out.append(ev)
        out.extend(_flatten(ev.nested))
    return out


def write_rationale(
    det: Determination,
    request: ParsedRequest,
    request_text: str,
    facts: list[Fact],
) -> list[Sentence]:
    assert det.version is not None and det.criteria_set is not None
    sentences: list[Sentence] = []
    version = det.version
    # 1. what the guidelines require
    used_sources: list[tuple[Citation, Version]] = [(version.citation, version)]
    for ev in _flatten(det.evaluated):
        v = ev.version
        assert v is not None
        src = v.citation if ev.criterion.source == "primary" else v.cite(ev.criterion.source)
        if (ev.status is not Status.NOT_APPLICABLE or ev.nested) and all(
            src.id != c.id or v.id != vv.id for c, vv in used_sources
        ):
            used_sources.append((src, v))
        if ev.nested_version is not None and all(
            ev.nested_version.citation.id != c.id or ev.nested_version.id != vv.id
            for c, vv in used_sources
        ):
            used_sources.append((ev.nested_version.citation, ev.nested_version))
    for i, (cite, v) in enumerate(used_sources):
        stmt = _statement(cite, v, request)
        if stmt:
            if i > 0 and not stmt.startswith(("In addition", "Furthermore")):
                stmt = (
                    "In addition, " + stmt[0].lower() + stmt[1:]
                    if stmt[:4] not in ("MTUS", "ODG ", "ACOE")
                    else "In addition, " + stmt
                )
            sentences.append(Sentence(stmt, citations=[cite.citation]))
    # 2. what the records document
    diagnoses = _unique([str(f.value) for f in facts if f.name == "diagnosis"])
    opener = "Within the medical information available for review, there is documentation of "
    if diagnoses:
        dx_facts = [f for f in facts if f.name == "diagnosis"]
        sentences.append(
            Sentence(
                opener + f"diagnoses of {join_phrases([_lower_first(d) for d in diagnoses[:4]])}.",
                evidence=_evidence(dx_facts[:4]),
            )
        )
        lead = "In addition, there is documentation of "
    else:
        lead = opener
    evaluated = _flatten(det.evaluated)
    purpose_evs = [ev for ev in evaluated if ev.nested]
    met = [
        ev
        for ev in evaluated
        if ev.status is Status.MET
        and ev.criterion.required
        and not ev.nested
        and not (purpose_evs and "visit_purpose" in ev.criterion.rule.facts())
    ]
    for ev in purpose_evs:
        purpose = next((f for f in ev.facts if f.name == "visit_purpose"), None)
        if purpose is not None and ev.nested_set is not None:
            sentences.append(
                Sentence(
                    f"{lead[: -len('there is documentation of ')]}given documentation of a plan for "
                    f"{request_phrase(request_text)} for consideration of {ev.nested_set.title.lower()}, "
                    "there is documentation of the purpose of the requested visit.",
                    criteria=[_criterion_id(ev)],
                    evidence=_evidence([purpose]),
                )
            )
            lead = "Furthermore, there is documentation of "
    # met because no record says otherwise (`if_absent: met`): said as such, never as
    # "there is documentation of"
    silent = [ev for ev in met if ev.met_by_silence]
    met = [ev for ev in met if ev not in silent]
    met_phrases = [
        fill(ev.criterion.describes, ev.version, ev.values, request)
        for ev in met
        if ev.version is not None and not ev.exception_applied
    ]
    if met_phrases:
        sentences.append(
            Sentence(
                lead + join_phrases(_unique(met_phrases)) + ".",
                criteria=[_criterion_id(ev) for ev in met],
                evidence=_evidence([f for ev in met for f in ev.facts]),
            )
        )
    for ev in silent:
        assert ev.version is not None
        phrase = (
            f"none of the records reviewed documents {fill(ev.criterion.silent, ev.version, ev.values, request)}"
            if ev.criterion.silent
            else "nothing in the records reviewed contradicts "
            + fill(ev.criterion.describes, ev.version, ev.values, request)
        )
        word = "Furthermore, " if met_phrases or diagnoses else ""
        sentences.append(
            Sentence(
                (word + phrase)[0].upper() + (word + phrase)[1:] + ".",
                criteria=[_criterion_id(ev)],
            )
        )
    for ev in met:
        if ev.exception_applied and ev.criterion.unless is not None:
            sentences.append(
                Sentence(
                    f"Although the request goes beyond the guideline, there is documentation of {_lower_first(ev.criterion.unless.text)}.",
                    criteria=[_criterion_id(ev)],
                    evidence=_evidence(ev.facts),
                )
            )
    # 3. what they do not document, or say otherwise
    missing = [
        ev
        for ev in evaluated
        if ev.status is Status.NOT_DOCUMENTED and ev.criterion.required and not ev.nested
    ]
    if missing:
        partial = next((ev.criterion.partial for ev in missing if ev.criterion.partial), None)
        partials = [f for f in facts if partial is not None and f.name == partial.fact]
        phrases = _unique(
            [
                fill(ev.criterion.describes, ev.version, ev.values, request)
                for ev in missing
                if ev.version is not None
            ]
        )
        if partials:
            text = (
                f"However, despite documentation of {_lower_first(str(partials[-1].value))}"
                f"{' ' + partial.context if partial and partial.context else ''}, there is no "
                f"{_no_documentation(phrases, 'as well as')}."
            )
        else:
            text = f"However, there is no {_no_documentation(phrases)}."
        sentences.append(
            Sentence(
                text,
                criteria=[_criterion_id(ev) for ev in missing],
                evidence=_evidence(partials[-1:]),
            )
        )
    not_met = [
        ev
        for ev in evaluated
        if ev.status is Status.NOT_MET and ev.criterion.required and not ev.nested
    ]
    for i, ev in enumerate(not_met):
        assert ev.version is not None
        if ev.criterion.not_met:
            body = fill(ev.criterion.not_met, ev.version, ev.values, request)
        else:
            body = f"the records do not support {fill(ev.criterion.describes, ev.version, ev.values, request)}"
        word = "However" if i == 0 and not missing else "In addition"
        sentences.append(
            Sentence(
                f"{word}, {body}.",
                criteria=[_criterion_id(ev)],
                evidence=_evidence(ev.facts),
            )
        )
    # 4. conclusion
    necessary = det.status is Status.MET
    verdict = "medically necessary" if necessary else "not medically necessary"
    sentences.append(
        Sentence(
            f"Therefore, based on guidelines and a review of the evidence, the request for "
            f"{request_phrase(request_text)} is {verdict}.",
            criteria=[_criterion_id(ev) for ev in evaluated if ev.criterion.required],
        )
    )
    return sentences


def _lower_first(s: str) -> str:
    s = s.strip()
    if not s:
        return s
    first = s.split(" ", 1)[0]
    if first.isupper() and len(first) > 1:
        return s
    return s[0].lower() + s[1:]


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _no_documentation(phrases: list[str], conj: str = "and") -> str:
    """ "documentation of A and B", and for a clause ("that the patient is homebound")
    "documentation that ...": "documentation of A, and no documentation that C"."""
    of = [p for p in phrases if not p.startswith("that ")]
    that = [p for p in phrases if p.startswith("that ")]
    parts = []
    if of:
        parts.append(f"documentation of {join_phrases(of, conj)}")
    if that:
        parts.append(f"documentation {join_phrases(that, conj)}")
    return ", and no ".join(parts)
