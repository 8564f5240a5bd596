"""The held-out decision set on records written by others (tests/data/heldout-raw/).

Its expected decisions were written before openimr was run on it and it is never tuned
on, so these tests check only that every case loads and is reviewed without error, one
result per disputed item, each either decided or sent to a person with a reason. They
do NOT assert agreement: the agreement figures are measured with
``openimr evaluate tests/data/heldout-raw`` and reported, not tested.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from openimr.caseio import load_case
from openimr.pipeline import review_case

HELDOUT = Path(__file__).parent / "data" / "heldout-raw"


def _case_dirs() -> list[Path]:
    return sorted(p.parent for p in HELDOUT.glob("*/case.yaml"))


def test_the_set_has_cases() -> None:
    assert len(_case_dirs()) >= 8


@pytest.mark.parametrize("case_dir", _case_dirs(), ids=lambda p: p.name)
def test_case_loads_and_reviews(case_dir: Path) -> None:
    case = load_case(case_dir)
    assert case.records, case_dir.name
    review = review_case(case)
    expected = yaml.safe_load((case_dir / "expected.yaml").read_text())["items"]
    assert [i.request for i in review.items] == [e["request"] for e in expected]
    for item in review.items:
        if item.needs_review:
            assert item.decision is None and item.reason
        else:
            assert item.decision in ("upheld", "overturned")
