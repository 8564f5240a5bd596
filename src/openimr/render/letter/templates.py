"""The letter's Jinja2 templates: where they are looked up (a user's directory first, then
the built-in ones), the environment with the text letter's filters, and rendering one with
template errors reported as :class:`OpenIMRError` naming the file and line."""

from __future__ import annotations

import os
import textwrap
from functools import lru_cache
from pathlib import Path

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    select_autoescape,
)
from markupsafe import Markup

from openimr.errors import OpenIMRError
from openimr.render.letter.view import HeaderField
from openimr.render.options import LetterOptions

TEXT_WIDTH = 95
"""Columns of the text letter (the published letters' line length)."""


def wrap(
    text: str, width: int = TEXT_WIDTH, indent: str = "", subsequent: str | None = None
) -> str:
    """One paragraph filled to ``width`` columns (whitespace collapsed; words never split)."""
    return textwrap.fill(
        " ".join(str(text).split()),
        width=width,
        initial_indent=indent,
        subsequent_indent=indent if subsequent is None else subsequent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def heading(text: str, width: int = TEXT_WIDTH) -> str:
    """A heading centred in the text letter, as the published letters set them."""
    return str(text).center(width).rstrip()


def header_line(row: tuple[HeaderField, ...]) -> str:
    """One line of the text header block: ``Label:`` in 22 columns, values at 22 and 76."""
    cells = []
    for i, field in enumerate(row):
        cell = f"{field.label + ':':<22}{field.value}"
        cells.append(f"{cell:<54}" if i < len(row) - 1 else cell)
    return "".join(cells).rstrip()


def search_path(options: LetterOptions) -> tuple[str, ...]:
    dirs: list[str] = []
    if options.templates_dir is not None:
        if not options.templates_dir.is_dir():
            raise OpenIMRError(
                "templates directory does not exist", file=str(options.templates_dir)
            )
        dirs.append(str(options.templates_dir))
    custom = os.environ.get("OPENIMR_TEMPLATES")
    if custom:
        if not Path(custom).is_dir():
            raise OpenIMRError(
                "templates directory does not exist (set by OPENIMR_TEMPLATES)", file=custom
            )
        dirs.append(custom)
    return tuple(dirs)


@lru_cache(maxsize=8)
def environment(search: tuple[str, ...]) -> Environment:
    loaders: list[FileSystemLoader | PackageLoader] = [FileSystemLoader(d) for d in search]
    loaders.append(PackageLoader("openimr.render", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "html.j2", "htm.j2"), default_for_string=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["wrap"] = wrap
    env.filters["heading"] = heading
    env.filters["header_line"] = header_line
    env.globals["TEXT_WIDTH"] = TEXT_WIDTH
    return env


def stylesheet(env: Environment) -> Markup:
    loader = env.loader
    assert loader is not None
    try:
        source, _, _ = loader.get_source(env, "letter.css")
    except TemplateNotFound:  # pragma: no cover - the package ships one
        return Markup("")
    # The stylesheet is the template author's own file, inserted verbatim into <style>.
    return Markup(source)


def render_template(name: str, env: Environment, context: dict[str, object]) -> str:
    try:
        return env.get_template(name).render(**context)
    except TemplateSyntaxError as exc:
        raise OpenIMRError(
            f"template error: {exc.message}", file=exc.filename or name, line=exc.lineno
        ) from None
    except TemplateNotFound as exc:
        raise OpenIMRError(f"template not found: {exc.name}") from None
    except TemplateError as exc:
        raise OpenIMRError(f"template error: {exc.message}", file=name) from None
