"""The structure of a record: its type, its date of service and its sections.

Everything here is driven by the rules in ``library/data/record_types.yaml`` and
``library/data/sections.yaml`` (see ``docs/records.md``); sections are found by medspaCy's
Sectionizer over a blank spaCy pipeline (no trained model). Offsets are those of
``Record.text``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from openimr.model import Record, Span
from openimr.records.record_types import (
    DATE_EXPR,
    LABEL_LOOKBACK,
    SectionInfo,
    record_type_rules,
    section_rules,
)

DateSource = Literal["service", "procedure", "report", "file_name", "header", "fhir", "given"]

ATTACHMENT_ELEMENT = re.compile(
    r"(?:^|\.)(?:content\[\d+\]\.attachment|presentedForm\[\d+\])\.data$"
)
"""FHIR elements whose text is a document of its own (sectionized like a text record)."""


class Section(BaseModel):
    """A section of a record: ``text[start:end]``, its heading ``title`` at ``start``.

    ``name`` is a section name from ``sections.yaml`` (``objective``, ``treatment_plan``...);
    ``body_start`` is where the text after the heading begins.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    title: str
    start: int
    end: int
    body_start: int


class DateMark(BaseModel):
    """A date of service stated at ``offset``; it holds until the next mark.

    ``date`` is ``None`` for a FHIR resource with no date (the record's date holds there).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    offset: int
    date: dt.date | None


class RecordStructure(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    record: str
    record_type: str
    date_of_service: dt.date | None
    date_source: DateSource | None = None
    sections: tuple[Section, ...] = ()
    """In order of ``start``, never overlapping."""
    dates: tuple[DateMark, ...] = ()
    """Dates of service stated inside the record (visits of a multi-visit file), in order."""


# ---------------------------------------------------------------------------------------------
# Dates

_MONTH_NUMBERS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_DATE_RE = re.compile(DATE_EXPR, re.IGNORECASE)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$")
_MONTH_FIRST = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$", re.IGNORECASE)
_DAY_FIRST = re.compile(r"(\d{1,2})\s+([a-z]+)\.?,?\s+(\d{4})$", re.IGNORECASE)
_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")
TWO_DIGIT_YEAR_PIVOT = 70
"""``mm/dd/yy``: years below 70 are 20yy, others 19yy (the POSIX ``%y`` rule)."""


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str) -> dt.date | None:
    """A written date as records write it (US order for numeric dates), or ``None``."""
    s = text.strip()
    if m := _ISO.match(s):
        return _make_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _NUMERIC.match(s):
        year = int(m[3])
        if len(m[3]) == 2:
            year += 2000 if year < TWO_DIGIT_YEAR_PIVOT else 1900
        return _make_date(year, int(m[1]), int(m[2]))
    if m := _MONTH_FIRST.match(s):
        month = _MONTH_NUMBERS.get(m[1][:3].lower())
        return _make_date(int(m[3]), month, int(m[2])) if month else None
    if m := _DAY_FIRST.match(s):
        month = _MONTH_NUMBERS.get(m[2][:3].lower())
        return _make_date(int(m[3]), month, int(m[1])) if month else None
    return None


def _file_name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def date_from_file_name(path: str) -> dt.date | None:
    """A date in a file name: ``2013-08-19-pr2.txt``, ``pr2_08.19.2013.pdf``, ``20130819.pdf``."""
    name = _file_name(path).rsplit(".", 1)[0].replace("_", " ")
    if m := _COMPACT.search(name):
        found = _make_date(int(m[1]), int(m[2]), int(m[3]))
        if found:
            return found
    for m in _DATE_RE.finditer(name):
        found = parse_date(m.group(0))
        if found:
            return found
    return None


def _dates_in(text: str) -> list[tuple[int, dt.date]]:
    """(start, date) of every valid written date in ``text``."""
    out: list[tuple[int, dt.date]] = []
    for m in _DATE_RE.finditer(text):
        found = parse_date(m.group(0))
        if found is not None:
            out.append((m.start(), found))
    return out


def _labelled_dates(
    text: str, kind: str, dates: list[tuple[int, dt.date]] | None = None
) -> list[tuple[int, dt.date]]:
    """(label start, date) for each date that a label of ``kind`` introduces, in order."""
    patterns = record_type_rules().date_labels.get(kind, ())
    out: list[tuple[int, dt.date]] = []
    for start, found in _dates_in(text) if dates is None else dates:
        # the label stands on the date's line, or alone on the line before it
        line_start = text.rfind("\n", max(0, start - LABEL_LOOKBACK), start) + 1
        if line_start > 0 and not text[line_start:start].strip():
            line_start = text.rfind("\n", max(0, start - LABEL_LOOKBACK), line_start - 1) + 1
        window_start = max(line_start, start - LABEL_LOOKBACK)
        window = text[window_start:start]
        label_starts = [m.start() for p in patterns if (m := p.search(window)) is not None]
        if label_starts:
            out.append((window_start + min(label_starts), found))
    return out


def _line_start(text: str, pos: int) -> bool:
    """Whether only spaces or tabs stand between the line's start and ``pos``."""
    i = pos - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] in "\n\r\f"


