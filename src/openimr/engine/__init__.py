"""Facts + criteria -> per-criterion status -> decision. Pure: no clock, no I/O."""

from openimr.engine.review import review_case

__all__ = ["review_case"]
