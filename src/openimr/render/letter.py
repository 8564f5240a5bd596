"""The Final Determination Letter as text, HTML and PDF, from replaceable Jinja2 templates.

Templates live in ``openimr/render/templates``; a user can point ``OPENIMR_TEMPLATES`` at a
directory holding replacements (``letter.txt.j2``, ``letter.html.j2``, ``letter.css``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape

from openimr.errors import OpenIMRError
from openimr.model import Case, CaseReview


def _environment() -> Environment:
    loaders: list[FileSystemLoader | PackageLoader] = []
    custom = os.environ.get("OPENIMR_TEMPLATES")
    if custom:
        loaders.append(FileSystemLoader(custom))
    loaders.append(PackageLoader("openimr.render", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def _context(review: CaseReview, case: Case) -> dict[str, object]:
    return {"review": review, "case": case}


def render_letter(review: CaseReview, case: Case, fmt: str = "text") -> str:
    env = _environment()
    if fmt == "text":
        return env.get_template("letter.txt.j2").render(**_context(review, case))
    if fmt == "html":
        return env.get_template("letter.html.j2").render(**_context(review, case))
    raise OpenIMRError(f"unknown letter format {fmt!r}")


def render_pdf(review: CaseReview, case: Case) -> bytes:
    import logging

    from weasyprint import HTML

    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    html = render_letter(review, case, "html")
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def write_letter(review: CaseReview, case: Case, path: Path) -> None:
    """Write the letter to ``path`` by its extension, atomically (no half-written file)."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        data = render_pdf(review, case)
    elif suffix in (".html", ".htm"):
        data = render_letter(review, case, "html").encode("utf-8")
    elif suffix == ".txt":
        data = render_letter(review, case, "text").encode("utf-8")
    else:
        raise OpenIMRError(
            f"unknown letter type {suffix or '(none)'!r}; use .pdf, .html or .txt",
            file=str(path),
        )
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise OpenIMRError("directory does not exist", file=str(directory))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
