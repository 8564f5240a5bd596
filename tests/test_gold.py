"""Extraction against the hand-annotated gold set (tests/gold): F1 overall and per fact type.

The thresholds are the ones issue 3 sets: F1 at least 0.90 over the records written for the
set and the corpus summaries, and at least 0.80 for every scored fact type. The records
written by others (``mts-*``) have floors of their own, at the figures measured when they
were added (docs/extraction.md): a change that lowers them fails. The second held-out split
of records written by others (``mtx-*``, all held out, annotated before the extractor was
ever run on them) is scored on its own, with floors at the figures first measured on it
(docs/figures.md). The development batches of records written by others (``mtd-*``) are
scored on their own too, with a floor below the figure first measured on them. The table is printed (``pytest -s``) so a change that lowers a figure
shows where.
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
OTHERS = "mts-"
"""The prefix of the records written by others."""
OTHERS_2 = "mtx-"
"""The prefix of the second held-out split of records written by others (all held out)."""
OTHERS_DEV = "mtd-"
"""The prefix of the development batches of records written by others (none held out)."""
# records written by others: floors a little under the figures measured on 2026-12-07
# (development 0.881, held-out 0.601), so that a change that lowers them fails
MIN_OTHERS_DEV_F1 = 0.85
MIN_OTHERS_HELD_OUT_F1 = 0.60
# development negated recall: 0.915 before the second late-night pass of issue #11, 0.936
# after it
MIN_OTHERS_DEV_NEGATED_RECALL = 0.90
MAX_OTHERS_MUST_NOT_SHARE = 0.20
# the second held-out split: F1 first measured 0.552, 0.675 on 2026-12-07; 8 of its 18
# must-not facts produced when first measured, 8 now; floors so that a change that lowers
# them fails
MIN_OTHERS_2_F1 = 0.65
MAX_OTHERS_2_MUST_NOT_SHARE = 0.45
# the development batches of records written by others (mtd-*): F1 first measured 0.474
# (annotated before the extractor was run), 0.726 after the rules written from them, 0.872
# after the error classes of issue #11; the floor a little under it
MIN_OTHERS_DEV_BATCHES_F1 = 0.85
OTHERS_DEV_TUNED = ("mtd-A", "mtd-B")


@pytest.fixture(scope="module")
def report() -> GoldReport:
    rep = score(GOLD, load_records(GOLD), exclude_prefix=(OTHERS, OTHERS_2, OTHERS_DEV))
    print("\n" + format_report(rep))
    return rep


@pytest.fixture(scope="module")
def others() -> dict[str, GoldReport]:
    records = load_records(GOLD)
    out = {sp: score(GOLD, records, split=sp, prefix=OTHERS) for sp in ("dev", "held-out")}
    for sp, rep in out.items():
        print(f"\nrecords written by others, {sp}:\n" + format_report(rep))
    return out


@pytest.fixture(scope="module")
def others_2() -> GoldReport:
    rep = score(GOLD, load_records(GOLD), prefix=OTHERS_2)
    print("\nrecords written by others, held-out 2:\n" + format_report(rep))
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


def test_records_written_by_others_are_scored_apart_with_floors(
    others: dict[str, GoldReport],
) -> None:
    dev, held = others["dev"], others["held-out"]
    assert dev.records >= 20 and held.records >= 10
    assert dev.overall().f1 >= MIN_OTHERS_DEV_F1, f"dev F1 {dev.overall().f1:.3f}"
    assert held.overall().f1 >= MIN_OTHERS_HELD_OUT_F1, f"held-out F1 {held.overall().f1:.3f}"
    assert dev.by_context["negated"].recall >= MIN_OTHERS_DEV_NEGATED_RECALL


def test_mentions_that_state_no_fact_are_rarely_produced(others: dict[str, GoldReport]) -> None:
    must_not = sum(c.must_not for rep in others.values() for c in rep.by_context.values())
    produced = sum(c.must_not_fp for rep in others.values() for c in rep.by_context.values())
    assert must_not >= 40
    assert produced <= MAX_OTHERS_MUST_NOT_SHARE * must_not, (
        f"{produced} of {must_not} must-not facts produced: "
        + "; ".join(line for rep in others.values() for line in rep.must_not_hits)
    )


def test_every_context_class_is_annotated(others: dict[str, GoldReport]) -> None:
    classes = {
        name
        for rep in others.values()
        for name, c in rep.by_context.items()
        if c.tp + c.fn > 0 or c.must_not > 0
    }
    assert {"plain", "negated", "historical", "hypothetical", "family"} <= classes


def test_the_second_held_out_split_is_all_held_out_and_has_floors(others_2: GoldReport) -> None:
    names = {r.path for r in load_records(GOLD) if r.path.startswith(f"records/{OTHERS_2}")}
    assert len(names) >= 14 and names <= load_held_out(GOLD)
    assert others_2.records == len(names)
    assert others_2.overall().f1 >= MIN_OTHERS_2_F1, f"held-out 2 F1 {others_2.overall().f1:.3f}"
    must_not = sum(c.must_not for c in others_2.by_context.values())
    produced = sum(c.must_not_fp for c in others_2.by_context.values())
    assert must_not >= 15
    assert produced <= MAX_OTHERS_2_MUST_NOT_SHARE * must_not, (
        f"{produced} of {must_not} must-not facts produced"
    )


def test_development_batches_written_by_others_are_scored_apart_with_a_floor() -> None:
    records = load_records(GOLD)
    names = {r.path for r in records if r.path.startswith(f"records/{OTHERS_DEV}")}
    assert len(names) >= 12
    assert not names & load_held_out(GOLD), "mtd-* records are development records"
    rep = score(GOLD, records, split="dev", prefix=OTHERS_DEV)
    print("\nrecords written by others, development batches:\n" + format_report(rep))
    assert rep.records == len(names)
    # the floor is that of batches A and B; batch C (added later) has its own below
    tuned = score(GOLD, records, split="dev", prefix=OTHERS_DEV_TUNED)
    assert tuned.overall().f1 >= MIN_OTHERS_DEV_BATCHES_F1, f"mtd- F1 {tuned.overall().f1:.3f}"


# development records written by others, batches B and C (mtd-B*, mtd-C*), each annotated
# and committed before the extractor was run on it: a floor per batch (B: first measured
# 0.480, floor 0.65; C: first measured 0.526, 0.826 after the rules of the late night of
# 2026-12-07, floor that minus 0.05)
OTHERS_DEV_BATCHES = [("mtd-B", 12, 0.65), ("mtd-C", 10, 0.77)]


@pytest.mark.parametrize(("prefix", "count", "floor"), OTHERS_DEV_BATCHES)
def test_development_records_by_others_of_a_later_batch_have_a_floor(
    prefix: str, count: int, floor: float
) -> None:
    records = load_records(GOLD)
    names = {r.path for r in records if r.path.startswith(f"records/{prefix}")}
    assert len(names) == count
    assert not names & load_held_out(GOLD), f"the {prefix}* records are development records"
    rep = score(GOLD, records, split="dev", prefix=prefix)
    print(f"\ndevelopment records written by others, {prefix}*:\n" + format_report(rep))
    assert rep.records == len(names)
    assert rep.overall().f1 >= floor, f"{prefix} F1 {rep.overall().f1:.3f}"


def test_an_annotation_with_an_unknown_key_is_refused_naming_file_and_line(
    tmp_path: Path,
) -> None:
    from openimr.errors import OpenIMRError
    from openimr.extract.gold import load_annotations

    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "a.yaml").write_text(
        "record: records/a.txt\nfacts:\n  - {fact: chronic_pain, value: true, quote: pain}\n"
        "  - {fact: chronic_pain, value: true, quote: pain, sorce: x}\n"
    )
    with pytest.raises(OpenIMRError) as err:
        load_annotations(tmp_path, {"records/a.txt": "chronic pain, pain"})
    assert err.value.line == 4 and "a.yaml" in str(err.value)
