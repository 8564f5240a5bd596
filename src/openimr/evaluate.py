"""Measure openimr against real decisions: ``openimr evaluate DIR``.

Every case directory under DIR that has an ``expected.yaml`` is reviewed; each item is
compared with the real reviewer's decision and cited guideline. Figures: item agreement
(needs_review counts as not agreeing), agreement on decided items, recall for upheld and for
overturned, the confusion table, agreement per treatment, agreement of the cited guideline
(MTUS or not, and chapter), the share of items left to a person, and every disagreement.
This is a measuring tool, not a test of particular cases.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from openimr.errors import OpenIMRError
from openimr.model import ItemDetermination
from openimr.render.wording import guideline_wording
from openimr.yamlio import load_yaml_file, validated

CHAPTERS: tuple[tuple[str, str], ...] = (
    (r"chronic pain", "chronic-pain"),
    (r"opioid", "opioids"),
    (r"acupuncture", "acupuncture"),
    (r"post-?surgical", "postsurgical"),
    (r"low back|lumbar", "low-back"),
    (r"neck|cervical|upper back", "neck"),
    (r"shoulder", "shoulder"),
    (r"knee|leg", "knee"),
    (r"elbow", "elbow"),
    (r"forearm|wrist|hand", "hand-wrist"),
    (r"ankle|foot", "ankle-foot"),
    (r"hip|pelvis|groin", "hip"),
    (r"general approach|initial approach|independent medical exam|consultation", "general"),
    (r"stress|mental|psych", "mental"),
    (r"formulary", "formulary"),
)


def guideline_key(text: str | None) -> tuple[bool | None, str | None]:
    """(MTUS or not, chapter) of a guideline citation as letters write it."""
    if not text:
        return None, None
    lowered = " ".join(text.lower().split())
    if "did not cite" in lowered:
        return None, None
    mtus = bool(re.search(r"decision based on (?:the )?mtus|^mtus", lowered)) and not (
        "did not base" in lowered or "outside of the mtus" in lowered
    )
    # the chapter named first after "Decision based on" decides
    body = lowered.split("decision based on", 1)[-1]
    best: tuple[int, str] | None = None
    for pattern, key in CHAPTERS:
        m = re.search(pattern, body)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), key)
    return mtus, best[1] if best else None


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass
class ItemOutcome:
    case: str
    request: str
    treatment: str | None
    expected: str
    got: str | None
    needs_review: bool
    reason: str | None
    expected_mtus: bool | None
    got_mtus: bool | None
    expected_chapter: str | None
    got_chapter: str | None
    confidence: float | None = None
    draft: str | None = None
    family: str = "(not recognized)"
    """The request catalogue's category, medications collapsed into one family."""
    """The engine's decision before abstention (equal to ``got`` when it decided)."""

    @property
    def agrees(self) -> bool:
        return self.got == self.expected

    @property
    def guideline_agrees(self) -> bool | None:
        if self.expected_mtus is None or self.got is None:
            return None
        return self.expected_mtus == self.got_mtus and self.expected_chapter == self.got_chapter


@dataclass
class Evaluation:
    items: list[ItemOutcome] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        items = self.items
        n = len(items)
        decided = [i for i in items if i.got is not None]

        def rate(num: int, den: int) -> float | None:
            return round(num / den, 4) if den else None

        confusion: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for i in items:
            confusion[i.expected][i.got or "needs_review"] += 1
        per_treatment: dict[str, dict[str, Any]] = {}
        groups: dict[str, list[ItemOutcome]] = defaultdict(list)
        for i in items:
            groups[i.treatment or "(unmatched)"].append(i)
        for t, group in sorted(groups.items()):
            per_treatment[t] = {
                "items": len(group),
                "agree": sum(g.agrees for g in group),
                "agreement": rate(sum(g.agrees for g in group), len(group)),
                "needs_review": sum(g.needs_review for g in group),
            }
        up = [i for i in items if i.expected == "upheld"]
        ov = [i for i in items if i.expected == "overturned"]
        g_items = [i for i in items if i.guideline_agrees is not None]
        mtus_items = [i for i in decided if i.expected_mtus is not None]
        return {
            "cases": len({i.case for i in items}) + len(self.errors),
            "items": n,
            "agreement": rate(sum(i.agrees for i in items), n),
            "agreement_decided": rate(sum(i.agrees for i in decided), len(decided)),
            "decided": len(decided),
            "needs_review": sum(i.needs_review for i in items),
            "needs_review_rate": rate(sum(i.needs_review for i in items), n),
            "recall_upheld": rate(sum(i.agrees for i in up), len(up)),
            "recall_overturned": rate(sum(i.agrees for i in ov), len(ov)),
            "always_uphold_baseline": rate(len(up), n),
            "confusion": {k: dict(v) for k, v in confusion.items()},
            "per_treatment": per_treatment,
            "guideline_mtus_agreement": rate(
                sum(i.expected_mtus == i.got_mtus for i in mtus_items), len(mtus_items)
            ),
            "guideline_agreement": rate(
                sum(bool(i.guideline_agrees) for i in g_items), len(g_items)
            ),
            "disagreements": [
                {
                    "case": i.case,
                    "request": i.request,
                    "treatment": i.treatment,
                    "expected": i.expected,
                    "got": i.got or "needs_review",
                    **({"reason": i.reason} if i.reason else {}),
                }
                for i in items
                if not i.agrees
            ],
            "per_family": per_family(items),
            "risk_coverage": risk_coverage(items),
            "errors": self.errors,
        }


