"""The REST API app (FastAPI): a thin shell over :class:`openimr.service.Workflow`.

Each request is one transaction: the endpoint authenticates the API key, runs one service
action and commits before answering; any error rolls everything back (no half case). Slow
work stays outside the transaction: uploaded records are read before it opens, and a draft
reads the case, runs the engine with no transaction open, then stores the result (or runs
as a background job, ``/draft-jobs``). Routes are synchronous, so uploads are read on a
worker thread, never on the event loop. Errors
a caller can cause come back as ``{"error": code, "message": ..., "field": ...}`` with a 4xx
status. Record text is never logged.
"""

from __future__ import annotations

from fastapi import FastAPI

from openimr import __version__
from openimr.api import (
    cases,
    closing,
    health,
    keys,
    letters,
    oversight,
    review,
    reviewers,
    workflow,
)
from openimr.api.context import Context
from openimr.api.errors import UPLOAD_ERRORS, add_error_handlers
from openimr.api.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from openimr.api.warm import warm_lifespan
from openimr.service import Settings, system_clock
from openimr.service.workflow import Clock, ReviewEngine
from openimr.store import BlobStore, init_db, session_factory

ROUTERS = (health, cases, workflow, review, letters, closing, oversight, reviewers, keys)
"""The route modules, in the order their routes are matched and documented."""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    review_engine: ReviewEngine | None = None,
) -> FastAPI:
    """The API app: opens (and migrates) the database named by ``settings``.

    ``clock`` and ``review_engine`` replace the system clock and :func:`openimr.pipeline.review_case`
    (tests and benchmarks inject them).
    """
    settings = settings or Settings()
    engine = init_db(settings.url)
    ctx = Context(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        blobs=BlobStore(settings.blob_dir),
        clock=clock or system_clock,
        review_engine=review_engine,
    )
    app = FastAPI(
        title="openimr IMR workflow service",
        version=__version__,
        lifespan=warm_lifespan(review_engine is None),
        description=(
            "Cases for California workers' compensation Independent Medical Review: submit, "
            "screen, assign, draft, decide, finalize, issue the Final Determination Letter. "
            "Every call needs an API key (`Authorization: Bearer ...`); every read and write "
            "of a case is in the audit trail."
        ),
        responses=UPLOAD_ERRORS,
    )
    app.state.ctx = ctx
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_request_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    add_error_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)
    from openimr.web import register as register_web

    register_web(app)
    return app
