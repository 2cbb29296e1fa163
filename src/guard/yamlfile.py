"""YAML that remembers where things are, so every configuration error names file and line."""

from __future__ import annotations

import reprlib
from typing import Any

from guard.errors import GuardError
from guard.lazyre import deferred

with deferred("yaml"):      # PyYAML's import-time patterns, compiled when first used
    import yaml


class Node(dict):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class Seq(list):
    line: int = 0
    item_lines: list

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


# libyaml's parser when PyYAML was built with it (marks and line numbers work the same);
# it parses the role packs several times faster than the pure-Python one.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# Aliases let a few hundred bytes stand for billions of nodes ("billion laughs"): every
# reader of the loaded data, and every error message that shows a value, would then walk
# them all. Aliases may add at most this many nodes to what the file spells out.
MAX_ALIAS_NODES = 100_000


class _Loader(_Base):  # type: ignore[misc, valid-type]
    source = "<yaml>"
    # whether the text may hold an anchor: without an `&` there is none, so no alias either
    # (an alias names an anchor, or the parser refuses it), and the budget has nothing to
    # count (~3 ms of the role packs' load on every hook call)
    anchored = True

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        if self.anchored:
            _check_alias_budget(node, self.source)
        return self.construct_document(node)


def _children(node: yaml.Node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, yaml.SequenceNode):
        return node.value
    return []


def _budget_error(node: yaml.Node, source: str, message: str) -> GuardError:
    return GuardError(message, path=source, line=node.start_mark.line + 1,
                      hint="spell the values out instead of repeating aliases")


def _check_alias_budget(root: yaml.Node, source: str) -> None:
    """Count the nodes the document has once every alias is expanded, without expanding it.

    Iterative post-order over the composed graph (an alias is the same node object again),
    so the cost is linear in what the file spells out, whatever it expands to.
    """
    sizes: dict[int, int] = {}
    ancestors: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            ancestors.discard(key)
            size = 1 + sum(sizes[id(child)] for child in children)
            sizes[key] = size
            if size - len(sizes) > MAX_ALIAS_NODES:
                raise _budget_error(node, source, "too many YAML nodes once aliases are "
                                    f"expanded (aliases may add at most {MAX_ALIAS_NODES:,})")
            continue
        if key in sizes:
            continue
        if key in ancestors:
            raise _budget_error(node, source, "a YAML alias refers to a node that contains it")
        ancestors.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Node:
    loader.flatten_mapping(node)
    out = Node()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain scalars", key_node.start_mark)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> Seq:
    out = Seq(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load(text: str | bytes, source: str) -> Any:
    """Parse YAML; any syntax problem becomes a GuardError naming ``source`` and the line."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GuardError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})",
                             path=source, hint="save the file as UTF-8") from None
    loader = _Loader(text)
    loader.source = source
    loader.anchored = "&" in text
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise GuardError(f"malformed YAML: {problem}", path=source, line=line,
                         hint="fix the YAML syntax at that line") from None
    except yaml.YAMLError as exc:
        raise GuardError(f"malformed YAML: {exc}", path=source,
                         hint="fix the YAML syntax") from None
    finally:
        loader.dispose()


class _ShortRepr(reprlib.Repr):
    def repr1(self, x: Any, level: int) -> str:
        # reprlib picks its method by type name; the loader's own dict and list subclasses
        # would otherwise fall back to a full builtins.repr()
        if isinstance(x, dict):
            return self.repr_dict(x, level)
        if isinstance(x, list):
            return self.repr_list(x, level)
        return super().repr1(x, level)


_SHORT = _ShortRepr()
_SHORT.maxlevel = 3
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = _SHORT.maxset = 6


def short_repr(value: Any, limit: int = 80) -> str:
    """repr() for error messages: bounded in time and length whatever the value holds."""
    text = _SHORT.repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def line_of(container: Any, key: Any, default: int | None = None) -> int | None:
    if isinstance(container, Node):
        return container.line_of(key)
    if isinstance(container, Seq) and isinstance(key, int):
        return container.line_of(key)
    return getattr(container, "line", None) or default
