"""What the case page shows, worded for a reviewer (pure: no I/O, no service calls).

The records pane shows each record's text exactly as the engine read it (PDF pages, FHIR
resources rendered as text), so an evidence span's offsets point into it; every span cited
by a criterion is a ``<mark>`` with an anchor the criteria pane links to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from markupsafe import Markup, escape

from openimr.model import Case, Record
from openimr.render.wording import finding_words

STATUS_WORDS = {
    "met": "met",
    "not_met": "not met",
    "not_documented": "not documented",
    "not_applicable": "not applicable",
}


@dataclass
class RecordView:
    number: int
    anchor: str
    path: str
    title: str
    document_id: int | None
    kind: str
    pages: int
    html: Markup
    spans: int


@dataclass
class EvidenceLink:
    span: str
    record_anchor: str
    record_number: int | None
    page: int | None
    quote: str


@dataclass
class CriterionRow:
    number: int
    text: str
    status: str
    status_words: str
    finding: str | None
    evidence: list[EvidenceLink] = field(default_factory=list)
    related: list[EvidenceLink] = field(default_factory=list)
    """For a criterion not documented: the passages read for it (they fall short of it)."""
    searched: list[tuple[str, str]] = field(default_factory=list)
    """(record anchor, record title) of every record searched."""


def span_id(record_number: int, start: int, end: int) -> str:
    return f"s{record_number}-{start}-{end}"


def record_title(rec: Record, number: int) -> str:
    from openimr.render.letter.view import record_type_label

    label = record_type_label(rec.record_type) if rec.record_type else None
    name = rec.path.replace("\\", "/").rsplit("/", 1)[-1]
    parts = [f"{number}. {label or name}"]
    if rec.date_of_service:
        parts.append(rec.date_of_service.strftime("%m/%d/%Y"))
    if label:
        parts.append(name)
    return " · ".join(parts)


def _numbers(case: Case) -> dict[str, int]:
    return {rec.path: i for i, rec in enumerate(case.records, start=1)}


def highlight(text: str, spans: Iterable[tuple[int, int, str]]) -> Markup:
    """``text`` escaped, each span a ``<mark>`` (overlaps split into segments, every span's
    start an anchor ``id``), form feeds (page breaks) as page rules."""
    cuts = {0, len(text)}
    chosen = [(s, e, i) for s, e, i in spans if 0 <= s < e <= len(text)]
    for s, e, _ in chosen:
        cuts.update((s, e))
    points = sorted(cuts)
    starts: dict[int, list[str]] = {}
    for s, _e, i in chosen:
        starts.setdefault(s, []).append(i)
    out: list[str] = []
    page = 1
    for a, b in pairwise(points):
        for i in dict.fromkeys(starts.get(a, [])):
            out.append(f'<a class="span-anchor" id="{escape(i)}"></a>')
        covering = [i for s, e, i in chosen if s <= a and e >= b]
        chunk = str(escape(text[a:b]))
        if "\f" in chunk:
            pieces = chunk.split("\f")
            rebuilt = [pieces[0]]
            for piece in pieces[1:]:
                page += 1
                rebuilt.append(f'<span class="page-break" data-page="{page}">page {page}</span>')
                rebuilt.append(piece)
            chunk = "".join(rebuilt)
        if covering:
            ids = " ".join(dict.fromkeys(covering))
            out.append(f'<mark class="ev" data-spans="{escape(ids)}">{chunk}</mark>')
        else:
            out.append(chunk)
    return Markup("".join(out))


def _cited_spans(
    items: Sequence[Mapping[str, Any]], numbers: Mapping[str, int]
) -> dict[str, set[tuple[int, int, str]]]:
    found: dict[str, set[tuple[int, int, str]]] = {}
    for item in items:
        for crit in item.get("criteria", []):
            for ev in crit.get("evidence", []):
                n = numbers.get(ev.get("record", ""))
                if n is None:
                    continue
                s, e = int(ev["start"]), int(ev["end"])
                found.setdefault(ev["record"], set()).add((s, e, span_id(n, s, e)))
    return found


def record_views(
    case: Case, items: Sequence[Mapping[str, Any]], documents: Mapping[str, int]
) -> list[RecordView]:
    """Every record with the spans the draft cites marked; ``documents`` maps a record's path
    to its stored document id (for the download link)."""
    numbers = _numbers(case)
    cited = _cited_spans(items, numbers)
    out = []
    for n, rec in enumerate(case.records, start=1):
        spans = cited.get(rec.path, set())
        out.append(
            RecordView(
                number=n,
                anchor=f"rec-{n}",
                path=rec.path,
                title=record_title(rec, n),
                document_id=documents.get(rec.path),
                kind=rec.kind,
                pages=len(rec.pages) or 1,
                html=highlight(rec.text, sorted(spans)),
                spans=len(spans),
            )
        )
    return out


def _link(ev: Mapping[str, Any], numbers: Mapping[str, int], case: Case) -> EvidenceLink:
    n = numbers.get(ev.get("record", ""))
    s, e = int(ev["start"]), int(ev["end"])
    page = ev.get("page")
    if page is None and n is not None:
        page = case.records[n - 1].page_of(s)
    return EvidenceLink(
        span=span_id(n, s, e) if n is not None else "",
        record_anchor=f"rec-{n}" if n is not None else "",
        record_number=n,
        page=page,
        quote=" ".join(str(ev.get("quote", "")).split()),
    )


def _unique(links: Iterable[EvidenceLink]) -> list[EvidenceLink]:
    """One passage once: the same span, or the same words in the same record."""
    seen: set[tuple[int | None, str]] = set()
    out = []
    for link in links:
        key = (link.record_number, link.quote.lower())
        if key in seen:
            continue
        seen.add(key)
        out.append(link)
    return out


def criterion_rows(item: Mapping[str, Any], case: Case) -> list[CriterionRow]:
    numbers = _numbers(case)
    titles = {rec.path: record_title(rec, n) for n, rec in enumerate(case.records, start=1)}
    rows = []
    for i, crit in enumerate(item.get("criteria", []), start=1):
        status = str(crit.get("status"))
        links = _unique(_link(ev, numbers, case) for ev in crit.get("evidence", []))
        undocumented = status == "not_documented"
        rows.append(
            CriterionRow(
                number=i,
                text=" ".join(str(crit.get("text", "")).split()),
                status=status,
                status_words=STATUS_WORDS.get(status, status),
                finding=finding_words(crit.get("finding")),
                evidence=[] if undocumented else links,
                related=links if undocumented else [],
                searched=[
                    (f"rec-{numbers[p]}", titles[p]) if p in numbers else ("", p)
                    for p in crit.get("searched", [])
                ],
            )
        )
    return rows
