"""One blank English tokenizer for every spaCy pipeline openimr builds.

Building spaCy's English tokenizer (its 2,700 special cases) is a large part of start-up;
the extraction pipeline and the sectionizer tokenize the same way, so they share one vocabulary
and one tokenizer instead of building two.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _base() -> Any:
    import spacy

    return spacy.blank("en")


def blank_english() -> Any:
    """A new, empty English pipeline on the shared vocabulary and tokenizer."""
    base = _base()
    cls = type(base)
    tokenizer = base.tokenizer
    return cls(vocab=base.vocab, create_tokenizer=lambda _nlp: tokenizer)
