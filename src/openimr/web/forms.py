"""The screening facts intake gives on the pages: the kind of each field of
:class:`ApplicationFactsIn` (for the form's inputs) and the facts read back from a form."""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

from pydantic import ValidationError

from openimr.errors import InputError
from openimr.service.schemas import ApplicationFactsIn


# the screening facts intake can give on the page: every field of ApplicationFactsIn
def _fact_kind(name: str) -> str:
    annotation = ApplicationFactsIn.model_fields[name].annotation
    args = set(get_args(annotation)) or {annotation}
    if bool in args:
        return "bool"
    if dt.date in args:
        return "date"
    for arg in args:
        choices = get_args(arg)
        if choices and all(isinstance(c, str) for c in choices):
            return "choice:" + "|".join(choices)
    return "text"


FACT_KINDS = {name: _fact_kind(name) for name in ApplicationFactsIn.model_fields}


def facts_from_form(form: Any) -> ApplicationFactsIn | None:
    raw: dict[str, Any] = {}
    for name, kind in FACT_KINDS.items():
        value = form.get(f"fact-{name}")
        if value is None or str(value).strip() == "":
            continue
        value = str(value).strip()
        if kind == "bool":
            raw[name] = value == "yes"
        elif name == "manufacturers":
            raw[name] = [v.strip() for v in value.split(",") if v.strip()]
        else:
            raw[name] = value
    if not raw:
        return None
    try:
        return ApplicationFactsIn.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{where}: {first['msg']}", field=f"facts.{where}") from None
