"""The workflow rules of the law as dated, cited data (``library/data/law.yaml``).

Each rule (``imr-applies``, ``business-day``, ``twelve-month-rule`` ...) has versions in force
over date ranges, like the criteria sets. A version names its citation and says whether its
text was read (``read``: the quoted words were read in the public copy named; ``secondary``:
read only as quoted by a practitioner or case summary) or could not be read (``not-read``:
``assumption`` says what openimr assumes instead). :func:`rule_on` gives the version in force
on a date; the workflow modules take their numbers and citations from it, so a change in the
law is a new dated version, and tests cover both sides of each effective date.
"""

from __future__ import annotations

import datetime as dt
import itertools
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openimr.errors import LibraryError
from openimr.process.datafile import parse_model, shipped_text

LAW_RESOURCE = "data/law.yaml"
#: The first day of the law data: an earlier event takes its rules from that day.
LAW_DATA_START = dt.date(2013, 1, 1)
ReadStatus = Literal["read", "secondary", "not-read"]


class LawError(LibraryError):
    """The law data is invalid, or no version of a rule is in force on a date."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LawVersion(_Frozen):
    """One version of a rule, in force from ``effective`` to ``until`` (both included)."""

    id: str
    effective: dt.date
    until: dt.date | None = None
    citation: str = Field(min_length=1)
    status: ReadStatus
    quote: str | None = None
    phrase: str | None = None
    """The short phrase of ``quote`` the code relies on (used in citations)."""
    read_from: str | None = None
    assumption: str | None = None
    note: str | None = None
    values: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _sourced(self) -> LawVersion:
        if self.until is not None and self.until < self.effective:
            raise ValueError(f"until ({self.until}) is before effective ({self.effective})")
        if self.status == "not-read":
            if not self.assumption:
                raise ValueError("a rule that was not read must state its assumption")
        elif not (self.quote and self.read_from):
            raise ValueError("a rule that was read must quote the text and name read_from")
        if self.phrase is not None and (
            self.quote is None or " ".join(self.phrase.split()) not in " ".join(self.quote.split())
        ):
            raise ValueError("phrase must be words of the quote")
        return self

    def in_force(self, day: dt.date) -> bool:
        return self.effective <= day and (self.until is None or day <= self.until)

    @property
    def verified(self) -> bool:
        """True only when the primary text itself was read."""
        return self.status == "read"

    def relied_on(self) -> str | None:
        """The phrase of the text the code relies on (None when the text was not read)."""
        if self.quote is None:
            return None
        words = " ".join((self.phrase or self.quote).split())
        if len(words) > 160:
            words = words[:157].rstrip() + "..."
        return words

    def cite(self) -> str:
        """The citation with the phrase relied on, for a reason's citation."""
        phrase = self.relied_on()
        if phrase is None:
            return f"{self.citation} [text not read]"
        return f'{self.citation} ("{phrase}")'


class LawRule(_Frozen):
    id: str
    title: str
    versions: list[LawVersion] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_overlap(self) -> LawRule:
        ordered = sorted(self.versions, key=lambda v: v.effective)
        for before, after in itertools.pairwise(ordered):
            if before.until is None or before.until >= after.effective:
                raise ValueError(
                    f"versions {before.id!r} and {after.id!r} overlap: give {before.id!r} an "
                    f"until before {after.effective}"
                )
        return self

    def on(self, day: dt.date) -> LawVersion | None:
        return next((v for v in self.versions if v.in_force(day)), None)


class LawBook(_Frozen):
    rules: list[LawRule]

    def rule(self, rule_id: str) -> LawRule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise LawError(f"no rule {rule_id!r} in the law data", field="rules")


def parse_law(text: str, file: str) -> LawBook:
    """The law data from YAML text; errors name ``file:line`` and the field."""
    book, _ = parse_model(text, file, LawBook, LawError)
    ids = [r.id for r in book.rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise LawError(f"rule ids used twice: {', '.join(dupes)}", file=file)
    return book


@lru_cache(maxsize=1)
def load_law() -> LawBook:
    """The law data shipped with openimr (cached)."""
    return parse_law(*shipped_text(LAW_RESOURCE))


def rule_on(rule_id: str, day: dt.date, *, book: LawBook | None = None) -> LawVersion:
    """The version of ``rule_id`` in force on ``day``; :class:`LawError` when none is."""
    rule = (book or load_law()).rule(rule_id)
    version = rule.on(day)
    if version is None:
        first = min(v.effective for v in rule.versions)
        raise LawError(
            f"no version of {rule_id!r} is in force on {day.isoformat()} "
            f"(the data starts {first.isoformat()})",
            field=rule_id,
        )
    return version


def rule_on_or_none(rule_id: str, day: dt.date) -> LawVersion | None:
    """Like :func:`rule_on`, but None when the rule is not in force on ``day``."""
    return load_law().rule(rule_id).on(day)
