"""The shipped library, as a review reads it: from the start-up cache when it is current
(``diskcache``). This module imports no loader: the pydantic shapes of the library's files
(:mod:`openimr.library.files`) are imported only when the library is built from its YAML."""

from __future__ import annotations

from functools import lru_cache

from openimr.library.schema import Library


@lru_cache(maxsize=4)
def default_library() -> Library:
    """The shipped library, from the start-up cache when it is current (``diskcache``)."""
    from openimr.diskcache import cached

    return cached("library", _load)


def _load() -> Library:
    from openimr.library.loader import load_library

    return load_library()
