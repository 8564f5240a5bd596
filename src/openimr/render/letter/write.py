"""A letter written to a file, its format chosen by the file's extension."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from openimr.errors import OpenIMRError
from openimr.model import Case, CaseReview
from openimr.render.letter.pdf import render_pdf
from openimr.render.letter.render import render_letter
from openimr.render.options import LetterOptions


def write_letter(
    review: CaseReview, case: Case, path: Path, options: LetterOptions | None = None
) -> None:
    """Write the letter to ``path`` by its extension, atomically (no half-written file)."""
    suffix = path.suffix.lower()
    directory = path.parent if str(path.parent) else Path(".")
    if suffix not in (".pdf", ".html", ".htm", ".txt"):
        raise OpenIMRError(
            f"unknown letter type {suffix or '(none)'!r}; use .pdf, .html or .txt",
            file=str(path),
        )
    if not directory.is_dir():
        raise OpenIMRError("directory does not exist", file=str(directory))
    if suffix == ".pdf":
        data = render_pdf(review, case, options)
    elif suffix in (".html", ".htm"):
        data = render_letter(review, case, "html", options).encode("utf-8")
    else:
        data = render_letter(review, case, "text", options).encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
