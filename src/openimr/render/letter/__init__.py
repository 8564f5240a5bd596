"""The Final Determination Letter as text, HTML and PDF, from replaceable Jinja2 templates.

The letter follows the published 2016-2017 DWC letters (header block, "HOW THE IMR FINAL
DETERMINATION WAS MADE", "CLINICAL CASE SUMMARY", "IMR ISSUES, DECISIONS AND RATIONALES")
and adds what LC 4610.6 and 8 CCR 9792.10.6 ask for and those letters lacked: every
document reviewed, listed one by one, the evidence behind each criterion (HTML and PDF), and
the binding effect and appeal rights.

Templates live in ``openimr/render/templates`` (``letter.txt.j2``, ``letter.html.j2``,
``letter.css``). A user replaces any of them by putting a file of the same name in
``LetterOptions.templates_dir`` or in the directory named by ``OPENIMR_TEMPLATES`` (searched
in that order, then the built-in ones). Templates receive ``letter`` (a :class:`LetterView`:
everything already worded and formatted), and also ``review``, ``case`` and ``options``.

The package: :mod:`~openimr.render.letter.prose` (the fixed wording),
:mod:`~openimr.render.letter.view` (the :class:`LetterView` built from a review),
:mod:`~openimr.render.letter.templates` (template lookup and filters),
:mod:`~openimr.render.letter.render` (text and HTML), :mod:`~openimr.render.letter.pdf`
(PDF) and :mod:`~openimr.render.letter.write` (to a file).
"""

from openimr.render.letter.pdf import render_pdf
from openimr.render.letter.render import render_letter
from openimr.render.letter.templates import TEXT_WIDTH
from openimr.render.letter.view import LetterView, build_view
from openimr.render.letter.write import write_letter
from openimr.render.options import LetterOptions, ReviewerCredentials

__all__ = [
    "TEXT_WIDTH",
    "LetterOptions",
    "LetterView",
    "ReviewerCredentials",
    "build_view",
    "render_letter",
    "render_pdf",
    "write_letter",
]
