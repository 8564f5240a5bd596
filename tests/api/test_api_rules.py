"""Eligibility reasons and legal clocks through the API, on both databases.

Every clock below runs into the Labor Day weekend of 2013 (Saturday 31 August, Sunday
1 September, Labor Day Monday 2 September), so each shows the weekend and the holiday being
skipped. The expected days are counted by hand here, not by the rules under test.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from apisupport import ATTACHED, SEED, Api
from wfsupport import case_bytes

D = dt.date


def submit(api: Api, yaml_bytes: bytes, facts: dict[str, Any] | None = None) -> dict[str, Any]:
    files: list[tuple[str, Any]] = [("case", ("case.yaml", yaml_bytes, "text/yaml"))]
    files += [
        ("records", (p.name, p.read_bytes(), "text/plain"))
        for p in sorted((SEED / "records").iterdir())
    ]
    data = {"facts": json.dumps(facts)} if facts else None
    r = api.client.post("/api/cases", headers=api.h("intake"), files=files, data=data)
    assert r.status_code == 201, r.text
    return dict(r.json()["case"])


def at(api: Api, day: dt.date) -> None:
    api.env.clock.set_pacific(day, hour=10)


def step(api: Api, who: str, path: str, body: Any = None, method: str = "POST") -> Any:
    r = api.call(who, method, path, json=body)
    assert r.status_code < 300, r.text
    return r.json()


def deadline(case: dict[str, Any], kind: str) -> dict[str, Any]:
    found = [d for d in case["deadlines"] if d["kind"] == kind]
    assert found, f"no {kind} in {[d['kind'] for d in case['deadlines']]}"
    return found[0]


def dates(received: str, ur: str) -> bytes:
    return case_bytes(application__received=received, utilization_review__date=ur)


# ------------------------------------------------------------------ eligibility


def seeded_prior(api: Api, *, decided: bool) -> None:
    """A first application of the same worker (claim CL-77, Dr. Delgado) on the same items."""
    facts = {"claim_number": "CL-77", "physician": "Maria Delgado, MD"}
    case = submit(api, case_bytes(case_id="CM13-0000100"), facts)
    at(api, D(2013, 9, 9))
    step(api, "intake", f"/api/cases/{case['id']}/screen", ATTACHED)
    if not decided:
        return
    cid = case["id"]
    step(api, "admin", f"/api/cases/{cid}/assign", {"reviewer_id": "rev-a"})
    step(api, "intake", f"/api/cases/{cid}/records-received")
    step(api, "rev-a", f"/api/cases/{cid}/draft")
    for i in range(2):
        step(api, "rev-a", f"/api/cases/{cid}/items/{i}", {"action": "accept"}, "PUT")
    step(api, "rev-a", f"/api/cases/{cid}/finalize")
    step(api, "intake", f"/api/cases/{cid}/letter")


REASONS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    # (code, case.yaml changes, screening facts, resulting state)
    (
        "ur_before_imr_era",
        {
            "patient__date_of_injury": "2012-05-01",
            "utilization_review__date": "2013-06-14",
            "application__received": "2013-06-20",
        },
        {},
        "ineligible",
    ),
    ("not_ur_dispute", {}, {"ur_outcome": "approved"}, "ineligible"),
    ("not_medical_necessity", {}, {"medical_necessity_question": False}, "ineligible"),
    ("ur_untimely", {}, {"ur_timely": False}, "ineligible"),
    ("authorized", {}, {"treatment_authorized_since": True}, "terminated"),
    (
        "invalid_filer",
        {},
        {"signed_by": "physician-designated", "physician_designation_after_ur": False},
        "ineligible",
    ),
    ("unsigned", {"application__signed": False}, {}, "ineligible"),
    (
        # served in person on Tuesday 30 July: the 30 days end on Thursday 29 August; the
        # application arrived on Friday 6 September
        "filed_late",
        {"utilization_review__date": "2013-07-30"},
        {"ur_decision_served": "2013-07-30", "ur_service_method": "personal"},
        "ineligible",
    ),
    ("ur_missing", {}, {"ur_decision_attached": False}, "ineligible"),
    ("conditional_noncertification", {}, {"ur_conditional_noncertification": True}, "ineligible"),
    ("liability_deferred", {}, {"liability_disputed_non_medical": True}, "deferred"),
    (
        "duplicate",
        {"case_id": "CM13-0000101"},
        {"claim_number": "CL-77", "physician": "Maria Delgado, MD"},
        "ineligible",
    ),
    (
        "already_decided",
        {
            "case_id": "CM13-0000102",
            "utilization_review__date": "2013-10-15",
            "application__received": "2013-10-21",
        },
        {"claim_number": "CL-77", "physician": "Maria Delgado, MD"},
        "ineligible",
    ),
]


@pytest.mark.parametrize(
    ("code", "changes", "facts", "state"), REASONS, ids=[r[0] for r in REASONS]
)
def test_each_eligibility_reason(
    api: Api, code: str, changes: dict[str, Any], facts: dict[str, Any], state: str
) -> None:
    if code == "duplicate":
        seeded_prior(api, decided=False)
    elif code == "already_decided":
        seeded_prior(api, decided=True)
    case = submit(api, case_bytes(**changes))
    at(api, D(2013, 10, 22) if code == "already_decided" else D(2013, 9, 10))
    screened = step(
        api, "intake", f"/api/cases/{case['id']}/screen", {"facts": {**ATTACHED["facts"], **facts}}
    )
    reasons = {r["code"]: r for r in screened["eligibility"]["reasons"]}
    assert code in reasons, screened["eligibility"]
    assert reasons[code]["citation"]
    assert screened["state"] == state
    assert reasons[code]["message"] in (screened["state_reason"] or "")
    events = api.call("auditor", "GET", f"/api/cases/{case['id']}/events").json()
    last = [e for e in events if e["kind"] == "transition"][-1]
    assert last["to_state"] == state and code in last["detail"]["reasons"]


def test_missing_information_keeps_the_case_in_screening(api: Api) -> None:
    case = submit(api, case_bytes())
    screened = step(api, "intake", f"/api/cases/{case['id']}/screen")
    assert screened["state"] == "screening"
    assert [m["field"] for m in screened["eligibility"]["missing_information"]] == [
        "ur_decision_attached"
    ]
    screened = step(api, "intake", f"/api/cases/{case['id']}/screen", ATTACHED)
    assert screened["state"] == "eligible"
    events = api.call("auditor", "GET", f"/api/cases/{case['id']}/events").json()
    actions = [e["action"] for e in events]
    assert actions.index("information_requested") < actions.index("information_received")


def test_facts_that_contradict_the_case_are_refused(api: Api) -> None:
    case = submit(api, case_bytes())
    r = api.call(
        "intake",
        "POST",
        f"/api/cases/{case['id']}/screen",
        json={"facts": {"ur_decision_served": "2013-01-01"}},
    )
    assert r.status_code == 422 and "ur_decision_served" in r.json()["message"]
    assert api.call("intake", "GET", f"/api/cases/{case['id']}").json()["state"] == "received"


# ------------------------------------------------------------------ deadlines


def walk_to_determined(api: Api, case_id: str, days: list[dt.date], overturn: bool) -> None:
    screen_day, assign_day, records_day, decide_day = days
    at(api, screen_day)
    step(api, "intake", f"/api/cases/{case_id}/screen", ATTACHED)
    at(api, assign_day)
    step(api, "admin", f"/api/cases/{case_id}/assign", {"reviewer_id": "rev-a"})
    at(api, records_day)
    step(api, "intake", f"/api/cases/{case_id}/records-received")
    at(api, decide_day)
    step(api, "rev-a", f"/api/cases/{case_id}/draft")
    first = (
        {"action": "override", "decision": "overturned", "reason": "Relief is documented."}
        if overturn
        else {"action": "accept"}
    )
    step(api, "rev-a", f"/api/cases/{case_id}/items/0", first, "PUT")
    step(api, "rev-a", f"/api/cases/{case_id}/items/1", {"action": "accept"}, "PUT")
    step(api, "rev-a", f"/api/cases/{case_id}/finalize")


def test_application_due_runs_past_the_weekend_and_labor_day(api: Api) -> None:
    # served in person Thursday 1 August: 30 days end Saturday 31 August -> Tuesday 3 September
    facts = {"ur_decision_served": "2013-08-01", "ur_service_method": "personal"}
    case = submit(api, dates("2013-09-03", "2013-07-30"), facts)
    d = deadline(case, "application_due")
    assert d["due_date"] == "2013-09-03" and d["rolled_forward"] is True
    assert d["open"] is False and d["status"] == "met"  # filed on the last day


def test_eligibility_info_due_counts_business_days(api: Api) -> None:
    case = submit(api, dates("2013-08-26", "2013-08-20"))
    at(api, D(2013, 8, 27))  # the request for information, a Tuesday
    screened = step(api, "intake", f"/api/cases/{case['id']}/screen")
    d = deadline(screened, "eligibility_info_due")
    # Wed 28, Thu 29, Fri 30, (Sat, Sun, Labor Day), Tue 3, Wed 4 September
    assert d["due_date"] == "2013-09-04" and d["open"] is True
    assert d["unit"] == "business days"
    report = step(api, "intake", "/api/deadlines?window_days=8", method="GET")
    assert [r["deadline"]["kind"] for r in report["due_soon"]] == ["eligibility_info_due"]
    at(api, D(2013, 9, 5))
    report = step(api, "intake", "/api/deadlines?window_days=1", method="GET")
    assert [r["case_id"] for r in report["overdue"]] == [case["id"]]
    assert report["due_soon"] == []


def test_assignment_notice_due_is_one_business_day(api: Api) -> None:
    case = submit(api, dates("2013-08-28", "2013-08-26"))
    at(api, D(2013, 8, 30))  # found eligible on Friday 30 August
    screened = step(api, "intake", f"/api/cases/{case['id']}/screen", ATTACHED)
    d = deadline(screened, "assignment_notice_due")
    assert d["due_date"] == "2013-09-03" and d["open"] is True  # not Mon 2 Sept (Labor Day)
    at(api, D(2013, 9, 3))
    assigned = step(api, "admin", f"/api/cases/{case['id']}/assign")
    d = deadline(assigned, "assignment_notice_due")
    assert d["open"] is False and d["status"] == "met"


def test_records_due_twelve_days_after_an_electronic_notice(api: Api) -> None:
    case = submit(api, dates("2013-08-14", "2013-08-12"))
    at(api, D(2013, 8, 16))
    step(api, "intake", f"/api/cases/{case['id']}/screen", ATTACHED)
    at(api, D(2013, 8, 19))  # notice of assignment, Monday 19 August
    assigned = step(api, "admin", f"/api/cases/{case['id']}/assign")
    d = deadline(assigned, "records_due")
    # 12 days: Saturday 31 August -> past Sunday and Labor Day -> Tuesday 3 September
    assert d["due_date"] == "2013-09-03" and d["rolled_forward"] is True
    assert d["responsible"] == "claims administrator"


def test_decision_due_thirty_days_after_the_records(api: Api) -> None:
    case = submit(api, dates("2013-07-19", "2013-07-15"))
    cid = case["id"]
    at(api, D(2013, 7, 22))
    step(api, "intake", f"/api/cases/{cid}/screen", ATTACHED)
    at(api, D(2013, 7, 23))
    step(api, "admin", f"/api/cases/{cid}/assign")
    at(api, D(2013, 8, 1))  # records received Thursday 1 August
    received = step(api, "intake", f"/api/cases/{cid}/records-received")
    d = deadline(received, "decision_due")
    assert d["due_date"] == "2013-09-03" and d["rolled_forward"] is True
    listed = step(api, "admin", "/api/cases?state=records_received", method="GET")
    assert listed[0]["next_deadline"]["kind"] == "decision_due"


def test_implementation_due_five_working_days_after_an_overturn(api: Api) -> None:
    case = submit(api, dates("2013-08-08", "2013-08-05"))
    cid = case["id"]
    walk_to_determined(
        api, cid, [D(2013, 8, 9), D(2013, 8, 12), D(2013, 8, 13), D(2013, 8, 20)], overturn=True
    )
    at(api, D(2013, 8, 27))  # letter issued and served Tuesday 27 August
    step(api, "intake", f"/api/cases/{cid}/letter")
    issued = step(api, "auditor", f"/api/cases/{cid}", method="GET")
    d = deadline(issued, "implementation_due")
    # Wed 28, Thu 29, Fri 30, (weekend, Labor Day), Tue 3, Wed 4 September
    assert d["due_date"] == "2013-09-04" and d["unit"] == "working days"
    assert deadline(issued, "decision_due")["status"] == "met"


def test_appeal_due_thirty_days_after_service(api: Api) -> None:
    facts = {"determination_service_method": "personal"}
    case = submit(api, dates("2013-07-12", "2013-07-10"), facts)
    cid = case["id"]
    walk_to_determined(
        api, cid, [D(2013, 7, 15), D(2013, 7, 16), D(2013, 7, 17), D(2013, 7, 31)], overturn=False
    )
    at(api, D(2013, 8, 1))  # served in person Thursday 1 August
    step(api, "intake", f"/api/cases/{cid}/letter")
    issued = step(api, "auditor", f"/api/cases/{cid}", method="GET")
    d = deadline(issued, "appeal_due")
    assert d["due_date"] == "2013-09-03" and d["rolled_forward"] is True
    assert not [x for x in issued["deadlines"] if x["kind"] == "implementation_due"]  # upheld
