"""Decisions over many letters: by treatment category, guideline cited, reviewer specialty
and year, with overturn rates and Wilson score intervals.

Letters are parsed in parallel (one process per core) with a progress bar; a letter that
cannot be read is counted as a failure and named, the others still count.
"""

from __future__ import annotations

import csv
import html
import io
import math
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from openimr.errors import OpenIMRError

LETTER_SUFFIXES = (".txt", ".pdf")
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("category", "Treatment category"),
    ("treatment", "Treatment"),
    ("guideline", "Guideline cited by the reviewer"),
    ("specialty", "Reviewer specialty"),
    ("year", "Year of decision"),
)
_COLUMN = {
    "category": "Category",
    "treatment": "Treatment",
    "guideline": "Guideline (chapter key)",
    "specialty": "Specialty",
    "year": "Year",
}
Z_95 = 1.959963984540054
_CHUNK = 64
_IN_PROCESS_BELOW = 48  # fewer letters than this are parsed without a process pool


class StatsInputError(OpenIMRError):
    """The inputs to ``letters stats`` cannot be used."""


@dataclass(frozen=True, slots=True)
class ItemFact:
    """What the statistics need of one decided item."""

    letter: str
    overturned: bool
    category: str
    treatment: str
    guidelines: tuple[str, ...]
    specialties: tuple[str, ...]
    year: str


@dataclass(frozen=True, slots=True)
class Failure:
    letter: str
    error: str


@dataclass(frozen=True, slots=True)
class Row:
    group: str
    items: int
    upheld: int
    overturned: int

    @property
    def rate(self) -> float:
        return self.overturned / self.items if self.items else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.overturned, self.items)


@dataclass
class Stats:
    letters: int = 0
    items: list[ItemFact] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def overall(self) -> Row:
        over = sum(1 for i in self.items if i.overturned)
        return Row("all", len(self.items), len(self.items) - over, over)

    def table(self, dimension: str) -> list[Row]:
        """Rows for one dimension, most items first (an item citing two guidelines, or a
        reviewer with two specialties, counts in each)."""
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for item in self.items:
            for group in _groups(item, dimension):
                counts[group][1 if item.overturned else 0] += 1
        rows = [Row(g, up + over, up, over) for g, (up, over) in counts.items()]
        rows.sort(key=lambda r: (-r.items, r.group))
        return rows


def _groups(item: ItemFact, dimension: str) -> Sequence[str]:
    if dimension == "category":
        return (item.category,)
    if dimension == "treatment":
        return (item.treatment,)
    if dimension == "guideline":
        return item.guidelines or ("(none cited)",)
    if dimension == "specialty":
        return item.specialties or ("(not stated)",)
    if dimension == "year":
        return (item.year,)
    raise ValueError(dimension)


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion (95% by default); (0, 0) when n is 0."""
    if n <= 0:
        return 0.0, 0.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


# -- collecting ----------------------------------------------------------------------------


def find_letters(paths: Iterable[Path]) -> list[Path]:
    """Letter files under the given files and directories (``.txt`` and ``.pdf``), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in LETTER_SUFFIXES
            )
        elif path.is_file():
            found.append(path)
        else:
            raise StatsInputError("no such file or directory", file=str(path))
    return found


def _facts_of(path: str) -> tuple[list[ItemFact], Failure | None]:
    from openimr.published.parser import parse_letter

    try:
        letter = parse_letter(path)
    except OpenIMRError as exc:
        return [], Failure(path, str(exc))
    year = str(letter.year) if letter.year is not None else "(unknown)"
    specialties = letter.reviewer.specialty
    facts = [
        ItemFact(
            letter=path,
            overturned=item.decision == "overturned",
            category=item.category or "uncategorized",
            treatment=item.treatment or "(unmatched)",
            guidelines=item.reviewer_guideline.chapter_keys,
            specialties=specialties,
            year=year,
        )
        for item in letter.items
    ]
    return facts, None


