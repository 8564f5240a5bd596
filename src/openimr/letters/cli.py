"""``openimr letters ...``: read published IMR letters."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Read real IMR letters: parse, turn into cases, analyse.", no_args_is_help=True
)