def find_date_of_service(text: str, path: str = "") -> tuple[dt.date | None, DateSource | None]:
    """The record's date of service and where it came from (see record_types.yaml)."""
    dates = _dates_in(text)
    for kind in ("service", "procedure", "report"):
        found = _labelled_dates(text, kind, dates)
        if found:
            return found[0][1], kind
    from_name = date_from_file_name(path) if path else None
    if from_name is not None:
        return from_name, "file_name"
    limit = record_type_rules().standalone_date_lines
    for line in text.splitlines()[:limit]:
        stripped = line.strip().rstrip(".")
        if stripped and _DATE_RE.fullmatch(stripped):
            found_date = parse_date(stripped)
            if found_date is not None:
                return found_date, "header"
    return None, None


def service_date_marks(text: str) -> tuple[DateMark, ...]:
    """Dates of service labelled at the start of a line, in order (one mark per offset)."""
    marks: dict[int, dt.date] = {}
    for start, found in _labelled_dates(text, "service"):
        if _line_start(text, start):
            marks.setdefault(start, found)
    return tuple(DateMark(offset=o, date=d) for o, d in sorted(marks.items()))


# ---------------------------------------------------------------------------------------------
# Record types


_MARKUP = " \t#*_=-|>"


def _is_title_line(line: str, match_start: int, limit: int) -> bool:
    """Whether ``line`` reads as a title: short, and upper case, title case or led by the match.

    "REQUEST FOR AUTHORIZATION", "Orthopedic Progress Report", "# MRI of the lumbar spine" are
    titles; "Re: Request for authorization dated 08/21/2013" and a narrative line are not.
    """
    core = line.strip(_MARKUP + "\r\n")
    if not core or len(core) > limit:
        return False
    if core.isupper() or not line[:match_start].strip(_MARKUP):
        return True
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]*", core) if len(w) > 3]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def _title_lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) of the header's lines (see record_types.yaml)."""
    rules = record_type_rules()
    out: list[tuple[int, str]] = []
    offset = 0
    for line in text[: rules.header_chars].splitlines(keepends=True)[: rules.header_lines]:
        out.append((offset, line))
        offset += len(line)
    return out


def classify(text: str, path: str = "") -> str:
    """The record type (a name from record_types.yaml; ``other`` when nothing matches)."""
    rules = record_type_rules()
    lines = _title_lines(text)
    best: tuple[int, int, int, str] | None = None  # (-priority, match start, order, name)
    for rule in rules.types:
        for pattern in rule.titles:
            for offset, line in lines:
                m = pattern.search(line)
                if m is None or not _is_title_line(line, m.start(), rules.title_line_chars):
                    continue
                key = (-rule.priority, offset + m.start(), rule.order, rule.name)
                if best is None or key < best:
                    best = key
                break
    if best is not None:
        return best[3]
    name = _file_name(path).rsplit(".", 1)[0].replace("_", "-") if path else ""
    if name:
        for rule in rules.types:
            if any(p.search(name) for p in rule.file_names):
                return rule.name
    best_cue: tuple[int, int, str] | None = None
    for rule in rules.types:
        for pattern in rule.cues:
            m = pattern.search(text)
            if m is not None and (best_cue is None or (m.start(), rule.order) < best_cue[:2]):
                best_cue = (m.start(), rule.order, rule.name)
    return best_cue[2] if best_cue is not None else "other"


