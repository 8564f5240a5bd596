"""Generate the examination-test phrases of ``extraction/procedures.yaml``.

An examination test is matched only in its affirmed forms ("positive McMurray", "McMurray
test was positive"): the forms and, per fact, the test names and the phrases written by hand
are in ``extraction/sources/exam_tests.yaml``. :func:`generate` rewrites the target file's
text: the ``phrases`` of each fact named there become the generated list, and every long
list of words is written one item per line. Everything else (keys, comments, order) is kept.

    python scripts/generate_phrases.py           # rewrite procedures.yaml
    python scripts/generate_phrases.py --check   # exit 1 when it is not up to date
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from openimr.errors import LibraryError
from openimr.yamlio import LoadedYaml, load_yaml_file

DATA = Path(__file__).resolve().parents[1] / "library" / "data" / "extraction"
SOURCES = DATA / "sources" / "exam_tests.yaml"
TARGET = DATA / "procedures.yaml"
LONG_LINE = 100
"""A list of words written in one line longer than this is written one item per line."""


class _Tests(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    tests: list[str]
    """Test names, each written in every affirmed form."""


class _Sources(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    forms: list[str]
    """The affirmed forms of a test, each with ``{test}`` where its name goes."""
    facts: dict[str, list[str | _Tests]]
    """Per fact, its phrases in order: a phrase as written, or a list of test names."""


def load_sources(path: Path = SOURCES) -> dict[str, tuple[str, ...]]:
    """Each fact's phrases, the test names expanded into their affirmed forms."""
    doc = load_yaml_file(path, _shown(path))
    try:
        spec = _Sources.model_validate(doc.data)
    except ValidationError as exc:
        raise _error(exc, doc) from None
    for i, form in enumerate(spec.forms):
        if "{test}" not in form:
            raise LibraryError("a form names {test}", file=doc.file, line=doc.line_of(("forms", i)))
    phrases: dict[str, tuple[str, ...]] = {}
    for fact, items in spec.facts.items():
        out: list[str] = []
        for item in items:
            if isinstance(item, str):
                out.append(item)
            else:
                out += [form.replace("{test}", name) for name in item.tests for form in spec.forms]
        phrases[fact] = tuple(out)
    return phrases


def generate(text: str, phrases: dict[str, tuple[str, ...]], file: str = "") -> str:
    """``text`` (an extraction file) with the facts' phrases replaced and long lists split."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, list[str]]] = []
    missing = set(phrases)
    for key, value, owner in _list_values(root):
        fact = _fact_of(owner)
        if key.value == "phrases" and fact in phrases:
            missing.discard(fact)
            items: list[str] = list(phrases[fact])
        elif value.flow_style and _long(lines, value):
            items = [str(node.value) for node in value.value]
        else:
            continue
        last = value.end_mark.line if value.flow_style else value.value[-1].end_mark.line
        if lines[last][_end_column(value) :].strip():
            raise LibraryError("a list to rewrite ends before its line does", file=file)
        head = lines[key.start_mark.line][: key.end_mark.column] + ":\n"
        indent = " " * (key.start_mark.column + 2)
        edits.append(
            (key.start_mark.line, last, [head] + [f"{indent}- {_quoted(p)}\n" for p in items])
        )
    if missing:
        raise LibraryError(f"no concept for {', '.join(sorted(missing))}", file=file)
    for first, last, new in sorted(edits, reverse=True):
        lines[first : last + 1] = new
    return "".join(lines)


def expected_text(target: Path = TARGET, sources: Path = SOURCES) -> str:
    """What ``target`` holds once generated from ``sources``."""
    return generate(target.read_text(encoding="utf-8"), load_sources(sources), _shown(target))


def _list_values(
    root: yaml.Node | None,
) -> list[tuple[yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode]]:
    """Every (key, list of scalars, mapping holding it) in the document."""
    found: list[tuple[yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode]] = []
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                scalars = isinstance(value, yaml.SequenceNode) and all(
                    isinstance(v, yaml.ScalarNode) for v in value.value
                )
                if isinstance(key, yaml.ScalarNode) and scalars and value.value:
                    found.append((key, value, node))
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return found


def _fact_of(mapping: yaml.MappingNode) -> str | None:
    for key, value in mapping.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "fact":
            return str(value.value)
    return None


def _long(lines: list[str], value: yaml.SequenceNode) -> bool:
    return any(
        len(lines[n].rstrip("\n")) > LONG_LINE
        for n in range(value.start_mark.line, value.end_mark.line + 1)
    )


def _end_column(value: yaml.SequenceNode) -> int:
    return value.end_mark.column if value.flow_style else value.value[-1].end_mark.column


def _quoted(phrase: str) -> str:
    """A double-quoted YAML scalar (JSON's string syntax is YAML's)."""
    return json.dumps(phrase, ensure_ascii=False)


def _shown(path: Path) -> str:
    try:
        return "openimr/" + path.resolve().relative_to(DATA.parents[1]).as_posix()
    except ValueError:
        return str(path)


def _error(exc: ValidationError, doc: LoadedYaml) -> LibraryError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    field = ".".join(str(p) for p in loc)
    return LibraryError(str(err["msg"]), file=doc.file, field=field or None, line=doc.line_of(loc))
