"""``openimr library ...``: check and list the guideline library."""

from __future__ import annotations

import typer

app = typer.Typer(help="The guideline library: check, list.", no_args_is_help=True)
