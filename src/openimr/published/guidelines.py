"""Split a guideline citation as letters write it into structured parts.

Letters cite guidelines in a few fixed sentence shapes::

    Decision based on MTUS Low Back Complaints 2004, Section(s): Summary, and Chronic Pain
    Medical Treatment 2016, Section(s): Facet blocks. Decision based on Non-MTUS Citation
    ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Low Back Disorders, pg. 607.

    The Expert Reviewer did not base their decision on the MTUS. Decision based on Non-MTUS
    Citation Official Disability Guidelines (ODG) Low Back Chapter, Physical therapy (PT.)

    Decision based on MTUS Chronic Pain Treatment Guidelines Section on physical medicine
    Page(s): 98.                                                          (older letters)

The MTUS part is split per chapter (name, year, sections, pages); the non-MTUS part per
guideline named (ODG, ACOEM, MD Guidelines, a web address...). Each part gets a coarse
``key`` (``mtus:chronic-pain``, ``mtus:acoem-low-back``, ``non-mtus:odg``) for comparing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from openimr.published.parsed import Guideline, GuidelineCitation

# MTUS chapters: (pattern on the chapter name, canonical chapter, guideline, key).
_MTUS_CHAPTERS: tuple[tuple[str, str, str, str], ...] = (
    (
        r"chronic pain",
        "Chronic Pain Medical Treatment",
        "Chronic Pain Medical Treatment Guidelines",
        "mtus:chronic-pain",
    ),
    (r"opioid", "Opioids Treatment", "Opioids Treatment Guidelines", "mtus:opioids"),
    (
        r"post-?surgical",
        "Postsurgical Treatment",
        "Postsurgical Treatment Guidelines",
        "mtus:postsurgical",
    ),
    (
        r"acupuncture",
        "Acupuncture Medical Treatment",
        "Acupuncture Medical Treatment Guidelines",
        "mtus:acupuncture",
    ),
    (
        r"general approach|independent medical exam",
        "General Approaches",
        "ACOEM",
        "mtus:acoem-general-approaches",
    ),
    (r"low back", "Low Back Complaints", "ACOEM", "mtus:acoem-low-back"),
    (r"neck", "Neck and Upper Back Complaints", "ACOEM", "mtus:acoem-neck"),
    (r"shoulder", "Shoulder Complaints", "ACOEM", "mtus:acoem-shoulder"),
    (r"elbow", "Elbow Disorders", "ACOEM", "mtus:acoem-elbow"),
    (r"forearm|wrist|hand", "Forearm, Wrist, and Hand Complaints", "ACOEM", "mtus:acoem-hand"),
    (r"knee", "Knee Complaints", "ACOEM", "mtus:acoem-knee"),
    (r"ankle|foot", "Ankle and Foot Complaints", "ACOEM", "mtus:acoem-ankle-foot"),
    (r"stress", "Stress Related Conditions", "ACOEM", "mtus:acoem-stress"),
    (r"\beye", "Eye", "ACOEM", "mtus:acoem-eye"),
)

# ODG chapters (body part), first match wins: (pattern, canonical name).
_ODG_CHAPTERS: tuple[tuple[str, str], ...] = (
    (r"low back|lumbar|thoracic", "Low Back"),
    (r"neck|cervical", "Neck and Upper Back"),
    (r"shoulder", "Shoulder"),
    (r"elbow", "Elbow"),
    (r"forearm|wrist|hand", "Forearm, Wrist & Hand"),
    (r"hip|pelvis", "Hip & Pelvis"),
    (r"knee", "Knee & Leg"),
    (r"ankle|foot", "Ankle & Foot"),
    (r"head\b|\bTBI\b", "Head"),
    (r"mental|stress", "Mental Illness & Stress"),
    (r"\bpain\b", "Pain"),
    (r"preface", "Preface"),
)

_WS = re.compile(r"\s+")
_BASED_ON = re.compile(r"Decision\s+based\s+on\s+", re.I)
_NON_MTUS = re.compile(r"Decision\s+based\s+on\s+Non-?\s*MTUS(?:\s+Citation)?[:\s]*", re.I)
_MTUS = re.compile(r"Decision\s+based\s+on\s+(?:the\s+)?MTUS\b[:\s]*", re.I)
_NOT_MTUS = re.compile(
    r"did\s+not\s+base\s+their\s+decision\s+on\s+the\s+MTUS|outside\s+of\s+the\s+MTUS", re.I
)
_NO_CITATION = re.compile(r"did\s+not\s+cite\s+any\s+(?:medical\s+)?evidence", re.I)
_YEAR = re.compile(r"\b(19[89]\d|20\d\d)\b")
_SECTION_LABEL = re.compile(r",?\s*Sections?\(?s?\)?:\s*", re.I)
_PAGES = re.compile(r",?\s*(?:Page\(s\)|pages?|pgs?\.?)\s*:?\s*(\d[\d\s,\-–]*)", re.I)
# One MTUS chapter: name and year, optional sections, optional pages.
_MTUS_CHAPTER = re.compile(
    r"(?P<name>[A-Z][^:]*?)\s+(?P<year>(?:19|20)\d\d)\b"
    r"(?:,?\s*Section\(s\):\s*(?P<sections>.*?))?"
    r"(?:,?\s*Page\(s\):\s*(?P<pages>[\d,\s\-–]+?))?"
    r"\s*(?=,\s*and\s+[A-Z][^:]*?\s(?:19|20)\d\d\b|$)"
)
# Older letters: "Chronic Pain Treatment Guidelines Section on physical medicine Page(s): 98"
_MTUS_OLD = re.compile(
    r"(?P<name>.+?)\s+Sections?\s+on\s+(?P<sections>.+?)"
    r"(?:\s*,?\s*Page\(s\):?\s*(?P<pages>[\d,\s\-–]+))?$",
    re.I,
)
# Where a new guideline starts inside a non-MTUS citation.
_NON_MTUS_START = re.compile(
    r"(?<![(\w.])(?:Official\s+Disability\s+Guidelines|ODG\b(?!\))|"
    r"American\s+College\s+of\s+Occupational|ACOEM\b(?!\))|"
    r"Other\s+Medical\s+Treatment\s+Guidelines|MD\s*Guidelines|https?://|www\.)",
    re.I,
)
# Pieces of a section list that belong to the piece before: "TENS, chronic pain (...)",
# "NSAIDs, GI symptoms & cardiovascular risk".
_ACRONYM_STEM = re.compile(r"^[A-Z]{2,}s?$")
_COMPOUND_SECTIONS = (re.compile(r"Forearm,\s*Wrist,?\s*(?:&|and)\s*Hand", re.I),)


def normalize_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _split_top_level(text: str) -> list[str]:
    """Split at ", " and ";" outside parentheses."""
    pieces: list[str] = []
    depth = 0
    current: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if depth == 0 and (ch == ";" or (ch == "," and text[i + 1 : i + 2] in (" ", ""))):
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    pieces.append("".join(current))
    return [p.strip() for p in pieces if p.strip()]


def split_sections(text: str, *, merge_lowercase: bool = True) -> tuple[str, ...]:
    """Split "Initial Care, Activity Modification, Special Studies" into its sections.

    A piece that continues the one before stays with it: after an acronym stem ("TENS,
    chronic pain", "NSAIDs, GI symptoms & cardiovascular risk"), a piece starting in lower
    case ("Preoperative testing, general") and "Forearm, Wrist, & Hand".
    """
    text = normalize_ws(text).rstrip(".;, ")
    if not text:
        return ()
    protected: dict[str, str] = {}
    for i, pattern in enumerate(_COMPOUND_SECTIONS):
        for match in pattern.finditer(text):
            token = f"\x00{i}{len(protected)}\x00"
            protected[token] = match.group(0)
            text = text.replace(match.group(0), token, 1)
    merged: list[str] = []
    for piece in _split_top_level(text):
        if merged and (
            _ACRONYM_STEM.match(merged[-1])
            or (merge_lowercase and piece[0].islower())
            or piece.startswith(("&", "and ", "or "))
        ):
            merged[-1] = f"{merged[-1]}, {piece}"
        else:
            merged.append(piece)
    out = []
    for piece in merged:
        for token, original in protected.items():
            piece = piece.replace(token, original)
        out.append(piece)
    return tuple(out)


def _pages(text: str) -> tuple[str, tuple[str, ...]]:
    """Remove a page reference from ``text``; return (rest, pages)."""
    pages: list[str] = []

    def take(match: re.Match[str]) -> str:
        pages.extend(p.strip() for p in re.split(r",\s*", match.group(1)) if p.strip())
        return " "

    rest = _PAGES.sub(take, text)
    return normalize_ws(rest), tuple(pages)


def _mtus_chapter(name: str) -> tuple[str, str, str]:
    lowered = name.lower()
    for pattern, canonical, guideline, key in _MTUS_CHAPTERS:
        if re.search(pattern, lowered):
            return canonical, guideline, key
    chapter = re.sub(r"\s*Guidelines?$", "", name)
    return chapter, chapter, f"mtus:{_slug(chapter)}"


def _parse_mtus(text: str) -> list[GuidelineCitation]:
    text = normalize_ws(text).rstrip(". ")
    if not text:
        return []
    out: list[GuidelineCitation] = []
    pos = 0
    while pos < len(text):
        match = _MTUS_CHAPTER.match(text, pos)
        if match is None or not match.group(0).strip():
            break
        name = match.group("name").strip()
        raw_sections = match.group("sections") or ""
        raw_sections, pages = _pages(raw_sections)
        if match.group("pages"):
            pages = pages + tuple(p.strip() for p in match.group("pages").split(",") if p.strip())
        chapter, guideline, key = _mtus_chapter(name)
        out.append(
            GuidelineCitation(
                source="MTUS",
                guideline=guideline,
                chapter=chapter,
                year=int(match.group("year")),
                sections=split_sections(raw_sections),
                pages=pages,
                key=key,
                text=match.group(0).strip(" ,"),
            )
        )
        pos = match.end()
        sep = re.compile(r",\s*and\s+").match(text, pos)
        if sep is None:
            break
        pos = sep.end()
    if pos < len(text) or not out:
        # Not the "Chapter YEAR, Section(s): ..." shape: try the older shape, else keep the
        # whole text as one citation whose chapter is read from its words.
        rest = text if not out else text[pos:]
        out.extend(_parse_mtus_free(rest))
    return out


def _parse_mtus_free(text: str) -> list[GuidelineCitation]:
    text = normalize_ws(text).strip(" ,.")
    if not text:
        return []
    body, pages = _pages(text)
    sections: tuple[str, ...] = ()
    name = body
    old = _MTUS_OLD.match(body)
    if old:
        name = old.group("name")
        sections = split_sections(old.group("sections"))
    year_match = _YEAR.search(name)
    chapter, guideline, key = _mtus_chapter(name)
    return [
        GuidelineCitation(
            source="MTUS",
            guideline=guideline,
            chapter=chapter,
            year=int(year_match.group(1)) if year_match else None,
            sections=sections,
            pages=pages,
            key=key,
            text=text,
        )
    ]


def _non_mtus_kind(text: str) -> tuple[str, str]:
    lowered = text.lower()
    if "official disability" in lowered or re.search(r"\bodg\b", lowered):
        return "ODG", "non-mtus:odg"
    if "acoem" in lowered or "american college of occupational" in lowered:
        return "ACOEM", "non-mtus:acoem"
    if (
        "mdguidelines" in lowered
        or "md guidelines" in lowered
        or ("other medical treatment guidelines" in lowered)
    ):
        return "MD Guidelines", "non-mtus:mdguidelines"
    if re.search(r"https?://|www\.", lowered):
        return "web", "non-mtus:web"
    return "other", "non-mtus:other"


def _split_non_mtus(text: str) -> list[str]:
    starts = [m.start() for m in _NON_MTUS_START.finditer(text)]
    pieces: list[str] = []
    prev = 0
    for start in starts:
        piece = text[prev:start]
        # keep "Other Medical Treatment Guidelines www.mdguidelines.com" together, and a
        # leading piece with no guideline name (e.g. "Shoulder (Acute & Chronic), ...,
        # ODG Preface") with the guideline that follows it
        if (
            start == 0
            or not piece.strip(" ,;.")
            or (not pieces and _non_mtus_kind(piece)[0] == "other")
        ):
            continue
        if re.search(r"Other\s+Medical\s+Treatment\s+Guidelines\s*$", piece, re.I):
            continue
        pieces.append(piece)
        prev = start
    pieces.append(text[prev:])
    out = [re.sub(r"\s+(?:and|&)$", "", p.strip(" ,;.")) for p in pieces]
    return [p for p in out if p]


_ODG_NAME = re.compile(r"^(?:Official\s+Disability\s+Guidelines(?:\s*\(ODG\))?|ODG)[,:\s]*", re.I)
_ACOEM_NAME = re.compile(
    r"^(?:American\s+College\s+of\s+Occupational\s+and\s+Environmental\s+Medicine"
    r"(?:\s*\(ACOEM\))?|ACOEM)[,:\s]*",
    re.I,
)
_ACOEM_CHAPTER = re.compile(r"Complaints|Disorders|Chapter|Consultations|Approach", re.I)
_EDITION = re.compile(r"\b(\d(?:st|nd|rd|th)\s+(?:Edition|ed\.?))", re.I)
# Words that only say where a citation was published, not what it says.
_PUBLICATION_NOISE = re.compile(
    r"\(\s*updated[^)]*\)|\(?\bonline\s+version\)?|\bweb\s+version\b|"
    r"work\s+loss\s+data\s+institute(?:\s*\(\d+\w*\s+annual\s+edition\))?|"
    r"occupational\s+medicine\s+practice\s+guidelines|\((?:19|20)\d\d\)|"
    r"\b(?:19|20)\d\d\b",
    re.I,
)
# A run of ODG chapter words ("Low Back & Thoracic chapter (Acute & Chronic)").
_CHAPTER_VOCAB = (
    r"low\s+back|lumbar|thoracic|neck|upper\s+back|cervical|shoulder|elbow|forearm|wrist|"
    r"hand|hips?|pelvis|knee|leg|ankle|foot|head|mental\s+illness|stress|pain|preface|and|&|"
    r"chapter|section"
)
_CHAPTER_WORDS = re.compile(
    rf"^(?:{_CHAPTER_VOCAB}|,|-|\s|\((?:{_CHAPTER_VOCAB}|acute|chronic|,|\s)+\))+"
    r"(?=$|\s|\()",
    re.I,
)


def _split_citation_parts(text: str, *, merge_lowercase: bool = True) -> list[str]:
    """Split the descriptive part of a non-MTUS citation at , ; : / and " - "."""
    text = re.sub(r"(?<=[A-Za-z])/(?=\s|[A-Z])(?!Occupational)", ", ", text)
    text = re.sub(r"\s*(?::|;|\s-\s|\s–\s)\s*", ", ", text)
    text = re.sub(r"\b(?:ODG|Official\s+Disability\s+Guidelines)\s+", "", text)
    return list(split_sections(text, merge_lowercase=merge_lowercase))


def _odg_chapter(text: str) -> str | None:
    """The ODG chapter named first in ``text``."""
    best: tuple[int, str] | None = None
    for pattern, canonical in _ODG_CHAPTERS:
        match = re.search(pattern, text, re.I)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), canonical)
    return best[1] if best else None


def _odg_sections(rest: str, chapter: str | None) -> tuple[str, ...]:
    out: list[str] = []
    for i, part in enumerate(_split_citation_parts(rest, merge_lowercase=False)):
        match = _CHAPTER_WORDS.match(part)
        if match and match.end() == len(part):
            if _odg_chapter(part) in (chapter, None):
                continue  # only names the chapter
            out.append(part)  # a second chapter named
            continue
        if i == 0 and match:
            part = part[match.end() :].strip()
            if part.startswith("(") and part.endswith(")"):
                part = part[1:-1].strip()
        if not part:
            continue
        if out and part[0].islower() and not out[-1][0].islower():
            out[-1] = f"{out[-1]}, {part}"
        elif part not in out:
            out.append(part)
    return tuple(out)


def _parse_non_mtus(text: str) -> list[GuidelineCitation]:
    out: list[GuidelineCitation] = []
    for piece in _split_non_mtus(normalize_ws(text)):
        guideline, key = _non_mtus_kind(piece)
        body, pages = _pages(piece)
        year_match = _YEAR.search(body)
        edition_match = _EDITION.search(body)
        chapter: str | None = None
        sections: tuple[str, ...] = ()
        rest = body
        if guideline == "ODG":
            rest = _PUBLICATION_NOISE.sub(" ", _ODG_NAME.sub("", rest))
            chapter = _odg_chapter(rest)
            sections = _odg_sections(normalize_ws(rest), chapter)
        elif guideline in ("ACOEM", "other"):
            rest = _ACOEM_NAME.sub("", rest)
            if edition_match:
                rest = rest.replace(edition_match.group(1), " ")
            rest = _PUBLICATION_NOISE.sub(" ", rest)
            parts = _split_citation_parts(normalize_ws(rest))
            if guideline == "ACOEM" and parts and _ACOEM_CHAPTER.search(parts[0]):
                chapter = parts.pop(0)
            sections = tuple(parts)
        out.append(
            GuidelineCitation(
                source="non-MTUS",
                guideline=guideline,
                chapter=chapter,
                year=int(year_match.group(1)) if year_match else None,
                edition=edition_match.group(1) if edition_match else None,
                sections=sections,
                pages=pages,
                key=key,
                text=piece,
            )
        )
    return out


@lru_cache(maxsize=4096)
def parse_guideline(text: str) -> Guideline:
    """Split one guideline citation (the text after "... guideline:")."""
    text = normalize_ws(text)
    cited = not _NO_CITATION.search(text)
    not_mtus = bool(_NOT_MTUS.search(text))
    citations: list[GuidelineCitation] = []
    mtus_part = ""
    non_mtus_part = ""
    non = _NON_MTUS.search(text)
    if non:
        non_mtus_part = text[non.end() :]
        head = text[: non.start()]
    else:
        head = text
    mtus = _MTUS.search(head)
    if mtus:
        mtus_part = head[mtus.end() :]
    citations.extend(_parse_mtus(mtus_part))
    citations.extend(_parse_non_mtus(non_mtus_part))
    keys: list[str] = []
    for citation in citations:
        if citation.key not in keys:
            keys.append(citation.key)
    based = bool(mtus) and not not_mtus and cited
    return Guideline(
        text=text,
        based_on_mtus=based,
        cited=cited,
        citations=tuple(citations),
        chapter_keys=tuple(keys),
    )


def has_citation_shape(text: str) -> bool:
    """True when ``text`` reads like a guideline citation at all."""
    return bool(_BASED_ON.search(text) or _NO_CITATION.search(text) or _NOT_MTUS.search(text))
