"""The treatment catalogue: treatments, drugs, body regions and specialties, as data.

``treatments.yaml`` (shipped in ``openimr/library/data``) is read once, validated (unknown
keys, duplicate ids, bad regular expressions and dangling references are refused with
``file:line``) and compiled into a few regular expressions per entry, so that reading a
request costs a few hundred regex searches over a short string.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from openimr.errors import LibraryError, OpenIMRError
from openimr.request.catalogue_schema import (
    CATEGORIES,
    Brand,
    CatalogueFile,
    Drug,
    Region,
    Requires,
    Specialty,
    TreatmentEntry,
    drug_names,
    file_errors,
    name_key,
)
from openimr.yamlio import LoadedYaml, load_yaml_file

__all__ = [
    "CATALOGUE_PATH",
    "CATEGORIES",
    "Brand",
    "Catalogue",
    "Drug",
    "DrugMention",
    "Match",
    "Region",
    "Requires",
    "Specialty",
    "TreatmentEntry",
    "catalogue",
    "check_catalogue",
    "load_catalogue",
]

CATALOGUE_PATH = Path(__file__).resolve().parent.parent / "library" / "data" / "treatments.yaml"


@dataclass(frozen=True, slots=True)
class Match:
    """A treatment entry found in a text, at ``start``-``end``."""

    entry: TreatmentEntry
    start: int
    end: int
    region_rank: int = 0
    drug: Drug | None = None

    def key(self, order: int) -> tuple[int, int, int, int, int]:
        return (self.start, -self.entry.priority, self.region_rank, self.start - self.end, order)


@dataclass(frozen=True, slots=True)
class DrugMention:
    """A drug name found in a text: which drug, which brand (if a brand was named)."""

    drug: Drug
    entry: TreatmentEntry
    start: int
    end: int
    brand: Brand | None


def synonym_regex(word: str) -> str:
    """A plain-words synonym as a regex: spaces/hyphens optional, plural allowed."""
    parts = [p for p in re.split(r"[\s-]+", word.strip().lower()) if p]
    body = r"[\s-]*".join(re.escape(p) for p in parts)
    return rf"(?<!\w){body}(?:e?s)?(?!\w)"


def _name_regex(name: str) -> str:
    parts = [p for p in re.split(r"[\s-]+", name.strip().lower()) if p]
    body = r"[\s-]*".join(re.escape(p) for p in parts)
    return rf"(?<!\w){body}(?!\w)"


class Catalogue:
    """The loaded, compiled catalogue. Use :func:`catalogue` for the shipped one."""

    def __init__(self, data: CatalogueFile, source: str) -> None:
        self.source = source
        self.entries: tuple[TreatmentEntry, ...] = data.treatments
        self.regions: tuple[Region, ...] = data.regions
        self.specialties: tuple[Specialty, ...] = data.specialties
        self._by_id = {e.id: e for e in self.entries}
        self._order = {e.id: i for i, e in enumerate(self.entries)}
        # Phrases are indexed by their first word so that a request only runs the few
        # regexes whose first word it contains; patterns (free regexes) always run.
        self._treatments = _Finder([(e.synonyms, e.patterns) for e in self.entries])
        self._exclude: dict[int, re.Pattern[str]] = {
            i: re.compile("|".join(f"(?:{p})" for p in e.exclude), re.IGNORECASE)
            for i, e in enumerate(self.entries)
            if e.exclude
        }
        self._regions = _Finder([(r.synonyms, r.patterns) for r in self.regions])
        self._covers = {r.id: set(r.covers) for r in self.regions if r.covers}
        self._specialties = _Finder([(s.synonyms, s.patterns) for s in self.specialties])
        # drugs: every name (generic, synonym, brand); the name's key gives the drug
        self._drug_names: dict[str, tuple[Drug, TreatmentEntry, Brand | None]] = {}
        self._drug_index = _WordIndex()
        for e in self.entries:
            for d in e.drugs:
                for name, brand in drug_names(d):
                    self._drug_names.setdefault(name_key(name), (d, e, brand))
                    self._drug_index.add(name, _name_regex(name), 0)

    # -- mapping-like access -------------------------------------------------------------
    def get(self, treatment_id: str) -> TreatmentEntry | None:
        return self._by_id.get(treatment_id)

    def __getitem__(self, treatment_id: str) -> TreatmentEntry:
        return self._by_id[treatment_id]

    def __contains__(self, treatment_id: object) -> bool:
        return treatment_id in self._by_id

    def __iter__(self) -> Iterator[TreatmentEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)

    def region(self, region_id: str) -> Region | None:
        return next((r for r in self.regions if r.id == region_id), None)

    def drug(self, name: str) -> Drug | None:
        """The drug a name (generic, brand or synonym) stands for."""
        found = self._drug_names.get(name_key(name))
        return found[0] if found else None

    # -- finding things in text ----------------------------------------------------------
    def find_regions(self, text: str) -> list[str]:
        """Region ids named in ``text``, in order of first mention."""
        first = self._regions.first(text)
        ids = [self.regions[i].id for i in sorted(first, key=lambda i: (first[i][0], i))]
        named = set(ids)
        return [rid for rid in ids if not (self._covers.get(rid, set()) & named)]

    def region_spans(self, text: str) -> list[tuple[int, int]]:
        """Every place ``text`` names a body region."""
        return self._regions.spans(text)

    def find_specialty(self, text: str) -> Specialty | None:
        """The specialty named first in ``text``."""
        first = self._specialties.first(text)
        if not first:
            return None
        return self.specialties[min(first, key=lambda i: (first[i][0], i))]

    def find_drugs(self, text: str) -> list[DrugMention]:
        """Drug names in ``text``: leftmost first, the longest name at a place, no overlaps."""
        spans = sorted(
            (m.start(), -m.end(), m.group(0))
            for _, rx in self._drug_index.candidates_any_order(text)  # then sorted
            for m in rx.finditer(text)
        )
        out: list[DrugMention] = []
        last_end = -1
        for start, neg_end, name in spans:
            if start < last_end:
                continue
            found = self._drug_names.get(name_key(name))
            if found is not None:
                d, e, brand = found
                out.append(DrugMention(d, e, start, -neg_end, brand))
                last_end = -neg_end
        return out

    def find_treatments(
        self,
        text: str,
        *,
        perioperative: str | None = None,
        regions: Sequence[str] = (),
    ) -> list[Match]:
        """Every entry matching ``text`` whose requirements hold, best first. A text that
        names nothing is read again without its parenthetical remarks, then with only their
        brackets dropped ("Psychological (behavioral) evaluation"); blanks keep the offsets."""
        first = self._treatments.first(text)
        for blank in (_PARENTHETICAL, _BRACKET):
            if first or "(" not in text:
                break
            first = self._treatments.first(blank.sub(lambda m: " " * len(m.group()), text))
        found: list[Match] = []
        for i, (start, end) in first.items():
            e = self.entries[i]
            rank = 0
            req = e.requires
            if req.perioperative is not None and req.perioperative != perioperative:
                continue
            if req.regions:
                ranks = [regions.index(r) for r in req.regions if r in regions]
                if not ranks:
                    continue
                rank = min(ranks)
            ex = self._exclude.get(i)
            if ex is not None and ex.search(text):
                continue
            found.append(Match(e, start, end, rank))
        return self.rank(found)

    def rank(self, matches: Sequence[Match]) -> list[Match]:
        return sorted(matches, key=lambda m: m.key(self._order[m.entry.id]))

    def markdown_table(self) -> str:
        """The catalogue as a Markdown table (id, name, category), for docs/requests.md."""
        lines = ["| id | name | category |", "|---|---|---|"]
        for e in sorted(self.entries, key=lambda e: (CATEGORIES.index(e.category), e.id)):
            lines.append(f"| `{e.id}` | {e.name} | {e.category} |")
        return "\n".join(lines) + "\n"


_TOKEN = re.compile(r"[a-z0-9]+")
_PARENTHETICAL = re.compile(r"\([^()]*\)")
_BRACKET = re.compile(r"[()]")


class _WordIndex:
    """Regexes filed under the first word of the phrase they find.

    A phrase's separators are optional ("post op" also finds "postop"), so each word of a
    text is looked up by each of its prefixes; a regex comes back at most once per text.
    """

    def __init__(self) -> None:
        self._by_key: dict[str, list[tuple[int, str]]] = {}
        self._compiled: dict[str, re.Pattern[str]] = {}
        """Regexes are compiled when a text first needs them: a request needs a few of the
        thousands, and compiling them all is most of the catalogue's start-up."""
        self._stems: set[str] = set()
        """Every prefix of every key: a word's longer prefixes are not looked up once one
        is no key's prefix."""
        self._word_keys: dict[str, tuple[str, ...]] = {}
        """A word -> the keys that begin it, as found (a text's words recur: once each)."""
        self._pairs: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
        """A key -> its (value, compiled regex) pairs, as first needed."""

    def add(self, phrase: str, regex: str, value: int) -> None:
        m = _TOKEN.search(phrase.lower())
        key = m.group(0) if m else ""
        self._stems.update(key[:k] for k in range(1, len(key) + 1))
        if (value, regex) not in self._by_key.get(key, []):
            self._by_key.setdefault(key, []).append((value, regex))
            self._word_keys.clear()
            self._pairs.clear()

    def _rx(self, regex: str) -> re.Pattern[str]:
        rx = self._compiled.get(regex)
        if rx is None:
            rx = self._compiled[regex] = re.compile(regex, re.IGNORECASE)
        return rx

    def candidates(self, text: str) -> list[tuple[int, re.Pattern[str]]]:
        out = [(v, self._rx(r)) for v, r in self._by_key.get("", ())]
        for prefix in _prefixes(text):
            found = self._by_key.get(prefix)
            if found:
                out.extend((v, self._rx(r)) for v, r in found)
        return out

    def candidates_any_order(self, text: str) -> list[tuple[int, re.Pattern[str]]]:
        """The regexes of :meth:`candidates`, in an order of their own (for a caller whose
        result does not depend on it): each word's prefixes are looked up only while they
        begin some key, not all of them (and once per word: :meth:`_keys_of`)."""
        out = list(self._pairs_of(""))
        word_keys = self._word_keys
        seen: set[str] = set()
        for word in set(_TOKEN.findall(text.lower())):
            keys = word_keys.get(word)
            if keys is None:
                keys = self._keys_of(word)
            for key in keys:
                if key not in seen:
                    seen.add(key)
                    out.extend(self._pairs_of(key))
        return out

    def _keys_of(self, word: str) -> tuple[str, ...]:
        """The keys that begin ``word`` (up to its first 24 letters), shortest first."""
        stems, by_key = self._stems, self._by_key
        keys: list[str] = []
        for k in range(1, min(len(word), 24) + 1):
            prefix = word[:k]
            if prefix not in stems:
                break
            if by_key.get(prefix):
                keys.append(prefix)
        if len(self._word_keys) >= 100_000:  # bounded: a long batch meets many words
            self._word_keys.clear()
        found = self._word_keys[word] = tuple(keys)
        return found

    def _pairs_of(self, key: str) -> list[tuple[int, re.Pattern[str]]]:
        pairs = self._pairs.get(key)
        if pairs is None:
            pairs = self._pairs[key] = [(v, self._rx(r)) for v, r in self._by_key.get(key, ())]
        return pairs