def family_of(category: str | None) -> str:
    if category is None:
        return "(not recognized)"
    return "medications" if category.startswith("medications") else category


def per_family(items: list[ItemOutcome]) -> dict[str, dict[str, int]]:
    """Per family of treatment: items, real overturns, agreeing, wrongly overturned, overturns
    missed, left to a person (the breakdown analysts read errors by)."""
    out: dict[str, dict[str, int]] = {}
    for i in items:
        row = out.setdefault(
            i.family,
            {
                "items": 0,
                "real_overturns": 0,
                "agree": 0,
                "wrongly_overturned": 0,
                "overturn_missed": 0,
                "left_to_a_person": 0,
            },
        )
        row["items"] += 1
        row["real_overturns"] += i.expected == "overturned"
        row["agree"] += i.agrees
        row["wrongly_overturned"] += i.expected == "upheld" and i.got == "overturned"
        row["overturn_missed"] += i.expected == "overturned" and i.got == "upheld"
        row["left_to_a_person"] += i.got is None
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["items"]))


COVERAGES = (1.0, 0.95, 0.9, 0.8, 0.7)


def risk_coverage(items: list[ItemOutcome]) -> list[dict[str, Any]]:
    """Agreement of the engine's draft decisions when it decides only the most confident
    share of the items (the rest going to a person): the curve a threshold is chosen from.
    Items with no draft decision (no criteria set) rank last and count as not agreeing."""
    ranked = sorted(
        items,
        key=lambda i: -(i.confidence if i.draft is not None and i.confidence is not None else -1),
    )
    out = []
    for cov in COVERAGES:
        k = max(1, round(cov * len(ranked))) if ranked else 0
        chosen = ranked[:k]
        agree = sum(i.draft == i.expected for i in chosen)
        up = [i for i in chosen if i.draft == "overturned"]
        out.append(
            {
                "coverage": cov,
                "items": k,
                "agreement": round(agree / k, 4) if k else None,
                "overturned": len(up),
                "overturn_precision": (
                    round(sum(i.expected == "overturned" for i in up) / len(up), 4) if up else None
                ),
                "min_confidence": (
                    chosen[-1].confidence if chosen and chosen[-1].draft is not None else None
                ),
            }
        )
    return out


def find_cases(root: Path) -> list[Path]:
    if (root / "expected.yaml").is_file():
        return [root]
    return sorted(
        p.parent for p in root.rglob("expected.yaml") if (p.parent / "case.yaml").is_file()
    )


