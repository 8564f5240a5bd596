"""Score fact extraction against a hand-annotated gold set.

Gold set layout (documented in docs/extraction.md)::

    GOLD/
      records/<name>.txt|.md|.pdf|.json     the records (any form openimr reads)
      annotations/<name>.yaml               the facts a careful reader finds in each

An annotation file::

    record: records/2014-02-03-pr2.txt
    facts:
      - {fact: objective_radiculopathy, value: true, quote: "Straight leg raise is positive"}
      - {fact: prior_visits, value: 12, qualifier: physical-therapy, quote: "12 sessions"}
      - {fact: radicular_symptoms, value: false, quote: "denies numbness"}

Mentions are scored apart by context class: a gold fact may carry ``context: negated |
historical | hypothetical | family`` (a ``false`` value without one is ``negated``, any other
``plain``). Mentions that state no fact — a risk listed in a consent, a question put to an
examiner, a plan, a family member's illness — are listed under ``absent:`` as
``{fact, quote, context[, value]}``: a prediction of that fact (and value, when given) whose
span overlaps the quote is a false positive on a must-not fact. ``scored_from: <quote>``
scores only the text from that quote on (a publisher's header that is no part of the record).

A predicted fact matches a gold fact when the name is the same, the value is the same
(numbers within 0.5, strings compared case-insensitively by containment), the qualifier is
the same when the gold fact has one, and the predicted span overlaps the place of the gold
quote in the record. Each gold fact matches at most one prediction and the other way round.

The fact types scored are those listed in ``GOLD/scored.yaml`` (``facts: [...]``) when it
exists, else those the annotations use; summary clauses are never scored. ``GOLD/SPLIT.md``
lists the held-out records as bullets (``- records/<name>``): ``split="dev"`` scores the
others, ``split="held-out"`` those.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from openimr.errors import OpenIMRError
from openimr.extract.derive import unique
from openimr.extract.extractor import Extractor, default_extractor
from openimr.model import Record
from openimr.records import read_record
from openimr.yamlio import LoadedYaml, load_yaml_file, validated

CONTEXTS = ("plain", "negated", "historical", "hypothetical", "family")
NOT_SCORED = {"complaint", "exam_finding", "plan_item", "treatment_to_date", "mechanism_of_injury"}
SPLITS = ("all", "dev", "held-out")
_SPLIT_LINE = re.compile(r"^\s*[-*]\s+`?(records/[^\s`]+)`?\s*$", re.MULTILINE)


@dataclass(frozen=True)
class GoldFact:
    fact: str
    value: Any
    qualifier: str | None
    start: int
    end: int
    line: int | None
    quote: str = ""
    context: str = "plain"


@dataclass(frozen=True)
class MustNot:
    """A mention that states no fact: a prediction of ``fact`` (and ``value``) overlapping it is wrong."""

    fact: str
    value: Any
    start: int
    end: int
    context: str
    quote: str


@dataclass
class Annotation:
    facts: list[GoldFact]
    absent: list[MustNot] = field(default_factory=list)
    scored_from: int = 0


@dataclass
class ContextScore:
    """Gold facts of one context class found and missed, and must-not facts produced."""

    tp: int = 0
    fn: int = 0
    must_not: int = 0
    must_not_fp: int = 0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class TypeScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class GoldReport:
    by_type: dict[str, TypeScore] = field(default_factory=lambda: defaultdict(TypeScore))
    records: int = 0
    gold_facts: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    by_context: dict[str, ContextScore] = field(
        default_factory=lambda: {c: ContextScore() for c in CONTEXTS}
    )
    must_not_hits: list[str] = field(default_factory=list)

    def overall(self) -> TypeScore:
        total = TypeScore()
        for s in self.by_type.values():
            total.tp += s.tp
            total.fp += s.fp
            total.fn += s.fn
        return total

    def as_dict(self) -> dict[str, Any]:
        o = self.overall()
        return {
            "records": self.records,
            "gold_facts": self.gold_facts,
            "overall": {
                "precision": round(o.precision, 4),
                "recall": round(o.recall, 4),
                "f1": round(o.f1, 4),
                "tp": o.tp,
                "fp": o.fp,
                "fn": o.fn,
            },
            "by_type": {
                k: {
                    "precision": round(v.precision, 4),
                    "recall": round(v.recall, 4),
                    "f1": round(v.f1, 4),
                    "tp": v.tp,
                    "fp": v.fp,
                    "fn": v.fn,
                }
                for k, v in sorted(self.by_type.items())
            },
            "by_context": {
                k: {
                    "gold": v.tp + v.fn,
                    "found": v.tp,
                    "missed": v.fn,
                    "recall": round(v.recall, 4),
                    "must_not": v.must_not,
                    "must_not_produced": v.must_not_fp,
                }
                for k, v in self.by_context.items()
            },
        }


def _values_match(pred: Any, gold: Any) -> bool:
    if isinstance(gold, bool) or isinstance(pred, bool):
        return pred is gold
    if isinstance(gold, (int, float)) and isinstance(pred, (int, float)):
        return abs(float(pred) - float(gold)) <= 0.5
    g, p = " ".join(str(gold).lower().split()), " ".join(str(pred).lower().split())
    return g in p or p in g


def _locate(
    text: str,
    quote: str,
    cursor: dict[str, int],
    rec: str,
    path: Path,
    line: int | None,
    origin: int = 0,
) -> int:
    """The place of the n-th annotation of ``quote``: its n-th occurrence from ``origin`` on."""
    start = text.find(quote, cursor.get(quote, origin))
    if start < 0:
        start = text.find(quote, origin)
    if start < 0:
        raise OpenIMRError(f"quote {quote!r} is not in {rec}", file=str(path), line=line)
    cursor[quote] = start + 1
    return start


def _context(value: object, path: Path, line: int | None, default: str) -> str:
    ctx = default if value is None else str(value)
    if ctx not in CONTEXTS:
        raise OpenIMRError(
            f"unknown context {ctx!r}: use one of {', '.join(CONTEXTS)}",
            file=str(path),
            field="context",
            line=line,
        )
    return ctx


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _GoldEntry(_Entry):
    """A fact the record states: ``fact``, ``value``, the ``quote`` it rests on."""

    fact: str
    value: Any
    quote: str
    qualifier: str | int | float | None = None
    context: str | None = None


class _AbsentEntry(_Entry):
    """A mention that states no fact (hypothetical, historical or family)."""

    fact: str
    quote: str
    context: str
    value: Any = None
    qualifier: str | int | float | None = None  # read by the annotator, not scored


class _AnnotationFile(_Entry):
    """One annotation file: the record, where scoring starts, its facts and must-nots."""

    record: str
    facts: list[_GoldEntry]
    absent: list[_AbsentEntry] | None = None
    scored_from: str | None = None


class _ScoredFile(_Entry):
    facts: list[str]


def _scored_start(data: _AnnotationFile, text: str, path: Path) -> int:
    if data.scored_from is None:
        return 0
    pos = text.find(data.scored_from)
    if pos < 0:
        raise OpenIMRError(
            f"scored_from {data.scored_from!r} is not in {data.record}",
            file=str(path),
            field="scored_from",
        )
    return pos


def _gold_facts(
    data: _AnnotationFile, doc: LoadedYaml, text: str, path: Path, scored_from: int
) -> list[GoldFact]:
    facts: list[GoldFact] = []
    cursor: dict[str, int] = {}
    for i, f in enumerate(data.facts):
        line = doc.line_of(("facts", i))
        start = _locate(text, f.quote, cursor, data.record, path, line, scored_from)
        default = "negated" if f.value is False else "plain"
        facts.append(
            GoldFact(
                f.fact,
                f.value,
                None if f.qualifier is None else str(f.qualifier),
                start,
                start + len(f.quote),
                line,
                f.quote,
                _context(f.context, path, line, default),
            )
        )
    return facts


def _must_nots(
    data: _AnnotationFile, doc: LoadedYaml, text: str, path: Path, scored_from: int
) -> list[MustNot]:
    absent: list[MustNot] = []
    cursor: dict[str, int] = {}
    for i, f in enumerate(data.absent or []):
        line = doc.line_of(("absent", i))
        start = _locate(text, f.quote, cursor, data.record, path, line, scored_from)
        ctx = _context(f.context, path, line, "plain")
        if ctx in ("plain", "negated"):
            raise OpenIMRError(
                "an absent entry's context is hypothetical, historical or family",
                file=str(path),
                line=line,
            )
        absent.append(MustNot(f.fact, f.value, start, start + len(f.quote), ctx, f.quote))
    return absent


def load_annotations(gold_dir: Path, record_text: dict[str, str]) -> dict[str, Annotation]:
    """Every ``GOLD/annotations/*.yaml``, validated, each quote placed in its record."""
    out: dict[str, Annotation] = {}
    for path in sorted((gold_dir / "annotations").glob("*.yaml")):
        doc = load_yaml_file(path)
        data = validated(doc, _AnnotationFile, OpenIMRError)
        if data.record not in record_text:
            raise OpenIMRError(
                f"record {data.record!r} is not in the gold set's records/",
                file=str(path),
                field="record",
            )
        text = record_text[data.record]
        scored_from = _scored_start(data, text, path)
        out[data.record] = Annotation(
            _gold_facts(data, doc, text, path, scored_from),
            _must_nots(data, doc, text, path, scored_from),
            scored_from,
        )
    return out


def load_records(gold_dir: Path) -> list[Record]:
    """The records of a gold set (``GOLD/records/*``), named ``records/<file name>``."""
    rec_dir = gold_dir / "records"
    if not rec_dir.is_dir():
        raise OpenIMRError(f"{gold_dir}: no records/ directory")
    return [
        read_record(p, f"records/{p.name}")
        for p in sorted(rec_dir.iterdir())
        if p.is_file() and not p.name.startswith(".")
    ]


def load_scored(gold_dir: Path) -> set[str] | None:
    """The fact types ``GOLD/scored.yaml`` lists, or None when there is no such file."""
    path = gold_dir / "scored.yaml"
    if not path.is_file():
        return None
    return set(validated(load_yaml_file(path), _ScoredFile, OpenIMRError).facts)


def load_held_out(gold_dir: Path) -> set[str]:
    """The held-out records listed as bullets (``- records/<name>``) in ``GOLD/SPLIT.md``."""
    path = gold_dir / "SPLIT.md"
    if not path.is_file():
        return set()
    return set(_SPLIT_LINE.findall(path.read_text(encoding="utf-8")))


def score(
    gold_dir: Path,
    records: list[Record],
    extractor: Extractor | None = None,
    split: str = "all",
    prefix: str | tuple[str, ...] | None = None,
    exclude_prefix: str | tuple[str, ...] | None = None,
) -> GoldReport:
    """Score ``extractor`` on the gold set; ``prefix`` keeps only the records whose file name
    starts with it (or with one of a tuple of prefixes), ``exclude_prefix`` leaves those out."""
    if split not in SPLITS:
        raise OpenIMRError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    ex = extractor or default_extractor()
    text = {r.path: r.text for r in records}
    gold = load_annotations(gold_dir, text)
    held_out = load_held_out(gold_dir)
    unknown = held_out - set(text)
    if unknown:
        raise OpenIMRError(
            f"SPLIT.md names records not in records/: {', '.join(sorted(unknown))}",
            file=str(gold_dir / "SPLIT.md"),
        )
    report = GoldReport()
    scored = load_scored(gold_dir)
    if scored is None:
        scored = {g.fact for ann in gold.values() for g in ann.facts} | {
            m.fact for ann in gold.values() for m in ann.absent
        }
    scored -= NOT_SCORED
    for rec in records:
        if rec.path not in gold:
            continue
        if (split == "dev" and rec.path in held_out) or (
            split == "held-out" and rec.path not in held_out
        ):
            continue
        name = rec.path.removeprefix("records/")
        if (prefix and not name.startswith(prefix)) or (
            exclude_prefix and name.startswith(exclude_prefix)
        ):
            continue
        ann = gold[rec.path]
        report.records += 1
        expected = [g for g in ann.facts if g.fact in scored]
        report.gold_facts += len(expected)
        predicted = unique(
            [
                f
                for f in ex.extract(rec)
                if f.name in scored and (not f.spans or f.spans[0].end > ann.scored_from)
            ]
        )
        used: set[int] = set()
        for g in expected:
            hit = None
            for j, p in enumerate(predicted):
                if j in used or p.name != g.fact or not p.spans:
                    continue
                if g.qualifier is not None and p.qualifier not in (g.qualifier, "*"):
                    continue
                span = p.spans[0]
                if span.start < g.end and g.start < span.end and _values_match(p.value, g.value):
                    hit = j
                    break
            ctx_score = report.by_context[g.context]
            if hit is None:
                report.by_type[g.fact].fn += 1
                ctx_score.fn += 1
                qual = f"[{g.qualifier}]" if g.qualifier else ""
                report.misses.append(
                    f"{rec.path}: {g.fact}{qual}={g.value!r} ({g.context}) at {g.start} "
                    f"{_short(g.quote)!r}"
                )
            else:
                used.add(hit)
                report.by_type[g.fact].tp += 1
                ctx_score.tp += 1
        for j, p in enumerate(predicted):
            if j not in used:
                report.by_type[p.name].fp += 1
                qual = f"[{p.qualifier}]" if p.qualifier else ""
                report.extras.append(
                    f"{rec.path}: {p.name}{qual}={p.value!r} at {p.spans[0].start} "
                    f"{_short(p.spans[0].quote)!r}"
                )
        for m in ann.absent:
            if m.fact not in scored:
                continue
            ctx_score = report.by_context[m.context]
            ctx_score.must_not += 1
            wrong = [
                p
                for p in predicted
                if p.name == m.fact
                and p.spans
                and p.spans[0].start < m.end
                and m.start < p.spans[0].end
                and (m.value is None or _values_match(p.value, m.value))
            ]
            if wrong:
                ctx_score.must_not_fp += 1
                report.must_not_hits.append(
                    f"{rec.path}: {m.fact}={wrong[0].value!r} ({m.context}) at {m.start} "
                    f"{_short(m.quote)!r}"
                )
    return report


def _short(text: str, n: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 3] + "..."


def format_report(report: GoldReport) -> str:
    lines = [f"gold set: {report.records} records, {report.gold_facts} annotated facts", ""]
    lines.append(f"{'fact type':<36} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
    for name, s in sorted(report.by_type.items()):
        lines.append(
            f"{name:<36} {s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f} {s.tp:>5} {s.fp:>5} {s.fn:>5}"
        )
    o = report.overall()
    lines.append(
        f"{'overall':<36} {o.precision:>6.3f} {o.recall:>6.3f} {o.f1:>6.3f} {o.tp:>5} {o.fp:>5} {o.fn:>5}"
    )
    lines += [
        "",
        "by context class (must-not: mentions that state no fact; produced: predicted anyway)",
        f"{'context':<14} {'gold':>5} {'found':>6} {'missed':>6} {'recall':>7} "
        f"{'must-not':>9} {'produced':>9}",
    ]
    for name, c in report.by_context.items():
        lines.append(
            f"{name:<14} {c.tp + c.fn:>5} {c.tp:>6} {c.fn:>6} {c.recall:>7.3f} "
            f"{c.must_not:>9} {c.must_not_fp:>9}"
        )
    return "\n".join(lines) + "\n"