@functools.lru_cache(maxsize=64)  # serves the few finders of one request
def _prefixes(text: str) -> frozenset[str]:
    """Every prefix of every word of ``text`` (lower case), up to a word's first 24 letters."""
    return frozenset(
        word[:k] for word in _TOKEN.findall(text.lower()) for k in range(1, min(len(word), 24) + 1)
    )


class _Finder:
    """Finds which of several items (each: synonyms and patterns) a text names, and where."""

    def __init__(self, items: Sequence[tuple[Sequence[str], Sequence[str]]]) -> None:
        self._index = _WordIndex()
        self._patterns: list[tuple[int, re.Pattern[str]]] = []
        for i, (synonyms, patterns) in enumerate(items):
            for syn in synonyms:
                self._index.add(syn, synonym_regex(syn), i)
            if patterns:
                alts = "|".join(f"(?:{p})" for p in patterns)
                self._patterns.append((i, re.compile(alts, re.IGNORECASE)))

    def _regexes(self, text: str) -> list[tuple[int, re.Pattern[str]]]:
        return [*self._index.candidates(text), *self._patterns]

    def first(self, text: str) -> dict[int, tuple[int, int]]:
        """Item index -> (start, end) of its first (then longest) match in ``text``."""
        best: dict[int, tuple[int, int]] = {}
        # the earliest (then longest) match of an item whichever regex finds it: the
        # order the regexes are tried in does not matter (callers sort by position and
        # index)
        for i, rx in [*self._index.candidates_any_order(text), *self._patterns]:
            m = rx.search(text)
            if m is not None:
                old = best.get(i)
                if old is None or (m.start(), -m.end()) < (old[0], -old[1]):
                    best[i] = m.span()
        return best

    def spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for _, rx in self._regexes(text) for m in rx.finditer(text)]


