"""Spans and facts: what the extractor found, tied to exact characters of a record."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

FactValue = bool | int | float | str
FactSide = Literal["left", "right", "bilateral"]


class Span(BaseModel):
    """Characters ``text[start:end]`` of the record at ``record``; ``quote`` equals them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record: str
    start: int
    end: int
    quote: str
    page: int | None = None
    section: str | None = None


class Context(BaseModel):
    """ConText attributes of the mention a fact came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    negated: bool = False
    historical: bool = False
    hypothetical: bool = False
    family: bool = False
    uncertain: bool = False


class Fact(BaseModel):
    """One clinical fact from the vocabulary (``library/data/facts/*.yaml``).

    A boolean fact whose mention is negated ("no functional improvement") carries
    ``value=False``: the record says otherwise, which is not the same as silence.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    value: FactValue
    unit: str | None = None
    spans: tuple[Span, ...] = ()
    context: Context = Context()
    qualifier: str | None = None
    """Free refinement, e.g. the therapy type for a visit count or the drug for a dose."""
    confidence: float = 1.0
    side: FactSide | None = None
    """The side the mention is about, as its sentence (or the heading above it) states it."""
    region: str | None = None
    """The body region the mention is about (a region id of the request catalogue,
    ``library/data/treatments.yaml``), as its sentence or heading names it; None: unlocated."""
