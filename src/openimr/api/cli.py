"""``openimr serve`` and ``openimr cases ...``: the IMR workflow service."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="The IMR workflow service (cases, reviewers, deadlines).", no_args_is_help=True
)


def register(root: typer.Typer) -> None:
    """Add the service's commands to the root CLI (``serve`` and the ``cases`` group)."""
    root.add_typer(app, name="cases")
