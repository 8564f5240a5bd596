"""Letter-style development cases (tests/data/letter-style/README.md): each disputed item
decides as its expected.yaml says. They were tuned on, so this is a regression check."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from openimr.caseio import load_case
from openimr.pipeline import review_case

CASES = Path(__file__).parent / "data" / "letter-style"


def _case_dirs() -> list[Path]:
    return sorted(p.parent for p in CASES.glob("*/case.yaml"))


def test_the_set_has_cases_on_both_sides() -> None:
    names = [p.name for p in _case_dirs()]
    assert len(names) >= 40
    assert any(n.endswith("-overturned") for n in names)
    assert any(n.endswith("-upheld") for n in names)


@pytest.mark.parametrize("case_dir", _case_dirs(), ids=lambda p: p.name)
def test_each_item_decides_as_expected(case_dir: Path) -> None:
    review = review_case(load_case(case_dir))
    expected = yaml.safe_load((case_dir / "expected.yaml").read_text())["items"]
    got = [(i.request, i.decision) for i in review.items]
    assert got == [(e["request"], e["decision"]) for e in expected]
