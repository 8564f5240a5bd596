"""What every request needs (:class:`Context`: the session factory, the blob store, the
clock, the limits), one request's unit of work (authenticate, one transaction, the audit of
a refusal), and the background draft jobs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from openimr.errors import AuthenticationError, ConflictError, OpenIMRError, PermissionDeniedError
from openimr.service import Actor, Role, Settings, Workflow, authenticate
from openimr.service.workflow import Clock, ReviewEngine, run_review
from openimr.store import BlobStore, events, transaction
from openimr.store import jobs as stored_jobs
from openimr.store.models import EventRow

log = logging.getLogger("openimr.api")


@dataclass
class Context:
    """What every request needs: the session factory, the blob store, the clock, the limits."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    clock: Clock
    review_engine: ReviewEngine | None = None
    _jobs: ThreadPoolExecutor | None = field(default=None, repr=False)
    _jobs_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def workflow(self, session: Session, actor: Actor) -> Workflow:
        return Workflow(
            session,
            self.blobs,
            actor,
            clock=self.clock,
            limits=self.settings.limits,
            review_engine=self.review_engine,
            organization=self.settings.organization,
        )

    @contextmanager
    def unit(self, key: str | None) -> Iterator[Workflow]:
        """Authenticate ``key`` and yield a workflow in one transaction (committed on success).

        A refused key or action is rolled back and then recorded in the audit trail on its
        own (``kind: denied``), so that refusals leave a trace.
        """
        session = self.sessions()
        actor: Actor | None = None
        try:
            actor = authenticate(session, key)
            yield self.workflow(session, actor)
            session.commit()
        except (AuthenticationError, PermissionDeniedError) as exc:
            session.rollback()
            if key:
                self.record_denied(exc, actor)
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def record_denied(
        self, exc: AuthenticationError | PermissionDeniedError, actor: Actor | None
    ) -> None:
        """One audit event for a refused request (never the key, never record text)."""
        who = actor.id if actor is not None else getattr(exc, "actor", None) or "anonymous"
        role = actor.role.value if actor is not None else "none"
        action = (
            "authentication_failed" if isinstance(exc, AuthenticationError) else "permission_denied"
        )
        try:
            with transaction(self.sessions) as session:
                events.append(
                    session,
                    EventRow(
                        case_id=None,
                        at=self.clock(),
                        actor=who,
                        role=role,
                        kind="denied",
                        action=action,
                        reason=exc.message[:500],
                        detail={},
                    ),
                )
        except Exception:  # the refusal stands even if it cannot be recorded
            log.exception("could not record a refused request in the audit trail")

    def submit_job(self, job_id: int) -> None:
        with self._jobs_lock:
            if self._jobs is None:
                self._jobs = ThreadPoolExecutor(
                    max_workers=max(1, self.settings.draft_workers),
                    thread_name_prefix="openimr-draft",
                )
            self._jobs.submit(run_draft_job, self, job_id)

    def shutdown(self) -> None:
        with self._jobs_lock:
            if self._jobs is not None:
                self._jobs.shutdown(wait=False, cancel_futures=True)
                self._jobs = None


def _finish_job(ctx: Context, job_id: int, *, error: str | None, draft_id: int | None) -> None:
    with transaction(ctx.sessions) as session:
        job = stored_jobs.get(session, job_id)
        if job is None:  # pragma: no cover - jobs are never deleted
            return
        job.state = "failed" if error else "done"
        job.error = error
        job.draft_id = draft_id
        job.finished_at = ctx.clock()


def run_draft_job(ctx: Context, job_id: int) -> None:
    """Run one queued draft: read (short transaction), engine (no transaction), store (short)."""
    try:
        with transaction(ctx.sessions) as session:
            job = stored_jobs.get(session, job_id)
            if job is None or job.state != "queued":
                return
            job.state = "running"
            job.started_at = ctx.clock()
            actor = Actor(id=job.actor, role=Role(job.role), reviewer_id=job.reviewer_id)
            queued_version = job.case_version
            case_id = job.case_id
        with transaction(ctx.sessions) as session:
            inp = ctx.workflow(session, actor).draft_input(case_id)
        if inp.version != queued_version:
            raise ConflictError("the case changed after the draft was queued; draft again")
        review = run_review(inp, ctx.review_engine, ctx.settings.limits)
        with transaction(ctx.sessions) as session:
            out = ctx.workflow(session, actor).store_draft(inp, review)
    except OpenIMRError as exc:
        _finish_job(ctx, job_id, error=str(exc), draft_id=None)
        return
    except Exception:
        log.exception("draft job %s failed", job_id)
        _finish_job(
            ctx, job_id, error="the engine failed on this case (see the server log)", draft_id=None
        )
        return
    _finish_job(ctx, job_id, error=None, draft_id=out.draft_id)
