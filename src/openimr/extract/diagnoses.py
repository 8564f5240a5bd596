"""Diagnoses: the items of a diagnosis list or an impression, and the conditions a sentence
names after a cue ("diagnosed with", "treated for"), each with its ICD-10 code."""

from __future__ import annotations

import re

from openimr.extract.locate import Location
from openimr.extract.run import Run
from openimr.extract.sentences import SECTION_TITLES, Sentence
from openimr.model import Fact, Span

_ICD10 = re.compile(r"\b([A-TV-Z]\d{2}\.[0-9A-Z]{1,4})\b|\(\s*([A-TV-Z]\d{2}[0-9A-Z]{0,4})\s*[),]")
_CODE_GROUP = re.compile(
    r"\s*[(\[]?\s*(?:ICD-?10(?:-CM)?\s*:?\s*)?[A-TV-Z]\d{2}(?:\.?[0-9A-Z]{1,4})?"
    r"(?:\s*[,;]\s*[A-TV-Z]\d{2}(?:\.?[0-9A-Z]{1,4})?)*\s*[)\]]?"
)

_DX_CUE = re.compile(
    r"(?:diagnos(?:is|es)\s+(?:of|includes?|included|were|are|was|is)"
    r"(?:\s+documented\s+as|\s+listed\s+as)?"
    r"|diagnos(?:is|es)\s*:"
    r"|(?:my\s+)?(?:impression|assessment)\s+(?:is|was)"
    r"|diagnosed\s+(?:with|as\s+having)"
    r"|(?:undergoing\s+)?(?:treatment|treated)\s+for"
    r"|(?<!\w)dx:?)"
    r"(?:\s+the\s+diagnos(?:is|es)\s+of)?:?\s+(?P<dx>(?:[^.]|\.(?=[0-9A-Z]))+)",
    re.IGNORECASE,
)
# every match of _DX_CUE holds one of these (in any case): on ASCII text, where ignoring case
# is only lower-casing, a sentence without any of them is not searched
_DX_CUE_WORDS = ("diagnos", "impression", "assessment", "treat", "dx")


def dx_cue(quote: str) -> re.Match[str] | None:
    if quote.isascii():
        lowered = quote.lower()
        if not any(w in lowered for w in _DX_CUE_WORDS):
            return None
    return _DX_CUE.search(quote)


_DX_SPLIT = re.compile(
    r"\s*;\s*|,\s+(?:and\s+)?(?=[a-z])(?!(?:left|right|bilateral|with|without|status|severe|mild|moderate|acute|chronic)\b)"
    r"|(?<!\bleft)(?<!\bright)\s+and\s+(?=(?:left|right|bilateral)?\s*[a-z]+\s)"
)
# the first clause of a sentence of prose: a subject (pronoun, "there", "the patient") or a
# finite verb; a diagnosis list item has neither ("Left S1 nerve root irritation")
_DX_PROSE = re.compile(
    r"^\s*(?:i|we|he|she|they|it|this|that|these|those|there|his|her|results?|please|if|"
    r"once|based|however|perhaps|overall|the\s+patient)\b"
    r"|\b(?:is|are|was|were|has|have|had|will|would|could|should|shows?|showed|reveals?|"
    r"revealed|recommends?|recommended|discussed|believe|think|feel|agrees?|requested)\b",
    re.IGNORECASE,
)
# prose a long sentence gives away wherever it stands: a first person, or "have all been
# discussed"
_DX_PROSE_LONG = re.compile(
    r"\b(?:i|we)\s+(?:\w+\s+)?(?:believe|think|feel|recommend|would|will|discussed|have)\b"
    r"|\b(?:has|have)\s+(?:all\s+)?been\s+(?:discussed|explained|reviewed)\b",
    re.IGNORECASE,
)
# a study's finding stated as evidence ("There is electrodiagnostic evidence of an acute L5
# radiculopathy") names a diagnosis; "There is no evidence of ..." does not
_DX_EVIDENCE = re.compile(
    r"^\s*there\s+is\s+(?:(?!no\b|not\b|little\b)\w+\s+){0,2}?evidence\s+(?:of|for)\b",
    re.IGNORECASE,
)
# a diagnosis not made: a differential, or "no diagnosis was rendered"
_DX_NOT_MADE = re.compile(r"\bdifferential\b|\bno\s+(?:\w+\s+)?$", re.IGNORECASE)
_DX_SKIP = re.compile(
    r"^(?:no|none|same|normal|abnormal study|correlate|recommend|good|fair|poor|status|"
    r"improving|progress\w*|objective functional|failed|stable|see|findings|the patient|pt|patient|"
    r"this|that|these|those|it|them|rendered|made|given|established|"
    # a letter's closing ("Yours sincerely,", "Thank you for this referral")
    r"yours|sincerely|respectfully|regards|thank you|thanks|cc|electronically signed)\b",
    re.IGNORECASE,
)
# what a cue points back to instead of naming a condition ("treated for this", "treatment
# for the current problem includes the following: ..."): no diagnosis in the sentence
_DX_NOT_NAMED = re.compile(
    r"^\s*(?:the\s+|this\s+|her\s+|his\s+)?(?:current\s+|present\s+|same\s+|above\s+)?"
    r"(?:problem|problems|condition|complaint|complaints|injury|this|that|it|them)\b",
    re.IGNORECASE,
)


