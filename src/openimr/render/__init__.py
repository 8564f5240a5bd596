"""Render reviews: JSON (the output contract), letter text, HTML and PDF."""

from openimr.render.jsonout import review_to_json

__all__ = ["review_to_json"]
