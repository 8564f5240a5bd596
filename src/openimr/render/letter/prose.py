"""The letter's fixed wording: titles, section leads, the paragraph on how the determination
was made, and the closing paragraphs (binding effect, appeal rights, what follows)."""

from __future__ import annotations

from openimr.render.options import ReviewerCredentials

TITLE = "INDEPENDENT MEDICAL REVIEW FINAL DETERMINATION"
DRAFT_TITLE = "DRAFT \u2014 NOT A FINAL DETERMINATION"
DRAFT_NOTICE = (
    "DRAFT. This is not a determination: no expert reviewer has signed it, it binds no one and "
    "it must not be served on the parties. It was prepared from the case file as a draft for "
    "the expert reviewer, who accepts or changes each decision and signs the Final "
    "Determination."
)
DRAFT_NOT_MTUS = "This draft is not based on the MTUS."
DRAFT_SUMMARY_LEAD = (
    "The following clinical case summary was drafted from the case file, including all "
    "medical records:"
)
DRAFT_ISSUES_LEAD = (
    "Proposed decisions for the disputed items/services (none is final until the expert "
    "reviewer signs the determination):"
)
DRAFT_CLOSING = (
    "This draft is not a determination. The binding effect of a Final Determination (Labor "
    "Code section 4610.6(g)) and the parties' appeal rights (Labor Code section 4610.6(h)) "
    "attach only to the determination the expert reviewer signs.",
)
SUMMARY_LEAD = (
    "The expert reviewer developed the following clinical case summary based on a review of "
    "the case file, including all medical records:"
)
ISSUES_LEAD = (
    "The Final Determination was based on decisions for the disputed items/services set forth "
    "below:"
)
CREDENTIALS_LEAD = "The Expert Reviewer has the following credentials:"
DOCUMENTS_LEAD = (
    "Every document in the case file was reviewed in full. Documents marked \u201ccited "
    "below\u201d are relied on in the decisions that follow."
)
NO_DOCUMENTS = "The case file held no medical records."
RECORDS_NOT_RECEIVED = (
    "The claims administrator's medical records were not received. As 8 CCR 9792.10.6(b)(2) "
    "allows, this determination rests on the summary of medical records in the utilization "
    "review decision and the documents submitted by the employee or the requesting physician."
)


def practice_sentence(creds: ReviewerCredentials) -> str:
    """Years and weekly hours of practice, as the letters state them (profile facts only)."""
    parts = []
    years = creds.years_in_practice
    if years is not None:
        if years > 5:
            parts.append("has been in active clinical practice for more than five years")
        else:
            parts.append(f"has been in active clinical practice for {years:g} years")
    hours = creds.weekly_practice_hours
    if hours is not None:
        if hours >= 24:
            parts.append("is currently working at least 24 hours a week in active practice")
        else:
            parts.append(f"is currently working {hours:g} hours a week in active practice")
    return f"He/she {' and '.join(parts)}. " if parts else ""


def process_paragraph(org: str, creds: ReviewerCredentials | None) -> str:
    if creds is not None:
        return (
            f"{org} sent the complete case file to an expert reviewer. He/she has no "
            "affiliation with the employer, employee, providers or the claims administrator. "
            + practice_sentence(creds)
            + "The expert reviewer was selected based on his/her clinical experience, education, "
            "background, and expertise in the same or similar specialties that evaluate and/or "
            "treat the medical condition and disputed items/services. He/she is familiar with "
            "governing laws and regulations, including the strength of evidence hierarchy that "
            "applies to Independent Medical Review determinations."
        )
    return (
        f"{org} reviewed the complete case file, including every document listed below. Each "
        "disputed item/service was assessed against the guideline criteria in effect on the "
        "date of the utilization review decision, following the strength of evidence hierarchy "
        "that applies to Independent Medical Review determinations: the MTUS first, then other "
        "evidence-based guidelines. Each finding rests on the documents it cites; where a "
        "criterion is not documented, every document in the file was searched for it. An item "
        "that no guideline criteria address is not decided here: it is referred to an expert "
        "reviewer."
    )


def closing_paragraphs(any_overturned: bool, any_undecided: bool) -> tuple[str, ...]:
    paras = [
        "The decisions in this letter are deemed the determination of the Administrative "
        "Director and are binding on all parties (Labor Code section 4610.6(g)).",
        "A party who disagrees may appeal it by filing a verified petition with the Workers' "
        "Compensation Appeals Board within 30 days of the date this determination was served. "
        "An appeal can succeed only if one of these is shown (Labor Code section 4610.6(h)): "
        "the Administrative Director acted without or in excess of their powers; the "
        "determination was obtained by fraud; the reviewer had a material conflict of interest "
        "in violation of Labor Code section 139.5; the determination resulted from bias on the "
        "basis of race, national origin, ethnic group identification, religion, age, sex, "
        "sexual orientation, color or disability; or the determination rests on a plainly "
        "erroneous finding of fact that is a matter of ordinary knowledge, based on the "
        "information submitted for review, and not a matter of expert opinion.",
    ]
    if any_overturned:
        paras.append(
            "Where this determination overturns the utilization review decision, the claims "
            "administrator must authorize the service within 5 working days of receiving it "
            "(8 CCR 9792.10.7)."
        )
    if any_undecided:
        paras.append(
            "An item marked \u201cNot decided\u201d is not determined by this letter: it has "
            "been referred to an expert reviewer, whose decision on it will be sent to the "
            "parties."
        )
    return tuple(paras)