def diagnoses(
    run: Run, span: Span, start: int, end: int, whole: bool, sent: Sentence | None = None
) -> list[Fact]:
    """Diagnoses in a piece of a sentence, each with its ICD-10 code as the qualifier."""
    text = run.record.text
    piece = text[start:end]
    out: list[Fact] = []
    parts = [piece] if whole and ";" not in piece else _DX_SPLIT.split(piece)
    for part in parts:
        code_m = _ICD10.search(part)
        code = (code_m.group(1) or code_m.group(2)) if code_m else None
        name = _CODE_GROUP.sub(" ", part) if code else part
        name = re.sub(r"\s+", " ", name).strip(" .,;:-")
        name = re.sub(r"^(?:and|or|the)\s+", "", name, flags=re.I)
        name = re.sub(r"^(?:Dx|Diagnosis|Diagnoses|Assessment|Impression)\s*:\s*", "", name)
        if len(name) < 4 or _DX_SKIP.match(name) or name.lower() in SECTION_TITLES:
            continue
        where = run.locate_text(sent, part) if sent is not None else Location()
        out.append(
            Fact(
                name="diagnosis",
                value=name,
                spans=(span,),
                qualifier=code,
                side=where.side,
                region=where.region,
            )
        )
    return out


def listed_diagnoses(run: Run, sent: Sentence, span: Span) -> list[Fact]:
    """The diagnoses of a sentence in a diagnosis section (``span``: without its heading)."""
    # a list item or a short assessment names a diagnosis; a sentence of prose in an
    # impression ("I would recommend ...", "There is no evidence of ...") does not
    first = re.split(r"[,(]", span.quote, maxsplit=1)[0]
    # a long sentence of prose after an opening phrase ("At this point, I believe the
    # patient is a good candidate for ...") is not a list item either
    prose = _DX_PROSE.search(first) or (
        len(span.quote.split()) > 10 and _DX_PROSE_LONG.search(span.quote)
    )
    if _DX_EVIDENCE.match(first) or not prose:
        return diagnoses(run, span, span.start, span.end, whole=True, sent=sent)
    return []


def cued_diagnoses(run: Run, sent: Sentence, whole: Span, cue: re.Match[str]) -> list[Fact]:
    """The diagnoses a cue ("diagnosed with") names in a sentence outside a diagnosis section,
    unless none was made or the cue points back to a condition named before."""
    if _DX_NOT_MADE.search(whole.quote[: cue.start("dx")]) or _DX_NOT_NAMED.match(cue.group("dx")):
        return []
    return diagnoses(
        run, whole, whole.start + cue.start("dx"), whole.start + cue.end("dx"), False, sent=sent
    )
