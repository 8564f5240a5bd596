"""The letter as plain text or a self-contained HTML page, from the letter templates."""

from __future__ import annotations

from openimr.errors import OpenIMRError
from openimr.model import Case, CaseReview
from openimr.render.letter.templates import environment, render_template, search_path, stylesheet
from openimr.render.letter.view import build_view
from openimr.render.options import LetterOptions


def render_letter(
    review: CaseReview,
    case: Case,
    fmt: str = "text",
    options: LetterOptions | None = None,
) -> str:
    """The letter as plain text (``fmt="text"``) or a self-contained HTML page (``"html"``)."""
    opts = options or LetterOptions()
    if fmt not in ("text", "html"):
        raise OpenIMRError(f"unknown letter format {fmt!r}; use 'text' or 'html'")
    env = environment(search_path(opts))
    context: dict[str, object] = {
        "letter": build_view(review, case, opts),
        "review": review,
        "case": case,
        "options": opts,
    }
    if fmt == "text":
        return render_template("letter.txt.j2", env, context)
    context["stylesheet"] = stylesheet(env)
    return render_template("letter.html.j2", env, context)
