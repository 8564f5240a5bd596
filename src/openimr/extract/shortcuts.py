"""Shortcuts of the extractor's hot loop: word tests that search a regex only where one of its
words occurs, and the strings every match of a regex holds (a sentence without them is not
searched)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from openimr.extract.nlp_rules import context_rules


@lru_cache(maxsize=4096)
def _word_regex(words: tuple[str, ...], prefix: bool) -> re.Pattern[str] | None:
    if not words:
        return None
    alts = "|".join(sorted((re.escape(w.lower()) for w in words), key=len, reverse=True))
    return re.compile(r"(?<![a-z])(?:" + alts + ")" + ("" if prefix else r"(?![a-z])"))


@lru_cache(maxsize=4096)
def _word_test(
    words: tuple[str, ...], prefix: bool
) -> tuple[tuple[str, ...], re.Pattern[str] | None]:
    """The words in lower case (each a substring of any match) and their regex."""
    return tuple(dict.fromkeys(w.lower() for w in words)), _word_regex(words, prefix)


def has_any(lowered: str, words: tuple[str, ...], prefix: bool = False) -> bool:
    """Whether any of ``words`` occurs as a word (or word prefix) in ``lowered``."""
    plain, rx = _word_test(words if isinstance(words, tuple) else tuple(words), prefix)
    if rx is None:
        return False
    # the regex (case-sensitive, on lower-case words) matches only where a word occurs as a
    # substring: a text holding none of them needs no regex search
    for w in plain:
        if w in lowered:
            return rx.search(lowered) is not None
    return False


def excluded(lowered: str, excludes: tuple[str, ...], strong: tuple[str, ...]) -> bool:
    """Whether ``lowered`` has one of a rule's excluded words and none of its strong words
    (which keep a mention whatever else the sentence says)."""
    return bool(
        excludes and has_any(lowered, excludes) and not (strong and has_any(lowered, strong))
    )


def before_has(lowered: str, pos: int, words: tuple[str, ...]) -> bool:
    """Whether ``words`` occur in the clause just before ``pos`` (40 characters at most)."""
    before = lowered[max(0, pos - 40) : pos]
    before = context_rules().clause_break.split(before)[-1]
    return has_any(before, words, prefix=True)


def trie_regex(words: Iterable[str]) -> str:
    """A regex matching each of ``words`` (non-empty), as a trie: at a place, it matches the
    longest of them that starts there (its branches part on distinct characters, and a word
    that ends inside a longer one is an optional rest, tried first)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + build(node[ch]) for ch in sorted(node) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            return ("(?:" + body + ")?") if len(alts) == 1 else body + "?"
        return body

    return build(trie)


Needs = tuple[tuple[str, ...], ...]
"""Strings a regex's every match holds: each clause, one of its strings (lower case)."""


def holds(lowered: str, needs: Needs) -> bool:
    """Whether ``lowered`` holds one string of every clause (plain loops: this runs for
    every sentence and pattern)."""
    for clause in needs:
        for w in clause:
            if w in lowered:
                break
        else:
            return False
    return True


def regex_needs(rx: re.Pattern[str]) -> Needs:
    """What every match of ``rx`` holds, read from the parsed regex: each literal run it
    must match (outside lookarounds), and for an alternation whose every branch needs
    something, one of those. On ASCII text (where ignoring case is lower-casing) a sentence
    without them has no match: the regex need not run there."""
    try:
        from re import _constants as sre_c  # type: ignore[attr-defined]
        from re import _parser as sre_p  # type: ignore[attr-defined]

        clauses = _needed(list(sre_p.parse(rx.pattern, rx.flags)), sre_c)
    except Exception:  # an optimization only: then the regex runs on every sentence
        return ()
    # a non-ASCII letter may match an ASCII one when case is ignored ("ſ" and "s")
    return tuple(clause for clause in clauses if all(w.isascii() for w in clause))


def _needed(seq: list[Any], c: Any) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    i = 0
    while i < len(seq):
        op, av = seq[i]
        if op == c.LITERAL:
            j = i
            while j < len(seq) and seq[j][0] == c.LITERAL:
                j += 1
            out.append(("".join(chr(seq[k][1]) for k in range(i, j)).lower(),))
            i = j
            continue
        if op == c.SUBPATTERN:
            out.extend(_needed(list(av[3]), c))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            out.extend(_needed(list(av[2]), c))
        elif op == c.BRANCH:
            alts = [_needed(list(alt), c) for alt in av[1]]
            if alts and all(alts):
                # per branch, its clause of the longest strings
                best = [max(a, key=lambda clause: min(len(w) for w in clause)) for a in alts]
                out.append(tuple(dict.fromkeys(w for clause in best for w in clause)))
        i += 1
    return out
