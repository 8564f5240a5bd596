"""Read an IMR Final Determination Letter into a :class:`~openimr.published.parsed.Letter`.

Two layouts are read:

* the 2016-2017 layout (DWC's posted letters): a header block (case number, dates,
  priority), "HOW THE IMR FINAL DETERMINATION WAS MADE" with the reviewer's credentials,
  "CLINICAL CASE SUMMARY", then "IMR ISSUES, DECISIONS AND RATIONALES";
* the older layout (the seed letter): no header block, credentials in prose, often
  double-spaced.

Per item: a heading ending in ": Upheld" or ": Overturned", then "Claims Administrator
guideline:", "MAXIMUS guideline:" and "Decision rationale:". A letter that cannot be read
fully raises :class:`~openimr.errors.LetterParseError` naming what is missing; there is never
a partial result.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from openimr.errors import LetterParseError
from openimr.published.categories import categorize
from openimr.published.guidelines import normalize_ws, parse_guideline
from openimr.published.parsed import (
    Decision,
    Letter,
    LetterDates,
    LetterItem,
    PatientFacts,
    Reviewer,
    Sex,
)
from openimr.published.text import Line, clean_lines, read_letter_text

_HOW = re.compile(r"^\s*HOW\s+THE\s+IMR\s+FINAL\s+DETERMINATION\s+WAS\s+MADE\s*$", re.I)
_SUMMARY = re.compile(r"^\s*CLINICAL\s+CASE\s+SUMMARY\s*$", re.I)
_ISSUES = re.compile(r"^\s*IMR\s+ISSUES,?\s+DECISIONS,?\s+AND\s+RATIONALES?\s*$", re.I)
_SET_FORTH = re.compile(r"(?:^|\bset\s+)forth\s+below:?\s*$", re.I)
_SUMMARY_INTRO = re.compile(
    r"^.*?clinical\s+case\s+summary\s+based\s+on\s+a\s+review\s+of\s+the\s+case\s+file,?"
    r"\s+including\s+all\s+medical\s+records:?\s*",
    re.I | re.S,
)

_DATE = r"(\d{1,2}/\d{1,2}/\d{2,4})"
_HEADER_FIELDS: tuple[tuple[str, str], ...] = (
    ("Case Number", r"Case\s+Number:\s*([A-Z]{2}\d{2}-\d{7})"),
    ("Date Assigned", rf"Date\s+Assigned:\s*{_DATE}"),
    ("Date of Injury", rf"Date\s+of\s+Injury:\s*{_DATE}"),
    ("Decision Date", rf"Decision\s+Date:\s*{_DATE}"),
    ("UR Denial Date", rf"UR\s+Denial\s+Date:\s*{_DATE}"),
    ("Priority", r"Priority:\s*(Standard|Expedited|Regular|Urgent)\b"),
    (
        "Application Received",
        rf"Application\s+Received:\s*{_DATE}|Application\s+{_DATE}\s+Received:",
    ),
)

_LICENSURE = re.compile(r"^\s*State\(?s?\)?\s+of\s+Licensure:\s*(.*)$", re.I)
_SPECIALTY = re.compile(r"^\s*Certifications?\(?s?\)?\s*/\s*Specialt(?:y|ies):\s*(.*)$", re.I)
_CREDENTIAL_LABEL = re.compile(r"^\s*(?:State\(?s?\)?\s+of|Certification|The\s+Expert)", re.I)
_OLD_CREDENTIALS = re.compile(
    r"(?:Board\s+Certified|certified)\s+in\s+(?P<spec>.+?)"
    r"(?:,?\s+(?:and\s+)?has\s+a\s+subspecialty\s+in\s+(?P<sub>.+?))?"
    r",?\s+and\s+is\s+licensed\s+to\s+practice\s+in\s+(?P<states>[A-Z][A-Za-z ,]+?)\s*\.",
    re.S,
)

_DECISION_END = re.compile(r":\s*(Upheld|Overturned)\s*\.?\s*$", re.I)
_DECISION_ALONE = re.compile(r"^\s*(Upheld|Overturned)\s*\.?\s*$", re.I)
_CA_LABEL = re.compile(r"^\s*Claims\s+Administrator\s+guideline\s*:\s*", re.I)
_REVIEWER_LABEL = re.compile(
    r"^\s*(?:MAXIMUS|Expert\s+Reviewer|Reviewer|IMR)\s+guideline\s*:\s*", re.I
)
_RATIONALE_LABEL = re.compile(r"^\s*Decision\s+rationale\s*:\s*", re.I)
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s*$")

_MODIFIED = re.compile(
    r"^(?P<orig>.+?)\s+was\s+the\s+original\s+request\.\s*"
    r"(?:The\s+Claims\s+Administrator\s+authorized\s+(?P<auth1>.+?),?\s+leaving\s+the\s+"
    r"original\s+request\s+IMR\s+eligible\.|(?P<auth2>.+?)\s+(?:was|were)\s+authorized\s+by\s+"
    r"the\s+Claims\s+Administrator\.)\s*"
    r"The\s+(?:remaining\s+IMR\s+eligible\s+portion\s+of\s+the\s+)?original\s+request,?"
    r"\s*(?:is\s+)?(?P<disputed>.+?),?\s+(?:is|are)$",
    re.I | re.S,
)
_MODIFIED_LOOSE = re.compile(
    r"(?:remaining\s+IMR\s+eligible\s+portion\s+of\s+the\s+original\s+request|"
    r"The\s+original\s+request),?\s*(?:is\s+)?(?P<disputed>.+?),?\s+(?:is|are)$",
    re.I | re.S,
)

_AGE_SEX = re.compile(
    r"\b(\d{1,3})[- ]years?[- ]old,?\s+(male|female|man|woman|gentleman|lady)\b", re.I
)
_AGE = re.compile(r"\b(\d{1,3})[- ]years?[- ]old\b", re.I)
_SEX = re.compile(r"\b(?:a|an|is|the)\s+(male|female|man|woman|gentleman|lady)\b", re.I)
_SEX_WORDS: dict[str, Sex] = {
    "male": "male",
    "man": "male",
    "gentleman": "male",
    "female": "female",
    "woman": "female",
    "lady": "female",
}


def parse_letter(path: str | Path) -> Letter:
    """Parse the letter at ``path`` (text or PDF)."""
    p = Path(path)
    return parse_text(read_letter_text(p), source=str(p))


def parse_text(text: str, source: str | None = None) -> Letter:
    """Parse a letter's text; ``source`` names it in errors."""
    return _Parser(text, source).parse()


