"""A medication request's details (step 5b of :mod:`openimr.request.parse`): dosage
form and route, strength, quantity, directions, refills, and a compound's ingredients."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from openimr.model.request import Ingredient
from openimr.request.catalogue import (
    Catalogue,
    DrugMention,
    TreatmentEntry,
)
from openimr.request.catalogue_schema import PATCH_FORMS, TOPICAL_FORMS
from openimr.request.framing import tidy
from openimr.request.numbers import UNITS
from openimr.request.quantities import UNIT_WORDS

_I = re.IGNORECASE
_WS = re.compile(r"\s+")


# -- 5b. medications -----------------------------------------------------------------------

_FORM = re.compile(
    # a nasal spray is not a topical for the skin
    r"\b(?P<f>patch(?:es)?|pads?|plasters?|creams?|gels?|ointments?|lotions?|(?<!nasal )sprays?|foams?|"
    r"liniments?|roll[\s-]?on|topical|transdermal|tablets?|tabs?|capsules?|caps?|solution|"
    r"liquid|suspension|injections?|injectable)\b",
    _I,
)

_FORM_NAMES = {
    "patches": "patch",
    "pads": "pad",
    "pad": "pad",
    "plasters": "plaster",
    "tabs": "tablet",
    "tab": "tablet",
    "tablets": "tablet",
    "caps": "capsule",
    "cap": "capsule",
    "capsules": "capsule",
    "injections": "injection",
    "injectable": "injection",
    "rollon": "roll-on",
    "roll on": "roll-on",
}
STRENGTH = re.compile(
    r"(?<![\w.#,])(?P<s>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?(?:\s*[-/]\s*\d+(?:\.\d+)?)*)\s*"
    r"(?P<u>mg|mcg|µg|ug|gm|g|ml|%|units?|iu|meq)(?![a-z])"
    r"(?:\s*/\s*(?P<per>hr|hour|h|ml|\d+\s*ml|actuation|spray)\b)?",
    _I,
)
_BARE_STRENGTH = re.compile(r"[\s(,]*(?P<s>\d+(?:\.\d+)?/\d+(?:\.\d+)?)(?![\d.%])")
_QTY = re.compile(
    r"(?:#|\bqty\.?:?|\bquantity:?|\bdisp(?:ense)?:?|\bcount:?)\s*(?P<n>\d+)\b"
    r"(?:\s*\(?(?P<u>tablets?|tabs?|capsules?|caps?|patch(?:es)?|pads?|grams?|gms?|gm|g|"
    r"boxe?s?|tubes?|bottles?|ml|units?|packs?|kits?|jars?|ounces?|oz)\b)?",
    _I,
)
_AMOUNT = re.compile(
    r"(?<![\w.#/-])(?P<n>\d+)\s*(?P<u>grams?|gms?|gm|g|ml|oz|ounces?)(?![a-z])", _I
)
_REFILLS = re.compile(
    r"(?:\bwith\s+)?\b(?P<n>\d+|no|zero|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven)\s+(?:additional\s+)?refills?\b|\brefills?\s*(?::|x|#)?\s*(?P<n2>\d+)\b"
    r"|\bRF\s*x?\s*(?P<n3>\d+)\b",
    _I,
)
_SIG = re.compile(
    r"\b(?:take|takes|apply|use|inject|insert|place|inhale|chew|dissolve|tabs?|tablets?|caps?|"
    r"capsules?|by\s+mouth|orally|po|daily|nightly|bedtime|qhs|qd|bid|tid|qid|prn|q\s?\d+h?|"
    r"every|as\s+needed|times\s+a\s+day|a\s+day|per\s+day|hours?\s+on|affected\s+area|twice|"
    r"once|repeat)\b",
    _I,
)
INGREDIENT = re.compile(
    # a name starts where a run of letters does (the same matches as from any letter of the run)
    # and its words never give letters back (a blank must follow them): linear, not quadratic,
    # on a long run of letters in a hostile request
    r"(?<![A-Za-z])(?P<name>[A-Za-z][A-Za-z-]*+(?:\s+[A-Za-z][A-Za-z-]*+){0,2}?)"
    r"\s+(?P<s>\d+(?:\.\d+)?)\s*%"
)
_STRENGTH_LIST = re.compile(r"\d+(?:\.\d+)?\s*%(?:\s*[/,-]\s*\d+(?:\.\d+)?\s*%)+")
_INGREDIENT_STOP = frozenset(
    re.findall(
        r"\S+",
        "in a an and with plus of the cream gel base compound compounded topical ointment "
        "lotion transdermal containing contains",
    )
)
_COMPOUND_WORD = re.compile(r"\bcompound\w*|\bbase\b|\blipoderm\b|\bversapro\b", _I)
UNKNOWN_DRUG = re.compile(
    r"^\s*(?:(?:post|pre)[\s-]*op\w*\s+)?(?P<name>[A-Za-z][A-Za-z-]{2,})"
    r"(?:\s+\((?P<brand>[A-Za-z][\w -]*)\))?\s+\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?\s*"
    r"(?:mg|mcg|g|gm|ml|%|iu|units?)(?![a-z])",
    _I,
)
_REFILL_WORDS = {"no": 0, **{w: n for w, n in UNITS.items() if n <= 11}}


def _form_name(word: str) -> str:
    w = _WS.sub(" ", word.lower())
    if w in _FORM_NAMES:
        return _FORM_NAMES[w]
    return w[:-1] if w.endswith("s") and w[:-1] in PATCH_FORMS | TOPICAL_FORMS else w


def form_of(text: str, mention: DrugMention | None) -> str | None:
    m = _FORM.search(text)
    if m:
        return _form_name(m.group("f"))
    if mention is not None and mention.brand is not None:
        return mention.brand.form
    return None


def route_of(cat: Catalogue, mention: DrugMention, form: str | None) -> TreatmentEntry:
    """The treatment a drug is requested as, given its dosage form."""
    d, e = mention.drug, mention.entry
    if form in PATCH_FORMS:
        kind = "patch"
    elif form in TOPICAL_FORMS or form == "transdermal":
        kind = "topical"
    else:
        return e
    if d.transdermal:
        return e
    target = d.patch if kind == "patch" else d.topical
    if target is not None and target in cat:
        return cat[target]
    if e.category == "medications-topicals" or "topical-compound" not in cat:
        return e
    return cat["topical-compound"]


def ingredients_of(cat: Catalogue, text: str, mentions: Sequence[DrugMention]) -> list[Ingredient]:
    out: list[Ingredient] = []
    covered: list[tuple[int, int]] = []
    for m in INGREDIENT.finditer(text):
        words = m.group("name").split()
        name: str | None = None
        cls: str | None = None
        for i in range(len(words)):  # the longest known drug name ending the phrase
            known = cat.drug(" ".join(words[i:]))
            if known is not None:
                name, cls = known.generic, known.drug_class
                break
        if name is None:
            while words and words[0].lower() in _INGREDIENT_STOP:
                words = words[1:]
            if not words:
                continue
            name, cls = " ".join(words).lower(), None
        out.append(Ingredient(name=name, strength=f"{m.group('s')}%", drug_class=cls))
        covered.append(m.span())
    if out:
        for dm in mentions:
            if any(a <= dm.start < b for a, b in covered):
                continue
            for name in dm.drug.generic.split("/"):
                if all(i.name != name for i in out):
                    out.append(_ingredient(cat, name, None))
        return out
    # "Flurbiprofen/Cyclobenzaprine/Menthol cream (20%/10%/4%)": names, then strengths in order
    names: list[str] = []
    for dm in mentions:
        names += [n for n in dm.drug.generic.split("/") if n not in names]
    lst = _STRENGTH_LIST.search(text)
    strengths = re.findall(r"\d+(?:\.\d+)?%", lst.group(0)) if lst else []
    if len(strengths) != len(names):
        strengths = []
    return [
        _ingredient(cat, name, strengths[i] if strengths else None) for i, name in enumerate(names)
    ]


def _ingredient(cat: Catalogue, name: str, strength: str | None) -> Ingredient:
    known = cat.drug(name)
    return Ingredient(name=name, strength=strength, drug_class=known.drug_class if known else None)


def is_compound(text: str, mentions: Sequence[DrugMention], form: str | None) -> bool:
    if len(INGREDIENT.findall(text)) >= 2:
        return True
    generics = {m.drug.generic for m in mentions}
    topical = form in PATCH_FORMS or form in TOPICAL_FORMS or form == "transdermal"
    return len(generics) >= 2 and (topical or bool(_COMPOUND_WORD.search(text)))


@dataclass
class _DrugDetails:
    strength: str | None = None
    quantity: int | None = None
    unit: str | None = None
    directions: str | None = None
    refills: int | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)


def strength_text(s: str, unit: str, per: str | None) -> str:
    out = re.sub(r"\s+", "", s) + unit.lower().replace("µg", "mcg").replace("ug", "mcg")
    return out + (f"/{per.lower()}" if per else "")


def _unit_for_form(form: str | None, default: str | None) -> str:
    if form in PATCH_FORMS:
        return "patches"
    if form in TOPICAL_FORMS and form != "topical":
        return "grams"
    if form == "capsule":
        return "capsules"
    if form in ("solution", "liquid", "suspension"):
        return "ml"
    return default or "tablets"


def drug_details(
    work: str,
    mention: DrugMention | None,
    form: str | None,
    default_unit: str | None,
    topical_entry: bool = False,
) -> _DrugDetails:
    out = _DrugDetails()
    after = mention.end if mention else 0
    topical = topical_entry or form in PATCH_FORMS or form in TOPICAL_FORMS
    topical = topical or form == "transdermal"
    m = STRENGTH.search(work, after)
    if m and topical and m.group("u").lower() in ("g", "gm", "ml") and not m.group("per"):
        m = None  # "Terocin lotion 120ml": an amount of lotion, not a strength
    if m:
        out.strength = strength_text(m.group("s"), m.group("u"), m.group("per"))
        out.spans.append(m.span())
    else:
        b = _BARE_STRENGTH.match(work, after)
        if b:
            out.strength = b.group("s")
            out.spans.append(b.span("s"))
    blanked = work
    if mention is not None:  # "Tylenol #3 #60": the brand's "#3" is not the quantity
        blanked = work[: mention.start] + " " * (mention.end - mention.start) + work[mention.end :]
    q = _QTY.search(blanked)
    if q:
        out.quantity = int(q.group("n"))
        unit = q.group("u")
        out.unit = UNIT_WORDS.get(unit.lower()) if unit else None
        out.unit = out.unit or _unit_for_form(form, default_unit)
        out.spans.append(q.span())
    elif topical:
        a = _AMOUNT.search(blanked, after)
        if a:
            out.quantity, out.unit = int(a.group("n")), UNIT_WORDS[a.group("u").lower()]
            out.spans.append(a.span())
    r = _REFILLS.search(work)
    if r:
        n = r.group("n") or r.group("n2") or r.group("n3")
        out.refills = int(n) if n.isdigit() else _REFILL_WORDS.get(n.lower())
        out.spans.append(r.span())
    return out


_HEAD_GAP = re.compile(r"[\s,()]*")


def head_span(work: str, pos: int, spans: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """The span after a drug name holding its strength, brand and form: "(Valium) 5mg tab"."""
    start = pos
    while True:
        gap = _HEAD_GAP.match(work, pos)
        nxt = gap.end() if gap else pos
        taken = next((b for a, b in spans if a == nxt and b > nxt), None)
        if taken is not None:
            pos = taken
            continue
        form = _FORM.match(work, nxt)
        if form is None:
            return start, pos
        pos = form.end()


def directions_of(work: str, spans: Sequence[tuple[int, int]]) -> str | None:
    """What is left of a medication request once name, strength, amount are taken: the sig."""
    chars = list(work)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = "\x00"
    pieces = [p for p in "".join(chars).split("\x00")]
    kept = [tidy(p.strip(" ,;()")) for p in pieces]
    kept = [k for k in kept if k and _SIG.search(k)]
    if not kept:
        return None
    text = ", ".join(kept)
    text = re.sub(r"^(?:(?:post|pre)[\s-]*op\w*|for)\s+", "", text, flags=_I)
    return text or None
