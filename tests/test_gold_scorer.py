"""The gold-set scorer counts matches by name, value, qualifier and place."""

from __future__ import annotations

from pathlib import Path

import pytest

from openimr.errors import OpenIMRError
from openimr.extract.gold import score
from openimr.records import read_record

TEXT = "She completed 12 sessions of physical therapy. She denies numbness.\nStraight leg raising is positive.\n"


def gold(tmp_path: Path, annotations: str) -> tuple[Path, list]:  # type: ignore[type-arg]
    (tmp_path / "records").mkdir()
    (tmp_path / "annotations").mkdir()
    (tmp_path / "records" / "a.txt").write_text(TEXT)
    (tmp_path / "annotations" / "a.yaml").write_text(annotations)
    return tmp_path, [read_record(tmp_path / "records" / "a.txt", "records/a.txt")]


def test_matching_facts_score_as_true_positives(tmp_path: Path) -> None:
    root, recs = gold(
        tmp_path,
        """record: records/a.txt
facts:
  - {fact: prior_visits, value: 12, qualifier: physical-therapy, quote: "12 sessions"}
  - {fact: radicular_symptoms, value: false, quote: "denies numbness"}
  - {fact: objective_radiculopathy, value: true, quote: "Straight leg raising is positive"}
""",
    )
    report = score(root, recs)
    assert report.by_type["prior_visits"].tp == 1
    assert report.by_type["radicular_symptoms"].tp == 1
    assert report.by_type["objective_radiculopathy"].tp == 1
    assert report.overall().recall == 1.0


def test_wrong_value_is_a_miss_and_an_extra(tmp_path: Path) -> None:
    root, recs = gold(
        tmp_path,
        """record: records/a.txt
facts:
  - {fact: radicular_symptoms, value: true, quote: "denies numbness"}
""",
    )
    report = score(root, recs)
    s = report.by_type["radicular_symptoms"]
    assert (s.tp, s.fn) == (0, 1)
    assert s.fp >= 1


def test_a_quote_not_in_the_record_is_an_error(tmp_path: Path) -> None:
    root, recs = gold(
        tmp_path,
        "record: records/a.txt\nfacts:\n  - {fact: red_flags, value: true, quote: nowhere}\n",
    )
    with pytest.raises(OpenIMRError, match=r"not in records/a\.txt"):
        score(root, recs)


CONTEXT_TEXT = (
    "SAMPLE HEADER: radiating leg pain.\n"
    "(report)\n"
    "She denies numbness. Risks include infection and paralysis.\n"
    "Straight leg raising is positive.\n"
)


def context_gold(tmp_path: Path, annotations: str) -> tuple[Path, list]:  # type: ignore[type-arg]
    (tmp_path / "records").mkdir()
    (tmp_path / "annotations").mkdir()
    (tmp_path / "records" / "b.txt").write_text(CONTEXT_TEXT)
    (tmp_path / "annotations" / "b.yaml").write_text(annotations)
    return tmp_path, [read_record(tmp_path / "records" / "b.txt", "records/b.txt")]


def test_facts_are_scored_by_context_class(tmp_path: Path) -> None:
    root, recs = context_gold(
        tmp_path,
        """record: records/b.txt
scored_from: "(report)"
facts:
  - {fact: radicular_symptoms, value: false, quote: "denies numbness"}
  - {fact: objective_radiculopathy, value: true, context: historical, quote: "Straight leg raising is positive"}
""",
    )
    report = score(root, recs)
    # a false value without a context is a negated mention
    assert report.by_context["negated"].tp == 1
    assert report.by_context["historical"].tp == 1
    assert report.by_context["plain"].tp + report.by_context["plain"].fn == 0
    # the header before scored_from gives no prediction, so its radiating pain is no extra
    assert not [e for e in report.extras if "radiating" in e]
    assert report.as_dict()["by_context"]["negated"]["recall"] == 1.0


def test_a_must_not_fact_produced_is_counted_by_its_class(tmp_path: Path) -> None:
    root, recs = context_gold(
        tmp_path,
        """record: records/b.txt
scored_from: "(report)"
facts:
  - {fact: radicular_symptoms, value: false, quote: "denies numbness"}
absent:
  - {fact: objective_radiculopathy, context: hypothetical, quote: "Straight leg raising is positive"}
  - {fact: red_flags, value: false, context: hypothetical, quote: "infection and paralysis"}
""",
    )
    report = score(root, recs)
    hyp = report.by_context["hypothetical"]
    assert hyp.must_not == 2
    # the positive straight leg raise is predicted, so that must-not fact is produced
    assert hyp.must_not_fp >= 1
    assert any("objective_radiculopathy" in line for line in report.must_not_hits)
    # a must-not entry with a value only counts predictions of that value
    assert not any(
        line.startswith("records/b.txt: red_flags=True") for line in report.must_not_hits
    )


def test_an_unknown_context_is_an_error_naming_the_file(tmp_path: Path) -> None:
    root, recs = context_gold(
        tmp_path,
        """record: records/b.txt
facts:
  - {fact: red_flags, value: true, context: someday, quote: "infection"}
""",
    )
    with pytest.raises(OpenIMRError, match="unknown context 'someday'"):
        score(root, recs)


def test_an_absent_entry_needs_a_context_that_states_no_fact(tmp_path: Path) -> None:
    root, recs = context_gold(
        tmp_path,
        """record: records/b.txt
facts: []
absent:
  - {fact: red_flags, context: negated, quote: "infection"}
""",
    )
    with pytest.raises(OpenIMRError, match="hypothetical, historical or family"):
        score(root, recs)


def test_prefix_keeps_only_matching_records(tmp_path: Path) -> None:
    root, recs = context_gold(tmp_path, "record: records/b.txt\nfacts: []\n")
    assert score(root, recs, prefix="b").records == 1
    assert score(root, recs, prefix="mts-").records == 0
