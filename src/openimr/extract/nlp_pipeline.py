"""The spaCy/medspaCy pipeline: a blank English tokenizer, the sentence-start component,
medspaCy's TargetMatcher on the concept phrases of ``extraction/*.yaml`` and its ConText on
medspaCy's default rules with the project's (``extraction/context.yaml``)."""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from openimr.extract.patterns import ContextRuleSpec, ExtractionRules, default_rules
from openimr.extract.sentences import sentence_starts

Built = tuple[Any, dict[str, list[int]], dict[str, str]]
"""The pipeline, each phrase label's concepts and each label's phrase."""


def _sentences(doc: Any) -> Any:
    """The ``openimr_sentences`` component: a token starts a sentence when its offset is a
    sentence start (``doc.user_data["openimr_starts"]``, else :func:`sentence_starts`)."""
    import numpy
    from spacy.attrs import IDX, SENT_START

    starts = doc.user_data.get("openimr_starts") or sentence_starts(doc.text)
    if len(doc) == 0:
        return doc
    # vectorized: one assignment per token in Python is the slowest part of the pipeline
    # (token offsets increase: each start's token is found by binary search)
    idx = doc.to_array([IDX]).astype(numpy.int64)
    wanted = numpy.asarray(starts, dtype=numpy.int64)
    at = numpy.searchsorted(idx, wanted)
    hit = at < len(idx)
    hit[hit] = idx[at[hit]] == wanted[hit]
    flags = numpy.full(len(idx), -1, dtype=numpy.int64)
    flags[at[hit]] = 1
    flags[0] = 1
    doc.from_array([SENT_START], flags.astype(numpy.uint64))
    return doc


def build_nlp(rules: ExtractionRules, exact_phrases: bool = True) -> Built:
    """The pipeline for ``rules``, with each phrase label's concepts and its phrase (the
    case-sensitive words on a phrase matcher of their own unless not ``exact_phrases``: the
    same spans, in the same order; for the tests)."""
    from openimr.nlp import blank_english, import_medspacy

    import_medspacy()
    from medspacy.context import ConText  # noqa: F401  (registers the factory)
    from medspacy.ner import TargetMatcher, TargetRule  # noqa: F401
    from spacy.language import Language

    if not Language.has_factory("openimr_sentences"):
        Language.component("openimr_sentences", func=_sentences)

    nlp = blank_english()
    nlp.add_pipe("openimr_sentences")
    phrase_to_concepts: dict[str, list[int]] = {}
    for idx, concept in enumerate(rules.concepts):
        for phrase in concept.phrases:
            key = phrase if case_sensitive(phrase) else phrase.lower()
            phrase_to_concepts.setdefault(key, []).append(idx)
    # all matches, overlapping ones too (in a span group): "returned to full duty" is both a
    # return to work and a work status; overlaps within one fact are resolved later
    config = {"result_type": "group", "prune": False}
    exact = [(n, p) for n, p in enumerate(phrase_to_concepts) if case_sensitive(p)]
    on_exact = (
        exact_phrases
        and bool(exact)
        and all([t.text for t in nlp.tokenizer(p)] == [p] for _, p in exact)
    )
    if on_exact:
        # the case-sensitive words, each one token, on a phrase matcher of the exact text,
        # ahead of the others: the spans, in the order, that one-token patterns on the token
        # matcher give (which the matcher's token patterns come before its phrases), in a
        # fraction of the token matcher's time
        exact_matcher: Any = nlp.add_pipe(
            "medspacy_target_matcher",
            name="openimr_exact_targets",
            config={**config, "phrase_matcher_attr": "ORTH"},
        )
        exact_matcher.add([TargetRule(literal=p, category=f"P{n}") for n, p in exact])
    matcher: Any = nlp.add_pipe("medspacy_target_matcher", config=config)
    target_rules = [
        TargetRule(literal=phrase, category=f"P{n}", pattern=[{"TEXT": phrase}])
        if case_sensitive(phrase)
        else TargetRule(literal=phrase, category=f"P{n}")
        for n, phrase in enumerate(phrase_to_concepts)
        if not (on_exact and case_sensitive(phrase))
    ]
    matcher.add(target_rules)
    context: Any = nlp.add_pipe(
        "medspacy_context", config={"input_span_type": "group", "rules": None}
    )
    context.add(
        _as_phrases(context_rules(context.DEFAULT_RULES_FILEPATH, rules.context_rules), nlp)
    )
    return (
        nlp,
        {f"P{n}": concepts for n, concepts in enumerate(phrase_to_concepts.values())},
        {f"P{n}": phrase for n, phrase in enumerate(phrase_to_concepts)},
    )


