"""Render reviews: JSON (the output contract), letter text, HTML and PDF."""

from openimr.render.jsonout import review_to_json
from openimr.render.options import LetterOptions, ReviewerCredentials

__all__ = ["LetterOptions", "ReviewerCredentials", "review_to_json"]
