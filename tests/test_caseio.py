from pathlib import Path

import pytest

from openimr.caseio import load_case
from openimr.errors import CaseFormatError

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "examples" / "seed-case"


def test_seed_case_loads_with_its_record() -> None:
    case = load_case(SEED)
    assert case.case_id == "CM13-0000001"
    assert [r.path for r in case.records] == ["records/2013-08-19-pr2-delgado.txt"]
    assert len(case.utilization_review.items) == 2


def test_case_yaml_path_is_accepted() -> None:
    assert load_case(SEED / "case.yaml").case_id == "CM13-0000001"


def test_missing_directory_is_refused() -> None:
    with pytest.raises(CaseFormatError, match="no such case"):
        load_case("/nonexistent/case")
