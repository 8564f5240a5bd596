"""The paths the law allows, through the service: records that never arrive
(8 CCR 9792.10.6(b)(2)) and a final determination only with a qualified signing reviewer."""

from __future__ import annotations

import datetime as dt

import pytest
from wfsupport import ADMIN, INTAKE, Env, profile, reviewer_actor, to_state

from openimr.errors import ConflictError, InvalidTransitionError
from openimr.service.schemas import DecideIn
from openimr.store.models import DeterminationRow


def _decide_all(env: Env, case_id: str, reviewer: str = "rev-a") -> None:
    with env.wf(reviewer_actor(reviewer)) as wf:
        draft = wf.draft(case_id)
        for item in draft.items:
            wf.decide_item(case_id, item.index, DecideIn(action="accept"))


def test_records_never_received_end_to_end(env: Env) -> None:
    case_id = to_state(env, "assigned")
    with env.wf(INTAKE) as wf:
        clocks = {d.kind: d for d in wf.get_case(case_id).deadlines}
        assert "decision_due" not in clocks
        due_day = clocks["records_due"].due_date
        # not overdue yet: the review cannot go ahead without the records
        with pytest.raises(ConflictError, match="not overdue until the end of"):
            wf.review_without_records(case_id)
        assert wf.deadline_report(window_days=0).overdue == []

    # the day after the last day: the due report flags the records and says what may be done
    env.clock.set_pacific(due_day + dt.timedelta(days=1))
    with env.wf(INTAKE) as wf:
        overdue = wf.deadline_report(window_days=0).overdue
        assert [(r.case_id, r.deadline.kind) for r in overdue] == [(case_id, "records_due")]
        assert "9792.10.6(b)(2)" in (overdue[0].deadline.next_step or "")
        assert "never the UR decision alone" in (overdue[0].deadline.next_step or "")

        out = wf.review_without_records(case_id, "records requested twice, none came")
        assert out.state == "records_received"
        clocks = {d.kind: d for d in out.deadlines}
        assert clocks["records_due"].status == "missed" and not clocks["records_due"].open
        assert "not received" in (clocks["records_due"].closed or "")
        decision = clocks["decision_due"]
        assert decision.open and "documents at hand" in decision.started_by
        assert "9792.10.6(b)(2)" in decision.citation
        assert "4610.6(d)(1)(B)" in decision.citation
        # the records clock is no longer reported as overdue
        assert all(r.deadline.kind != "records_due" for r in wf.deadline_report().overdue)

    _decide_all(env, case_id)
    with env.wf(reviewer_actor("rev-a")) as wf:
        wf.finalize(case_id)
    with env.wf(INTAKE) as wf:
        text, _ = wf.letter(case_id, "text")
        assert b"medical records were not received" in text
        assert b"9792.10.6(b)(2)" in text


def test_records_received_cases_do_not_say_records_were_missing(env: Env) -> None:
    case_id = to_state(env, "determined")
    with env.wf(INTAKE) as wf:
        text, _ = wf.letter(case_id, "text")
    assert b"were not received" not in text


def test_review_without_records_only_from_assigned_or_requested(env: Env) -> None:
    case_id = to_state(env, "eligible")
    with env.wf(INTAKE) as wf, pytest.raises(InvalidTransitionError):
        wf.review_without_records(case_id)


def test_finalize_refuses_a_reviewer_whose_license_lapsed(env: Env) -> None:
    case_id = to_state(env, "assigned")
    with env.wf(INTAKE) as wf:
        wf.receive_records(case_id)
    _decide_all(env, case_id)
    lapsed = profile(
        "rev-a", licenses=[{"state": "CA", "number": "A12345", "expires": "2000-01-01"}]
    )
    with env.wf(ADMIN) as wf:
        wf.add_reviewer(lapsed, replace=True)
    with env.wf(reviewer_actor("rev-a")) as wf, pytest.raises(ConflictError) as info:
        wf.finalize(case_id)
    message = str(info.value)
    assert "cannot be signed" in message and "license" in message
    assert "9792.10.6(b)(1)" in message


def test_a_determination_without_stated_qualifications_is_not_issued(env: Env) -> None:
    case_id = to_state(env, "determined")
    with env.wf(INTAKE) as wf:
        row = wf.session.get(DeterminationRow, case_id)
        assert row is not None and row.letter["status"] == "final"
        row.letter = {**row.letter, "credentials": {}}
    with env.wf(INTAKE) as wf, pytest.raises(ConflictError, match="no signing reviewer"):
        wf.issue_letter(case_id)
