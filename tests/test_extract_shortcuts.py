"""The shortcuts of the extractor's hot loop skip only work that could find nothing: a
pattern's regex is not run on a sentence that lacks what every match of it holds."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

from openimr.extract.extractor import default_extractor
from openimr.extract.sentences import sentence_starts
from openimr.extract.shortcuts import has_any, regex_needs, trie_regex

GOLD = Path(__file__).resolve().parent / "gold" / "records"


def test_needs_read_from_a_regex() -> None:
    assert regex_needs(re.compile(r"(?<![\d/])5\s*/\s*5\b")) == (("5",), ("/",), ("5",))
    # an alternation needs one of its branches' strings; a lookaround needs nothing
    assert regex_needs(re.compile(r"(?<=abc)(?:/\s*10|out\s+of\s+ten)", re.I)) == (("10", "out"),)
    # a branch that needs nothing, or an optional part, makes no clause
    assert regex_needs(re.compile(r"(?:abc|\d+)(?:xyz)?")) == ()
    # a non-ASCII letter may match an ASCII one when case is ignored
    assert regex_needs(re.compile("ſtatus", re.I)) == ()


def test_every_match_of_every_pattern_holds_its_needs() -> None:
    ex = default_extractor()
    texts = [p.read_text(encoding="utf-8") for p in sorted(GOLD.glob("*.txt"))]
    assert texts
    matched = 0
    for text in texts:
        if not text.isascii():
            continue
        bounds = [*sentence_starts(text), len(text)]
        for a, b in pairwise(bounds):
            sentence = text[a:b]
            for pat, needs in zip(ex.rules.patterns, ex._needs, strict=True):
                for m in pat.regex.finditer(sentence):
                    matched += 1
                    found = m.group(0).lower()
                    assert all(any(w in found for w in clause) for clause in needs), (
                        pat.fact,
                        m.group(0),
                    )
    assert matched > 50


def test_word_test_as_the_regex_alone() -> None:
    words = ("relief", "status post", "pt")
    for text in ("good relief", "reliefs", "status post fusion", "the pt", "apt", "", "s/p"):
        rx = re.compile(r"(?<![a-z])(?:status post|relief|pt)(?![a-z])")
        assert has_any(text, words) is bool(rx.search(text))


def test_one_scan_finds_the_keywords_as_a_search_for_each() -> None:
    """The sentences each pattern's keywords occur in: one scan of the text for all of them
    gives what searching the text for each keyword gives (overlapping keywords, keywords
    inside others)."""
    ex = default_extractor()
    assert ex._keyword_scan is not None
    texts = [p.read_text(encoding="utf-8").lower() for p in sorted(GOLD.glob("*.txt"))]
    texts.append("status post s/p injection, injections; post-op " * 3)
    for text in texts:
        by_search = {(kw, m.start()) for kw in ex._keyword_patterns for m in _every(kw, text)}
        by_scan = {
            (kw, m.start())
            for m in ex._keyword_scan.finditer(text)
            for kw in ex._keyword_patterns
            if m.group(1).startswith(kw)
        }
        assert by_scan == by_search


def _every(word: str, text: str) -> list[re.Match[str]]:
    return list(re.finditer("(?=" + re.escape(word) + ")", text))


def test_trie_regex_matches_the_longest_word() -> None:
    rx = re.compile("(?=(" + trie_regex(["ab", "abc", "abd", "x", "xyz", "s/p"]) + "))")
    assert [m.group(1) for m in rx.finditer("abcx xy xyz s/p abe")] == [
        "abc",
        "x",
        "x",
        "xyz",
        "s/p",
        "ab",
    ]
