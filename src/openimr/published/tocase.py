"""Turn a parsed letter into a case directory (``docs/case-format.md``) plus the real
decisions in ``expected.yaml``, so published letters become an evaluation set.

    DIR/case.yaml                          header facts and the disputed items, each with the
                                           claims administrator's guideline
    DIR/records/clinical-case-summary.txt  the reviewer's clinical case summary (the record)
    DIR/expected.yaml                      per item: decision, medically_necessary, the
                                           reviewer's guideline (and its chapter keys)

The directory is written to a temporary sibling and renamed into place: it is written
whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from openimr.errors import OpenIMRError
from openimr.published.parsed import Letter

SUMMARY_RECORD = "clinical-case-summary.txt"

_ACRONYMS = {
    "MRI", "CT", "EMG", "NCV", "NCS", "TENS", "PT", "OT", "ESI", "DME", "UDT", "ACL", "PRP",
    "NSAID", "NSAIDS", "ORIF", "SI", "MR", "H-WAVE", "ER", "HEP", "CBC", "CMP", "PTT",
}  # fmt: skip
_INJURY_IN_SUMMARY = (
    re.compile(r"(\d{1,2}/\d{1,2}/\d{2,4})\s+date\s+of\s+injury", re.I),
    re.compile(r"date\s+of\s+injury\s+(?:on|of)\s+(\d{1,2}[/-]\d{1,2}[/-]\d{2,4})", re.I),
    re.compile(r"industrial\s+injury\s+(?:on|of)\s+(\d{1,2}[/-]\d{1,2}[/-]\d{2,4})", re.I),
)


class CaseWriteError(OpenIMRError):
    """A case directory cannot be written from a letter."""


def sentence_case(text: str) -> str:
    """'FOLLOW-UP VISIT WITH ANESTHESIOLOGIST' -> 'Follow-up visit with anesthesiologist'.

    Only for headings written all in capitals (older letters); anything else is kept.
    """
    letters = [c for c in text if c.isalpha()]
    if not letters or any(c.islower() for c in letters):
        return text
    words = []
    for i, word in enumerate(text.split(" ")):
        bare = word.strip("(),.;:#").upper()
        if bare in _ACRONYMS or any(ch.isdigit() for ch in word):
            words.append(word)
        else:
            words.append(word.capitalize() if i == 0 else word.lower())
    return " ".join(words)


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(value, ensure_ascii=True)


def _parse_day(value: str) -> dt.date | None:
    for fmt in ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%m-%d-%y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def injury_date_from_summary(summary: str) -> dt.date | None:
    for pattern in _INJURY_IN_SUMMARY:
        match = pattern.search(summary)
        if match:
            day = _parse_day(match.group(1))
            if day is not None:
                return day
    return None


def case_yaml(
    letter: Letter, *, date_of_injury: dt.date | None = None, ur_date: dt.date | None = None
) -> str:
    """The text of case.yaml for ``letter`` (dates given here override the letter's)."""
    injury = date_of_injury or letter.dates.injury
    if injury is None:
        injury = injury_date_from_summary(letter.clinical_case_summary)
    ur = ur_date or letter.dates.ur_denial
    missing = [
        name
        for name, value in (("date of injury", injury), ("UR denial date", ur))
        if value is None
    ]
    if missing:
        raise CaseWriteError(
            f"the letter gives no {' and no '.join(missing)}, which case.yaml requires; "
            "pass them with --date-of-injury / --ur-date",
            file=letter.source,
        )
    out: list[str] = []
    if letter.case_number:
        out.append(f"case_id: {letter.case_number}")
    expedited = (letter.priority or "").lower() in ("expedited", "urgent")
    out.append(f"review_type: {'expedited' if expedited else 'regular'}")
    if letter.dates.application_received:
        out += ["application:", f"  received: {letter.dates.application_received.isoformat()}"]
    out.append("patient:")
    if letter.patient.age is not None:
        out.append(f"  age: {letter.patient.age}")
    out.append(f"  sex: {letter.patient.sex}")
    assert injury is not None and ur is not None
    out.append(f"  date_of_injury: {injury.isoformat()}")
    out += ["utilization_review:", f"  date: {ur.isoformat()}", "  items:"]
    for item in letter.items:
        out.append(f"    - request: {_q(sentence_case(item.request))}")
        if item.modified:
            out.append("      outcome: modified")
        out.append(f"      guideline: {_q(item.claims_administrator_guideline.text)}")
    return "\n".join(out) + "\n"


def expected_yaml(letter: Letter, source_note: str | None = None) -> str:
    """The text of expected.yaml: what the real reviewer decided and cited, per item."""
    note = source_note or (
        "IMR final determination letter"
        + (f" {Path(letter.source).name}" if letter.source else "")
        + ", read by openimr letters to-case"
    )
    out = [f"source: {_q(note)}"]
    if letter.dates.decision:
        out.append(f"decision_date: {letter.dates.decision.isoformat()}")
    if letter.reviewer.specialty:
        out.append(f"reviewer_specialty: {json.dumps(list(letter.reviewer.specialty))}")
    out.append("items:")
    for item in letter.items:
        out.append(f"  - request: {_q(sentence_case(item.request))}")
        if item.modified:
            out.append(f"    disputed: {_q(sentence_case(item.disputed))}")
        out.append(f"    decision: {item.decision}")
        out.append(f"    medically_necessary: {'true' if item.medically_necessary else 'false'}")
        out.append(f"    guideline: {_q(item.reviewer_guideline.text)}")
        keys = list(item.reviewer_guideline.chapter_keys)
        out.append(f"    guideline_keys: {json.dumps(keys)}")
        if item.treatment:
            out.append(f"    treatment: {item.treatment}")
        if item.category:
            out.append(f"    category: {item.category}")
    return "\n".join(out) + "\n"


def write_case(
    letter: Letter,
    directory: Path,
    *,
    force: bool = False,
    date_of_injury: dt.date | None = None,
    ur_date: dt.date | None = None,
    source_note: str | None = None,
) -> Path:
    """Write ``letter`` as a case directory at ``directory``; return it."""
    files = {
        "case.yaml": case_yaml(letter, date_of_injury=date_of_injury, ur_date=ur_date),
        "expected.yaml": expected_yaml(letter, source_note),
        f"records/{SUMMARY_RECORD}": letter.clinical_case_summary + "\n",
    }
    target = directory
    if target.exists():
        if not target.is_dir():
            raise CaseWriteError("exists and is not a directory", file=str(target))
        if any(target.iterdir()) and not force:
            raise CaseWriteError(
                "the directory exists and is not empty (use --force to replace it)",
                file=str(target),
            )
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    except OSError as exc:
        raise CaseWriteError(
            f"cannot create the directory: {exc.strerror}", file=str(parent)
        ) from None
    try:
        for name, text in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        os.chmod(tmp, 0o755)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise CaseWriteError(f"cannot write the case: {exc.strerror}", file=str(target)) from None
    return target
