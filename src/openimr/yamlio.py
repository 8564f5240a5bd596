"""YAML reading that keeps line numbers and refuses duplicate keys.

PyYAML's composer already records where each node starts; we keep a map from each value's
path (``("versions", 0, "criteria")``) to its 1-based line so that every error can name
``file:line``.

The reader is safe on hostile input: ``yaml.SafeLoader`` builds no Python objects beyond
plain data, a document over :data:`MAX_YAML_BYTES` is refused before parsing, nesting deeper
than :data:`MAX_DEPTH` is refused while composing (no recursion error), and anchors and
aliases are allowed only while the document *as expanded* stays under
:data:`MAX_EXPANDED_NODES` nodes and :data:`MAX_ALIASES` aliases (a "billion laughs" alias
bomb of 1 KB would otherwise expand to gigabytes downstream).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from openimr.errors import OpenIMRError

PathKey = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class YamlError(OpenIMRError):
    pass


MAX_YAML_BYTES = 8 * 1024 * 1024
"""The largest YAML document read (bytes of UTF-8 text)."""
MAX_DEPTH = 64
"""The deepest nesting of mappings and sequences accepted."""
MAX_ALIASES = 2000
"""The most aliases (``*name``) in one document."""
MAX_EXPANDED_NODES = 1_000_000
"""The most nodes a document may hold once every alias is expanded."""


class _Loader(yaml.SafeLoader):
    _depth = 0
    _aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise YamlError(
                    f"more than {MAX_ALIASES} aliases (*name); refused as a possible alias bomb",
                    line=mark.line + 1,
                )
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise YamlError(
                    f"nested more than {MAX_DEPTH} levels deep; refused", line=mark.line + 1
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes ``root`` holds with every alias expanded (stops past the limit).

    Also refuses nesting deeper than :data:`MAX_DEPTH` (libyaml, which composes in C, stops
    only at 1000 levels; construction in Python would overflow the stack well before).
    """
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    # iterative post-order walk; a shared (aliased) node is counted once per use, computed once
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                children.extend((k, v))
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        total = 1 + sum(sizes.get(id(c), 1) for c in children)
        sizes[id(node)] = total
        if children:
            depth = 1 + max(depths.get(id(c), 0) for c in children)
            if depth > MAX_DEPTH:
                raise YamlError(
                    f"nested more than {MAX_DEPTH} levels deep; refused",
                    line=node.start_mark.line + 1,
                )
            depths[id(node)] = depth
        if total > MAX_EXPANDED_NODES:
            return total
    return sizes.get(id(root), 1)


# libyaml's parser (C) when PyYAML was built with it: it composes the same nodes, each with
# its start mark, about ten times faster than the pure-Python scanner. Construction (and the
# duplicate-key check) stays in Python either way.
_Composer: type[Any] = getattr(yaml, "CSafeLoader", _Loader)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise YamlError(
                f"duplicate key {key!r} (first at line {seen[key]})",
                line=key_node.start_mark.line + 1,
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _compose(text: str) -> yaml.Node | None:
    """The document's node tree, by libyaml when it is there (marks kept for messages)."""
    loader = _Composer(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


def _index(root: yaml.Node, lines: dict[PathKey, int]) -> None:
    """Record the line of each path; an aliased node is walked once (at its first path), so
    the map stays as small as the text however often an anchor is used."""
    visited: set[int] = set()
    stack: list[tuple[yaml.Node, PathKey]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in reversed(node.value):
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
                # the key's own line is more useful than the value's for messages
                lines[(*path, key)] = key_node.start_mark.line + 1
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            for i in reversed(range(len(node.value))):
                stack.append((node.value[i], (*path, i)))


class LoadedYaml:
    """A parsed YAML document and the line of each value in it."""

    def __init__(self, data: Any, lines: dict[PathKey, int], file: str, text: str = "") -> None:
        self.data = data
        self.lines = lines
        self.file = file
        self.text = text
        """The document's source text (its comments are not in ``data``)."""

    def line_of(self, path: PathKey) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), None)


def validated(doc: LoadedYaml, model: type[M], error: type[OpenIMRError] | None = None) -> M:
    """``doc`` as ``model``; on the first problem, ``error`` (default :class:`YamlError`)
    naming the file, the line and the field (pydantic's dict-key marks left out)."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(p for p in first["loc"] if p != "[key]")
        raise (error or YamlError)(
            str(first["msg"]).removeprefix("Value error, "),
            file=doc.file,
            line=doc.line_of(loc),
            field=".".join(str(p) for p in loc) or None,
        ) from None


def _bad_scalar(node: yaml.Node) -> tuple[int | None, str | None]:
    """Line and dotted field of the first scalar that cannot be constructed (2010-13-01)."""
    stack: list[tuple[yaml.Node, str]] = [(node, "")]
    while stack:
        current, where = stack.pop(0)
        if isinstance(current, yaml.ScalarNode):
            fresh = _Loader("")
            try:
                fresh.construct_object(current, deep=True)
            except (ValueError, TypeError, OverflowError):
                return current.start_mark.line + 1, where or None
            finally:
                fresh.dispose()
        elif isinstance(current, yaml.MappingNode):
            for k, v in current.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else "?"
                stack.append((v, f"{where}.{key}" if where else str(key)))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(current.value))
    return None, None


def load_yaml_text(text: str, file: str) -> LoadedYaml:
    if len(text) > MAX_YAML_BYTES:
        raise YamlError(
            f"{len(text)} characters; the limit is {MAX_YAML_BYTES} for a YAML file", file=file
        )
    try:
        node = _compose(text)
        if node is None:
            return LoadedYaml(None, {}, file, text)
        expanded = _expanded_size(node)
        if expanded > MAX_EXPANDED_NODES:
            raise YamlError(
                f"expands to more than {MAX_EXPANDED_NODES} values through its aliases (*name); "
                "refused as a possible alias bomb",
                line=1,
            )
        loader = _Loader(text)
        try:
            data = loader.construct_document(node)
        except (ValueError, TypeError, OverflowError) as exc:
            line, where = _bad_scalar(node)
            detail = (
                "must be a date as YYYY-MM-DD"
                if "date" in str(exc) or "month" in str(exc) or "day" in str(exc)
                else "invalid value"
            )
            raise YamlError(f"{detail} ({exc})", line=line, field=where) from None
        finally:
            loader.dispose()
    except YamlError as exc:
        raise YamlError(exc.message, file=file, line=exc.line, field=exc.field) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        if "maximum nesting depth" in str(exc.problem):  # libyaml's own limit (1000 levels)
            raise YamlError(
                f"nested more than {MAX_DEPTH} levels deep; refused", file=file, line=line
            ) from None
        raise YamlError(f"not valid YAML: {exc.problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}", file=file) from None
    lines: dict[PathKey, int] = {}
    _index(node, lines)
    return LoadedYaml(data, lines, file, text)


def load_yaml_file(path: Path, display: str | None = None) -> LoadedYaml:
    name = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise YamlError(
                f"{size} bytes; the limit is {MAX_YAML_BYTES} for a YAML file", file=name
            )
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlError("not UTF-8 text", file=name) from None
    except OSError as exc:
        raise YamlError(f"cannot read: {exc.strerror}", file=name) from None
    return load_yaml_text(text, name)
