"""Where a mention is on the body: its side and body region.

The body regions and their words are those of the request catalogue (``treatments.yaml``,
``regions:``), so a fact's region and a request's region are the same ids; the side words and
what is not a side or a region ("right away", "back to work", "T2 signal") are data
(``library/data/locations.yaml``).

A region named in a text becomes a *place*; the side word just before it ("left knee",
"left lower extremity", "left-sided shoulder", "both knees") or, failing that, just after it
("knee, left", "shoulders bilaterally", "knee on the right") is its side. Side words are read
on the tokens of spaCy's English tokenizer (the extractor's own), so "lt." or "b/l" are one
token each. A side word tied to no region ("McMurray positive on the left") is a free side.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from openimr.request.catalogue import Catalogue, catalogue, synonym_regex
from openimr.yamlio import LoadedYaml, YamlError, load_yaml_file, validated

Side = Literal["left", "right", "bilateral"]
DATA = Path(__file__).resolve().parents[1] / "library" / "data" / "locations.yaml"
# tokens a side word may stand apart from its region by ("left medial knee", "left-sided")
_BEFORE_WINDOW = 3
_AFTER_WINDOW = 4
_AFTER_FILLER = {",", "on", "the", "side", "sides", "(", "-", "to", "of", "at", "in"}
_STOP_TOKENS = {",", ";", ".", ":", "(", ")", "[", "]"}


@dataclass(frozen=True)
class Location:
    """A side and a body region (either may be unknown)."""

    side: Side | None = None
    region: str | None = None


@dataclass(frozen=True)
class Place:
    """A region (or, with ``region`` None, a side alone) named at ``[start, end)``."""

    start: int
    end: int
    region: str | None
    side: Side | None


@dataclass(frozen=True)
class LocationRules:
    side_words: dict[str, Side]
    attached_only: frozenset[str]
    not_side: tuple[re.Pattern[str], ...]
    not_region: tuple[re.Pattern[str], ...]
    header_labels: frozenset[str]
    header_chars: int
    heading_lookback: int
    list_joiner: re.Pattern[str] | None = None


class _LocationsFile(BaseModel):
    """The shape of ``locations.yaml`` (its header comment says what each key means)."""

    model_config = ConfigDict(extra="forbid")
    version: int = 1
    sides: dict[Side, list[str]] = Field(default_factory=dict)
    attached_only: list[str] = Field(default_factory=list)
    not_side: list[str] = Field(default_factory=list)
    not_region: list[str] = Field(default_factory=list)
    header_labels: list[str] = Field(default_factory=list)
    header_chars: NonNegativeInt = 800
    heading_lookback: NonNegativeInt = 12
    list_joiner: str | None = None


def _regexes(
    patterns: list[str], key: str, doc: LoadedYaml, shown: str
) -> tuple[re.Pattern[str], ...]:
    out = []
    for i, raw in enumerate(patterns):
        try:
            out.append(re.compile(raw, re.IGNORECASE))
        except re.error as exc:
            raise YamlError(
                f"bad regular expression: {exc}",
                file=shown,
                line=doc.line_of((key, i)),
                field=f"{key}.{i}",
            ) from None
    return tuple(out)


def load_location_rules(path: Path = DATA) -> LocationRules:
    """Read ``locations.yaml``; a bad entry is an error naming file, field and line."""
    shown = "openimr/library/data/locations.yaml" if path == DATA else str(path)
    doc = load_yaml_file(path, shown)
    if doc.data is None:  # an empty file: every key takes its default
        doc.data = {}
    data = validated(doc, _LocationsFile)
    return LocationRules(
        side_words={w.lower(): side for side, words in data.sides.items() for w in words},
        attached_only=frozenset(w.lower() for w in data.attached_only),
        not_side=_regexes(data.not_side, "not_side", doc, shown),
        not_region=_regexes(data.not_region, "not_region", doc, shown),
        header_labels=frozenset(x.lower() for x in data.header_labels),
        header_chars=data.header_chars,
        heading_lookback=data.heading_lookback,
        list_joiner=(
            _regexes([data.list_joiner], "list_joiner", doc, shown)[0] if data.list_joiner else None
        ),
    )


class Locator:
    """Finds the places a text names and the location nearest a mention."""

    def __init__(
        self, tokenizer: Any, rules: LocationRules | None = None, cat: Catalogue | None = None
    ) -> None:
        self.tokenizer = tokenizer
        self.rules = rules or default_location_rules()
        self.cat = cat or catalogue()
        self._regions: list[tuple[str, re.Pattern[str]]] = []
        self._generic: dict[str, set[str]] = {}
        for r in self.cat.regions:
            alts = [synonym_regex(s) for s in r.synonyms] + [f"(?:{p})" for p in r.patterns]
            if alts:
                self._regions.append((r.id, re.compile("|".join(alts), re.IGNORECASE)))
            if r.covers:
                self._generic[r.id] = set(r.covers)
        self._cache: dict[str, list[Place]] = {}

    # -- places --------------------------------------------------------------------------
    def places(self, text: str) -> list[Place]:
        """The regions ``text`` names, each with its side, and the sides it names alone."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        out = self._places(text)
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[text] = out
        return out

    def _masked(self, text: str, patterns: Sequence[re.Pattern[str]]) -> list[tuple[int, int]]:
        return [m.span() for rx in patterns for m in rx.finditer(text)]

    def _region_spans(self, text: str) -> list[tuple[int, int, str]]:
        masked = self._masked(text, self.rules.not_region)
        found: list[tuple[int, int, str]] = []
        for rid, rx in self._regions:
            for m in rx.finditer(text):
                a, b = m.span()
                if a == b or any(x < b and a < y for x, y in masked):
                    continue
                found.append((a, b, rid))
        # of overlapping names the longer wins; at one span the specific region wins over a
        # generic one ("thoracolumbar" is named by two regions: the first listed is kept)
        found.sort(key=lambda t: (t[0], t[0] - t[1], t[2] in self._generic))
        kept: list[tuple[int, int, str]] = []
        for a, b, rid in found:
            if kept and a < kept[-1][1]:
                continue
            kept.append((a, b, rid))
        # adjacent names are one place ("lumbar spine", "shoulder rotator cuff"): the specific
        # region, else the last (the head of the phrase)
        merged: list[tuple[int, int, str]] = []
        for a, b, rid in kept:
            if merged and re.fullmatch(r"[\s-]{0,2}", text[merged[-1][1] : a]):
                pa, _, prid = merged[-1]
                keep = prid if rid in self._generic and prid not in self._generic else rid
                merged[-1] = (pa, b, keep)
            else:
                merged.append((a, b, rid))
        return merged

    def _places(self, text: str) -> list[Place]:
        regions = self._region_spans(text)
        doc = self.tokenizer(text)
        toks = [(t.idx, t.idx + len(t.text), t.lower_.rstrip(".")) for t in doc]
        masked = self._masked(text, self.rules.not_side)
        side_at: dict[int, Side] = {}
        for i, (a, b, low) in enumerate(toks):
            stated = self.rules.side_words.get(low)
            if stated is not None and not any(x < b and a < y for x, y in masked):
                side_at[i] = stated
        # each region's tokens
        spans: list[tuple[int, int]] = []
        for a, b, _ in regions:
            first = next((i for i, t in enumerate(toks) if t[1] > a), len(toks))
            last = max((i for i, t in enumerate(toks) if t[0] < b), default=first)
            spans.append((first, last))
        in_region = {i for f, last in spans for i in range(f, last + 1)}
        used: set[int] = set()
        sides: list[Side | None] = []
        for k, (first, last) in enumerate(spans):
            found: list[int] = []
            for i in range(first - 1, max(-1, first - 1 - _BEFORE_WINDOW), -1):
                if i in in_region or toks[i][2] in _STOP_TOKENS:
                    break
                if i in side_at:
                    found.append(i)
            side: Side | None = None
            if found:
                kinds = {side_at[i] for i in found}
                side = "bilateral" if len(kinds) > 1 else side_at[found[0]]
                used.update(found)
            else:
                nxt = spans[k + 1][0] if k + 1 < len(spans) else len(toks)
                for i in range(last + 1, min(len(toks), last + 1 + _AFTER_WINDOW)):
                    if i >= nxt:
                        break
                    if i in side_at:
                        # a side word right before the next region is that region's
                        if any(j in in_region for j in range(i + 1, min(len(toks), i + 3))):
                            break
                        side = side_at[i]
                        used.add(i)
                        break
                    if toks[i][2] not in _AFTER_FILLER:
                        break
            sides.append(side)
        out = [Place(a, b, rid, side) for (a, b, rid), side in zip(regions, sides, strict=True)]
        out.extend(
            Place(toks[i][0], toks[i][1], None, side)
            for i, side in side_at.items()
            if i not in used and toks[i][2] not in self.rules.attached_only
        )
        return sorted(out, key=lambda p: p.start)

    # -- nearest -------------------------------------------------------------------------
    def near(self, text: str, start: int, end: int) -> Location:
        """The location of the mention at ``[start, end)`` of ``text`` (a sentence): the
        region named nearest it in its clause (between semicolons), else in the sentence,
        with that region's side, else the side stated nearest in the clause."""
        places = self.places(text)
        if not places:
            return Location()
        a = text.rfind(";", 0, start) + 1
        b = text.find(";", end)
        b = len(text) if b < 0 else b

        def gap(p: Place) -> tuple[int, int]:
            d = max(p.start - end, start - p.end, 0)
            # at equal distance, a place before the mention ("left knee effusion")
            return (d, 0 if p.end <= start else 1)

        clause = [p for p in places if a <= p.start and p.end <= b]
        regions = [p for p in clause if p.region] or [p for p in places if p.region]
        best = min(regions, key=gap) if regions else None
        side = best.side if best else None
        if best is not None and side is None:
            # the same part named with its side elsewhere in the clause ("MRI of the left
            # knee showed a tear of the meniscus")
            same = [
                p for p in clause if p.side and p.region and self.same_part(p.region, best.region)
            ]
            if same:
                side = min(same, key=gap).side
        if side is None:
            free = [p for p in clause if p.region is None]
            if free:
                side = min(free, key=gap).side
        return Location(side=side, region=best.region if best else None)

    def listed_with(self, text: str, start: int, end: int) -> list[Location]:
        """The other places of the list the mention's nearest region is named in ("pain
        radiating into both arms and both legs": the legs, for a mention located at the
        arms): regions joined to it by the words of ``list_joiner``, each with its side."""
        joiner = self.rules.list_joiner
        here = self.near(text, start, end)
        if joiner is None or here.region is None:
            return []
        places = [p for p in self.places(text) if p.region]
        at = [p for p in places if p.region == here.region]
        if not at:
            return []
        best = min(at, key=lambda p: max(p.start - end, start - p.end, 0))
        i = places.index(best)
        lo = hi = i
        while lo > 0 and joiner.fullmatch(text, places[lo - 1].end, places[lo].start):
            lo -= 1
        while hi + 1 < len(places) and joiner.fullmatch(text, places[hi].end, places[hi + 1].start):
            hi += 1
        seen: set[str | None] = {here.region}
        out: list[Location] = []
        for p in places[lo : hi + 1]:
            if p.region not in seen:
                seen.add(p.region)
                out.append(Location(side=p.side, region=p.region))
        return out

    def whole(self, text: str) -> Location:
        """The one location a short text (a heading, a record's head) names: its region when
        it names one region only (several places of one region count once), and the side
        when one side is stated."""
        places = self.places(text)
        regions = {p.region for p in places if p.region}
        # a generic region gives way to the specific one it covers ("spine, lumbar")
        regions = {r for r in regions if not (self._generic.get(r, set()) & regions)}
        sides = {p.side for p in places if p.side}
        region = next(iter(regions)) if len(regions) == 1 else None
        if region is None and regions:
            return Location()
        side: Side | None = None
        if len(sides) == 1:
            side = next(iter(sides))
        elif sides:
            side = "bilateral" if sides <= {"left", "right", "bilateral"} else None
        return Location(side=side, region=region)

    def is_generic(self, region: str | None) -> bool:
        """Whether a region is a generic one covering others ("spine")."""
        return region in self._generic

    def same_part(self, a: str | None, b: str | None) -> bool:
        """Whether two regions are one part: equal, or one is a generic region covering the
        other ("spine" and "lumbar spine")."""
        if a is None or b is None:
            return False
        return a == b or b in self._generic.get(a, set()) or a in self._generic.get(b, set())


@cache
def default_location_rules() -> LocationRules:
    """``locations.yaml``, read once (from the start-up cache when it is current)."""
    from openimr.diskcache import cached

    return cached("location-rules", load_location_rules)
