"""Service routes: liveness and who the caller is."""

from __future__ import annotations

from fastapi import APIRouter

from openimr import __version__
from openimr.api.deps import Ctx, Key

router = APIRouter()


@router.get("/api/health", tags=["service"])
async def health(ctx: Ctx) -> dict[str, str]:
    """Liveness (no key needed). Answered on the event loop itself: it touches no
    database and no file, so it never waits for a worker thread."""
    return {"status": "ok", "version": __version__, "database": ctx.engine.dialect.name}


@router.get("/api/whoami", tags=["service"])
def whoami(ctx: Ctx, key: Key) -> dict[str, str | None]:
    with ctx.unit(key) as wf:
        return {
            "actor": wf.actor.id,
            "role": wf.actor.role.value,
            "reviewer_id": wf.actor.reviewer_id,
        }
