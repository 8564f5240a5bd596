"""The spaCy pipeline in the start-up cache: read back from its bytes it finds what the
pipeline built from the rules finds (the same facts, spans and contexts, in the same order),
shares its tokenizer with the sectionizer, and is keyed by the package and spaCy's versions."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from openimr import diskcache
from openimr.extract.extractor import default_extractor
from openimr.extract.nlp_pipeline import (
    _dumps,
    _loads,
    build_nlp,
    context_rules,
    default_pipeline,
)
from openimr.extract.patterns import default_rules
from openimr.records import read_record

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
GOLD = Path(__file__).resolve().parent / "gold" / "records"


def test_the_pipeline_read_back_finds_what_the_built_one_finds() -> None:
    built = build_nlp(default_rules())
    nlp, categories, phrases = _loads(_dumps(built))
    assert (categories, phrases) == built[1:]
    assert nlp.pipe_names == built[0].pipe_names
    ex = default_extractor()
    again = copy.copy(ex)
    again.nlp = nlp
    paths = sorted((SHARED / "corpus" / "dwc-cases").glob("*/records/*.txt"))[:8]
    records = [read_record(p, p.name) for p in [*paths, *sorted(GOLD.glob("*.txt"))[:8]]]
    assert len(records) > 8
    for record in records:
        assert again.extract(record) == ex.extract(record), record.path


def test_the_case_sensitive_words_on_their_own_phrase_matcher_give_the_token_rules_spans() -> None:
    """The case-sensitive words ("PT", "ESI") run on a phrase matcher of exact text ahead of
    the target matcher: the same spans, labels, order and ConText as one-token patterns on
    the target matcher's token matcher."""
    fast, *_ = build_nlp(default_rules())
    slow, *_ = build_nlp(default_rules(), exact_phrases=False)
    assert "openimr_exact_targets" in fast.pipe_names
    assert "openimr_exact_targets" not in slow.pipe_names
    paths = sorted((SHARED / "corpus" / "dwc-cases").glob("*/records/*.txt"))[:20]
    texts = [p.read_text() for p in [*paths, *sorted(GOLD.glob("*.txt"))[:20]]]
    texts += [t.upper() for t in texts[:10]]
    texts.append(
        "She had PT and OT, then an ESI (no relief); ROM limited, HEP daily. Pt denies MI, "
        "CHF or HTN. TKA, TKR and THA discussed; RFA after MBB; PRP; CBT and FRP. MMI not yet. "
        "pt, Pt and esi in lower case."
    )
    exact_labels = fast.get_pipe("openimr_exact_targets").labels
    exact = 0
    for text in texts:
        got = [_spans(nlp(text)) for nlp in (fast, slow)]
        assert got[0] == got[1]
        exact += sum(1 for label, *_ in got[0] if label in exact_labels)
    assert exact > 15


def _spans(doc: object) -> list[tuple[str, int, int, tuple[tuple[str, tuple[int, int]], ...]]]:
    return [
        (
            e.label_,
            e.start,
            e.end,
            tuple((m.category, m.modifier_span) for m in e._.modifiers),
        )
        for e in doc.spans.get("medspacy_spans", ())  # type: ignore[attr-defined]
    ]


def test_the_pipeline_entry_is_written_once_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(diskcache.ENV, str(tmp_path))
    default_pipeline.cache_clear()
    try:
        first = default_pipeline(-1)
        [entry] = tmp_path.glob("nlp-pipeline-*.pickle")
        default_pipeline.cache_clear()
        second = default_pipeline(-1)
        assert second[0] is not first[0]
        assert second[1:] == first[1:]
        assert len(list(tmp_path.glob("nlp-pipeline-*.pickle"))) == 1
        assert entry.stat().st_size > 0
    finally:
        default_pipeline.cache_clear()


def test_an_entry_with_a_codec_is_read_by_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(diskcache.ENV, str(tmp_path))
    codec = (lambda v: v.encode(), lambda b: b.decode() + "!")
    assert diskcache.cached("text", lambda: "built", "k", codec) == "built"
    assert (tmp_path / "text-k.pickle").read_bytes() == b"built"
    assert diskcache.cached("text", lambda: pytest.fail("rebuilt"), "k", codec) == "built!"


def test_the_cached_rule_tables_are_those_of_the_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openimr.extract.extractor import Extractor, rule_tables

    monkeypatch.setenv(diskcache.ENV, str(tmp_path))
    ex = Extractor()  # the shipped rules: tables written to the cache
    [entry] = tmp_path.glob("extractor-tables-*.pickle")
    again = Extractor()  # ... and read back
    built = rule_tables(default_rules(), ex.nlp.get_pipe("medspacy_context").DEFAULT_RULES_FILEPATH)
    for tables in (ex, again):
        assert tables._needs == built.needs
        assert tables._keyword_hits == built.keyword_hits
        assert tables._keyword_free == built.keyword_free
        assert tables._negation_cues == built.negation_cues
        assert tables._keyword_scan is not None
        assert tables._keyword_scan.pattern == built.keyword_scan
    assert entry.stat().st_size > 0


def test_a_context_rule_no_token_can_match_is_left_out() -> None:
    """medspaCy's default "risks of" rule asks for one token "risks of", which the tokenizer
    never makes (it cuts at whitespace): it is left out of the pipeline, and nothing else."""
    from openimr.extract.nlp_pipeline import _no_token_is

    assert _no_token_is({"LOWER": {"IN": ["risks of", "risk of"]}})
    assert _no_token_is({"LOWER": "risk of"})
    assert not _no_token_is({"LOWER": {"IN": ["risks of", "risk"]}})
    assert not _no_token_is({"LOWER": {"IN": ["risks of"]}, "OP": "?"})
    assert not _no_token_is({"LOWER": "\n"})
    assert not _no_token_is({"TEXT": "risk of"})
    nlp, *_ = build_nlp(default_rules())
    context = nlp.get_pipe("medspacy_context")
    written = context_rules(context.DEFAULT_RULES_FILEPATH, default_rules().context_rules)

    def dead(rules: list[Any]) -> list[str]:
        return [
            r.literal
            for r in rules
            if isinstance(r.pattern, list) and any(map(_no_token_is, r.pattern))
        ]

    assert dead(written) == ["risks of"]
    assert dead(context.rules) == []
    assert len(context.rules) > 1000
    for token in ("risks of", "risk of"):
        assert all(" " not in t.text for t in nlp.tokenizer(f"the {token} surgery"))


def test_a_mention_without_modifiers_has_no_context_attribute() -> None:
    """ConText sets a mention's attributes only from the modifiers it links to it: a mention
    without modifiers reads as plainly stated without reading them (``mention_context``)."""
    nlp, *_ = build_nlp(default_rules())
    paths = sorted((SHARED / "corpus" / "dwc-cases").glob("*/records/*.txt"))[:20]
    plain = modified = 0
    for path in [*paths, *sorted(GOLD.glob("*.txt"))[:20]]:
        doc = nlp(path.read_text())
        for ent in doc.spans.get("medspacy_spans", ()):
            attrs = [getattr(ent._, a) for a in ("is_negated", "is_historical", "is_hypothetical")]
            attrs += [ent._.is_family, ent._.is_uncertain]
            if ent._.modifiers:
                modified += 1
            else:
                plain += 1
                assert not any(attrs)
    assert plain > 100 and modified > 10
