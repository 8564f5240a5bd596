"""The whole review of a case: facts, determinations, rationales and the summary.

This is the one function the CLI, the API and the benchmarks call. It is pure given its
inputs (no clock, no database); the library is loaded once and cached.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from openimr import __version__
from openimr.engine.confidence import item_confidence
from openimr.engine.determine import EvaluatedCriterion, determine, to_results
from openimr.engine.logic import Outcome
from openimr.extract import extract_facts
from openimr.library.schema import Library
from openimr.library.shipped import default_library
from openimr.model import (
    Case,
    CaseReview,
    DisputedItem,
    Evidence,
    Fact,
    FormularyNote,
    GuidelineRef,
    ItemDetermination,
    ParsedRequest,
    RationaleSentence,
    Status,
)
from openimr.render.rationale import write_rationale
from openimr.render.summary import write_summary
from openimr.request import parse_request

RequestParser = Callable[[str], ParsedRequest]

DEFAULT_ABSTAIN_BELOW = 0.62
"""Items whose confidence is below this go to a person. At 0.62 a decision never rests on an
uncertain (0.6), hypothetical (x0.5) or uncertain historical mention alone; a plain
historical mention (0.63), a criterion met by the records' silence (0.7) and one applied
under the burden of documentation (0.8) still decide. Read against the risk-coverage curve of
``openimr evaluate`` (docs/figures.md); ``--abstain-below 0`` decides every item."""


def fact_order(case: Case) -> Callable[[Fact], tuple[object, ...]]:
    """Facts ordered by the record's date of service, then record order, then position."""
    rank = {r.path: i for i, r in enumerate(case.records)}
    dates = {r.path: r.date_of_service for r in case.records}

    def key(f: Fact) -> tuple[object, ...]:
        if not f.spans:
            return ("", -1, -1)
        span = f.spans[0]
        d = dates.get(span.record)
        return (d.isoformat() if d else "", rank.get(span.record, -1), span.start)

    return key


def guideline_refs(
    det_version: object, evaluated: Sequence[EvaluatedCriterion] = ()
) -> tuple[GuidelineRef, ...]:
    """The citations a determination rests on: the version's primary citation, and each
    supporting citation unless every criterion drawn from it was not applicable (a wrist
    splint's letter does not cite the shoulder chapter), and no MTUS citation for a decision
    the evidence sequence took outside the MTUS."""
    from openimr.library.schema import TIER_SOURCE, Citation, Version

    assert isinstance(det_version, Version)
    drawn: dict[str, bool] = {}
    for ev in evaluated:
        if ev.version is det_version:
            applied = ev.status is not Status.NOT_APPLICABLE
            drawn[ev.criterion.source] = drawn.get(ev.criterion.source, False) or applied
    refs = []
    for c in det_version.citations():
        assert isinstance(c, Citation)
        if c is not det_version.citation and drawn.get(c.id, True) is False:
            continue
        # a decision outside the MTUS is not "based on MTUS" because it borrows the MTUS
        # definition of functional improvement: the rationale still cites the definition
        if c is not det_version.citation and c.mtus and det_version.tier != "mtus":
            continue
        refs.append(
            GuidelineRef(
                source=TIER_SOURCE[c.source],  # type: ignore[arg-type,unused-ignore]
                citation=c.citation,
                mtus=c.mtus,
                chapter=c.chapter,
                section=c.section,
                pages=c.pages,
                edition=c.edition,
                effective=c.effective,
            )
        )
    return tuple(refs)


SURGERY_CATEGORY = "surgery"


def _is_surgery(parsed: ParsedRequest) -> bool:
    return parsed.category == SURGERY_CATEGORY and parsed.perioperative is None


def formulary_note(case: Case, parsed: ParsedRequest) -> FormularyNote | None:
    """The drug formulary status of a drug request on the UR date (only from 2018)."""
    if not parsed.drug:
        return None
    from openimr.library.formulary import formulary_status

    entry = formulary_status(
        parsed.drug, case.decision_date, compounded=parsed.treatment == "topical-compound"
    )
    if entry is None:
        return None
    return FormularyNote(
        drug=entry.drug,
        status=str(entry.status),
        prospective_review=entry.prospective_review,
        special_fill=entry.special_fill,
        perioperative_fill=entry.perioperative_fill,
        list_version=entry.list_version,
        confidence=str(entry.confidence),
        citation=entry.citation,
    )


