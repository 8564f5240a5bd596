"""The expert reviewers: registry, qualifications, conflicts, specialty match and ranking.

* :mod:`.profiles`: a reviewer's profile and the parties of a case (the registry's shapes).
* :mod:`.qualifications`: :func:`qualification_problems` checks a reviewer against Labor Code
  139.5 and the IMRO's published practice (license, board certification, years and hours in
  practice, discipline).
* :mod:`.conflict_checks`: :func:`conflicts` finds affiliations with any party to the case
  (Labor Code 139.5), comparing names after normalisation (case, punctuation, corporate
  suffixes, titles such as "Dr." or "MD").
* :mod:`.specialties`: :func:`specialties_for` maps a treatment, condition and body regions to
  the "same or similar" specialties, from ``openimr/library/data/specialties.yaml``.
* :mod:`.ranking`: :func:`rank_candidates` keeps qualified, conflict-free, specialty-matching
  reviewers under their maximum load, best specialty match first and then lowest load, and
  records every excluded reviewer with the reasons (audit trail).
* :mod:`.credentials`: :func:`credentials_paragraph` writes the letter's qualifications
  paragraph without the name.

The names below are re-exported here because ``service``, ``signing``, ``fromcase``, the
benchmarks and the tests import them from ``openimr.process.reviewers``.
"""

from openimr.process.reviewers.conflict_checks import Conflict, conflicts
from openimr.process.reviewers.credentials import credentials_paragraph
from openimr.process.reviewers.profiles import (
    US_STATES,
    Affiliation,
    AffiliationKind,
    BoardCertification,
    CaseParties,
    DisciplinaryAction,
    License,
    LicenseStatus,
    Profession,
    ReviewerError,
    ReviewerProfile,
    state_code,
)
from openimr.process.reviewers.qualifications import (
    CITE_139_5,
    YEARS_HOURS_SOURCE,
    QualificationPolicy,
    QualificationProblem,
    qualification_issues,
    qualification_problems,
)
from openimr.process.reviewers.ranking import (
    Candidate,
    CandidateList,
    Exclusion,
    Ranking,
    SpecialtyMatch,
    rank_candidates,
    rank_reviewers,
)
from openimr.process.reviewers.specialties import (
    SPECIALTIES_RESOURCE,
    SpecialtyMap,
    load_specialty_map,
    parse_specialty_map,
    reviewer_specialties,
    specialties_for,
)

__all__ = [
    "CITE_139_5",
    "SPECIALTIES_RESOURCE",
    "US_STATES",
    "YEARS_HOURS_SOURCE",
    "Affiliation",
    "AffiliationKind",
    "BoardCertification",
    "Candidate",
    "CandidateList",
    "CaseParties",
    "Conflict",
    "DisciplinaryAction",
    "Exclusion",
    "License",
    "LicenseStatus",
    "Profession",
    "QualificationPolicy",
    "QualificationProblem",
    "Ranking",
    "ReviewerError",
    "ReviewerProfile",
    "SpecialtyMap",
    "SpecialtyMatch",
    "conflicts",
    "credentials_paragraph",
    "load_specialty_map",
    "parse_specialty_map",
    "qualification_issues",
    "qualification_problems",
    "rank_candidates",
    "rank_reviewers",
    "reviewer_specialties",
    "specialties_for",
    "state_code",
]
