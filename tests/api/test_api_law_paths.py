"""Records that never arrive, through the API (8 CCR 9792.10.6(b)(2)), on both databases."""

from __future__ import annotations

import datetime as dt

from apisupport import ATTACHED, Api
from test_api_rules import at, dates, deadline, step, submit

D = dt.date


def test_review_without_records_once_they_are_overdue(api: Api) -> None:
    case = submit(api, dates("2013-08-14", "2013-08-12"))
    cid = case["id"]
    at(api, D(2013, 8, 16))
    step(api, "intake", f"/api/cases/{cid}/screen", ATTACHED)
    at(api, D(2013, 8, 19))
    step(api, "admin", f"/api/cases/{cid}/assign")  # records due Tuesday 3 September

    at(api, D(2013, 9, 3))
    early = api.call("intake", "POST", f"/api/cases/{cid}/review-without-records")
    assert early.status_code == 409
    assert "2013-09-03" in early.text and "9792.10.6(b)(2)" in early.text

    at(api, D(2013, 9, 4))
    report = step(api, "intake", "/api/deadlines?window_days=0", method="GET")
    flagged = [r for r in report["overdue"] if r["case_id"] == cid]
    assert [r["deadline"]["kind"] for r in flagged] == ["records_due"]
    assert "documents at hand" in flagged[0]["deadline"]["next_step"]

    out = step(api, "intake", f"/api/cases/{cid}/review-without-records", {"reason": "none came"})
    assert out["state"] == "records_received"
    assert deadline(out, "records_due")["status"] == "missed"
    decision = deadline(out, "decision_due")
    # 30 days from Wednesday 4 September: Friday 4 October
    assert decision["due_date"] == "2013-10-04"
    assert "within 30 days of receipt" in decision["relied_on"]
