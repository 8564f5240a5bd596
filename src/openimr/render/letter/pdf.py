"""The letter as PDF: its HTML printed by WeasyPrint."""

from __future__ import annotations

import logging

from openimr.model import Case, CaseReview
from openimr.render.letter.render import render_letter
from openimr.render.options import LetterOptions


def render_pdf(review: CaseReview, case: Case, options: LetterOptions | None = None) -> bytes:
    """The HTML letter printed to PDF by WeasyPrint (US Letter, running header, page X of Y)."""
    from weasyprint import HTML

    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    html = render_letter(review, case, "html", options)
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
