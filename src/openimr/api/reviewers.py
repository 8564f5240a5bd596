"""The reviewer panel: add, replace, list and read reviewer profiles."""

from __future__ import annotations

from fastapi import APIRouter

from openimr.api.deps import Ctx, Key, ReviewerId
from openimr.errors import InputError
from openimr.service.schemas import ReviewerIn, ReviewerOut

router = APIRouter()


@router.post("/api/reviewers", tags=["reviewers"], response_model=ReviewerOut, status_code=201)
def add_reviewer(ctx: Ctx, key: Key, body: ReviewerIn) -> ReviewerOut:
    with ctx.unit(key) as wf:
        return wf.add_reviewer(body)


@router.put("/api/reviewers/{reviewer_id}", tags=["reviewers"], response_model=ReviewerOut)
def replace_reviewer(ctx: Ctx, key: Key, reviewer_id: ReviewerId, body: ReviewerIn) -> ReviewerOut:
    if body.id != reviewer_id:
        raise InputError("the body's id differs from the one in the path", field="id")
    with ctx.unit(key) as wf:
        return wf.add_reviewer(body, replace=True)


@router.get("/api/reviewers", tags=["reviewers"], response_model=list[ReviewerOut])
def list_reviewers(ctx: Ctx, key: Key) -> list[ReviewerOut]:
    with ctx.unit(key) as wf:
        return wf.list_reviewers()


@router.get("/api/reviewers/{reviewer_id}", tags=["reviewers"], response_model=ReviewerOut)
def get_reviewer(ctx: Ctx, key: Key, reviewer_id: ReviewerId) -> ReviewerOut:
    with ctx.unit(key) as wf:
        return wf.get_reviewer(reviewer_id)