def _date(value: str, field: str, source: str | None, line: int | None) -> dt.date:
    for fmt in ("%m/%d/%Y", "%m/%d/%y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise LetterParseError(f"not a date: {value!r}", file=source, field=field, line=line)


_JOIN_TIGHT = re.compile(r"[A-Za-z0-9][-/]$")


def _join(lines: Sequence[Line]) -> str:
    """Lines to text: lines joined by spaces, paragraphs (blank lines) by a blank line.

    A line ending in a hyphen or slash after a letter or digit ("x-" / "ray", "and/" /
    "or", "10-30-" / "2016") is joined to the next without a space: these letters do not
    hyphenate words at line ends, so such a break sits inside a compound.
    """
    paragraphs: list[str] = []
    current = ""
    for ln in lines:
        if ln.blank:
            if current:
                paragraphs.append(current)
                current = ""
            continue
        text = normalize_ws(ln.text)
        if not current:
            current = text
        elif _JOIN_TIGHT.search(current):
            current += text
        else:
            current += " " + text
    if current:
        paragraphs.append(current)
    return "\n\n".join(p for p in paragraphs if p)


def _split_list(text: str) -> tuple[str, ...]:
    parts = re.split(r"\s*,\s*|\s+and\s+(?=[A-Z])", normalize_ws(text).strip(" .,"))
    return tuple(p for p in parts if p)


def patient_facts(summary: str) -> PatientFacts:
    """Age and sex from the first mention in a clinical case summary."""
    age: int | None = None
    sex: Sex = "unknown"
    both = _AGE_SEX.search(summary)
    if both:
        age = int(both.group(1))
        sex = _SEX_WORDS[both.group(2).lower()]
    else:
        age_match = _AGE.search(summary)
        if age_match:
            age = int(age_match.group(1))
        sex_match = _SEX.search(summary)
        if sex_match:
            sex = _SEX_WORDS[sex_match.group(1).lower()]
    if age is not None and not 10 <= age <= 110:
        age = None
    return PatientFacts(age=age, sex=sex)


def split_request(heading: str) -> tuple[str | None, str | None, str | None]:
    """(original request, authorized, disputed) of a modified request's heading."""
    match = _MODIFIED.match(heading)
    if match:
        auth = match.group("auth1") or match.group("auth2")
        return (
            match.group("orig").strip(),
            auth.strip() if auth else None,
            match.group("disputed").strip(" ,"),
        )
    if re.search(r"original\s+request", heading, re.I):
        loose = _MODIFIED_LOOSE.search(heading)
        orig = re.match(r"^(?P<orig>.+?)\s+was\s+the\s+original\s+request\.", heading, re.I)
        if loose:
            return (
                orig.group("orig").strip() if orig else None,
                None,
                loose.group("disputed").strip(" ,"),
            )
    return None, None, None


class _Parser:
    def __init__(self, text: str, source: str | None) -> None:
        self.source = source
        if not text.strip():
            raise LetterParseError("the letter is empty", file=source)
        self.lines = clean_lines(text)

    def error(self, message: str, line: int | None = None, field: str | None = None) -> NoReturn:
        raise LetterParseError(message, file=self.source, line=line, field=field)

    def _find(self, pattern: re.Pattern[str], start: int = 0) -> int | None:
        for i in range(start, len(self.lines)):
            if pattern.match(self.lines[i].text):
                return i
        return None

    def parse(self) -> Letter:
        how = self._find(_HOW)
        summary_at = self._find(_SUMMARY)
        issues = self._find(_ISSUES)
        if how is None and summary_at is None and issues is None:
            self.error(
                "not an IMR Final Determination Letter in a layout openimr reads: none of "
                "the sections "
                "('HOW THE IMR FINAL DETERMINATION WAS MADE', 'CLINICAL CASE SUMMARY', "
                "'IMR ISSUES, DECISIONS AND RATIONALES') was found"
            )
        missing = [
            name
            for name, at in (
                ("'CLINICAL CASE SUMMARY'", summary_at),
                ("'IMR ISSUES, DECISIONS AND RATIONALES'", issues),
            )
            if at is None
        ]
        if missing:
            self.error(f"section {' and '.join(missing)} not found (is the letter cut off?)")
        assert summary_at is not None and issues is not None
        if issues < summary_at:
            self.error(
                "'IMR ISSUES, DECISIONS AND RATIONALES' comes before 'CLINICAL CASE SUMMARY'",
                line=self.lines[issues].no,
            )
        head_end = how if how is not None and how < summary_at else summary_at
        header = self.lines[:head_end]
        how_lines = self.lines[head_end + 1 : summary_at] if how is not None else []
        layout, fields = self._header(header)
        reviewer = self._reviewer(how_lines, layout, how)
        summary = self._summary(self.lines[summary_at + 1 : issues], summary_at)
        items = self._items(issues)

        def day(name: str) -> dt.date | None:
            value = fields.get(name)
            return value if isinstance(value, dt.date) else None

        dates = LetterDates(
            assigned=day("Date Assigned"),
            injury=day("Date of Injury"),
            decision=day("Decision Date"),
            ur_denial=day("UR Denial Date"),
            application_received=day("Application Received"),
        )
        case_number = fields.get("Case Number")
        priority = fields.get("Priority")
        return Letter(
            source=self.source,
            layout=layout,
            case_number=case_number if isinstance(case_number, str) else None,
            dates=dates,
            priority=priority if isinstance(priority, str) else None,
            reviewer=reviewer,
            patient=patient_facts(summary),
            clinical_case_summary=summary,
            items=tuple(items),
        )

    # -- header --------------------------------------------------------------------------

    def _header(self, header: list[Line]) -> tuple[str, dict[str, str | dt.date]]:
        text = " ".join(ln.text.strip() for ln in header if not ln.blank)
        fields: dict[str, str | dt.date] = {}
        if not re.search(r"Case\s+Number:", text, re.I):
            # The older layout has no header block; a stray case number may still be there.
            case = re.search(r"\b([A-Z]{2}\d{2}-\d{7})\b", text)
            if case:
                fields["Case Number"] = case.group(1)
            return "older", fields
        line = header[0].no if header else None
        missing: list[str] = []
        for name, pattern in _HEADER_FIELDS:
            match = re.search(pattern, text, re.I)
            if match is None:
                missing.append(name)
                continue
            value = next(g for g in match.groups() if g is not None)
            if name in ("Case Number", "Priority"):
                fields[name] = value.capitalize() if name == "Priority" else value
            else:
                fields[name] = _date(value, name, self.source, line)
        if missing:
            self.error(
                f"the header block lacks {', '.join(missing)} (or it is unreadable)", line=line
            )
        return "2016-2017", fields

    # -- reviewer ------------------------------------------------------------------------

    def _reviewer(self, how_lines: list[Line], layout: str, how: int | None) -> Reviewer:
        line = self.lines[how].no if how is not None else None
        if how is None:
            self.error(
                "section 'HOW THE IMR FINAL DETERMINATION WAS MADE' (the reviewer's "
                "credentials) not found"
            )
        licensure = self._credential(how_lines, _LICENSURE)
        specialty = self._credential(how_lines, _SPECIALTY)
        if licensure is None and specialty is None:
            prose = " ".join(ln.text.strip() for ln in how_lines)
            match = _OLD_CREDENTIALS.search(prose)
            if match:
                specs = list(_split_list(match.group("spec")))
                if match.group("sub"):
                    specs.extend(_split_list(match.group("sub")))
                return Reviewer(
                    licensure=_split_list(match.group("states")), specialty=tuple(specs)
                )
        missing = [
            label
            for label, value in (
                ("State(s) of Licensure", licensure),
                ("Certification(s)/Specialty", specialty),
            )
            if not value
        ]
        if missing:
            self.error(f"the reviewer's credentials lack {' and '.join(missing)}", line=line)
        assert licensure is not None and specialty is not None
        return Reviewer(licensure=licensure, specialty=specialty)

    @staticmethod
    def _credential(lines: list[Line], label: re.Pattern[str]) -> tuple[str, ...] | None:
        for i, ln in enumerate(lines):
            match = label.match(ln.text)
            if not match:
                continue
            parts = [match.group(1)]
            for nxt in lines[i + 1 :]:
                if nxt.blank or _CREDENTIAL_LABEL.match(nxt.text):
                    break
                parts.append(nxt.text)
            value = " ".join(p.strip() for p in parts)
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return None

    # -- summary -------------------------------------------------------------------------

    def _summary(self, lines: list[Line], at: int) -> str:
        text = _join(lines)
        text = _SUMMARY_INTRO.sub("", text, count=1).strip()
        if not text:
            self.error("the clinical case summary is empty", line=self.lines[at].no)
        return text

    # -- items ---------------------------------------------------------------------------

    def _items(self, issues: int) -> list[LetterItem]:
        start = issues + 1
        for i in range(start, min(start + 4, len(self.lines))):
            if _SET_FORTH.search(self.lines[i].text):
                start = i + 1
                break
        body = self.lines[start:]
        blank_mode = any(ln.blank for ln in body)
        # decision lines: (index of the heading's last line, index of the decision, decision)
        decisions: list[tuple[int, int, Decision]] = []
        for i, ln in enumerate(body):
            match = _DECISION_END.search(ln.text)
            if match and not _is_label(ln.text):
                decisions.append((i, i, _decision(match.group(1))))
                continue
            alone = _DECISION_ALONE.match(ln.text)
            if alone:
                prev = _previous_text(body, i)
                if prev is not None and body[prev].text.rstrip().endswith(":"):
                    decisions.append((prev, i, _decision(alone.group(1))))
        if not decisions:
            self.error(
                "no disputed item with a decision ('...: Upheld' or '...: Overturned') was "
                "found under 'IMR ISSUES, DECISIONS AND RATIONALES'",
                line=self.lines[issues].no,
            )
        starts = [self._heading_start(body, last, blank_mode) for last, _, _ in decisions]
        items: list[LetterItem] = []
        for n, ((last, dec_at, decision), first) in enumerate(
            zip(decisions, starts, strict=True), start=1
        ):
            end = starts[n] if n < len(starts) else len(body)
            heading_lines = body[first : last + 1]
            heading = _join([Line(ln.no, ln.text) for ln in heading_lines]).replace("\n\n", " ")
            heading = _DECISION_END.sub("", heading).rstrip(" :")
            items.append(self._item(n, heading, decision, body[dec_at + 1 : end], body[first].no))
        ca_labels = [ln for ln in body if _CA_LABEL.match(ln.text)]
        if len(ca_labels) != len(items):
            used = {id(ln) for ln in ca_labels}
            for item_lines in (body[dec + 1 :] for _, dec, _ in decisions):
                for ln in item_lines:
                    if _CA_LABEL.match(ln.text):
                        used.discard(id(ln))
                        break
            orphan = next((ln for ln in ca_labels if id(ln) in used), None)
            self.error(
                f"found {len(ca_labels)} 'Claims Administrator guideline:' entries but "
                f"{len(items)} item decisions: an item heading has no readable decision "
                "(Upheld/Overturned)",
                line=orphan.no if orphan else None,
            )
        return items

    def _heading_start(self, body: list[Line], last: int, blank_mode: bool) -> int:
        first = last
        while first > 0:
            prev = body[first - 1]
            if prev.blank or _is_label(prev.text) or _SET_FORTH.search(prev.text):
                break
            ends_sentence = bool(_SENTENCE_END.search(prev.text))
            if ends_sentence and (prev.page_end or not blank_mode):
                break
            if last - first >= 7:  # no heading runs this long: the rest is a rationale
                break
            first -= 1
        return first

    def _item(
        self, n: int, heading: str, decision: Decision, lines: list[Line], line_no: int
    ) -> LetterItem:
        where = f"item {n} ({heading[:60]!r})"
        if not any(ch.isalnum() for ch in heading):
            self.error(f"item {n} has no request before its decision", line=line_no)
        ca = _label_at(lines, _CA_LABEL)
        rev = _label_at(lines, _REVIEWER_LABEL)
        rat = _label_at(lines, _RATIONALE_LABEL)
        missing = [
            label
            for label, at in (
                ("'Claims Administrator guideline:'", ca),
                ("'MAXIMUS guideline:'", rev),
                ("'Decision rationale:'", rat),
            )
            if at is None
        ]
        if missing:
            self.error(f"{where} lacks {', '.join(missing)} (is the letter cut off?)", line=line_no)
        assert ca is not None and rev is not None and rat is not None
        if not ca < rev < rat:
            self.error(
                f"{where}: expected 'Claims Administrator guideline:', 'MAXIMUS guideline:' "
                "and 'Decision rationale:' in this order",
                line=line_no,
            )
        stray = [ln for ln in lines[:ca] if not ln.blank]
        if stray:
            self.error(
                f"{where}: unexpected text between the decision and 'Claims Administrator "
                "guideline:'",
                line=stray[0].no,
            )
        ca_text = _labelled(lines[ca:rev], _CA_LABEL)
        rev_text = _labelled(lines[rev:rat], _REVIEWER_LABEL)
        rationale = _labelled(lines[rat:], _RATIONALE_LABEL)
        for label, value, at in (
            ("the claims administrator guideline", ca_text, ca),
            ("the MAXIMUS guideline", rev_text, rev),
            ("the decision rationale", rationale, rat),
        ):
            if not value:
                self.error(f"{where}: {label} is empty", line=lines[at].no)
        if not _SENTENCE_END.search(rationale):
            tail = rationale[-40:]
            self.error(
                f"{where}: the decision rationale ends mid-sentence (…{tail!r}); "
                "the letter looks cut off",
                line=lines[-1].no,
            )
        original, authorized, disputed = split_request(heading)
        modified = disputed is not None
        target = disputed if disputed is not None else heading
        # the whole heading, as case.yaml gives it to the engine: the request parser finds
        # the disputed portion of a modified request itself
        treatment, category = categorize(heading)
        return LetterItem(
            number=n,
            request=heading,
            modified=modified,
            original_request=original,
            authorized=authorized,
            disputed=target,
            decision=decision,
            medically_necessary=decision == "overturned",
            claims_administrator_guideline=parse_guideline(ca_text),
            reviewer_guideline=parse_guideline(rev_text),
            rationale=rationale,
            treatment=treatment,
            category=category,
            line=line_no,
        )


def _decision(word: str) -> Decision:
    return "upheld" if word.lower() == "upheld" else "overturned"


def _is_label(text: str) -> bool:
    return bool(
        _CA_LABEL.match(text) or _REVIEWER_LABEL.match(text) or _RATIONALE_LABEL.match(text)
    )


def _previous_text(lines: list[Line], i: int) -> int | None:
    for j in range(i - 1, -1, -1):
        if not lines[j].blank:
            return j
    return None


def _label_at(lines: list[Line], label: re.Pattern[str]) -> int | None:
    for i, ln in enumerate(lines):
        if label.match(ln.text):
            return i
    return None


def _labelled(lines: list[Line], label: re.Pattern[str]) -> str:
    if not lines:
        return ""
    first = Line(lines[0].no, label.sub("", lines[0].text, count=1))
    return _join([first, *lines[1:]])
