"""Extraction against the hand-annotated gold set (tests/gold): F1 overall and per fact type.

The thresholds are the ones issue 3 sets: F1 at least 0.90 over the whole set and at least
0.80 for every scored fact type. The table is printed (``pytest -s``) so a change that
lowers a figure shows where.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from openimr.extract.gold import (
    GoldReport,
    format_report,
    load_held_out,
    load_records,
    load_scored,
    score,
)

GOLD = Path(__file__).resolve().parent / "gold"
MIN_OVERALL_F1 = 0.90
MIN_TYPE_F1 = 0.80


@pytest.fixture(scope="module")
def report() -> GoldReport:
    rep = score(GOLD, load_records(GOLD))
    print("\n" + format_report(rep))
    return rep


def test_the_gold_set_is_big_enough_and_held_out_records_are_listed() -> None:
    records = load_records(GOLD)
    held_out = load_held_out(GOLD)
    assert len(records) >= 40
    assert len(held_out) >= 10
    assert held_out <= {r.path for r in records}


def test_every_scored_type_is_annotated(report: GoldReport) -> None:
    scored = load_scored(GOLD)
    assert scored is not None
    annotated = {name for name, s in report.by_type.items() if s.tp + s.fn > 0}
    assert scored <= annotated, f"scored but never annotated: {sorted(scored - annotated)}"
    assert report.gold_facts >= 400


def test_f1_overall(report: GoldReport) -> None:
    overall = report.overall()
    assert overall.f1 >= MIN_OVERALL_F1, f"F1 {overall.f1:.3f} < {MIN_OVERALL_F1}"


def test_f1_per_fact_type(report: GoldReport) -> None:
    low = {name: round(s.f1, 3) for name, s in sorted(report.by_type.items()) if s.f1 < MIN_TYPE_F1}
    assert not low, f"fact types below F1 {MIN_TYPE_F1}: {low}"


def test_the_held_out_split_is_scored_apart() -> None:
    records = load_records(GOLD)
    held = score(GOLD, records, split="held-out")
    dev = score(GOLD, records, split="dev")
    assert held.records == len(load_held_out(GOLD))
    assert held.records + dev.records == len(records)
    assert held.gold_facts + dev.gold_facts == score(GOLD, records).gold_facts
