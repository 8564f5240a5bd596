"""One blank English tokenizer for every spaCy pipeline openimr builds.

Building spaCy's English tokenizer (its 2,700 special cases) is a large part of start-up;
the extraction pipeline and the sectionizer tokenize the same way, so they share one vocabulary
and one tokenizer instead of building two. A pipeline read from the start-up cache brings its
own: :func:`adopt` makes it the shared one when none is built yet.
"""

from __future__ import annotations

from typing import Any

_shared: list[Any] = []


HTML_ENTITY = r"&(?:[A-Za-z]{2,8}|#\d{2,5});"
"""An HTML character reference left in a record's text ("Klonopin&reg;", "90&deg;"): a token of
its own, so the word or number it is glued to is matched as written elsewhere."""


def _base() -> Any:
    if not _shared:
        import spacy
        from spacy.util import compile_infix_regex, compile_suffix_regex

        nlp: Any = spacy.blank("en")
        tokenizer: Any = nlp.tokenizer
        defaults: Any = nlp.Defaults
        suffixes = [*defaults.suffixes, HTML_ENTITY]
        infixes = [*defaults.infixes, HTML_ENTITY]
        tokenizer.suffix_search = compile_suffix_regex(suffixes).search
        tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
        _shared.append(nlp)
    return _shared[0]


def adopt(nlp: Any) -> None:
    """Share ``nlp``'s vocabulary and tokenizer (a blank English pipeline's) from now on,
    unless one is already shared."""
    if not _shared:
        _shared.append(nlp)


def blank_english() -> Any:
    """A new, empty English pipeline on the shared vocabulary and tokenizer."""
    base = _base()
    cls = type(base)
    tokenizer = base.tokenizer
    return cls(vocab=base.vocab, create_tokenizer=lambda _nlp: tokenizer)