def context_rules(default_path: str, added: Sequence[ContextRuleSpec] = ()) -> list[Any]:
    """medspaCy's default ConText rules and the rules of ``extraction/context.yaml`` (data):
    more negations, modifiers for mentions that are not findings (consent risks,
    instructions, questions, plans), and clause boundaries that end a modifier's reach ("no
    improvement with therapy, and she was seen by a chiropractor" does not deny the
    chiropractor). A data rule with a default rule's literal replaces it (": no" both ways)."""
    from openimr.nlp import import_medspacy

    import_medspacy()
    from medspacy.context import ConTextRule

    defaults = ConTextRule.from_json(default_path)
    default_patterns = {r.literal: r.pattern for r in defaults}
    ours = [
        ConTextRule(
            r.literal,
            r.category,
            direction=r.direction,
            pattern=default_patterns.get(r.literal)
            if r.pattern is None
            else [dict(t) for t in r.pattern],
            max_scope=r.max_scope,
        )
        for r in added
    ]
    replaced = {r.literal for r in added}
    return [*(r for r in defaults if r.literal not in replaced), *ours]


MAX_PHRASES_PER_RULE = 400


def _token_choices(token: dict[str, Any]) -> tuple[list[str], bool] | None:
    """The lower-case words a token pattern accepts and whether it may be left out, when it
    is a plain choice of words (``{"LOWER": {"IN": [...]}, "OP": "?"}``); else None."""
    op = token.get("OP")
    if op not in (None, "?") or not set(token) - {"OP"}:
        return None
    keys = set(token) - {"OP"}
    if keys == {"LOWER"}:
        value = token["LOWER"]
        words = value.get("IN") if isinstance(value, dict) and set(value) == {"IN"} else value
        words = [words] if isinstance(words, str) else words
    elif keys == {"TEXT"} and isinstance(token["TEXT"], str):
        words = [token["TEXT"]]  # only when case cannot matter (",")
        if any(c.isalpha() for c in words[0]):
            return None
    else:
        return None
    if not isinstance(words, list) or not all(
        isinstance(w, str) and w == w.lower() and w and " " not in w for w in words
    ):
        return None
    return list(dict.fromkeys(words)), op == "?"


def _expand(pattern: list[dict[str, Any]]) -> list[tuple[str, ...]] | None:
    """Every word sequence a token pattern of plain word choices matches, or None."""
    seqs: list[tuple[str, ...]] = [()]
    for token in pattern:
        choice = _token_choices(token)
        if choice is None:
            return None
        words, optional = choice
        seqs = [*((*s, w) for s in seqs for w in words), *(seqs if optional else [])]
        if len(seqs) > MAX_PHRASES_PER_RULE:
            return None
    return [s for s in seqs if s]


def _no_token_is(token: dict[str, Any]) -> bool:
    """Whether a token pattern's token, needed once, is one of words that each hold
    whitespace and other characters ("risk of" as one token, in medspaCy's default rules):
    no token is (the tokenizer cuts text at whitespace: a token is whitespace or holds
    none)."""
    if token.get("OP") is not None or set(token) != {"LOWER"}:
        return False
    value = token["LOWER"]
    words = value.get("IN") if isinstance(value, dict) and set(value) == {"IN"} else value
    words = [words] if isinstance(words, str) else words
    return (
        isinstance(words, list)
        and bool(words)
        and all(
            isinstance(w, str) and any(c.isspace() for c in w) and not all(c.isspace() for c in w)
            for w in words
        )
    )