def record_type_label(name: str) -> str:
    """The label of a record type (``progress_report`` -> ``Progress report (PR-2)``)."""
    return record_type_rules().label(name)


def describe(record: Record) -> Record:
    """The record with ``record_type`` and ``date_of_service`` filled where they are unset."""
    update: dict[str, object] = {}
    if record.record_type is None:
        update["record_type"] = classify(record.text, record.path)
    if record.date_of_service is None:
        found, _source = find_date_of_service(record.text, record.path)
        if found is not None:
            update["date_of_service"] = found
    return record.model_copy(update=update) if update else record


# ---------------------------------------------------------------------------------------------
# Sections

SectionFinder = Callable[[str], list[tuple[str, int, int]]]


_UPPER_HEADING_MAX = 80
"""An ALL-CAPS line that starts with a title and ends with a colon within this many characters
is a heading too ("PHYSICAL EXAMINATION OF THE LUMBAR SPINE:")."""


def _heading_extent(text: str, start: int, end: int, needs_colon: bool) -> tuple[int, int] | None:
    """Where the heading whose title is ``text[start:end]`` begins and ends, or ``None``.

    A heading starts a line (after indentation and Markdown '#'s or '**'), and its title is
    followed by a colon (':**' too), or by the end of its line unless ``needs_colon``.
    """
    i = start
    while i > 0 and text[i - 1] in " \t#*":
        i -= 1
    if i > 0 and text[i - 1] not in "\n\r\f":
        return None
    while i < start and text[i] in " \t":  # the heading begins after the indentation
        i += 1
    k = end
    while k < len(text) and text[k] in " \t*":
        k += 1
    if k < len(text) and text[k] == ":":
        k += 1
        while k < len(text) and text[k] == "*":
            k += 1
        return i, k
    if not needs_colon and (k == len(text) or text[k] in "\n\r\f"):
        return i, len(text[:k].rstrip(" \t"))
    eol = min((j for j in (text.find(c, end) for c in "\n\r\f") if j != -1), default=len(text))
    line = text[i:eol].rstrip()
    if line.endswith(":") and len(line) <= _UPPER_HEADING_MAX and line.isupper():
        return i, i + len(line)
    return None


_LINE_END = re.compile(r"[\n\r\f]")
_INDENT = re.compile(r"[ \t#*]*")


def _heading_lines(titles: list[Any]) -> Callable[[str], list[tuple[int, int]]]:
    """A function text -> the (start, end) of the lines of the text that may hold a heading,
    for titles tokenized (lower case) as the sectionizer's phrase rules are.

    A heading's title starts its line (after ``[ \\t#*]``) and is followed by a colon or the
    line's end, or its line ends in a colon (:func:`_heading_extent`). A title's tokens in a
    record are its lower-case words with nothing or one space between them, and never span a
    line (a line break is a token of its own); a line tokenizes as it does in the whole text.
    So only the lines whose lower-case text has that shape need tokenizing: the others hold
    no heading, and no title that could prune one."""
    by_char: dict[str, list[str]] = {}
    for tokens in titles:
        words = [t.lower_ for t in tokens]
        if not words or any(not w.strip() or w[0] in " \t#*" for w in words):
            return lambda text: [(0, len(text))]  # a title of another shape: every line
        by_char.setdefault(words[0][0], []).append(" ?".join(re.escape(w) for w in words))
    after = r"(?:[ \t*]*(?::|\Z)|.*:\s*\Z)"
    regexes = {
        c: re.compile("(?:" + "|".join(sorted(alts, key=len, reverse=True)) + ")" + after)
        for c, alts in by_char.items()
    }

    def lines_of(text: str) -> list[tuple[int, int]]:
        lowered = text.lower()
        if len(lowered) != len(text):  # lower-casing moved offsets: every line
            return [(0, len(text))]
        lines: list[tuple[int, int]] = []
        start = 0
        for brk in [*_LINE_END.finditer(lowered), None]:
            end = brk.start() if brk is not None else len(lowered)
            at = _INDENT.match(lowered, start, end)
            p = at.end() if at is not None else start
            rx = regexes.get(lowered[p : p + 1]) if p < end else None
            if rx is not None and rx.match(lowered, p, end):
                lines.append((start, end))
            start = end + 1
        return lines

    return lines_of


