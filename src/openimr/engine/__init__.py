"""Facts + criteria -> per-criterion status -> decision. Pure: no clock, no I/O.

The whole review of a case (extraction, engine, rationales) is :func:`openimr.pipeline.review_case`.
"""
