"""Reading the process data files (law, deadlines, eligibility) into pydantic models.

Every error names ``file:line`` (from :mod:`openimr.yamlio`) and the field, as the criteria
library's errors do.
"""

from __future__ import annotations

from importlib import resources
from typing import TypeVar

from pydantic import BaseModel

from openimr.errors import LibraryError
from openimr.yamlio import LoadedYaml, PathKey, YamlError, load_yaml_text, validated

M = TypeVar("M", bound=BaseModel)


def parse_model(
    text: str, file: str, model: type[M], error: type[LibraryError]
) -> tuple[M, LoadedYaml]:
    """``text`` validated as ``model``, with the loaded YAML (for the lines of later checks)."""
    try:
        loaded = load_yaml_text(text, file)
    except YamlError as exc:
        raise error(exc.message, file=file, line=exc.line) from None
    return validated(loaded, model, error), loaded


def refuse(
    error: type[LibraryError], message: str, loaded: LoadedYaml, path: PathKey
) -> LibraryError:
    """The error for a check made after validation, naming the line of ``path``."""
    return error(
        message,
        file=loaded.file,
        line=loaded.line_of(path),
        field=".".join(str(p) for p in path) or None,
    )


def shipped_text(resource: str) -> tuple[str, str]:
    """The text of a data file shipped in ``openimr.library`` and the name errors give it."""
    res = resources.files("openimr.library").joinpath(resource)
    return res.read_text(encoding="utf-8"), f"openimr/library/{resource}"
