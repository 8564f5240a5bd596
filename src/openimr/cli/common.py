"""What the command groups share: the one-line error, date and abstention options.

Errors a user can cause are printed as one line (``openimr: error: ...``), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``openimr: error: MESSAGE`` on stderr; the exit to raise (status ``code``)."""
    typer.echo(f"openimr: error: {message}", err=True)
    return typer.Exit(code)


PACKAGES_OF_EXTRA: dict[str, str] = {
    # pyproject's extras, and the import names of their packages a command may need
    "pdf": "weasyprint",
    "stats": "matplotlib",
    "service": "fastapi starlette sqlalchemy alembic uvicorn multipart httpx pydantic_settings"
    " holidays",
    "postgres": "psycopg",
    "distributed": "dask distributed",
}
EXTRA_OF_PACKAGE = {
    name: extra for extra, names in PACKAGES_OF_EXTRA.items() for name in names.split()
}


def missing_extra(exc: ImportError) -> str | None:
    """The extra whose package could not be imported (None: not an extra's package)."""
    return EXTRA_OF_PACKAGE.get((exc.name or "").split(".")[0])


def extra_message(what: str, extra: str) -> str:
    """``letter.pdf needs the [pdf] extra: pip install 'openimr[pdf]'``."""
    return f"{what} needs the [{extra}] extra: pip install 'openimr[{extra}]'"


@contextmanager
def needs_extra(what: str) -> Iterator[None]:
    """Turn a missing extra's ImportError into one line naming the extra (exit status 2)."""
    try:
        yield
    except ImportError as exc:
        extra = missing_extra(exc)
        if extra is None:
            raise
        raise fail(extra_message(what, extra)) from None


def date_option(name: str, value: str | None) -> dt.date | None:
    """An optional YYYY-MM-DD option as a date; a bad one fails naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"{name}: must be a date as YYYY-MM-DD, got {value!r}") from None


def progress_line(done: int, total: int, path: Path) -> None:
    """One progress line on stderr for batches, when stderr is a terminal (never in pipes)."""
    if total > 1 and sys.stderr.isatty():
        typer.echo(f"openimr: [{done}/{total}] {path}", err=True)


AbstainBelow = Annotated[
    float | None,
    typer.Option(
        "--abstain-below",
        help="Send items whose confidence is below this to a person (default: the "
        "library's threshold; 0 decides every item).",
    ),
]
"""The --abstain-below option of `review`, `cluster-review` and `evaluate`."""


def abstain(value: float | None) -> dict[str, Any]:
    """The review_case keyword for an --abstain-below option (none: the default)."""
    if value is None:
        return {}
    if not 0.0 <= value <= 1.0:
        raise fail(f"--abstain-below must be between 0 and 1, got {value}")
    return {"abstain_below": value}
