"""Proposed criteria sets (docs/proposed/) load into a copy of the library and decide their cases.

A proposed set decides a treatment id the catalogue does not have yet, so it is not shipped;
this keeps it valid and tested until the integrator adds the id and moves it in.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from openimr.engine.determine import determine
from openimr.library.loader import DATA_DIR, load_library
from openimr.model import (
    Case,
    DisputedItem,
    Fact,
    ParsedRequest,
    Patient,
    Span,
    Status,
    UtilizationReview,
)

PROPOSED = Path(__file__).resolve().parents[1] / "docs" / "proposed"


def _proposals() -> list[Path]:
    return sorted(p for p in PROPOSED.glob("*.yaml") if not p.name.endswith(".cases.yaml"))


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("library")
    shutil.copytree(DATA_DIR / "facts", root / "facts")
    shutil.copytree(DATA_DIR / "criteria", root / "criteria")
    for path in _proposals():
        shutil.copy(path, root / "criteria" / path.name)
    return load_library(root)


def _cases() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(PROPOSED.glob("*.cases.yaml")):
        data = yaml.safe_load(path.read_text())
        out += [(data["set"], case) for case in data["cases"]]
    return out


def test_every_proposal_has_cases() -> None:
    assert _proposals()
    sets = {s for s, _ in _cases()}
    assert {p.stem for p in _proposals()} <= sets


@pytest.mark.parametrize(
    ("set_id", "spec"), _cases(), ids=lambda x: x if isinstance(x, str) else ""
)
def test_proposed_case(library: Any, set_id: str, spec: dict[str, Any]) -> None:
    raw = dict(spec["request"])
    request = ParsedRequest(text=raw["treatment"], disputed=raw["treatment"], **raw)
    day = dt.date.fromisoformat(str(spec["date"]))
    case = Case(
        patient=Patient(age=45, date_of_injury=day - dt.timedelta(days=365)),
        utilization_review=UtilizationReview(date=day, items=(DisputedItem(request=request.text),)),
    )
    span = Span(record="records/test.txt", start=0, end=5, quote="x" * 5)
    facts = [
        Fact(name=f["name"], value=f["value"], qualifier=f.get("qualifier"), spans=(span,))
        for f in spec.get("facts", [])
    ]
    det = determine(case, request, facts, library)
    assert det.criteria_set is not None and det.criteria_set.id == set_id
    expect = spec["expect"]
    if "version" in expect:
        assert det.version is not None and det.version.id == expect["version"]
    if expect.get("decision") is None:
        assert det.status is None
        return
    assert ("overturned" if det.status is Status.MET else "upheld") == expect["decision"]
    statuses = {e.criterion.id: e.status.value for e in det.evaluated}
    for cid, status in (expect.get("criteria") or {}).items():
        assert statuses.get(cid) == status, cid
