"""Read a case directory (or its case.yaml) as ``docs/case-format.md`` describes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from openimr.errors import CaseFormatError, OpenIMRError
from openimr.model import Case
from openimr.records import SUPPORTED_SUFFIXES, read_record
from openimr.yamlio import LoadedYaml, load_yaml_file

KNOWN_TOP = {
    "case_id",
    "review_type",
    "application",
    "patient",
    "parties",
    "utilization_review",
    "records",
}


def resolve_case_path(path: str | Path) -> tuple[Path, Path]:
    """Return (case directory, case.yaml path) for a directory or a case.yaml path."""
    p = Path(path)
    if p.is_dir():
        yaml_path = p / "case.yaml"
        if not yaml_path.is_file():
            raise CaseFormatError("no case.yaml in the case directory", file=str(p))
        return p, yaml_path
    if p.is_file():
        return p.parent, p
    raise CaseFormatError("no such case directory or case.yaml", file=str(p))


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _validation_message(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    msg = str(err.get("msg", "is invalid"))
    return msg[0].lower() + msg[1:] if msg else "is invalid"


def _normalize(data: dict[str, Any], doc: LoadedYaml, warnings: list[str]) -> dict[str, Any]:
    """Keep unknown fields aside; check the rules pydantic cannot express."""
    name = doc.file
    out: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        if key in KNOWN_TOP:
            out[key] = value
        else:
            extra[str(key)] = value
    # unknown nested fields are kept and ignored too: drop them before strict validation
    for section, allowed in (
        ("application", {"received", "signed"}),
        ("patient", {"age", "date_of_birth", "sex", "date_of_injury"}),
        ("parties", {"employer", "claims_administrator", "providers"}),
    ):
        value = out.get(section)
        if isinstance(value, dict):
            out[section] = {k: v for k, v in value.items() if k in allowed}
            dropped = {k: v for k, v in value.items() if k not in allowed}
            if dropped:
                extra[section] = dropped
        elif value is not None:
            raise CaseFormatError(
                "must be a mapping", file=name, field=section, line=doc.line_of((section,))
            )
    ur = out.get("utilization_review")
    if isinstance(ur, dict):
        ur = {k: v for k, v in ur.items() if k in {"date", "items"}}
        items = ur.get("items")
        if isinstance(items, list):
            cleaned = []
            for i, item in enumerate(items):
                if isinstance(item, str):
                    item = {"request": item}
                if not isinstance(item, dict):
                    raise CaseFormatError(
                        "must be a mapping with a 'request'",
                        file=name,
                        field=f"utilization_review.items[{i}]",
                        line=doc.line_of(("utilization_review", "items", i)),
                    )
                cleaned.append(
                    {k: v for k, v in item.items() if k in {"request", "outcome", "guideline"}}
                )
            ur["items"] = cleaned
        out["utilization_review"] = ur
    patient = out.get("patient")
    # The format asks for one of age / date_of_birth. Published (redacted) letters sometimes
    # give neither, so a case without both is accepted with a warning and the letter says
    # the age is not stated (docs/case-format-notes.md).
    if (
        isinstance(patient, dict)
        and patient.get("age") is None
        and patient.get("date_of_birth") is None
    ):
        warnings.append(
            f"{name}:{doc.line_of(('patient',))}: patient: neither 'age' nor 'date_of_birth' "
            "is given; the age is reported as not stated"
        )
    if isinstance(patient, dict) and isinstance(patient.get("age"), bool):
        raise CaseFormatError(
            "must be a whole number of years",
            file=name,
            field="patient.age",
            line=doc.line_of(("patient", "age")),
        )
    out["extra"] = extra
    return out


def _check_dates(data: dict[str, Any], doc: LoadedYaml) -> None:
    """YAML turns ISO dates into date objects; a quoted or malformed date must still be ISO."""

    def check(path: tuple[str | int, ...], value: Any) -> None:
        if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
            return
        if isinstance(value, str):
            try:
                dt.date.fromisoformat(value)
                if len(value) == 10:
                    return
            except ValueError:
                pass
        raise CaseFormatError(
            f"must be a date as YYYY-MM-DD, got {value!r}",
            file=doc.file,
            field=_field_path(path),
            line=doc.line_of(path),
        )

    for path in (
        ("application", "received"),
        ("patient", "date_of_birth"),
        ("patient", "date_of_injury"),
        ("utilization_review", "date"),
    ):
        node: Any = data
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        check(path, node)


def load_case(path: str | Path, *, read_records: bool = True) -> Case:
    """Load and validate a case; raise :class:`CaseFormatError` naming file, field and problem."""
    case_dir, yaml_path = resolve_case_path(path)
    shown = str(yaml_path)
    try:
        doc = load_yaml_file(yaml_path, shown)
    except OpenIMRError as exc:
        raise CaseFormatError(
            exc.message, file=exc.file or shown, line=exc.line, field=exc.field
        ) from None
    if not isinstance(doc.data, dict):
        raise CaseFormatError("case.yaml must be a mapping of fields", file=shown)
    data = doc.data
    _check_dates(data, doc)
    warnings: list[str] = []
    fields = _normalize(data, doc, warnings)
    fields["warnings"] = tuple(warnings)
    record_paths = fields.pop("records", None)
    try:
        case = Case.model_validate({**fields, "source": str(case_dir)})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        raise CaseFormatError(
            _validation_message(first),
            file=shown,
            field=_field_path(loc),
            line=doc.line_of(loc),
        ) from None
    if not read_records:
        return case
    records = tuple(
        read_record(case_dir / rel, rel) for rel in _record_paths(case_dir, record_paths, doc)
    )
    notes = tuple(f"{r.path}: {note}" for r in records for note in r.notes)
    return case.model_copy(update={"records": records, "warnings": (*case.warnings, *notes)})


def _record_paths(case_dir: Path, listed: Any, doc: LoadedYaml) -> list[str]:
    root = case_dir.resolve()
    if listed is None:
        rec_dir = case_dir / "records"
        if not rec_dir.is_dir():
            return []
        found = []
        for p in sorted(rec_dir.rglob("*")):
            if not p.is_file() or p.name.startswith("."):
                continue
            rel = p.relative_to(case_dir).as_posix()
            if root not in p.resolve().parents:
                # a symbolic link out of the case folder: never read what it points at
                raise CaseFormatError(
                    f"record {rel!r} is a link to a file outside the case directory; refused",
                    file=str(case_dir / rel),
                )
            found.append(rel)
        return sorted(found)
    if not isinstance(listed, list) or not all(isinstance(x, str) for x in listed):
        raise CaseFormatError(
            "must be a list of paths relative to the case directory",
            file=doc.file,
            field="records",
            line=doc.line_of(("records",)),
        )
    out: list[str] = []
    for i, rel in enumerate(listed):
        where = {"file": doc.file, "field": f"records[{i}]", "line": doc.line_of(("records", i))}
        try:
            target = (case_dir / rel).resolve()
            inside = root in target.parents
            exists = inside and target.is_file()
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte ...
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise CaseFormatError(
                f"record path {rel[:80]!r} cannot be used: {detail}",
                **where,  # type: ignore[arg-type]
            ) from None
        if not inside:
            raise CaseFormatError(f"{rel!r} is outside the case directory", **where)  # type: ignore[arg-type]
        if not exists:
            raise CaseFormatError(f"record file {rel!r} does not exist", **where)  # type: ignore[arg-type]
        if target.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise CaseFormatError(
                f"record {rel!r} has an unsupported type; expected {', '.join(SUPPORTED_SUFFIXES)}",
                **where,  # type: ignore[arg-type]
            )
        out.append(Path(rel).as_posix())
    return out
