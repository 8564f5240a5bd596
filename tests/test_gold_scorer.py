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