def _as_phrases(rules: list[Any], nlp: Any) -> list[Any]:
    """ConText rules whose token pattern is a plain choice of words, each as the phrase
    rules of its word sequences (spaCy's phrase matcher finds them in a fraction of the
    token matcher's time; the matches are the same: a sequence is kept only when the
    tokenizer reads its text as exactly those words). A rule that matches no text is left out
    (:func:`_no_token_is`); other rules are kept as they are."""
    from openimr.nlp import import_medspacy

    import_medspacy()
    from medspacy.context import ConTextRule

    out: list[Any] = []
    for rule in rules:
        if isinstance(rule.pattern, list) and any(map(_no_token_is, rule.pattern)):
            continue  # a rule no text matches (a cost on every token all the same)
        seqs = _expand(rule.pattern) if isinstance(rule.pattern, list) else None
        if seqs is None or not all(
            [t.text for t in nlp.tokenizer(" ".join(seq))] == list(seq) for seq in seqs
        ):
            out.append(rule)
            continue
        out.extend(
            ConTextRule(
                " ".join(seq),
                rule.category,
                direction=rule.direction,
                max_scope=rule.max_scope,
                allowed_types=rule.allowed_types,
                excluded_types=rule.excluded_types,
                max_targets=rule.max_targets,
                terminated_by=rule.terminated_by,
                on_match=rule.on_match,
                on_modifies=rule.on_modifies,
                metadata=rule.metadata,
            )
            for seq in seqs
        )
    return out


def case_sensitive(word: str) -> bool:
    """Short abbreviations in capitals ("PT", "OT", "ESI") match only in capitals ("Pt"
    is the patient)."""
    return 2 <= len(word) <= 3 and word.isalpha() and word.isupper()


def nlp_key() -> str:
    """The start-up cache key of what is built on spaCy and medspaCy: the package's, and
    their versions."""
    from openimr.diskcache import package_key
    from openimr.nlp import import_medspacy

    import_medspacy()
    from medspacy import __version__ as medspacy_version
    from spacy.about import __version__ as spacy_version

    key = f"{package_key()}|{spacy_version}|{medspacy_version}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


@lru_cache(maxsize=2)
def default_pipeline(rules_id: int) -> Built:
    """The pipeline of the shipped rules (built once per process; read from the start-up
    cache when it is current: ``diskcache``, keyed also by spaCy's and medspaCy's versions)."""
    from openimr.diskcache import cached

    built = cached("nlp-pipeline", lambda: build_nlp(default_rules()), nlp_key(), (_dumps, _loads))
    from openimr.nlp import adopt

    adopt(built[0])  # the sectionizer tokenizes on the same vocabulary and tokenizer
    return built


def _dumps(built: Built) -> bytes:
    """The built pipeline as bytes: its vocabulary and tokenizer, then its components (which
    refer to the pipeline itself: written as a reference, restored by :func:`_loads`)."""
    nlp, categories, phrases = built

    class _Pickler(pickle.Pickler):
        def persistent_id(self, obj: Any) -> str | None:
            return "nlp" if obj is nlp else None

    buf = io.BytesIO()
    pickler = _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dump((nlp.vocab, nlp.tokenizer, nlp.max_length))
    pickler.dump((list(nlp.pipeline), categories, phrases))
    return buf.getvalue()


def _loads(data: bytes) -> Built:
    """The pipeline :func:`_dumps` wrote: a blank English pipeline on the stored vocabulary
    and tokenizer, with the stored components (already built: spaCy adds a component only
    by its factory, so they are set in place) and the attributes their factories register."""
    from spacy.lang.en import English

    made: list[Any] = []

    class _Unpickler(pickle.Unpickler):
        def persistent_load(self, pid: Any) -> Any:
            return made[0]

    unpickler = _Unpickler(io.BytesIO(data))
    vocab, tokenizer, max_length = unpickler.load()
    nlp = English(vocab=vocab, create_tokenizer=lambda _nlp: tokenizer)
    nlp.max_length = max_length
    made.append(nlp)
    pipeline, categories, phrases = unpickler.load()
    for _, proc in pipeline:
        for register in ("register_graph_attributes", "register_default_attributes"):
            if hasattr(proc, register):
                getattr(proc, register)()
    nlp._components.extend(pipeline)
    return nlp, categories, phrases