class ExpectedItem(BaseModel):
    """A disputed item's real decision in ``expected.yaml`` (other keys are notes, kept out)."""

    model_config = ConfigDict(extra="ignore")
    request: str
    decision: Literal["upheld", "overturned"]
    guideline: str | None = None

    @field_validator("decision", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class ExpectedFile(BaseModel):
    """``expected.yaml``: the real letter's decisions, item by item."""

    model_config = ConfigDict(extra="ignore")
    items: list[ExpectedItem]


def _expected_items(path: Path) -> list[ExpectedItem]:
    file = path / "expected.yaml"
    return validated(load_yaml_file(file), ExpectedFile, OpenIMRError).items


def _match(
    expected: ExpectedItem, got: list[ItemDetermination], index: int
) -> ItemDetermination | None:
    want = _norm(expected.request)
    for item in got:
        if _norm(item.request) == want:
            return item
    return got[index] if index < len(got) else None


def evaluate_cases(
    cases: list[Path],
    review: Callable[[Path], list[ItemDetermination]],
    progress: Callable[[Iterator[Path], int], Iterator[Path]] | None = None,
) -> Evaluation:
    result = Evaluation()
    iterator: Iterator[Path] = iter(cases)
    if progress is not None:
        iterator = progress(iterator, len(cases))
    for case_dir in iterator:
        try:
            expected = _expected_items(case_dir)
            got = review(case_dir)
        except OpenIMRError as exc:
            result.errors.append({"case": str(case_dir), "error": str(exc)})
            continue
        for idx, exp in enumerate(expected):
            item = _match(exp, got, idx)
            exp_mtus, exp_chapter = guideline_key(exp.guideline)
            # our letter's guideline line, read the same way as the real letter's
            got_text = guideline_wording(item.guidelines) if item is not None else None
            got_mtus, got_chapter = guideline_key(got_text)
            result.items.append(
                ItemOutcome(
                    case=case_dir.name,
                    request=exp.request,
                    treatment=item.treatment if item else None,
                    expected=exp.decision,
                    got=item.decision if item else None,
                    needs_review=bool(item.needs_review) if item else True,
                    reason=item.reason if item else "item not found in the review",
                    expected_mtus=exp_mtus,
                    got_mtus=got_mtus,
                    expected_chapter=exp_chapter,
                    got_chapter=got_chapter,
                    confidence=item.confidence if item else None,
                    draft=item.draft_decision if item else None,
                    family=family_of(item.parsed.category if item and item.parsed else None),
                )
            )
    return result


def format_report(fig: dict[str, Any]) -> str:
    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{100 * v:.1f}%"

    lines = [
        f"cases: {fig['cases']}   items: {fig['items']}   decided: {fig['decided']}   "
        f"needs_review: {fig['needs_review']} ({pct(fig['needs_review_rate'])})",
        f"item agreement: {pct(fig['agreement'])} (decided items only: {pct(fig['agreement_decided'])}; "
        f"always-uphold baseline: {pct(fig['always_uphold_baseline'])})",
        f"recall upheld: {pct(fig['recall_upheld'])}   recall overturned: {pct(fig['recall_overturned'])}",
        f"cited guideline: MTUS-or-not {pct(fig['guideline_mtus_agreement'])}, "
        f"MTUS-or-not and chapter {pct(fig['guideline_agreement'])}",
        "",
        "confusion (rows: real reviewer, columns: openimr)",
    ]
    cols = ["upheld", "overturned", "needs_review"]
    lines.append(f"{'':>12} " + " ".join(f"{c:>13}" for c in cols))
    for row in ("upheld", "overturned"):
        counts = fig["confusion"].get(row, {})
        lines.append(f"{row:>12} " + " ".join(f"{counts.get(c, 0):>13}" for c in cols))
    lines.append("")
    lines.append(
        "risk-coverage (the engine decides only its most confident items; the rest go to a person)"
    )
    lines.append(
        f"  {'coverage':>8} {'items':>6} {'agreement':>10} {'overturned':>11} {'precision':>10} {'threshold':>10}"
    )
    for row in fig["risk_coverage"]:
        thr = "n/a" if row["min_confidence"] is None else f"{row['min_confidence']:.2f}"
        lines.append(
            f"  {pct(row['coverage']):>8} {row['items']:>6} {pct(row['agreement']):>10} "
            f"{row['overturned']:>11} {pct(row['overturn_precision']):>10} {thr:>10}"
        )
    lines.append("")
    lines.append(
        "per family (items, real overturns, agree, wrongly overturned, overturn missed, to a person)"
    )
    for fam, r in fig["per_family"].items():
        lines.append(
            f"  {fam:<28} {r['items']:>4} {r['real_overturns']:>4} {r['agree']:>4} "
            f"{r['wrongly_overturned']:>4} {r['overturn_missed']:>4} {r['left_to_a_person']:>4}"
        )
    lines.append("")
    lines.append("per treatment (items, agreement, needs_review)")
    for t, d in fig["per_treatment"].items():
        lines.append(f"  {t:<36} {d['items']:>4}  {pct(d['agreement']):>7}  {d['needs_review']:>3}")
    if fig["disagreements"]:
        lines.append("")
        lines.append("disagreements")
        for d in fig["disagreements"]:
            req = d["request"] if len(d["request"]) < 70 else d["request"][:67] + "..."
            lines.append(f"  {d['case']}  {req}  real: {d['expected']}  openimr: {d['got']}")
    if fig["errors"]:
        lines.append("")
        lines.append("cases that could not be read")
        for e in fig["errors"]:
            lines.append(f"  {e['case']}: {e['error']}")
    return "\n".join(lines) + "\n"


def count_by(items: list[ItemOutcome], attr: str) -> Counter[str]:
    return Counter(str(getattr(i, attr)) for i in items)
