"""Load ``extraction/*.yaml``: the data that drives fact extraction.

Files are merged in name order: therapies and numbers are united (a therapy id named in two
files takes the union of its words), concepts and patterns are appended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from openimr.errors import LibraryError, LibraryErrors
from openimr.yamlio import load_yaml_file

DATA = Path(__file__).resolve().parents[1] / "library" / "data" / "extraction"


@dataclass(frozen=True)
class ConceptRule:
    fact: str
    phrases: tuple[str, ...]
    sections: tuple[str, ...] = ()
    requires_therapy: str | None = None
    requires_words: tuple[str, ...] = ()
    target: str | None = None
    qualified: bool = False
    excludes_words: tuple[str, ...] = ()
    requires_any: tuple[str, ...] = ()


@dataclass(frozen=True)
class PatternRule:
    fact: str
    regex: re.Pattern[str]
    type: str
    unit: str | None = None
    requires_therapy: str | None = None
    qualified: bool = False


@dataclass(frozen=True)
class ExtractionRules:
    therapies: dict[str, tuple[str, ...]]
    numbers: dict[str, int]
    concepts: tuple[ConceptRule, ...]
    patterns: tuple[PatternRule, ...]
    therapy_regex: dict[str, re.Pattern[str]] = field(default_factory=dict)
    summary_cues: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _words_regex(words: tuple[str, ...]) -> re.Pattern[str]:
    alts = sorted((re.escape(w) for w in words), key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z])(?:" + "|".join(alts) + r")(?![A-Za-z])", re.IGNORECASE)


def load_rules(path: Path = DATA, facts: set[str] | None = None) -> ExtractionRules:
    """Load one file, or every ``*.yaml`` of a directory, into one rule set."""
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    errors: list[LibraryError] = []
    therapies: dict[str, tuple[str, ...]] = {}
    numbers: dict[str, int] = {}
    concepts: list[ConceptRule] = []
    patterns: list[PatternRule] = []
    cues: dict[str, tuple[str, ...]] = {}
    for file in files:
        _load_file(file, facts, errors, therapies, numbers, concepts, patterns, cues)
    # a concept targeting therapies sees every file's therapy words
    concepts = [
        ConceptRule(
            fact=c.fact,
            phrases=tuple(p for words in therapies.values() for p in words),
            sections=c.sections,
            requires_therapy=c.requires_therapy,
            requires_words=c.requires_words,
            target=c.target,
            qualified=c.qualified,
            excludes_words=c.excludes_words,
            requires_any=c.requires_any,
        )
        if c.target == "therapies"
        else c
        for c in concepts
    ]
    if errors:
        raise LibraryErrors(errors)
    return ExtractionRules(
        therapies=therapies,
        numbers=numbers,
        concepts=tuple(concepts),
        patterns=tuple(patterns),
        therapy_regex={k: _words_regex(v) for k, v in therapies.items()},
        summary_cues=cues,
    )


def _load_file(
    path: Path,
    facts: set[str] | None,
    errors: list[LibraryError],
    therapies: dict[str, tuple[str, ...]],
    numbers: dict[str, int],
    concepts: list[ConceptRule],
    patterns: list[PatternRule],
    cues: dict[str, tuple[str, ...]],
) -> None:
    shown = f"openimr/library/data/extraction/{path.name}" if path.parent == DATA else str(path)
    doc = load_yaml_file(path, shown)
    data = doc.data or {}
    if not isinstance(data, dict):
        errors.append(LibraryError("must be a mapping", file=doc.file))
        return
    for key in data:
        if key not in ("therapies", "numbers", "concepts", "patterns", "summary_cues"):
            errors.append(
                LibraryError(f"unknown key {key!r}", file=doc.file, line=doc.line_of((key,)))
            )

    def err(msg: str, p: tuple[str | int, ...]) -> None:
        errors.append(LibraryError(msg, file=doc.file, line=doc.line_of(p)))

    for k, v in (data.get("therapies") or {}).items():
        merged = list(therapies.get(str(k), ()))
        merged += [str(x) for x in v if str(x) not in merged]
        therapies[str(k)] = tuple(merged)
    numbers.update({str(k): int(v) for k, v in (data.get("numbers") or {}).items()})
    for kind, words in (data.get("summary_cues") or {}).items():
        if kind not in ("complaint", "exam_finding", "diagnosis", "plan_item"):
            errors.append(
                LibraryError(
                    f"unknown summary cue kind {kind!r}",
                    file=doc.file,
                    line=doc.line_of(("summary_cues", kind)),
                )
            )
            continue
        cues[kind] = (*cues.get(kind, ()), *(str(w) for w in words))
    for i, c in enumerate(data.get("concepts") or []):
        allowed = {
            "fact",
            "phrases",
            "sections",
            "requires_therapy",
            "requires_words",
            "target",
            "qualified",
            "excludes_words",
            "requires_any",
        }
        for k in c:
            if k not in allowed:
                err(f"unknown key {k!r}", ("concepts", i, k))
        if facts is not None and c.get("fact") not in facts:
            err(f"unknown fact {c.get('fact')!r}", ("concepts", i, "fact"))
        target = c.get("target")
        phrases = tuple(str(p) for p in c.get("phrases") or ())
        if target != "therapies" and not phrases:
            err("a concept needs phrases (or target: therapies)", ("concepts", i))
        concepts.append(
            ConceptRule(
                fact=str(c.get("fact")),
                phrases=phrases,
                sections=tuple(c.get("sections") or ()),
                requires_therapy=c.get("requires_therapy"),
                requires_words=tuple(c.get("requires_words") or ()),
                target=target,
                qualified=bool(c.get("qualified", False) or target == "therapies"),
                excludes_words=tuple(c.get("excludes_words") or ()),
                requires_any=tuple(c.get("requires_any") or ()),
            )
        )
    for i, p in enumerate(data.get("patterns") or []):
        if facts is not None and p.get("fact") not in facts:
            err(f"unknown fact {p.get('fact')!r}", ("patterns", i, "fact"))
        try:
            rx = re.compile(str(p.get("regex")), re.IGNORECASE)
        except re.error as exc:
            err(f"bad regular expression: {exc}", ("patterns", i, "regex"))
            continue
        if "value" not in rx.groupindex:
            err("a pattern needs a named group 'value'", ("patterns", i, "regex"))
            continue
        patterns.append(
            PatternRule(
                fact=str(p.get("fact")),
                regex=rx,
                type=str(p.get("type", "string")),
                unit=p.get("unit"),
                requires_therapy=p.get("requires_therapy"),
                qualified=bool(p.get("qualified", False)),
            )
        )


@lru_cache(maxsize=1)
def default_rules() -> ExtractionRules:
    from openimr.library.loader import default_library

    return load_rules(DATA, set(default_library().facts))