# -- loading and validation ------------------------------------------------------------------


def _read(path: Path, display: str | None) -> tuple[LoadedYaml | None, list[LibraryError]]:
    try:
        doc = load_yaml_file(path, display)
    except OpenIMRError as exc:
        return None, [
            LibraryError(exc.message, file=exc.file or display or str(path), line=exc.line)
        ]
    if not isinstance(doc.data, dict):
        return None, [LibraryError("expected a mapping with 'treatments'", file=doc.file)]
    return doc, []


def check_catalogue(path: Path | str, display: str | None = None) -> list[LibraryError]:
    """Every problem in a catalogue file (empty when it is valid)."""
    doc, errors = _read(Path(path), display)
    if doc is None:
        return errors
    return file_errors(doc)[1]


def load_catalogue(path: Path | str, display: str | None = None) -> Catalogue:
    """Read, validate and compile a catalogue file; raise :class:`LibraryError` if invalid."""
    doc, errors = _read(Path(path), display)
    if doc is None:
        raise errors[0]
    data, errors = file_errors(doc)
    if errors or data is None:
        raise errors[0]
    return Catalogue(data, doc.file)


@functools.cache
def catalogue() -> Catalogue:
    """The shipped treatment catalogue (loaded and compiled once; from the start-up cache
    when it is current, ``diskcache``)."""
    from openimr.diskcache import cached

    return cached("catalogue", lambda: load_catalogue(CATALOGUE_PATH))
