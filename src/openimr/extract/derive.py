"""Facts one fact implies (``derived:`` rules: an epidural injection given is a therapy
given), and the last pass over a record's facts: one fact per sentence and reading, and an
abnormal finding winning over a normal one."""

from __future__ import annotations

from openimr.extract.medications import combinations
from openimr.extract.run import Run
from openimr.model import Fact


def unique(facts: list[Fact], by_region: bool = False) -> list[Fact]:
    """Facts with the same name, value, qualifier and sentence are one (the first kept);
    with ``by_region``, unless they are about different body regions ("radiating into both
    arms and both legs" is a fact at the arms and one at the legs; scoring against the gold
    set, one fact per sentence, counts them once)."""
    seen: set[tuple[object, ...]] = set()
    out: list[Fact] = []
    for f in facts:
        region = f.region if by_region else None
        key = (f.name, f.value, f.qualifier, f.spans[0].start if f.spans else None, region)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def positive_wins(facts: list[Fact], names: frozenset[str]) -> list[Fact]:
    """For examination facts, a sentence with an abnormal finding ("reflexes 2+, left Achilles
    1+") is not also read as normal."""
    positive = {(f.name, f.spans[0].start) for f in facts if f.value is True and f.spans}
    return [
        f
        for f in facts
        if not (
            f.name in names
            and f.value is False
            and f.spans
            and (f.name, f.spans[0].start) in positive
        )
    ]


def derived(run: Run, facts: list[Fact]) -> list[Fact]:
    """The facts the ``derived:`` rules add to ``facts`` (each once), and those of the
    drugs named together."""
    out: list[Fact] = []
    have = {(f.name, f.value, f.qualifier, f.spans[0].start if f.spans else None) for f in facts}
    have_any = {(f.name, f.value, f.spans[0].start if f.spans else None) for f in facts}
    for rule in run.rules.derived:
        for f in [*facts, *out]:
            if f.name != rule.source or not f.spans:
                continue
            if rule.source_value is not None and f.value != rule.source_value:
                continue
            if rule.qualifiers and f.qualifier not in rule.qualifiers:
                continue
            value = f.value if rule.value is None else rule.value
            qualifier = f.qualifier if rule.qualifier == "same" else rule.qualifier
            key = (rule.fact, value, qualifier, f.spans[0].start)
            if key in have or (
                qualifier is None and (rule.fact, value, f.spans[0].start) in have_any
            ):
                continue
            have.add(key)
            have_any.add((rule.fact, value, f.spans[0].start))
            out.append(
                Fact(
                    name=rule.fact,
                    value=value,
                    spans=f.spans,
                    context=f.context,
                    qualifier=qualifier,
                    confidence=f.confidence,
                    side=f.side,
                    region=f.region,
                )
            )
    out.extend(combinations(run, [*facts, *out]))
    return out