def review_item(
    case: Case,
    item: DisputedItem,
    facts: list[Fact],
    library: Library,
    parsed: ParsedRequest,
    order: Callable[[Fact], tuple[object, ...]],
    surgery: Outcome | None = None,
    abstain_below: float | None = None,
) -> ItemDetermination:
    det = determine(case, parsed, facts, library, order, surgery=surgery)
    base = {
        "request": item.request,
        "treatment": parsed.treatment,
        "claims_administrator_guideline": item.guideline,
        "parsed": parsed,
        "formulary": formulary_note(case, parsed),
    }
    if not det.decided or det.version is None or det.criteria_set is None:
        return ItemDetermination(
            **base,
            decision=None,
            medically_necessary=None,
            needs_review=True,
            reason=det.reason,
            criteria_set=det.criteria_set.id if det.criteria_set else None,
            tier_note=det.tier_note,
        )
    searched = tuple(r.path for r in case.records)
    results = to_results(det.evaluated, parsed, searched)
    sentences = write_rationale(det, parsed, parsed.disputed or item.request, facts)
    necessary = det.status is Status.MET
    conf = item_confidence(det.evaluated, det.status, library.plan_facts)
    decision: Literal["upheld", "overturned"] = "overturned" if necessary else "upheld"
    abstain = abstain_below is not None and conf.value < abstain_below
    checklist = tuple(
        dict.fromkeys(
            r.checklist
            for r in results
            if r.checklist and r.status in (Status.NOT_DOCUMENTED, Status.NOT_MET)
        )
    )
    return ItemDetermination(
        **base,
        decision=None if abstain else decision,
        medically_necessary=None if abstain else necessary,
        needs_review=abstain,
        reason=(
            f"confidence {conf.value:.2f} is below the threshold {abstain_below:.2f}"
            f" ({conf.basis}); the draft decision is {decision}"
            if abstain and abstain_below is not None
            else None
        ),
        confidence=conf.value,
        confidence_basis=conf.basis,
        draft_decision=decision,
        guidelines=guideline_refs(det.version, det.evaluated),
        criteria=tuple(results),
        rationale=" ".join(s.text for s in sentences),
        rationale_trace=tuple(
            RationaleSentence(
                text=s.text,
                criteria=tuple(s.criteria),
                citations=tuple(s.citations),
                evidence=tuple(dict.fromkeys(s.evidence)),
            )
            for s in sentences
        ),
        criteria_set=det.criteria_set.id,
        criteria_version=det.version.id,
        evidence_tier=det.version.tier,
        tier_note=det.tier_note,
        checklist=checklist,
    )


def review_case(
    case: Case,
    *,
    library: Library | None = None,
    parse: RequestParser | None = None,
    abstain_below: float | None = DEFAULT_ABSTAIN_BELOW,
) -> CaseReview:
    """Review a case. Items whose confidence is below ``abstain_below`` go to a person
    (``needs_review``, with the draft decision and the reason); None decides every item."""
    lib = library or default_library()
    parser = parse or parse_request
    facts = extract_facts(case.records)
    parsed = [parser(item.request) for item in case.utilization_review.items]
    order = fact_order(case)
    results: dict[int, ItemDetermination] = {}
    # surgeries first: their pre- and post-operative items depend on them
    surgery: Outcome | None = None
    for i, (item, p) in enumerate(zip(case.utilization_review.items, parsed, strict=True)):
        if _is_surgery(p):
            results[i] = review_item(case, item, facts, lib, p, order, None, abstain_below)
            decision = results[i].draft_decision
            status = (
                Status.NOT_DOCUMENTED
                if decision is None
                else Status.MET
                if decision == "overturned"
                else Status.NOT_MET
            )
            if surgery is None or status is not Status.MET:
                surgery = Outcome(status, values={"surgery": item.request})
    for i, (item, p) in enumerate(zip(case.utilization_review.items, parsed, strict=True)):
        if i not in results:
            results[i] = review_item(
                case, item, facts, lib, p, order, surgery=surgery, abstain_below=abstain_below
            )
    items = tuple(results[i] for i in range(len(parsed)))
    summary, evidence = write_summary(case, facts, order)
    return CaseReview(
        case_id=case.case_id,
        summary=summary,
        items=items,
        summary_evidence=tuple(dict.fromkeys(evidence)) if evidence else tuple[Evidence, ...](),
        library_version=__version__,
        engine_version=__version__,
    )
