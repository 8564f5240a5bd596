"""Reading one free-text disputed request into a :class:`~openimr.model.ParsedRequest`.

The steps, each a small function below:

1. split a modified request ("X was the original request. Y was authorized by the Claims
   Administrator. The remaining IMR eligible portion of the original request, Z is") into
   ``original_request`` / ``authorized`` / ``disputed``;
2. read the flags: retrospective and date of service, pre-/post-operative, "Associated
   surgical service";
3. find body regions, side and spinal levels;
4. classify: the catalogue's entries and drug names found in the disputed text (see
   :mod:`openimr.request.catalogue` for how ties are broken);
5. read the amount: for services a count ("12 visits", "#6", "(24 sessions)") and a
   schedule ("2x6", "two to three times a week for six to eight weeks"); for medications
   the strength, quantity ("#60"), directions and refills, or a compound's ingredients.

Steps 1-2 are in :mod:`openimr.request.framing`, 3 in :mod:`openimr.request.anatomy`, 5 in
:mod:`openimr.request.quantities` (services) and :mod:`openimr.request.medications`; this
module classifies, reads the purpose ("for the lumbar spine") and puts the parts together.
Everything is pure and fast: regexes compiled at import, the catalogue compiled once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openimr.errors import RequestError
from openimr.model.request import (
    Acquisition,
    Contrast,
    ParsedRequest,
)
from openimr.request.anatomy import side_of, spinal_levels
from openimr.request.catalogue import (
    Catalogue,
    DrugMention,
    Match,
    TreatmentEntry,
    catalogue,
)
from openimr.request.framing import (
    ASSOCIATED,
    DATE_OF_SERVICE,
    POSTOPERATIVE,
    PREOPERATIVE,
    REQUEST_FOR,
    RETROSPECTIVE,
    parse_date,
    split_modified,
    tidy,
)
from openimr.request.medications import (
    INGREDIENT,
    STRENGTH,
    UNKNOWN_DRUG,
    directions_of,
    drug_details,
    form_of,
    head_span,
    ingredients_of,
    is_compound,
    route_of,
    strength_text,
)
from openimr.request.quantities import service_amount

__all__ = ["classify", "parse_request"]

_I = re.IGNORECASE


# -- purpose -------------------------------------------------------------------------------

_FOR = re.compile(r"\bfor\s+(?:the\s+)?(?P<p>[^,;.()#]+)", _I)
_PURPOSE_CUT = re.compile(r"\s+(?:followed\s+by|is|was|x|times|\d).*$", _I)
_PURPOSE_FILLER = frozenset(
    re.findall(
        r"\S+",
        "the and of a an both bilateral left right lower upper mid middle & side sides area "
        "areas region regions spine joint joints weeks week days day months month sessions "
        "visits session visit treatment treatments use purchase rental",
    )
)
_NUMBER_WORDS = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty)\b", _I
)


def _purpose(cat: Catalogue, text: str) -> str | None:
    for m in _FOR.finditer(text):
        phrase = _PURPOSE_CUT.sub("", m.group("p")).strip()
        if not phrase or phrase[0].isdigit():
            continue
        rest = phrase
        for a, b in sorted(cat.region_spans(phrase), reverse=True):
            rest = rest[:a] + " " + rest[b:]
        rest = _NUMBER_WORDS.sub(" ", rest)
        words = [w for w in re.split(r"[\s/-]+", rest.lower()) if w]
        if any(w not in _PURPOSE_FILLER for w in words):
            return phrase
    return None


# -- 4. and the whole ----------------------------------------------------------------------

_CONTRAST_BOTH = re.compile(
    r"with\s+(?:and|&|/|or)\s+without\s+contrast|w/?\s*(?:and|&|/)\s*w/?o\s+contrast"
    r"|with/without\s+contrast",
    _I,
)
_CONTRAST_WITHOUT = re.compile(
    r"\bwithout\s+(?:iv\s+)?contrast|\bw/o\s+contrast|\bnon[\s-]*contrast|\bno\s+contrast", _I
)
_CONTRAST_WITH = re.compile(
    r"\bwith\s+(?:iv\s+)?contrast|\bw/\s*contrast|\bcontrast[\s-]+enhanced|\bgadolinium", _I
)
_PURCHASE = re.compile(r"\bpurchase[sd]?\b|\bbuy\b|\bpermanent\s+use\b", _I)
_RENTAL = re.compile(r"\brent(?:al|ed)?\b|\bdays?\s+use\b|\bday\s+use\b|\blease\b", _I)
_TRIAL = re.compile(r"\btrial\b", _I)
_SPECIALTY_CATEGORIES = frozenset({"evaluation-management", "psychological"})


#: perioperative services that an "Associated surgical service" heading does not make post-op
#: tests that, named as a service of a surgery, are its pre-operative work-up (and the
#: pre-operative entry they then are)
_PREOPERATIVE_WORKUP = {"ekg": "preoperative-ekg", "laboratory-test": "preoperative-labs"}

_NOT_POSTOPERATIVE = frozenset(
    {
        "surgical-assistant",
        "anesthesia",
        "preoperative-clearance",
        "preoperative-labs",
        "preoperative-xray",
        "preoperative-ekg",
    }
)


def _contrast(text: str) -> Contrast | None:
    if _CONTRAST_BOTH.search(text):
        return "with-and-without"
    if _CONTRAST_WITHOUT.search(text):
        return "without"
    if _CONTRAST_WITH.search(text):
        return "with"
    return None


def _acquisition(text: str) -> Acquisition | None:
    if _PURCHASE.search(text):
        return "purchase"
    if _RENTAL.search(text):
        return "rental"
    if _TRIAL.search(text):
        return "trial"
    return None


@dataclass
class _Classified:
    entry: TreatmentEntry | None
    mention: DrugMention | None = None
    mentions: list[DrugMention] = field(default_factory=list)
    form: str | None = None
    compound: bool = False
    unknown_drug: str | None = None
    unknown_brand: str | None = None


def _classify(
    cat: Catalogue, work: str, perioperative: str | None, regions: Sequence[str]
) -> _Classified:
    matches = cat.find_treatments(work, perioperative=perioperative, regions=regions)
    mentions = cat.find_drugs(work)
    first = mentions[0] if mentions else None
    form = form_of(work, first)
    compound = bool(mentions) and is_compound(work, mentions, form)
    if first is not None:
        routed = route_of(cat, first, form)
        if compound and "topical-compound" in cat:
            routed = cat["topical-compound"]
        matches = cat.rank([*matches, Match(routed, first.start, first.end, 0, first.drug)])
    elif len(INGREDIENT.findall(work)) >= 2 and "topical-compound" in cat:
        compound = True
        m = INGREDIENT.search(work)
        start = m.start() if m else 0
        matches = cat.rank([*matches, Match(cat["topical-compound"], start, start + 1)])
    if matches:
        best = matches[0]
        keep = best.drug is not None or best.entry.category.startswith("med")
        mention = first if keep or best.entry.category == "injections" else None
        if best.entry.id == "topical-compound" and compound:
            mention = None
        return _Classified(best.entry, mention, mentions, form, compound)
    u = UNKNOWN_DRUG.match(work)
    if u and "medication-other" in cat:
        return _Classified(
            cat["medication-other"],
            form=form,
            unknown_drug=u.group("name").lower(),
            unknown_brand=u.group("brand"),
        )
    return _Classified(None, form=form)


def _strip_flags(text: str) -> str:
    text = DATE_OF_SERVICE.sub(" ", text)
    text = ASSOCIATED.sub(" ", text)
    text = RETROSPECTIVE.sub(" ", text)
    text = REQUEST_FOR.sub("", tidy(text))
    return tidy(text)


def parse_request(text: str) -> ParsedRequest:
    """Read a disputed request as written in a case file or an IMR letter.

    Raises :class:`~openimr.errors.RequestError` for an empty request; anything else is
    read as well as it can be (``treatment`` is ``None`` when nothing in the catalogue fits).
    """
    if not isinstance(text, str):
        raise RequestError(f"a request must be text, not {type(text).__name__}")
    raw = tidy(text)
    if not any(c.isalnum() for c in raw):
        raise RequestError("the request is empty" if not raw else f"no words in request {raw!r}")
    cat = catalogue()
    original, authorized, disputed = split_modified(raw)

    dos_match = DATE_OF_SERVICE.search(raw)
    date_of_service = parse_date(dos_match.group("d")) if dos_match else None
    retrospective = bool(RETROSPECTIVE.search(raw)) or dos_match is not None
    ass = bool(ASSOCIATED.search(raw))
    flag_text = disputed if original is None else f"{disputed} {original}"
    perioperative: str | None = None
    if PREOPERATIVE.search(flag_text):
        perioperative = "pre"
    elif POSTOPERATIVE.search(flag_text) or ass:
        perioperative = "post"

    work = _strip_flags(disputed) or disputed
    original_work = _strip_flags(original) if original else ""
    regions = cat.find_regions(work) or (cat.find_regions(original_work) if original else [])
    side = side_of(work) or (side_of(original_work) if original else None)

    found = _classify(cat, work, perioperative, regions)
    if found.entry is None and original_work:
        found = _classify(cat, original_work, perioperative, regions)
    entry = found.entry
    if (
        ass
        and perioperative == "post"
        and entry is not None
        and entry.id in _PREOPERATIVE_WORKUP
        and not POSTOPERATIVE.search(flag_text)
    ):
        # "Associated surgical service: EKG" is the surgery's pre-operative work-up
        pre = _classify(cat, work, "pre", regions)
        if pre.entry is not None and pre.entry.id == _PREOPERATIVE_WORKUP[entry.id]:
            found, entry, perioperative = pre, pre.entry, "pre"
    if (
        ass
        and perioperative == "post"
        and entry is not None
        and (entry.category == "surgery" or entry.id in _NOT_POSTOPERATIVE)
        and not POSTOPERATIVE.search(flag_text)
    ):
        perioperative = None  # "Associated surgical service: assistant surgeon" is not post-op

    is_medication = entry is not None and entry.category.startswith("medications-")
    if is_medication and entry is not None:
        fields = _medication_fields(cat, work, entry, found)
    else:
        amount = service_amount(work, entry.unit if entry else None)
        fields = {
            "quantity": amount.quantity,
            "quantity_max": amount.quantity_max,
            "quantity_unit": amount.unit if amount.quantity is not None else None,
            "schedule": amount.schedule,
        }
    fields.update(_drug_identity(work, found, is_medication))

    if entry is not None and (
        entry.category in _SPECIALTY_CATEGORIES or entry.id == "preoperative-clearance"
    ):
        spec = cat.find_specialty(work)
        fields["specialty"] = spec.id if spec else None

    fields.update(
        text=text,
        disputed=disputed,
        treatment=entry.id if entry else None,
        category=entry.category if entry else None,
        body_regions=tuple(regions),
        side=side,
        original_request=original,
        authorized=authorized,
        authorized_sessions=_authorized_sessions(authorized, entry),
        retrospective=retrospective,
        date_of_service=date_of_service,
        perioperative=perioperative,
        associated_surgical_service=ass,
        purpose=_purpose(cat, work),
        spinal_levels=spinal_levels(work),
        contrast=_contrast(work),
        acquisition=None if is_medication else _acquisition(work),
    )
    return ParsedRequest.model_validate(fields)


def _authorized_sessions(authorized: str | None, entry: TreatmentEntry | None) -> int | None:
    """Sessions in the authorized part of a modified service request."""
    if not authorized or entry is None or entry.category.startswith("medications-"):
        return None
    amount = service_amount(authorized, entry.unit)
    if amount.quantity is not None and amount.unit in (None, "visits", "sessions"):
        return amount.quantity
    return amount.schedule.total if amount.schedule is not None else None


def _medication_fields(
    cat: Catalogue, work: str, entry: TreatmentEntry, found: _Classified
) -> dict[str, Any]:
    """Strength, amount, refills, directions (or a compound's ingredients) of a medication."""
    topical_entry = entry.category == "medications-topicals"
    details = drug_details(work, found.mention, found.form, entry.unit, topical_entry)
    spans = [*details.spans, *((dm.start, dm.end) for dm in found.mentions)]
    fields: dict[str, Any] = {
        "quantity": details.quantity,
        "quantity_unit": details.unit,
        "refills": details.refills,
        "dosage_form": found.form,
    }
    if found.compound:
        ingredients = ingredients_of(cat, work, found.mentions)
        fields["components"] = tuple(ingredients)
        fields["ingredients"] = tuple(str(i) for i in ingredients)
        spans += [m.span() for m in INGREDIENT.finditer(work)]
    else:
        fields["strength"] = details.strength
    if found.mention is not None:
        spans.append(head_span(work, found.mention.end, spans))
    fields["directions"] = directions_of(work, spans)
    return fields


def _drug_identity(work: str, found: _Classified, is_medication: bool) -> dict[str, Any]:
    """Generic name, brand and class of the drug requested (or named by an injection)."""
    mention = found.mention
    if mention is not None:
        brand = next(
            (m.brand.name for m in found.mentions if m.brand and m.drug is mention.drug), None
        )
        out = {"drug": mention.drug.generic, "drug_class": mention.drug.drug_class, "brand": brand}
        if not is_medication:  # "Toradol injection 60mg IM"
            out["strength"] = _strength_after(work, mention.end)
        return out
    if found.unknown_drug is not None:
        u = UNKNOWN_DRUG.match(work)
        return {
            "drug": found.unknown_drug,
            "brand": found.unknown_brand,
            "strength": _strength_after(work, u.start("name")) if u else None,
        }
    if found.compound:
        return {"drug_class": "topical compound"}
    return {}


def _strength_after(work: str, start: int) -> str | None:
    m = STRENGTH.search(work, start)
    return strength_text(m.group("s"), m.group("u"), m.group("per")) if m else None


def classify(text: str) -> str | None:
    """The treatment id of a request, or ``None`` when nothing in the catalogue fits."""
    return parse_request(text).treatment
