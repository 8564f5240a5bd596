"""The ``openimr`` command: one module per command group, each a thin shell over the library.

Exit status: 0 success; 1 one or more cases in a batch failed; 2 bad input or usage.
Errors a user can cause are printed as one clear line, never as a traceback.
"""

from __future__ import annotations

import sys

import typer

from openimr import __version__
from openimr.cli import batch, extract, letters, library, records, request, review, service
from openimr.cli.common import extra_message, missing_extra
from openimr.errors import OpenIMRError

app = typer.Typer(
    name="openimr",
    help="Open, auditable California workers' compensation Independent Medical Review.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


app.command()(review.review)
app.command("cluster-review")(batch.cluster_review)
app.command()(review.evaluate)
app.command()(extract.extract)
app.add_typer(library.app, name="library")
app.add_typer(letters.app, name="letters")
app.add_typer(request.app, name="request")
app.add_typer(records.app, name="records")
app.command("serve")(service.serve)
app.add_typer(service.app, name="cases")
app.add_typer(service.audit_app, name="audit")


def main() -> None:
    """The console script ``openimr``."""
    try:
        app()
    except OpenIMRError as exc:  # pragma: no cover - commands catch their own
        typer.echo(f"openimr: error: {exc}", err=True)
        sys.exit(2)
    except ImportError as exc:  # an optional package this command needs is not installed
        extra = missing_extra(exc)
        if extra is None:
            raise
        typer.echo(f"openimr: error: {extra_message(_command(sys.argv[1:]), extra)}", err=True)
        sys.exit(2)


def _command(args: list[str]) -> str:
    """The command a command line runs: ``openimr cases list``, ``openimr serve``."""
    groups = {group.name for group in app.registered_groups}
    words = [a for a in args if not a.startswith("-")][:2]
    return " ".join(["openimr", *words[: 2 if words and words[0] in groups else 1]])


__all__ = ["app", "main"]