@functools.cache
def _sectionizer(every_line: bool = False) -> SectionFinder:
    """A function text -> [(section name, heading start, heading end)].

    medspaCy's Sectionizer finds the titles (one phrase rule per title, matched on lower-cased
    tokens; the longest of overlapping titles wins); :func:`_heading_extent` then keeps those
    that stand as headings. Only the lines that may hold a heading are read
    (:func:`_heading_lines`), unless ``every_line`` (the same headings: for the tests).
    """
    try:  # PyRuSH (imported by medspaCy) logs tokens at DEBUG: never let record text out
        from loguru import logger

        logger.disable("PyRuSH")
    except ImportError:  # pragma: no cover - loguru comes with medspaCy
        pass
    from openimr.nlp import blank_english, import_medspacy

    import_medspacy()
    from medspacy.common.medspacy_matcher import MedspacyMatcher
    from medspacy.section_detection import SectionRule

    nlp = blank_english()
    nlp.max_length = 100_000_000  # tokenizer only: a long case file is fine
    # the Sectionizer's own matcher (phrase rules on lower-cased tokens, the longest of
    # overlapping matches kept): each match is a section title, as the Sectionizer makes
    # them without parents or a start-line rule, without its marking of every token
    matcher = MedspacyMatcher(nlp, name="openimr_sections", phrase_matcher_attr="LOWER")
    specs = section_rules().rules
    needs_colon = {spec.title: spec.needs_colon for spec in specs}
    matcher.add([SectionRule(literal=spec.title, category=spec.category) for spec in specs])
    strings = nlp.vocab.strings
    lines_of = (
        (lambda text: [(0, len(text))])
        if every_line
        else _heading_lines([nlp.tokenizer(spec.title.lower()) for spec in specs])
    )

    def find(text: str) -> list[tuple[str, int, int]]:
        lines = lines_of(text)
        if not lines:
            return []
        joined = "\n".join(text[a:b] for a, b in lines)
        # each line's offset in ``joined``, and what to add to reach its offset in ``text``
        at: list[int] = []
        shift: list[int] = []
        pos = 0
        for a, b in lines:
            at.append(pos)
            shift.append(a - pos)
            pos += b - a + 1
        with warnings.catch_warnings():  # W036: its token Matcher is empty (phrase rules only)
            warnings.filterwarnings("ignore", message=r"\[W036\]")
            doc = nlp.make_doc(joined)
            matches = matcher(doc)
        out: list[tuple[str, int, int]] = []
        for match_id, start, end in sorted(matches, key=lambda m: (m[1], m[2])):
            rule = matcher.rule_map[strings[match_id]]
            if rule.category is None:
                continue
            title = doc[start:end]
            d = shift[bisect.bisect_right(at, title.start_char) - 1]
            extent = _heading_extent(
                text,
                title.start_char + d,
                title.end_char + d,
                needs_colon.get(rule.literal, False),
            )
            if extent is not None:
                out.append((str(rule.category), *extent))
        return out

    return find


def find_sections(text: str, offset: int = 0, end: int | None = None) -> list[Section]:
    """The sections of ``text`` (offsets shifted by ``offset``; the last ends at ``end``)."""
    stop = offset + len(text) if end is None else end
    found = _sectionizer()(text) if text.strip() else []
    sections: list[Section] = []
    for i, (name, h_start, h_end) in enumerate(found):
        next_start = found[i + 1][1] + offset if i + 1 < len(found) else stop
        sections.append(
            Section(
                name=name,
                title=text[h_start:h_end],
                start=h_start + offset,
                end=next_start,
                body_start=h_end + offset,
            )
        )
    return sections


