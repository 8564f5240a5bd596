"""The state of one record's extraction: its sentences, the treatments it names (and which one
a sentence is about), where on the body a mention is, and the span each fact quotes."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import TYPE_CHECKING

from openimr.extract.locate import Location, Place, Side
from openimr.extract.nlp_rules import context_rules, sentence_rules
from openimr.extract.sentences import MAX_QUOTE, Sentence, heading_label
from openimr.model import Record, Span

if TYPE_CHECKING:
    from openimr.extract.extractor import Extractor

CONTEXT_WINDOW = 1500
"""How far back (characters) a sentence that names no treatment looks for the one it is about."""
CONCEPT_WINDOW = 400
"""The same for a statement of response ("she cut her Norco use"): the sentences just before."""

Mention = tuple[str, int, int]
"""A treatment named in a sentence: (treatment id, start, end) relative to the sentence."""


class Run:
    """The state of one record's extraction: its sentences and the treatments it names."""

    def __init__(
        self,
        ex: Extractor,
        record: Record,
        sentences: list[Sentence],
        sent_starts: list[int],
        mentions: list[Mention],
        mention_starts: list[int],
    ) -> None:
        self.ex = ex
        self.rules = ex.rules
        self.record = record
        self.sentences = sentences
        self.sent_starts = sent_starts
        self.mentions = mentions
        self.mention_starts = mention_starts
        self._therapy_cache: dict[int, list[Mention]] = {}
        self._heading_cache: dict[int, Location] = {}
        self._record_location: Location | None = None
        self._record_places: list[Place] | None = None
        self._spans: dict[tuple[int, int, str | None], Span] = {}
        self._record_part: Location | None = None
        self._guideline: dict[int, bool] = {}
        self._record_sides: dict[str, Side | None] = {}
        self._locations: dict[tuple[int, int, int], Location] = {}

    def sentence_of(self, offset: int) -> Sentence | None:
        """The sentence holding ``offset``."""
        i = bisect_right(self.sent_starts, offset) - 1
        return self.sentences[i] if i >= 0 else None

    def text_before(self, sent: Sentence, reach: int) -> str:
        """The lower-cased text of up to ``reach`` sentences just before ``sent`` under the
        same heading (the same extractor and sectionizer sections), nearest last."""
        if reach <= 0:
            return ""
        i = bisect_right(self.sent_starts, sent.start) - 1
        parts: list[str] = []
        for prev in reversed(self.sentences[max(0, i - reach) : i]):
            if prev.section != sent.section or prev.context_section != sent.context_section:
                break
            parts.append(prev.text.lower())
        return " ".join(reversed(parts))

    def therapies(self, sent: Sentence) -> list[Mention]:
        """Treatments named in the sentence, offsets relative to the sentence."""
        cached = self._therapy_cache.get(sent.start)
        if cached is None:
            lo = bisect_left(self.mention_starts, sent.start)
            hi = bisect_left(self.mention_starts, sent.end)
            cached = [(t, a - sent.start, b - sent.start) for t, a, b in self.mentions[lo:hi]]
            self._therapy_cache[sent.start] = cached
        return cached

    def context_therapy(self, sent: Sentence, window: int = CONTEXT_WINDOW) -> str | None:
        """The treatment (not a drug) named last before the sentence, nearby."""
        i = bisect_left(self.mention_starts, sent.start) - 1
        drugs = self.rules.drug_classes
        while i >= 0 and self.mentions[i][1] >= sent.start - window:
            if self.mentions[i][0] not in drugs:
                return self.mentions[i][0]
            i -= 1
        return None

    def therapy_named(self, therapy: str, sent: Sentence, context: bool) -> bool:
        """Whether the sentence names the treatment; with ``context``, a sentence that
        names no treatment is about the one named last before it (nearby)."""
        therapies = self.therapies(sent)
        if therapy in {t[0] for t in therapies}:
            return True
        if not context or self.treatments(therapies):
            return False
        return self.context_therapy(sent, window=CONCEPT_WINDOW) == therapy

    def is_guideline(self, sent: Sentence) -> bool:
        """A sentence whose subject is a guideline ("The MTUS allows ...") or that reports a
        utilization review's decision ("Utilization review non-certified the request"): no
        patient facts."""
        found = self._guideline.get(sent.start)  # asked for each of its mentions: once
        if found is None:
            rules = context_rules()
            found = self._guideline[sent.start] = bool(
                rules.guideline_subject.match(sent.text) or rules.review_decision.match(sent.text)
            )
        return found

    def section_ok(
        self, sections: tuple[str, ...], excluded: tuple[str, ...], sent: Sentence
    ) -> bool:
        """Whether a rule of these sections (and excluded sections) reads the sentence."""
        if excluded and sent.section in excluded:
            return False
        if not sections or ("default" in sections and sent.section is None):
            return True
        # as for a concept: the extractor's section or the sectionizer's ("procedure")
        return sent.section in sections or sent.context_section in sections

    def treatments(self, therapies: Sequence[Mention]) -> list[Mention]:
        """The mentions that are treatments, not drug classes."""
        drugs = self.rules.drug_classes
        return [t for t in therapies if t[0] not in drugs]

    # -- side and body region ----------------------------------------------------------------
    def locate(self, sent: Sentence, start: int, end: int) -> Location:
        """Where the mention at ``[start, end)`` of the sentence is on the body: the region
        (and its side) named nearest it in the sentence; failing a region, the heading's (a
        subheading above it, else the record's head), with the side the sentence states;
        failing a side, the heading's when it names the same part."""
        key = (sent.start, start, end)  # a phrase of several concepts: located once
        found = self._locations.get(key)
        if found is None:
            found = self._locations[key] = self._with_heading(
                sent, self.ex.locator.near(sent.text, start, end)
            )
        return found

    def also_located(self, sent: Sentence, start: int, end: int) -> list[Location]:
        """The other regions of the list the mention's region is named in ("radiating into
        both arms and both legs"): the mention is a fact at each of them too."""
        return [
            self._with_heading(sent, where)
            for where in self.ex.locator.listed_with(sent.text, start, end)
        ]

    def locate_text(self, sent: Sentence, text: str) -> Location:
        """The location a clause (a diagnosis, a complaint) names as a whole, else the
        heading's."""
        return self._with_heading(sent, self.ex.locator.whole(text))

    def _with_heading(self, sent: Sentence, here: Location) -> Location:
        if here.region is not None and here.side is not None:
            return here
        head = self.heading(sent)
        if here.region is None:
            if head.region is None:
                head = self.record_part()
            if head.region is None:
                return here
            return Location(side=here.side or head.side, region=head.region)
        if head.side is not None and self.ex.locator.same_part(here.region, head.region):
            return Location(side=head.side, region=here.region)
        return Location(side=self.record_side(here.region), region=here.region)

    def _places(self) -> list[Place]:
        if self._record_places is None:
            self._record_places = [
                p
                for s in self.sentences
                if s.section != "title" and not self.is_guideline(s)
                for p in self.ex.locator.places(s.text)
            ]
        return self._record_places

    def record_side(self, region: str) -> Side | None:
        """The side a record gives a part whenever it gives one ("right knee" throughout a
        report about the right knee): the side of its mentions that state none."""
        if region in self._record_sides:  # the record's places do not change: once each
            return self._record_sides[region]
        locator = self.ex.locator
        sides = {
            p.side
            for p in self._places()
            if p.side is not None and p.region and locator.same_part(p.region, region)
        }
        side = self._record_sides[region] = sides.pop() if len(sides) == 1 else None
        return side

    def record_part(self) -> Location:
        """The one part a whole record is about, when every region it names is that part
        (and every side it states for it one side)."""
        if self._record_part is None:  # the record's places do not change: once per record
            self._record_part = self._find_record_part()
        return self._record_part

    def _find_record_part(self) -> Location:
        locator = self.ex.locator
        places = [p for p in self._places() if p.region]
        if not places:
            return Location()
        first = places[0].region
        assert first is not None
        if not all(locator.same_part(p.region, first) for p in places):
            return Location()
        specific = [p.region for p in places if p.region and not locator.is_generic(p.region)]
        region: str = specific[0] if specific else first
        if any(r != region for r in specific):
            return Location()
        return Location(side=self.record_side(region), region=region)

    def heading(self, sent: Sentence) -> Location:
        """The location of the nearest heading that names a region: the sentence's own label
        or one above it ("LEFT KNEE:", "Right shoulder: ..." opening a paragraph), looking
        back no further than the start of its section; else the record's head."""
        cached = self._heading_cache.get(sent.start)
        if cached is not None:
            return cached
        locator = self.ex.locator
        found: Location | None = None
        i = bisect_right(self.sent_starts, sent.start) - 1
        # the sentence's own label first ("Right shoulder: positive Neer sign")
        for j in range(i, max(-1, i - 1 - locator.rules.heading_lookback), -1):
            label, section_heading = heading_label(self.sentences[j])
            if label is None:
                continue
            loc = locator.whole(label)
            if loc.region is not None:
                found = loc
                break
            if section_heading:
                break
        out = found or self.record_location()
        self._heading_cache[sent.start] = out
        return out

    def record_location(self) -> Location:
        """The one region (and side) a record's head names (its title, "EXAM: MRI of the
        left knee"), when it names only one."""
        if self._record_location is None:
            rules = self.ex.locator.rules
            parts: list[str] = []
            for s in self.sentences:
                if s.start >= rules.header_chars:
                    break
                text = s.text.strip()
                if s.section == "title":
                    parts.append(text)
                    continue
                m = sentence_rules().label.match(text)
                if m and " ".join(m.group(1).lower().split()) in rules.header_labels:
                    parts.append(text[m.end() :])
            self._record_location = (
                self.ex.locator.whole("\n;\n".join(parts)) if parts else Location()
            )
        return self._record_location

    @staticmethod
    def nearest(
        therapies: Sequence[Mention], start: int, end: int | None = None, text: str = ""
    ) -> str | None:
        """The treatment the text at [start, end) is about: one it is tied to by a
        preposition ("improvement with acupuncture", "therapy with documented improvement"),
        else the one named closest (gap between the spans)."""
        if not therapies:
            return None
        stop = start if end is None else end
        if text:
            rules = context_rules()
            tied_after, tied_before = rules.tied_after, rules.tied_before
            after = [t for t in therapies if t[1] >= stop and t[1] - stop <= 40]
            for t in sorted(after, key=lambda t: t[1]):
                if tied_after.match(text[stop : t[1]]):
                    return t[0]
            before = [t for t in therapies if t[2] <= start and start - t[2] <= 40]
            for t in sorted(before, key=lambda t: -t[2]):
                if tied_before.match(text[t[2] : start]):
                    return t[0]

        def gap(t: Mention) -> int:
            if t[2] <= start:
                return start - t[2]
            if t[1] >= stop:
                return t[1] - stop
            return 0

        return min(therapies, key=gap)[0]

    def span(self, sent: Sentence, focus: int | None = None) -> Span:
        """The sentence's span; a long sentence is cut to MAX_QUOTE characters around
        ``focus`` (the offset of what was found)."""
        start, end = sent.start, sent.end
        if focus is not None and end - start > MAX_QUOTE:
            start = max(start, min(focus - MAX_QUOTE // 2, end - MAX_QUOTE))
            while start > sent.start and not self.record.text[start - 1].isspace():
                start -= 1
        # every fact of a sentence quotes the same span (spans are immutable: one is shared)
        key = (start, end, sent.section)
        span = self._spans.get(key)
        if span is None:
            span = self._spans[key] = self.ex.span_of(self.record, start, end, sent.section)
        return span
