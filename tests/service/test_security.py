"""Revoked keys, deactivated reviewers, the hash-chained audit trail, drafts outside the
transaction and the blob sweep (docs/security.md), on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from wfsupport import ADMIN, INTAKE, Env, fake_engine, profile, reviewer_actor, to_state

from openimr.errors import AuthenticationError, ConflictError, PermissionDeniedError
from openimr.service import Upload, authenticate
from openimr.service.review import run_review
from openimr.service.schemas import DecideIn, ReviewerIn
from openimr.store.audit import GENESIS, verify


def _verify(env: Env) -> tuple[bool, list[tuple[int, str]], list[str]]:
    with env.sessions() as session:
        report = verify(session)
    return report.ok, [(f.event_id, f.problem) for f in report.findings], report.triggers


def _drop_triggers(env: Env) -> None:
    with env.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER events_no_update"))
            conn.execute(text("DROP TRIGGER events_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER events_no_update ON events"))


def _event_ids(env: Env) -> list[int]:
    with env.engine.connect() as conn:
        return [int(i) for i in conn.execute(text("SELECT id FROM events ORDER BY id")).scalars()]


# ----------------------------------------------------------------------------- audit chain


def test_every_event_is_chained_and_the_trail_verifies(env: Env) -> None:
    to_state(env, "in_review")
    with env.engine.connect() as conn:
        rows = conn.execute(text("SELECT prev_hash, hash FROM events ORDER BY id")).all()
    assert len(rows) > 10
    assert rows[0][0] == GENESIS
    for (_, before), (prev, _) in itertools.pairwise(rows):
        assert prev == before
    assert _verify(env) == (True, [], [])


def test_a_dropped_trigger_is_reported(env: Env) -> None:
    to_state(env, "eligible")
    _drop_triggers(env)
    ok, findings, triggers = _verify(env)
    assert not ok and not findings and "events_no_update" in triggers


def test_an_edited_event_is_found(env: Env) -> None:
    to_state(env, "eligible")
    ids = _event_ids(env)
    _drop_triggers(env)
    with env.engine.begin() as conn:
        conn.execute(text("UPDATE events SET actor = 'someone-else' WHERE id = :i"), {"i": ids[2]})
    _ok, findings, _ = _verify(env)
    assert findings == [(ids[2], "content does not match its hash (edited or forged)")]


def test_a_removed_event_is_found_at_the_next_one(env: Env) -> None:
    to_state(env, "eligible")
    ids = _event_ids(env)
    _drop_triggers(env)
    with env.engine.begin() as conn:
        conn.execute(text("DELETE FROM events WHERE id = :i"), {"i": ids[3]})
    _ok, findings, _ = _verify(env)
    assert [f[0] for f in findings] == [ids[4]]
    assert "removed" in findings[0][1]


def test_a_forged_event_is_found(env: Env) -> None:
    to_state(env, "eligible")
    with env.engine.begin() as conn:
        last = conn.execute(text("SELECT hash FROM events ORDER BY id DESC LIMIT 1")).scalar_one()
        # a forger who copies the chain's head but cannot make a matching hash
        conn.execute(
            text(
                "INSERT INTO events (case_id, at, actor, role, kind, action, detail, prev_hash, "
                "hash) VALUES (NULL, '2013-09-09 17:00:00', 'key:forged', 'administrator', "
                "'admin', 'create_key', '{}', :prev, :hash)"
            ),
            {"prev": last, "hash": "f" * 64},
        )
    _ok, findings, _ = _verify(env)
    assert len(findings) == 1 and "edited or forged" in findings[0][1]


def test_reordered_events_are_found(env: Env) -> None:
    to_state(env, "eligible")
    ids = _event_ids(env)
    _drop_triggers(env)
    a, b = ids[1], ids[2]
    with env.engine.begin() as conn:
        cols = "case_id, at, actor, role, kind, action, from_state, to_state, reason, detail"
        rows = {
            i: conn.execute(
                text(f"SELECT {cols}, prev_hash, hash FROM events WHERE id = :i"), {"i": i}
            )
            .mappings()
            .one()
            for i in (a, b)
        }
        # swap the two events whole (content and hashes): the order changed
        for target, source in ((a, b), (b, a)):
            values = dict(rows[source])
            sets = ", ".join(f"{c} = :{c}" for c in values)
            if conn.dialect.name == "postgresql":
                sets = sets.replace("detail = :detail", "detail = CAST(:detail AS JSON)")
            import json

            values["detail"] = json.dumps(values["detail"])
            conn.execute(text(f"UPDATE events SET {sets} WHERE id = :id"), {**values, "id": target})
    _ok, findings, _ = _verify(env)
    assert findings and {f[0] for f in findings} <= {a, b, ids[3]}
    assert any("order changed" in f[1] for f in findings)


# ----------------------------------------------------------------------------- keys


def test_a_revoked_key_is_refused(env: Env) -> None:
    with env.wf(ADMIN) as wf:
        made = wf.create_key("intake", label="temp")
    with env.sessions() as session:
        assert authenticate(session, made.key).role.value == "intake"
    with env.wf(ADMIN) as wf:
        revoked = wf.revoke_key(made.prefix)
        assert revoked.revoked_at is not None
        assert [k.revoked_at is not None for k in wf.list_keys() if k.id == made.id] == [True]
    with env.sessions() as session, pytest.raises(AuthenticationError, match="revoked"):
        authenticate(session, made.key)
    with env.engine.connect() as conn:
        actions = list(conn.execute(text("SELECT action FROM events")).scalars())
    assert "revoke_key" in actions


def test_only_an_administrator_revokes_keys(env: Env) -> None:
    with env.wf(ADMIN) as wf:
        made = wf.create_key("auditor")
    with env.wf(INTAKE) as wf, pytest.raises(PermissionDeniedError):
        wf.revoke_key(made.id)


# ----------------------------------------------------------------------------- deactivation


def _deactivate(env: Env, reviewer_id: str) -> None:
    with env.wf(ADMIN) as wf:
        current = profile(reviewer_id)
        wf.add_reviewer(
            ReviewerIn.model_validate({**current.model_dump(), "active": False}), replace=True
        )


def test_a_deactivated_reviewer_cannot_draft_decide_or_finalize(env: Env) -> None:
    case_id = to_state(env, "in_review")
    _deactivate(env, "rev-a")
    rev = reviewer_actor("rev-a")
    for act in (
        lambda wf: wf.draft(case_id),
        lambda wf: wf.decide_item(case_id, 0, DecideIn(action="accept")),
        lambda wf: wf.finalize(case_id),
    ):
        with env.wf(rev) as wf, pytest.raises(PermissionDeniedError, match="deactivated"):
            act(wf)


def test_a_deactivated_reviewers_key_is_refused(env: Env) -> None:
    with env.wf(ADMIN) as wf:
        wf.add_reviewer(profile("rev-z"))
        key = wf.create_key("reviewer", reviewer_id="rev-z").key
    _deactivate(env, "rev-z")
    with env.sessions() as session, pytest.raises(PermissionDeniedError, match="deactivated"):
        authenticate(session, key)


# ----------------------------------------------------------------------------- drafts


def test_a_draft_is_refused_when_the_case_changed_while_the_engine_ran(env: Env) -> None:
    case_id = to_state(env, "records_received")
    rev = reviewer_actor("rev-a")
    with env.wf(rev) as wf:
        inp = wf.draft_input(case_id)
    review = run_review(inp, fake_engine)
    with env.wf(INTAKE) as wf:  # meanwhile a record arrives
        wf.attach_records(case_id, [Upload("late.txt", b"Pain 6/10 after therapy.")])
    with env.wf(rev) as wf, pytest.raises(ConflictError, match="changed while the engine"):
        wf.store_draft(inp, review)
    with env.wf(rev) as wf:  # drafting again works, with the new record
        assert wf.draft(case_id).draft_id


def test_the_review_time_limit_abandons_a_slow_engine(env: Env) -> None:
    from openimr.service.review import ReviewTimeoutError
    from openimr.service.uploads import Limits

    case_id = to_state(env, "records_received")
    with env.wf(reviewer_actor("rev-a")) as wf:
        inp = wf.draft_input(case_id)

    def slow(case: object) -> object:
        time.sleep(3)
        return fake_engine(case)  # type: ignore[arg-type]

    started = time.monotonic()
    with pytest.raises(ReviewTimeoutError, match=r"limit of 0\.5 seconds per review"):
        run_review(inp, slow, Limits(max_review_seconds=0.5))  # type: ignore[arg-type]
    assert time.monotonic() - started < 2


# ----------------------------------------------------------------------------- blobs


def test_the_sweep_removes_only_old_unreferenced_blobs(env: Env, tmp_path: Path) -> None:
    to_state(env, "received")
    kept_before = {p.name for p in env.blobs.files()}
    orphan = env.blobs.path_of(env.blobs.put(b"left by a crash"))
    fresh = env.blobs.path_of(env.blobs.put(b"a request still running"))
    tmp = orphan.parent / ".abc.tmp"
    tmp.write_bytes(b"half")
    old = time.time() - 7200
    for p in (orphan, tmp):
        os.utime(p, (old, old))
    with env.sessions() as session:
        known = set(session.execute(text("SELECT sha256 FROM documents")).scalars())
    report = env.blobs.sweep(lambda d: d in known, older_than=3600)
    assert sorted(Path(r).name for r in report.removed) == sorted([orphan.name, ".abc.tmp"])
    assert not orphan.exists() and not tmp.exists() and fresh.exists()
    assert kept_before <= {p.name for p in env.blobs.files()}


def test_a_draft_job_lost_with_its_server_is_reported_failed_and_can_be_redone(env: Env) -> None:
    case_id = to_state(env, "records_received")
    rev = reviewer_actor("rev-a")
    with env.wf(rev) as wf:
        job = wf.queue_draft(case_id)
    with env.wf(rev) as wf, pytest.raises(ConflictError, match=f"job {job.id}"):
        wf.queue_draft(case_id)  # one draft job per case at a time
    env.clock.advance(seconds=300 + 61)  # nobody ran it: its server stopped
    with env.wf(rev) as wf:
        seen = wf.get_job(job.id)
        assert seen.state == "failed" and "interrupted" in (seen.error or "")
        again = wf.queue_draft(case_id)
        assert again.state == "queued" and again.id != job.id


def test_a_new_key_never_starts_its_random_part_with_a_dash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The key's first characters name it on the command line (`cases revoke-key PREFIX`),
    where an argument starting with "-" would be read as an option."""
    import secrets

    from openimr.service import auth

    tokens = iter(["-starts-with-a-dash", "Abc-def"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: next(tokens))
    assert auth.new_key() == auth.KEY_PREFIX + "Abc-def"
