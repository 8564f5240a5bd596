"""The service layer on both databases: every transition, roles, conflicts, safety."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from wfsupport import (
    ADMIN,
    AUDITOR,
    INTAKE,
    Env,
    case_bytes,
    fake_engine,
    profile,
    reviewer_actor,
    seed_records,
    submit_seed,
    to_state,
)

from openimr.errors import (
    CaseFormatError,
    ConflictError,
    InputError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    UploadTooLargeError,
)
from openimr.model import Case, CaseReview
from openimr.process.lifecycle import TRANSITIONS
from openimr.service import Limits, Upload, Workflow
from openimr.service.schemas import DecideIn


def transitions_of(env: Env, case_id: str) -> list[tuple[str | None, str | None, str]]:
    with env.wf(AUDITOR) as wf:
        return [
            (e.from_state, e.to_state, e.action)
            for e in wf.events(case_id)
            if e.kind == "transition"
        ]


# ------------------------------------------------------------------ transitions


def test_the_whole_path_records_every_transition(env: Env) -> None:
    case_id = to_state(env, "letter_issued")
    assert transitions_of(env, case_id) == [
        (None, "received", "submit"),
        ("received", "screening", "start_screening"),
        ("screening", "eligible", "find_eligible"),
        ("eligible", "assigned", "assign"),
        ("assigned", "records_received", "receive_records"),
        ("records_received", "in_review", "start_review"),
        ("in_review", "determined", "finalize"),
        ("determined", "letter_issued", "issue_letter"),
    ]
    with env.wf(AUDITOR) as wf:
        events = wf.events(case_id)
    assert all(e.actor and e.at for e in events)
    letter = [d for d in wf_case(env, case_id).documents if d.kind == "letter"]
    assert len(letter) == 1 and letter[0].media_type == "application/pdf"


def wf_case(env: Env, case_id: str) -> Any:
    with env.wf(AUDITOR) as wf:
        return wf.get_case(case_id)


def test_records_requested_then_received(env: Env) -> None:
    case_id = to_state(env, "assigned")
    with env.wf(INTAKE) as wf:
        assert wf.request_records(case_id, "asked the claims administrator").state == (
            "records_requested"
        )
        assert wf.receive_records(case_id).state == "records_received"
    assert [t[2] for t in transitions_of(env, case_id)][-2:] == [
        "request_records",
        "receive_records",
    ]


def test_ineligible_with_reason(env: Env) -> None:
    case_id = submit_seed(env, application__signed=False)
    with env.wf(INTAKE) as wf:
        case = wf.screen(case_id)
    assert case.state == "ineligible"
    assert case.eligibility is not None and not case.eligibility.eligible
    assert case.state_reason and "sign" in case.state_reason
    assert transitions_of(env, case_id)[-1] == ("screening", "ineligible", "find_ineligible")
    with env.wf(INTAKE) as wf, pytest.raises(InvalidTransitionError, match="closed"):
        wf.withdraw(case_id, "too late")


def test_deferred_then_resumed(env: Env) -> None:
    from openimr.service.schemas import ApplicationFactsIn

    case_id = submit_seed(env)
    with env.wf(INTAKE) as wf:
        case = wf.screen(
            case_id,
            facts=ApplicationFactsIn(
                ur_decision_attached=True, liability_disputed_non_medical=True
            ),
        )
    assert case.state == "deferred"
    with env.wf(INTAKE) as wf:
        case = wf.screen(case_id, facts=ApplicationFactsIn(liability_disputed_non_medical=False))
    assert case.state == "eligible"
    actions = [t[2] for t in transitions_of(env, case_id)]
    assert actions[-3:] == ["defer", "resume_screening", "find_eligible"]


def test_reassign_needs_a_reason_and_clears_decisions(env: Env) -> None:
    case_id = to_state(env, "in_review", reviewer="rev-a")
    with env.wf(reviewer_actor("rev-a")) as wf:
        wf.decide_item(case_id, 0, DecideIn(action="accept"))
    with env.wf(ADMIN) as wf:
        wf.add_reviewer(profile("rev-b"))
        with pytest.raises(InputError, match="reason"):
            wf.assign(case_id, reviewer_id="rev-b")
    with env.wf(ADMIN) as wf:
        case = wf.assign(case_id, reviewer_id="rev-b", reason="rev-a is on leave")
    assert case.state == "assigned" and case.reviewer_id == "rev-b"
    assert transitions_of(env, case_id)[-1] == ("in_review", "assigned", "reassign")
    # the old reviewer no longer sees the case
    with env.wf(reviewer_actor("rev-a")) as wf, pytest.raises(NotFoundError):
        wf.get_case(case_id)


@pytest.mark.parametrize("action", ["withdraw", "terminate"])
def test_withdraw_and_terminate_need_a_reason(env: Env, action: str) -> None:
    case_id = to_state(env, "assigned")
    with env.wf(INTAKE) as wf, pytest.raises(InputError, match="reason"):
        getattr(wf, action)(case_id, "  ")
    with env.wf(INTAKE) as wf:
        case = getattr(wf, action)(case_id, "the applicant asked")
    assert case.state == {"withdraw": "withdrawn", "terminate": "terminated"}[action]
    assert case.state_reason == "the applicant asked"


def test_every_transition_is_exercised_by_these_tests() -> None:
    covered = {
        "submit",
        "start_screening",
        "find_eligible",
        "find_ineligible",
        "defer",
        "resume_screening",
        "assign",
        "reassign",
        "request_records",
        "receive_records",
        "proceed_without_records",  # tests/service/test_law_paths.py
        "start_review",
        "finalize",
        "issue_letter",
        "withdraw",
        "terminate",
    }
    assert {t.action for t in TRANSITIONS} <= covered


@pytest.mark.parametrize(
    ("state", "call"),
    [
        ("received", lambda wf, c: wf.receive_records(c)),
        ("received", lambda wf, c: wf.issue_letter(c)),
        ("eligible", lambda wf, c: wf.request_records(c)),
        ("letter_issued", lambda wf, c: wf.screen(c)),
    ],
)
def test_invalid_transitions_are_refused_and_change_nothing(
    env: Env, state: str, call: Any
) -> None:
    case_id = to_state(env, state)
    before = transitions_of(env, case_id)
    with env.wf(ADMIN) as wf, pytest.raises(InvalidTransitionError, match=f"'{state}'"):
        call(wf, case_id)
    assert transitions_of(env, case_id) == before
    assert wf_case(env, case_id).state == state


# ------------------------------------------------------------------ review


def test_override_needs_a_reason_and_is_kept_beside_the_draft(env: Env) -> None:
    case_id = to_state(env, "in_review")
    rev = reviewer_actor("rev-a")
    with env.wf(rev) as wf, pytest.raises(InputError, match="reason"):
        wf.decide_item(case_id, 0, DecideIn(action="override", decision="overturned"))
    with env.wf(rev) as wf:
        wf.decide_item(
            case_id,
            0,
            DecideIn(action="override", decision="overturned", reason="Relief is documented."),
        )
        draft = wf.decide_item(case_id, 1, DecideIn(action="accept"))
    first = draft.items[0]
    assert first.engine["decision"] == "upheld"  # the engine's draft is unchanged
    assert first.reviewer is not None and first.reviewer.reason == "Relief is documented."
    assert first.final_decision == "overturned"
    assert draft.complete
    with env.wf(rev) as wf:
        wf.finalize(case_id)
    with env.wf(AUDITOR) as wf:
        final = wf.get_determination(case_id)
    assert [i["decision"] for i in final["items"]] == ["overturned", "upheld"]
    assert final["items"][0]["medically_necessary"] is True
    # the reviewer's reason as what the records show, concluded for the reviewer's decision
    assert final["items"][0]["rationale"] == (
        "Relief is documented. Therefore, based on guidelines and a review of the evidence, "
        "the request for follow-up visit with anesthesiologist for the lumbar is medically "
        "necessary."
    )
    with env.wf(INTAKE) as wf:
        wf.issue_letter(case_id)
        text, _ = wf.letter(case_id, "text")
    assert "Overturned" in text.decode()


def test_accept_needs_an_engine_decision(env: Env) -> None:
    from openimr.model import CaseReview, ItemDetermination

    def undecided(case: Case) -> CaseReview:
        items = tuple(
            ItemDetermination(
                request=i.request,
                treatment=None,
                decision=None,
                medically_necessary=None,
                needs_review=True,
                reason="no criteria",
            )
            for i in case.utilization_review.items
        )
        return CaseReview(case_id=case.case_id, summary="", items=items)

    env.review_engine = undecided
    case_id = to_state(env, "in_review")
    with env.wf(reviewer_actor("rev-a")) as wf, pytest.raises(InputError, match="no engine"):
        wf.decide_item(case_id, 0, DecideIn(action="accept"))


def test_finalize_needs_every_item_decided(env: Env) -> None:
    case_id = to_state(env, "in_review")
    with env.wf(reviewer_actor("rev-a")) as wf:
        wf.decide_item(case_id, 0, DecideIn(action="accept"))
    with env.wf(reviewer_actor("rev-a")) as wf, pytest.raises(ConflictError, match="undecided: 1"):
        wf.finalize(case_id)


def test_redraft_keeps_the_reviewers_decisions(env: Env) -> None:
    # issue 13, defect 2: running the engine again erased every accept, override and reason
    case_id = to_state(env, "in_review")
    rev = reviewer_actor("rev-a")
    with env.wf(rev) as wf:
        wf.decide_item(case_id, 0, DecideIn(action="accept"))
        wf.decide_item(
            case_id, 1, DecideIn(action="override", decision="overturned", reason="Relief 60%.")
        )
    with env.wf(rev) as wf:
        draft = wf.draft(case_id)
    assert [i.final_decision for i in draft.items] == ["upheld", "overturned"]
    assert draft.items[1].reviewer is not None
    assert draft.items[1].reviewer.reason == "Relief 60%."
    assert draft.cleared_decisions == [] and draft.complete
    with env.wf(AUDITOR) as wf:
        redraft = [e for e in wf.events(case_id) if e.action == "redraft"]
    assert redraft and redraft[0].detail["kept_decisions"] == [0, 1]


def test_redraft_clears_only_an_accept_the_engine_no_longer_drafts(env: Env) -> None:
    case_id = to_state(env, "in_review")
    rev = reviewer_actor("rev-a")
    with env.wf(rev) as wf:
        wf.decide_item(case_id, 0, DecideIn(action="accept"))
        wf.decide_item(
            case_id, 1, DecideIn(action="override", decision="overturned", reason="Relief 60%.")
        )

    def overturns(case: Case) -> CaseReview:
        review = fake_engine(case)
        items = tuple(
            i.model_copy(update={"decision": "overturned", "medically_necessary": True})
            for i in review.items
        )
        return review.model_copy(update={"items": items})

    env.review_engine = overturns
    with env.wf(rev) as wf:
        draft = wf.draft(case_id)
    assert draft.cleared_decisions == [0]
    assert draft.items[0].reviewer is None
    assert draft.items[1].final_decision == "overturned"  # the override stays


def test_the_real_engine_drafts_the_seed_case(env: Env) -> None:
    pytest.importorskip("openimr.request", reason="the engine's request parser is not here yet")
    env.review_engine = None  # openimr.pipeline.review_case
    case_id = to_state(env, "in_review")
    with env.wf(reviewer_actor("rev-a")) as wf:
        draft = wf.get_draft(case_id)
    assert [i.engine["request"] for i in draft.items] == [
        "Follow-up visit with anesthesiologist for the lumbar",
        "Physical therapy 12 visits for the lumbar",
    ]


# ------------------------------------------------------------------ reviewers


@pytest.mark.parametrize(
    "affiliation",
    ["Central Valley Packing Co.", "Golden State Claims Services", "Maria Delgado, MD"],
)
def test_a_reviewer_affiliated_with_any_party_is_never_assigned(env: Env, affiliation: str) -> None:
    case_id = to_state(env, "eligible")
    with env.wf(ADMIN) as wf:
        # the conflicted reviewer is otherwise the better pick: no load at all
        wf.add_reviewer(
            profile("conflicted", affiliations=[{"name": affiliation, "relation": "consultant"}])
        )
        ranked = wf.candidates(case_id)
        bad = next(c for c in ranked if c.reviewer_id == "conflicted")
        assert not bad.eligible and bad.conflicts
        with pytest.raises(ConflictError, match="cannot take this case"):
            wf.assign(case_id, reviewer_id="conflicted")
    with env.wf(ADMIN) as wf, pytest.raises(ConflictError, match="no reviewer"):
        wf.assign(case_id)  # the only reviewer is conflicted
    with env.wf(ADMIN) as wf:
        wf.add_reviewer(profile("clean"))
        assert wf.assign(case_id).reviewer_id == "clean"


def test_unqualified_reviewers_are_not_assigned(env: Env) -> None:
    case_id = to_state(env, "eligible")
    with env.wf(ADMIN) as wf:
        wf.add_reviewer(profile("new-doctor", years_in_practice=3))
        wf.add_reviewer(profile("part-time", weekly_practice_hours=10))
        wf.add_reviewer(
            profile("revoked", licenses=[{"state": "CA", "number": "1", "status": "revoked"}])
        )
        wf.add_reviewer(profile("uncertified", board_certifications=[]))
        wf.add_reviewer(
            profile(
                "disciplined",
                disciplinary_actions=[{"authority": "MBC", "description": "probation"}],
            )
        )
        wf.add_reviewer(profile("inactive", active=False))
        problems = {r.id: r.qualification_problems for r in wf.list_reviewers()}
        assert all(problems.values())
        with pytest.raises(ConflictError, match="no reviewer"):
            wf.assign(case_id)


def test_assignment_balances_load(env: Env) -> None:
    with env.wf(ADMIN) as wf:
        wf.add_reviewer(profile("one"))
        wf.add_reviewer(profile("two"))
    chosen = []
    for n in range(4):
        case_id = to_state(
            env,
            "eligible",
            case_id=f"CM13-000000{n + 2}",
            patient__date_of_injury=f"2000-06-1{n}",
        )
        with env.wf(ADMIN) as wf:
            chosen.append(wf.assign(case_id).reviewer_id)
    assert sorted(chosen) == ["one", "one", "two", "two"]


def test_reviewer_name_never_in_letter(env: Env) -> None:
    case_id = to_state(env, "letter_issued")
    with env.wf(AUDITOR) as wf:
        text, _ = wf.letter(case_id, "text")
        html, _ = wf.letter(case_id, "html")
    for body in (text.decode(), html.decode()):
        assert "Rev-A" not in body and "rev-a" not in body
        assert "California" in body and "Anesthesiology" in body  # the credentials are shown


# ------------------------------------------------------------------ roles


def test_reviewer_sees_and_acts_only_on_assigned_cases(env: Env) -> None:
    mine = to_state(env, "in_review", reviewer="rev-a")
    other = to_state(
        env,
        "in_review",
        reviewer="rev-b",
        case_id="CM13-0000009",
        patient__date_of_injury="2001-01-02",
    )
    with env.wf(reviewer_actor("rev-a")) as wf:
        assert [c.id for c in wf.list_cases()] == [mine]
        with pytest.raises(NotFoundError):
            wf.get_case(other)
        with pytest.raises(NotFoundError):
            wf.decide_item(other, 0, DecideIn(action="accept"))
        with pytest.raises(NotFoundError):
            wf.get_draft(other)


@pytest.mark.parametrize(
    ("actor", "call"),
    [
        (AUDITOR, lambda wf, c: wf.screen(c)),
        (AUDITOR, lambda wf, c: wf.withdraw(c, "x")),
        (INTAKE, lambda wf, c: wf.assign(c)),
        (INTAKE, lambda wf, c: wf.events(c)),
        (INTAKE, lambda wf, c: wf.create_key("administrator")),
        (ADMIN, lambda wf, c: wf.finalize(c)),
        (ADMIN, lambda wf, c: wf.decide_item(c, 0, DecideIn(action="accept"))),
        (reviewer_actor("rev-a"), lambda wf, c: wf.issue_letter(c)),
        (reviewer_actor("rev-a"), lambda wf, c: wf.events(c)),
    ],
)
def test_roles_are_enforced(env: Env, actor: Any, call: Any) -> None:
    case_id = to_state(env, "in_review", reviewer="rev-a")
    with env.wf(actor) as wf, pytest.raises(PermissionDeniedError):
        call(wf, case_id)


def test_reviewer_keys_name_a_reviewer_on_the_panel(env: Env) -> None:
    with env.wf(ADMIN) as wf, pytest.raises(InputError, match="reviewer"):
        wf.create_key("reviewer")
    with env.wf(ADMIN) as wf, pytest.raises(NotFoundError):
        wf.create_key("reviewer", reviewer_id="nobody")
    with env.wf(ADMIN) as wf, pytest.raises(InputError, match="unknown role"):
        wf.create_key("superuser")


# ------------------------------------------------------------------ audit


def test_every_read_and_write_is_audited(env: Env) -> None:
    case_id = to_state(env, "in_review")
    with env.wf(reviewer_actor("rev-a")) as wf:
        wf.get_case(case_id)
        wf.get_draft(case_id)
        wf.list_cases()
    with env.wf(AUDITOR) as wf:
        events = wf.events(case_id)
    actions = [(e.actor, e.kind, e.action) for e in events]
    assert ("test:rev-a", "read", "read_case") in actions
    assert ("test:rev-a", "read", "read_draft") in actions
    assert ("test:rev-a", "read", "list_cases") in actions
    with env.wf(AUDITOR) as wf:
        again = wf.events(case_id)
    assert again[-1].action == "read_events" and again[-1].actor == "test:auditor"


# ------------------------------------------------------------------ safety


def test_the_same_application_twice_makes_one_case(env: Env) -> None:
    first = submit_seed(env)
    with env.wf(INTAKE) as wf:
        again = wf.submit(case_bytes(), seed_records())
    assert not again.created and again.case.id == first
    assert env.count("cases") == 1


def test_a_corrected_application_replaces_the_case_yaml_while_in_intake(env: Env) -> None:
    # issue 13, defect 9: a corrected case.yaml could not be resubmitted (409)
    first = submit_seed(env)
    with env.wf(INTAKE) as wf:
        out = wf.submit(case_bytes(review_type="expedited"), seed_records())
    assert out.created is False and out.corrected is True
    assert out.case.id == first and out.case.review_type == "expedited"
    kinds = sorted(d.kind for d in out.case.documents)
    assert kinds.count("case_yaml") == 1 and kinds.count("superseded") == 1
    assert env.count("cases") == 1
    with env.wf(AUDITOR) as wf:
        assert any(e.action == "application_corrected" for e in wf.events(first))


def test_same_case_number_with_other_content_after_screening_is_a_conflict(env: Env) -> None:
    case_id = to_state(env, "assigned")
    with env.wf(INTAKE) as wf, pytest.raises(ConflictError, match="already on file"):
        wf.submit(case_bytes(review_type="expedited"), seed_records())
    with env.wf(INTAKE) as wf:
        assert wf.get_case(case_id).review_type == "regular"
    assert env.count("cases") == 1


def test_concurrent_double_submit_makes_one_case(env: Env) -> None:
    results: list[Any] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def go() -> None:
        try:
            barrier.wait()
            with env.wf(INTAKE) as wf:
                results.append(wf.submit(case_bytes(), seed_records()))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({r.case.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert env.count("cases") == 1


def test_two_finalizes_only_one_wins(env: Env) -> None:
    case_id = to_state(env, "in_review")
    rev = reviewer_actor("rev-a")
    with env.wf(rev) as wf:
        for i in range(2):
            wf.decide_item(case_id, i, DecideIn(action="accept"))
    outcomes: list[str] = []
    barrier = threading.Barrier(3)

    def go() -> None:
        barrier.wait()
        try:
            with env.wf(rev) as wf:
                wf.finalize(case_id)
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=go) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "conflict", "ok"]
    assert env.count("determinations") == 1
    assert [t[2] for t in transitions_of(env, case_id)].count("finalize") == 1


def test_stale_session_cannot_finalize_twice(env: Env) -> None:
    """Two sessions hold the same case; the second commit is refused (version check)."""
    case_id = to_state(env, "in_review")
    rev = reviewer_actor("rev-a")
    with env.wf(rev) as wf:
        for i in range(2):
            wf.decide_item(case_id, i, DecideIn(action="accept"))
    with env.wf(rev) as wf:
        wf.finalize(case_id)
    with env.wf(rev) as wf, pytest.raises(InvalidTransitionError, match="'determined'"):
        wf.finalize(case_id)


def test_a_crash_mid_submit_leaves_no_half_case(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real_put = env.blobs.put

    def failing_put(data: bytes) -> str:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real_put(data)

    monkeypatch.setattr(env.blobs, "put", failing_put)
    records = [*seed_records(), Upload("second.txt", b"Another progress note.")]
    with pytest.raises(OSError), env.wf(INTAKE) as wf:
        wf.submit(case_bytes(), records)
    assert env.count("cases") == 0
    assert env.count("documents") == 0
    assert env.count("events") == 0


def test_a_crash_in_the_engine_leaves_the_case_as_it_was(env: Env) -> None:
    case_id = to_state(env, "records_received")

    def broken(case: Any) -> Any:
        raise RuntimeError("engine bug")

    env.review_engine = broken
    with pytest.raises(RuntimeError), env.wf(reviewer_actor("rev-a")) as wf:
        wf.draft(case_id)
    assert wf_case(env, case_id).state == "records_received"
    assert env.count("drafts") == 0


def test_upload_limits(env: Env) -> None:
    limits = Limits(max_file_bytes=1000, max_files=3, max_request_bytes=2500)
    session = env.sessions()
    try:
        wf = Workflow(session, env.blobs, INTAKE, clock=env.clock, limits=limits)
        with pytest.raises(UploadTooLargeError, match=r"big\.txt"):
            wf.submit(case_bytes(), [Upload("big.txt", b"x" * 1001)])
        with pytest.raises(UploadTooLargeError, match="at most 3"):
            wf.submit(case_bytes(), [Upload(f"r{i}.txt", b"x") for i in range(3)])
        with pytest.raises(UploadTooLargeError, match="2500"):
            wf.submit(case_bytes(), [Upload(f"r{i}.txt", b"x" * 900) for i in range(2)])
    finally:
        session.rollback()
        session.close()
    assert env.count("cases") == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../etc/passwd.txt", "plain file name"),
        ("notes.exe", "unsupported record type"),
        (".hidden.txt", "plain file name"),
    ],
)
def test_bad_record_names_are_refused(env: Env, name: str, message: str) -> None:
    with env.wf(INTAKE) as wf, pytest.raises(InputError, match=message):
        wf.submit(case_bytes(), [Upload(name, b"text")])


def test_bad_case_yaml_names_the_field(env: Env) -> None:
    with env.wf(INTAKE) as wf, pytest.raises(CaseFormatError) as info:
        wf.submit(case_bytes(utilization_review__date="30/08/2013"), seed_records())
    assert info.value.file == "case.yaml"
    assert info.value.field == "utilization_review.date"
    assert "/tmp" not in str(info.value)


def test_attach_records_checks_and_stores_them(env: Env) -> None:
    case_id = to_state(env, "assigned")
    with env.wf(INTAKE) as wf:
        docs = wf.attach_records(case_id, [Upload("records/2013-09-01-pt.txt", b"PT note.")])
    assert docs[0].name == "records/2013-09-01-pt.txt"
    import hashlib

    assert docs[0].sha256 == hashlib.sha256(b"PT note.").hexdigest()
    with env.wf(INTAKE) as wf, pytest.raises(ConflictError, match="already on file"):
        wf.attach_records(case_id, [Upload("2013-09-01-pt.txt", b"other")])
    with env.wf(INTAKE) as wf:
        _doc, data = wf.record(case_id, docs[0].id)
    assert data == b"PT note."


def test_no_record_text_in_logs(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    record_text = seed_records()[0].data.decode("utf-8")
    snippets = [line.strip() for line in record_text.splitlines() if len(line.strip()) > 30]
    with caplog.at_level("DEBUG"):
        case_id = to_state(env, "letter_issued")
        with env.wf(AUDITOR) as wf:
            wf.get_draft(case_id)
            wf.letter(case_id, "text")
    assert caplog.records, "the service logs its events"
    assert case_id in caplog.text
    for snippet in snippets[:20]:
        assert snippet not in caplog.text
