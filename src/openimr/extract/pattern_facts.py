"""Facts the regular-expression patterns of ``extraction/*.yaml`` read in a sentence: numbers
(percent relief, weeks, visit counts, pain scores) and statuses, each denied as a concept's
mention is when a negation reaches it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from openimr.extract.context import ModifierScopes, states_no_finding
from openimr.extract.nlp_rules import context_rules, number_rules
from openimr.extract.patterns import PatternRule
from openimr.extract.run import Mention, Run
from openimr.extract.sentences import Sentence
from openimr.extract.shortcuts import before_has, excluded, has_any
from openimr.model import Context, Fact


def _drop_overridden(found: list[tuple[Fact, int, int]]) -> list[Fact]:
    """Numbers one sentence gives twice: a value read inside another reading's longer value
    ("6" inside "5 to 6") is dropped, and a pain score that is the score with or without
    medication is not also a bare score."""
    kept = [
        f
        for f, a, b in found
        if not any(g.name == f.name and c <= a and b <= d and (c, d) != (a, b) for g, c, d in found)
    ]
    tied = {
        f.value
        for f in kept
        if f.name in ("pain_score_with_medication", "pain_score_without_medication")
    }
    return [f for f in kept if not (f.name == "pain_score" and f.value in tied)]


def pattern_fact(
    run: Run,
    pat: PatternRule,
    m: re.Match[str],
    sent: Sentence,
    therapies: Sequence[Mention],
) -> Fact | None:
    """The fact a pattern's match reads (its value, unit, qualifier and location), or
    None when the match gives none."""
    value: bool | int | float | str
    groups = m.re.groupindex
    if "before" in groups and "after" in groups and pat.unit == "%":
        # pain scores before and after ("from 8/10 to 3/10"): the relief in percent
        before = run.ex.number(m.group("before") or "")
        after = run.ex.number(m.group("after") or "")
        if before is None or after is None or not 0 <= after < before <= 10:
            return None
        value = round((before - after) / before * 100, 1)
    elif pat.value is not None and "value" not in groups:
        value = pat.value
    else:
        raw = m.group("value")
        if raw is None:
            return None
        if pat.unit == "%":
            # a fraction in words ("two thirds", "half") as a percent; "60%-70%" as a range
            raw = raw.replace("%", " ")
            fraction = number_rules().fraction_percent.get(
                " ".join(raw.lower().replace("-", " ").split())
            )
            if fraction is not None:
                raw = str(fraction)
        if pat.type in ("number", "int"):
            num = _range_number(run, raw)
            if num is None:
                return None
            unit = m.groupdict().get("unit")
            if pat.unit == "weeks" and unit:
                u = unit.lower()
                if u.startswith("mo"):
                    num *= 4.345
                elif u.startswith("d"):
                    num /= 7
            value = int(num) if pat.type == "int" else round(num, 2)
        else:
            value = " ".join(raw.split()) if pat.value is None else pat.value
    qualifier = pat.qualifier
    if pat.qualified:
        candidates = run.treatments(therapies) if pat.context_therapy else therapies
        qualifier = run.nearest(candidates, m.start(), m.end(), sent.text)
        if qualifier is None and pat.context_therapy:
            qualifier = run.context_therapy(sent)
        if qualifier is None:
            return None
    lowered = sent.text.lower()
    rules = context_rules()
    hypothetical = bool(rules.plan_before.search(lowered[: m.start()]))
    if pat.fact == "prior_visits" and hypothetical and not rules.visits_completed.search(lowered):
        return None
    span = run.span(sent, sent.start + m.start())
    where = run.locate(sent, m.start(), m.end())
    return Fact(
        name=pat.fact,
        value=value,
        unit=pat.unit,
        spans=(span,),
        qualifier=qualifier,
        side=where.side,
        region=where.region,
    )


def _range_number(run: Run, raw: str) -> float | None:
    """A number, a number word, or a range ("6-7", "5 to 6"): its midpoint."""
    whole = run.ex.number(raw)
    if whole is not None:
        return whole
    parts = number_rules().range_separator.split(raw.strip())
    nums = [run.ex.number(p) for p in parts if p]
    if not nums or any(n is None for n in nums):
        return None
    vals = [n for n in nums if n is not None]
    return sum(vals) / len(vals)


def sentence_pattern_facts(
    run: Run,
    sent: Sentence,
    patterns: Sequence[PatternRule],
    therapies: Sequence[Mention],
    scopes: ModifierScopes,
) -> list[Fact]:
    """The facts ``patterns`` (the candidates for this sentence) read in the sentence."""
    states_nothing = states_no_finding(sent)
    therapy_ids = {t[0] for t in therapies}
    lowered = sent.text.lower()
    found: list[tuple[Fact, int, int]] = []
    for pat in patterns:
        if not _pattern_applies(run, pat, sent, lowered, therapy_ids, states_nothing):
            continue
        for m in pat.regex.finditer(sent.text):
            fact = _match_fact(run, pat, m, sent, lowered, therapies, scopes)
            if fact is not None:
                g = "value" if "value" in m.re.groupindex and m.group("value") else 0
                found.append((fact, m.start(g), m.end(g)))
    return _drop_overridden(found)


def _pattern_applies(
    run: Run,
    pat: PatternRule,
    sent: Sentence,
    lowered: str,
    therapy_ids: set[str],
    states_nothing: bool,
) -> bool:
    """Whether the pattern's conditions hold in the sentence: the treatment it needs is named
    (or is the one it is about), its sections, the words it needs or excludes, and a
    sentence that states no finding only for a pattern that keeps hypothetical ones."""
    if pat.requires_therapy == "any" and not therapy_ids and not pat.context_therapy:
        return False
    if pat.requires_therapy not in (None, "any") and not run.therapy_named(
        pat.requires_therapy, sent, pat.context_therapy
    ):
        return False
    if not run.section_ok(pat.sections, pat.exclude_sections, sent):
        return False
    if pat.requires_words and not has_any(lowered, pat.requires_words):
        return False
    if pat.excludes_in == "sentence" and _excluded(pat, lowered):
        return False
    return not (states_nothing and not pat.keep_hypothetical)


def _excluded(pat: PatternRule, lowered: str) -> bool:
    """Whether ``lowered`` (a sentence, or a match's clause) has one of the pattern's
    excluded words and none of its strong words."""
    return excluded(lowered, pat.excludes_words, pat.strong_words)


_CLAUSE_END = re.compile(r"[,;]")


def _clause_of(lowered: str, m: re.Match[str]) -> str:
    """The sentence up to the end of the clause of match ``m``: the first comma or
    semicolon after it (a remark after it is about something else)."""
    end = _CLAUSE_END.search(lowered, m.end())
    return lowered[: end.start() if end else len(lowered)]


def _match_fact(
    run: Run,
    pat: PatternRule,
    m: re.Match[str],
    sent: Sentence,
    lowered: str,
    therapies: Sequence[Mention],
    scopes: ModifierScopes,
) -> Fact | None:
    """The fact one match reads, unless a word before it excludes it or it stands where no
    finding is stated; a finding a negation reaches is denied (or dropped)."""
    if pat.excludes_before and before_has(lowered, m.start(), pat.excludes_before):
        return None
    if pat.excludes_in == "clause" and _excluded(pat, _clause_of(lowered, m)):
        return None
    if not pat.keep_hypothetical and scopes.states_no_finding(sent.start + m.start()):
        return None
    fact = pattern_fact(run, pat, m, sent, therapies)
    if fact is not None and pat.when_negated != "ignore":
        # a finding read by a pattern is denied as a concept's is (ConText)
        start, end = sent.start + m.start(), sent.start + m.end()
        if scopes.denies(run.record.text, sent, start, end):
            if pat.when_negated == "nothing":
                return None
            fact = fact.model_copy(update={"value": False, "context": Context(negated=True)})
    return fact
