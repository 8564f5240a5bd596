"""Is the requested treatment new, or a continuation? Burden of documentation.

In IMR the requesting physician carries the burden of documenting medical necessity: the
reviewer decides on the records submitted under the Labor Code 4610.5(c)(2) standards, and
what they do not document is not established (how reviewers apply the standards [K]). Many criteria apply only to a treatment already given ("when therapy was given
before, its visit count and functional improvement are documented"; "for continued use,
analgesia and function are documented"). Whether the treatment was given before is itself a
fact the records must establish: when they are silent, the engine does not read silence as a
first course.

A fact of the vocabulary declares how its silence is read in a ``when`` (``when_silent`` in
``facts/*.yaml``):

- ``burden``: prior use of the requested treatment itself (``prior_therapy``,
  ``medication_in_use``). Silence is settled by the request and the case: words of
  continuation in the request ("additional", "continued", "refill", the remaining portion of
  a modified request) establish a continuation; words of a first course ("initial trial") or an
  acute injury establish a first course; otherwise the condition is **not established** and
  the criterion applies, so its requirement is ``not_documented`` unless the records meet it.
- ``evidence``: a prior study or procedure (``prior_imaging``, ``prior_esi`` ...; and
  ``prior_therapy`` when the request is an injection: an earlier block, neurotomy or series
  is a prior procedure, ``when_silent_by_category`` in ``facts/core.yaml``). The
  guideline's repeat criteria apply when the request or the records show a repeat ("repeat
  MRI", "second epidural"); silence is read as no prior study, the guidelines' own default for a
  first study (a repeat is what they single out).
- ``not_applicable`` (the default): the condition does not apply unless the records state it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from openimr.model import Case, Fact, ParsedRequest

CourseKind = Literal["continuation", "first"]

# words of the request that make it a continuation of a treatment already given
_CONTINUATION = re.compile(
    r"\b(additional|continued|continue|continuing|continuation|further|more|extension|extend"
    r"|extended|refills?|remaining|ongoing|renewal|renew|maintenance|another)\b",
    re.IGNORECASE,
)
# words of the request that make a study or a procedure a repeat
_REPEAT = re.compile(
    r"\b(repeat|repeated|updated?|new|follow[- ]?up|second|2nd|third|3rd|another|again)\b",
    re.IGNORECASE,
)
# words of the request that make it a first course
_FIRST = re.compile(r"\b(initial|first|trial|new\s+prescription|start|begin)\b", re.IGNORECASE)
# an injury this recent is in its acute phase: a first course of care (ACOEM 2004,
# Chapter 1: acute up to about one month) [K]
ACUTE_DAYS = 28


@dataclass(frozen=True)
class Course:
    kind: CourseKind | None
    reason: str

    @property
    def established(self) -> bool:
        return self.kind is not None


def infer_course(
    case: Case,
    request: ParsedRequest,
    mode: str,
    history: Fact | None = None,
    start: Fact | None = None,
) -> Course:
    """What the request and the case establish about a prior course of the requested
    treatment, for a fact whose silence is read in ``mode`` (``burden`` or ``evidence``).
    ``history`` is the records' account of the treatment to date, when they give one and
    the question is a therapy's (not a drug's: "medications" in such an account names no
    drug): a therapy it does not name was not given. ``start`` is the physician's plan to
    start the requested therapy or drug ("we will start a course of physical therapy",
    "the plan is to start gabapentin"): with no record of it given, a first course."""
    text = request.disputed or request.text
    if mode == "evidence":
        m = _REPEAT.search(text)
        if m:
            return Course("continuation", f"the request is for a repeat ('{m.group(0)}')")
        return Course("first", "no record or request mentions an earlier study or procedure")
    if request.modified:
        return Course(
            "continuation",
            "the disputed item is the remaining portion of a request the UR modified",
        )
    m = _CONTINUATION.search(text)
    if m:
        return Course(
            "continuation", f"the request is for continued treatment ('{m.group(0).lower()}')"
        )
    m = _FIRST.search(text)
    if m and not re.search(r"\b(trials?|course)\s+(of\s+)?\d+\s+completed", text, re.I):
        return Course("first", f"the request is for a first course ('{m.group(0).lower()}')")
    if start is not None:
        return Course(
            "first",
            "the physician's plan starts the treatment, and no record mentions it as given",
        )
    if history is not None:
        return Course(
            "first",
            "the records' account of the treatment to date does not name it, and no record"
            " mentions it as given",
        )
    days = (case.decision_date - case.patient.date_of_injury).days
    if 0 <= days <= ACUTE_DAYS:
        return Course("first", f"the injury was {days} days before the UR decision (acute phase)")
    return Course(None, "the records do not establish whether the treatment was given before")
