"""One blank English tokenizer for every spaCy pipeline openimr builds.

Building spaCy's English tokenizer (its 2,700 special cases) is a large part of start-up;
the extraction pipeline and the sectionizer tokenize the same way, so they share one vocabulary
and one tokenizer instead of building two. A pipeline read from the start-up cache brings its
own: :func:`adopt` makes it the shared one when none is built yet.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any

_shared: list[Any] = []


HTML_ENTITY = r"&(?:[A-Za-z]{2,8}|#\d{2,5});"
"""An HTML character reference left in a record's text ("Klonopin&reg;", "90&deg;"): a token of
its own, so the word or number it is glued to is matched as written elsewhere."""


def import_medspacy() -> None:
    """Import medspaCy, with NLTK deferred: medspaCy imports QuickUMLS, whose module imports
    NLTK (about 0.15 s) for a matcher openimr never builds. When NLTK is not imported yet, it is
    entered in ``sys.modules`` as the standard library's lazy module
    (:class:`importlib.util.LazyLoader`), which runs NLTK's own import the first time
    anything reads from it. Every import of medspaCy in openimr comes after this."""
    if "medspacy" in sys.modules:
        return
    if "nltk" not in sys.modules:
        _defer("nltk")
    import medspacy  # noqa: F401


class _SpecReadable(types.ModuleType):
    """A lazy module whose ``__spec__`` can be read without loading it. Before Python 3.14
    (cpython#127036) an ``import`` statement of a module already in ``sys.modules`` reads its
    ``__spec__``, which loads a lazy module at once: QuickUMLS's ``import nltk`` would. Any
    other attribute hands the module back to :class:`importlib.util.LazyLoader`'s own lazy
    class, which loads it."""

    _lazy_class: type[types.ModuleType]

    def __getattribute__(self, attr: str) -> Any:
        if attr == "__spec__":
            return object.__getattribute__(self, attr)
        object.__setattr__(self, "__class__", _SpecReadable._lazy_class)
        return getattr(self, attr)


def _defer(name: str) -> None:
    """Module ``name`` imported lazily (the recipe of the ``importlib`` documentation)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    _SpecReadable._lazy_class = type(module)
    object.__setattr__(module, "__class__", _SpecReadable)


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
