"""API keys (administrators): make, list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from openimr.api.deps import MAX_ID, Ctx, Key
from openimr.service.schemas import KeyIn, KeyInfoOut, KeyOut

router = APIRouter()


@router.post("/api/keys", tags=["service"], response_model=KeyOut, status_code=201)
def create_key(ctx: Ctx, key: Key, body: KeyIn) -> KeyOut:
    """Make an API key for a role (administrators only); the key is shown once."""
    with ctx.unit(key) as wf:
        return wf.create_key(body.role, reviewer_id=body.reviewer_id, label=body.label)


@router.get("/api/keys", tags=["service"], response_model=list[KeyInfoOut])
def list_keys(ctx: Ctx, key: Key) -> list[KeyInfoOut]:
    """Every API key (prefix, role, when made, when revoked); never the keys themselves."""
    with ctx.unit(key) as wf:
        return wf.list_keys()


@router.delete("/api/keys/{key_id}", tags=["service"], response_model=KeyInfoOut)
def revoke_key(ctx: Ctx, key: Key, key_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> KeyInfoOut:
    """Revoke an API key: every later request with it is refused (and audited)."""
    with ctx.unit(key) as wf:
        return wf.revoke_key(key_id)
