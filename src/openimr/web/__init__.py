"""The workbench: server-rendered pages (Jinja2, plain forms, one small script) under ``/ui``.

Sign-in stores the API key in an HttpOnly, SameSite=Strict cookie; every page and form goes
through the same service layer (and the same audit trail) as the API. Pages by role:

- reviewers: the case page with the records beside the criteria (evidence spans marked and
  linked), the override composer with its rationale preview, the letter preview, sign;
- intake: submit an application with its records, screen (eligibility reasons and the facts
  still missing), mark records received, attach records, issue the letter, deadlines;
- administrators: all of intake's, assign (the panel ranked with matches and conflicts), the
  reviewer panel and API keys.

The package: :mod:`~openimr.web.pages` (what every page shares), :mod:`~openimr.web.forms`
(the screening facts on a form), :mod:`~openimr.web.views` (records beside criteria), and one
router per group of pages: ``signin``, ``lists``, ``intake``, ``admin``, ``case_page``,
``actions``, ``review``, ``letter``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from openimr.web import actions, admin, case_page, intake, letter, lists, review, signin
from openimr.web.pages import COOKIE, error_page

ROUTERS = (signin, lists, intake, admin, case_page, actions, review, letter)
"""The page modules, in the order their routes are matched."""


def register(app: FastAPI) -> None:
    """Serve the pages under ``/ui`` (and their static files) from ``app``."""
    app.mount(
        "/ui/static", StaticFiles(directory=Path(__file__).parent / "static"), name="ui-static"
    )
    for module in ROUTERS:
        app.include_router(module.router)


__all__ = ["COOKIE", "error_page", "register"]
