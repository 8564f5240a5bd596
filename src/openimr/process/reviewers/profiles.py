"""The reviewer registry's shapes: a reviewer's profile (licences, board certifications,
affiliations, load) and the parties of a case a reviewer must not be affiliated with."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from openimr.errors import OpenIMRError

LicenseStatus = Literal["active", "restricted", "revoked", "expired"]
AffiliationKind = Literal[
    "employer",
    "insurer",
    "claims_administrator",
    "provider-group",
    "facility",
    "manufacturer",
    "ur-organization",
    "law-firm",
    "family",
    "other",
]
Profession = Literal[
    "physician",
    "psychologist",
    "chiropractor",
    "acupuncturist",
    "podiatrist",
    "dentist",
    "optometrist",
    "other",
]


class ReviewerError(OpenIMRError):
    """A reviewer or case-party input that cannot be used."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- US states ------------------------------------------------------------------------------

US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah",
    "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
}  # fmt: skip
_STATE_BY_NAME = {name.casefold(): code for code, name in US_STATES.items()}


def state_code(value: str) -> str:
    """Two-letter code for a US state given as a code or a name ("California" -> "CA")."""
    text = " ".join(value.replace(".", " ").split())
    if text.upper() in US_STATES:
        return text.upper()
    code = _STATE_BY_NAME.get(text.casefold())
    if code is None:
        raise ValueError(f"not a US state: {value!r}")
    return code


# -- registry shapes ------------------------------------------------------------------------


class License(_Frozen):
    state: str
    number: str
    status: LicenseStatus = "active"
    expires: dt.date | None = None

    @field_validator("state")
    @classmethod
    def _state(cls, value: str) -> str:
        return state_code(value)

    def in_force(self, today: dt.date) -> bool:
        """Active and not past its expiry date."""
        return self.status == "active" and (self.expires is None or self.expires >= today)


class BoardCertification(_Frozen):
    board: str
    specialty: str
    subspecialty: str | None = None
    current: bool = True
    expires: dt.date | None = None

    def in_force(self, today: dt.date) -> bool:
        return self.current and (self.expires is None or self.expires >= today)


class Affiliation(_Frozen):
    name: str
    kind: AffiliationKind = "other"
    relation: str = ""
    until: dt.date | None = None


class DisciplinaryAction(_Frozen):
    authority: str
    description: str
    date: dt.date | None = None
    pending: bool = False


class ReviewerProfile(_Frozen):
    """One reviewer in the IMRO's registry. ``name`` never leaves the IMRO (LC 4610.6(f))."""

    id: str
    name: str | None = None
    profession: Profession = "physician"
    licenses: list[License] = Field(default_factory=list)
    board_certifications: list[BoardCertification] = Field(default_factory=list)
    specialties: list[str] = Field(default_factory=list)
    years_in_practice: float = Field(ge=0)
    weekly_practice_hours: float = Field(ge=0)
    affiliations: list[Affiliation] = Field(default_factory=list)
    disciplinary_actions: list[DisciplinaryAction] = Field(default_factory=list)
    current_load: int = Field(default=0, ge=0)
    max_load: int = Field(ge=0)
    active: bool = True


class CaseParties(_Frozen):
    """Everyone a reviewer must not be affiliated with (Lab. Code 139.5)."""

    employer: str | None = None
    insurer: str | None = None
    claims_administrator: str | None = None
    ur_organization: str | None = None
    providers: list[str] = Field(default_factory=list)
    facility: str | None = None
    manufacturers: list[str] = Field(default_factory=list)
    employee: str | None = None
    employee_attorney: str | None = None
    others: list[str] = Field(default_factory=list)

    def named(self) -> list[tuple[str, str]]:
        """(role, name) for every named party."""
        out: list[tuple[str, str]] = []
        for role in (
            "employer",
            "insurer",
            "claims_administrator",
            "ur_organization",
            "facility",
            "employee",
            "employee_attorney",
        ):
            value = getattr(self, role)
            if value and value.strip():
                out.append((role, value))
        for role, values in (
            ("provider", self.providers),
            ("manufacturer", self.manufacturers),
            ("other", self.others),
        ):
            out.extend((role, v) for v in values if v.strip())
        return out