def _fhir_sections(record: Record) -> list[Section]:
    mapping = section_rules().fhir_resources
    attachments = [
        s for s in record.segments if s.element is not None and ATTACHMENT_ELEMENT.search(s.element)
    ]
    sections: list[Section] = []
    for seg in attachments:
        sections.extend(find_sections(record.text[seg.start : seg.end], seg.start, seg.end))
    for block in record.segments:
        if block.element is not None:
            continue
        name = mapping.get(block.resource.split("/", 1)[0])
        if name is None:
            continue
        holes = sorted((a.start, a.end) for a in attachments if block.start <= a.start < block.end)
        title = record.text[block.start : block.end].split("\n", 1)[0]
        cursor = block.start
        for h_start, h_end in [*holes, (block.end, block.end)]:
            if h_start > cursor:
                sections.append(
                    Section(name=name, title=title, start=cursor, end=h_start, body_start=cursor)
                )
            cursor = max(cursor, h_end)
    sections.sort(key=lambda s: s.start)
    return sections


def analyze(record: Record) -> RecordStructure:
    """Type, date of service, sections and in-record dates of ``record``."""
    record_type = record.record_type or classify(record.text, record.path)
    date_of_service = record.date_of_service
    source: DateSource | None = None
    if record.kind == "fhir":
        source = "fhir" if date_of_service is not None else None
    else:
        found, found_source = find_date_of_service(record.text, record.path)
        if date_of_service is None:
            date_of_service, source = found, found_source
        else:  # set at read time (the same rules) or by the caller
            source = found_source if found == date_of_service else "given"
    if record.kind == "fhir":
        sections = _fhir_sections(record)
        marks: tuple[DateMark, ...] = tuple(
            DateMark(offset=s.start, date=s.date) for s in record.segments if s.element is None
        )
    else:
        sections = find_sections(record.text)
        marks = service_date_marks(record.text)
    return RecordStructure(
        record=record.path,
        record_type=record_type,
        date_of_service=date_of_service,
        date_source=source,
        sections=tuple(sections),
        dates=marks,
    )


def section_at(structure: RecordStructure, offset: int) -> str | None:
    """The name of the section holding ``offset``, or ``None`` (before any heading)."""
    found = _section_obj_at(structure.sections, offset)
    return found.name if found is not None else None


def _section_obj_at(sections: tuple[Section, ...], offset: int) -> Section | None:
    starts = [s.start for s in sections]
    i = bisect.bisect_right(starts, offset) - 1
    if i >= 0 and sections[i].start <= offset < sections[i].end:
        return sections[i]
    return None


def section_info(name: str) -> SectionInfo:
    """Label and context flags (historical, family) of a section name."""
    return section_rules().sections[name]


def section_names() -> tuple[str, ...]:
    return tuple(section_rules().sections)


def date_at(structure: RecordStructure, offset: int) -> dt.date | None:
    """The date of service in force at ``offset``.

    For FHIR, the date of the resource rendered there; otherwise the last date of service
    labelled at a line start before ``offset`` (a file holding several visits), else the
    record's date of service.
    """
    if structure.dates:
        offsets = [m.offset for m in structure.dates]
        i = bisect.bisect_right(offsets, offset) - 1
        if i >= 0 and structure.dates[i].date is not None:
            return structure.dates[i].date
    return structure.date_of_service


def make_span(
    record: Record, start: int, end: int, structure: RecordStructure | None = None
) -> Span:
    """A :class:`Span` of ``record.text[start:end]`` with its page and section filled."""
    if not 0 <= start <= end <= len(record.text):
        raise ValueError(f"span {start}:{end} is outside the record ({len(record.text)} chars)")
    return Span(
        record=record.path,
        start=start,
        end=end,
        quote=record.text[start:end],
        page=record.page_of(start) if record.pages else None,
        section=section_at(structure, start) if structure is not None else None,
    )


def iter_sections(structure: RecordStructure, names: Iterable[str]) -> list[Section]:
    """The sections of ``structure`` whose name is in ``names``, in order."""
    wanted = set(names)
    return [s for s in structure.sections if s.name in wanted]
