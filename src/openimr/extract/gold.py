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

from openimr.errors import OpenIMRError
from openimr.extract.extractor import Extractor, default_extractor
from openimr.model import Fact, Record
from openimr.records import read_record
from openimr.yamlio import load_yaml_file

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
        }


def _values_match(pred: Any, gold: Any) -> bool:
    if isinstance(gold, bool) or isinstance(pred, bool):
        return pred is gold
    if isinstance(gold, (int, float)) and isinstance(pred, (int, float)):
        return abs(float(pred) - float(gold)) <= 0.5
    g, p = " ".join(str(gold).lower().split()), " ".join(str(pred).lower().split())
    return g in p or p in g


def load_annotations(gold_dir: Path, record_text: dict[str, str]) -> dict[str, list[GoldFact]]:
    out: dict[str, list[GoldFact]] = {}
    for path in sorted((gold_dir / "annotations").glob("*.yaml")):
        doc = load_yaml_file(path)
        data = doc.data
        if (
            not isinstance(data, dict)
            or "record" not in data
            or not isinstance(data.get("facts"), list)
        ):
            raise OpenIMRError(
                "an annotation file needs 'record' and a 'facts' list", file=str(path)
            )
        rec = str(data["record"])
        if rec not in record_text:
            raise OpenIMRError(
                f"record {rec!r} is not in the gold set's records/", file=str(path), field="record"
            )
        text = record_text[rec]
        facts: list[GoldFact] = []
        cursor: dict[str, int] = {}
        for i, f in enumerate(data["facts"]):
            line = doc.line_of(("facts", i))
            if not isinstance(f, dict) or not {"fact", "value", "quote"} <= set(f):
                raise OpenIMRError(
                    "each fact needs fact, value and quote", file=str(path), line=line
                )
            quote = str(f["quote"])
            # the n-th annotation of the same quote points at its n-th occurrence
            start = text.find(quote, cursor.get(quote, 0))
            if start < 0:
                start = text.find(quote)
            if start < 0:
                raise OpenIMRError(f"quote {quote!r} is not in {rec}", file=str(path), line=line)
            cursor[quote] = start + 1
            qualifier = f.get("qualifier")
            facts.append(
                GoldFact(
                    str(f["fact"]),
                    f["value"],
                    None if qualifier is None else str(qualifier),
                    start,
                    start + len(quote),
                    line,
                    quote,
                )
            )
        out[rec] = facts
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
    doc = load_yaml_file(path)
    data = doc.data
    facts = data.get("facts") if isinstance(data, dict) else None
    if not isinstance(facts, list) or not all(isinstance(f, str) for f in facts):
        raise OpenIMRError("scored.yaml needs a 'facts' list of fact names", file=str(path))
    return set(facts)


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
) -> GoldReport:
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
        scored = {g.fact for facts in gold.values() for g in facts}
    scored -= NOT_SCORED
    for rec in records:
        if rec.path not in gold:
            continue
        if (split == "dev" and rec.path in held_out) or (
            split == "held-out" and rec.path not in held_out
        ):
            continue
        report.records += 1
        expected = [g for g in gold[rec.path] if g.fact in scored]
        report.gold_facts += len(expected)
        predicted = _dedupe([f for f in ex.extract(rec) if f.name in scored])
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
            if hit is None:
                report.by_type[g.fact].fn += 1
                qual = f"[{g.qualifier}]" if g.qualifier else ""
                report.misses.append(
                    f"{rec.path}: {g.fact}{qual}={g.value!r} at {g.start} {_short(g.quote)!r}"
                )
            else:
                used.add(hit)
                report.by_type[g.fact].tp += 1
        for j, p in enumerate(predicted):
            if j not in used:
                report.by_type[p.name].fp += 1
                qual = f"[{p.qualifier}]" if p.qualifier else ""
                report.extras.append(
                    f"{rec.path}: {p.name}{qual}={p.value!r} at {p.spans[0].start} "
                    f"{_short(p.spans[0].quote)!r}"
                )
    return report


def _short(text: str, n: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[: n - 3] + "..."


def _dedupe(facts: list[Fact]) -> list[Fact]:
    """One prediction per (fact, value, qualifier, sentence): several phrases in one sentence count once."""
    seen: set[tuple[object, ...]] = set()
    out: list[Fact] = []
    for f in facts:
        key = (f.name, f.value, f.qualifier, f.spans[0].start if f.spans else None)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


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
    return "\n".join(lines) + "\n"
