"""YAML reading that keeps line numbers and refuses duplicate keys.

PyYAML's composer already records where each node starts; we keep a map from each value's
path (``("versions", 0, "criteria")``) to its 1-based line so that every error can name
``file:line``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from openimr.errors import OpenIMRError

PathKey = tuple[str | int, ...]


class YamlError(OpenIMRError):
    pass


class _Loader(yaml.SafeLoader):
    pass


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


def _index(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _index(value_node, (*path, key), lines)
            # the key's own line is more useful than the value's for messages
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _index(child, (*path, i), lines)


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
    try:
        node = _compose(text)
        if node is None:
            return LoadedYaml(None, {}, file, text)
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
        raise YamlError(f"not valid YAML: {exc.problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}", file=file) from None
    lines: dict[PathKey, int] = {}
    _index(node, (), lines)
    return LoadedYaml(data, lines, file, text)


def load_yaml_file(path: Path, display: str | None = None) -> LoadedYaml:
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlError("not UTF-8 text", file=name) from None
    except OSError as exc:
        raise YamlError(f"cannot read: {exc.strerror}", file=name) from None
    return load_yaml_text(text, name)