def _parse_chunk(paths: list[str]) -> list[tuple[list[ItemFact], Failure | None]]:
    return [_facts_of(p) for p in paths]


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def collect(
    letters: Sequence[Path],
    *,
    jobs: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Stats:
    """Parse ``letters`` (in ``jobs`` processes; default: every core) into :class:`Stats`."""
    stats = Stats()
    names = [str(p) for p in letters]
    workers = jobs or os.cpu_count() or 1
    results: Iterable[list[tuple[list[ItemFact], Failure | None]]]
    if workers <= 1 or len(names) < _IN_PROCESS_BELOW:
        results = (_parse_chunk(chunk) for chunk in _chunks(names, _CHUNK))
        _gather(stats, results, on_progress)
    else:
        size = max(1, min(_CHUNK, len(names) // (workers * 4) or 1))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = pool.map(_parse_chunk, _chunks(names, size))
            _gather(stats, results, on_progress)
    return stats


def _gather(
    stats: Stats,
    results: Iterable[list[tuple[list[ItemFact], Failure | None]]],
    on_progress: Callable[[int], None] | None,
) -> None:
    for chunk in results:
        for facts, failure in chunk:
            if failure is not None:
                stats.failures.append(failure)
            else:
                stats.letters += 1
                stats.items.extend(facts)
        if on_progress is not None:
            on_progress(len(chunk))


# -- output --------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def to_csv(stats: Stats) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["dimension", "group", "items", "upheld", "overturned", "overturn_rate", "ci95_low",
         "ci95_high"]
    )  # fmt: skip
    rows: list[tuple[str, Row]] = [("all", stats.overall())]
    for dimension, _ in DIMENSIONS:
        rows.extend((dimension, row) for row in stats.table(dimension))
    for dimension, row in rows:
        low, high = row.interval
        writer.writerow(
            [dimension, row.group, row.items, row.upheld, row.overturned, f"{row.rate:.4f}",
             f"{low:.4f}", f"{high:.4f}"]
        )  # fmt: skip
    return out.getvalue()


def print_tables(stats: Stats, console: object | None = None, limit: int | None = 25) -> None:
    """Print the tables with rich (``limit`` rows per table; None for all)."""
    from rich.console import Console
    from rich.table import Table

    con = console if isinstance(console, Console) else Console()
    if not con.is_terminal:
        con.width = max(con.width, 120)
    overall = stats.overall()
    low, high = overall.interval
    con.print(
        f"[bold]{stats.letters}[/] letters, [bold]{overall.items}[/] items: "
        f"{overall.upheld} upheld, {overall.overturned} overturned "
        f"({_pct(overall.rate)}, 95% CI {_pct(low)}-{_pct(high)})"
        + (f"; [red]{len(stats.failures)} letters could not be read[/]" if stats.failures else "")
    )
    for dimension, title in DIMENSIONS:
        rows = stats.table(dimension)
        table = Table(title=title, title_justify="left")
        table.add_column(_COLUMN[dimension], no_wrap=True)
        for name in ("Items", "Upheld", "Overturned", "Overturn rate", "95% CI (Wilson)"):
            table.add_column(name, justify="right")
        shown = rows if limit is None else rows[:limit]
        for row in shown:
            lo, hi = row.interval
            table.add_row(
                row.group, str(row.items), str(row.upheld), str(row.overturned),
                _pct(row.rate), f"{_pct(lo)}-{_pct(hi)}",
            )  # fmt: skip
        if len(rows) > len(shown):
            table.caption = f"{len(rows) - len(shown)} more rows in the CSV"
        con.print(table)


def _chart_svg(rows: Sequence[Row], title: str) -> str:
    """A horizontal bar chart of overturn rates with Wilson intervals, as inline SVG.

    ``title`` becomes the chart's accessible title (the page shows it as a heading).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(rows)[::-1]
    labels = [f"{r.group} (n={r.items})" for r in rows]
    rates = [100 * r.rate for r in rows]
    lows = [max(0.0, 100 * (r.rate - r.interval[0])) for r in rows]
    highs = [max(0.0, 100 * (r.interval[1] - r.rate)) for r in rows]
    height = max(1.6, 0.32 * len(rows) + 0.9)
    fig, ax = plt.subplots(figsize=(8.0, height))
    try:
        ax.barh(labels, rates, color="#3b6ea5", xerr=[lows, highs], capsize=3,
                error_kw={"ecolor": "#333333", "elinewidth": 1})  # fmt: skip
        ax.set_xlim(0, 100)
        ax.set_xlabel("Overturned (% of items), with 95% Wilson interval")
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="x", linestyle=":", linewidth=0.6)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg")
    finally:
        plt.close(fig)
    svg = buffer.getvalue()
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    return svg.replace(">", f' role="img" aria-label="{html.escape(title)}">', 1)


def to_html(stats: Stats, *, title: str = "IMR letters: decisions", chart_rows: int = 20) -> str:
    """The HTML report: summary, a chart and a table per dimension (charts as inline SVG)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("openimr.published", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    overall = stats.overall()
    sections = []
    for dimension, label in DIMENSIONS:
        rows = stats.table(dimension)
        chart = _chart_svg(rows[:chart_rows], label) if rows else ""
        sections.append(
            {
                "id": dimension,
                "title": label,
                "chart": chart,
                "rows": [
                    {
                        "group": r.group,
                        "n": r.items,
                        "upheld": r.upheld,
                        "overturned": r.overturned,
                        "rate": _pct(r.rate),
                        "low": _pct(r.interval[0]),
                        "high": _pct(r.interval[1]),
                    }
                    for r in rows
                ],
                "more": max(0, len(rows) - chart_rows),
            }
        )
    low, high = overall.interval
    return env.get_template("stats.html.j2").render(
        title=title,
        letters=stats.letters,
        items=overall.items,
        upheld=overall.upheld,
        overturned=overall.overturned,
        rate=_pct(overall.rate),
        low=_pct(low),
        high=_pct(high),
        failures=stats.failures,
        sections=sections,
    )
