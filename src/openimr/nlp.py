"""One blank English tokenizer for every spaCy pipeline openimr builds.

Building spaCy's English tokenizer (its 2,700 special cases) is a large part of start-up;
the extraction pipeline and the sectionizer tokenize the same way, so they share one vocabulary
and one tokenizer instead of building two. A pipeline read from the start-up cache brings its
own: :func:`adopt` makes it the shared one when none is built yet.
"""

from __future__ import annotations

from typing import Any

_shared: list[Any] = []


def _base() -> Any:
    if not _shared:
        import spacy

        _shared.append(spacy.blank("en"))
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
