"""The one way opsbot reads YAML: safe, bounded, and every error names file, line and field.

Every YAML input (runbook front matter, policies, scenarios, suites, redaction config)
comes through ``parse_yaml``. Beyond PyYAML's safe loader it refuses what would otherwise
crash a process or be silently misread:

- a key given twice in one mapping (PyYAML keeps the last one, so a second ``U02BOB:``
  entry could quietly turn a viewer into an approver);
- aliases that expand past ``MAX_ALIAS_NODES`` nodes (a "billion laughs" document is a
  few hundred bytes and would expand to gigabytes in whatever walks it), or that refer
  to the node containing them;
- nesting deeper than ``MAX_DEPTH`` (the composer recurses per level);
- scalars that look typed but cannot be built (``2024-02-30``, an int of 5000 digits).

The composed node tree keeps start marks; ``LineMap`` walks it alongside the data so a
pydantic error location such as ``deployments.0.replicas`` maps back to a line.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from assistant.errors import InputError


class PurePythonParser(Reader, Scanner, Parser):
    """PyYAML's own event parser, for a PyYAML built without libyaml."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)


try:  # libyaml's event parser: about ten times faster than the pure-Python scanner
    from yaml._yaml import CParser as EventParser
except ImportError:
    EventParser = PurePythonParser  # type: ignore[misc,assignment]


M = TypeVar("M", bound=BaseModel)
KeyPath = tuple[str | int, ...]

# Far deeper than any opsbot format (scenarios nest about eight levels).
MAX_DEPTH = 64
# Nodes that aliases may add beyond the document's own; a document without aliases may be
# as large as it likes.
MAX_ALIAS_NODES = 100_000
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Mark(Protocol):
    """Where an event or node starts: PyYAML's mark or libyaml's."""

    line: int


class _Refused(Exception):
    """A problem at one node (or one mark) of the document being read."""

    def __init__(self, message: str, mark: _Mark | None, path: KeyPath | None = None,
                 node: Node | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.path = path
        self.node = node


class _BoundedComposer(Composer):
    """PyYAML's composer, refusing deep nesting and runaway or recursive aliases."""

    def __init__(self) -> None:
        super().__init__()
        self._path: list[str | int] = []
        self._depth = 0
        self._open_anchors: set[str] = set()
        self._alias_nodes = 0
        self._measured: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, height)

    # Composer is a mixin: the event parser it is combined with supplies this.
    peek_event: Callable[[], yaml.Event]

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        step = _step(index)
        if step is not None:
            self._path.append(step)
        try:
            if isinstance(event, yaml.AliasEvent):
                self._check_alias(event)
                return super().compose_node(parent, index)
            if not isinstance(event, yaml.CollectionStartEvent):
                return super().compose_node(parent, index)
            return self._compose_collection(event, parent, index)
        finally:
            if step is not None:
                self._path.pop()

    def _compose_collection(self, event: yaml.CollectionStartEvent, parent: Node | None,
                            index: Any) -> Node | None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(f"nested deeper than {MAX_DEPTH} levels", event.start_mark,
                           tuple(self._path))
        if event.anchor is not None:
            self._open_anchors.add(event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open_anchors.discard(event.anchor)

    def _check_alias(self, event: yaml.AliasEvent) -> None:
        anchor = event.anchor
        where = tuple(self._path)
        if anchor in self._open_anchors:
            raise _Refused(f"alias *{anchor} refers to a node that contains it",
                           event.start_mark, where)
        target = self.anchors.get(anchor)
        if target is None:
            return  # PyYAML reports the undefined alias
        nodes, height = self._measure(target)
        if self._depth + height > MAX_DEPTH:
            raise _Refused(f"alias *{anchor} nests deeper than {MAX_DEPTH} levels",
                           event.start_mark, where)
        self._alias_nodes += nodes
        if self._alias_nodes > MAX_ALIAS_NODES:
            raise _Refused(f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes "
                           f"(at *{anchor})", event.start_mark, where)

    def _measure(self, node: Node) -> tuple[int, int]:
        """Nodes and collection height of ``node`` with its aliases expanded, memoised per
        node so a chain of aliases costs one visit per distinct node."""
        known = self._measured.get(id(node))
        if known is not None:
            return known
        if isinstance(node, ScalarNode):
            result = (1, 0)
        else:
            children = node.value if isinstance(node, SequenceNode) else [
                child for pair in node.value for child in pair]
            sizes = [self._measure(child) for child in children]
            result = (1 + sum(n for n, _ in sizes), 1 + max((h for _, h in sizes), default=0))
        self._measured[id(node)] = result
        return result


def _key_name(key: Node) -> str:
    return str(key.value) if isinstance(key, ScalarNode) else "?"


def _step(index: Any) -> str | int | None:
    """The path step PyYAML's ``index`` stands for: a mapping key node, a sequence index,
    or None for a key itself and the root."""
    if isinstance(index, Node):
        return _key_name(index)
    return index if isinstance(index, int) else None


class _CheckedConstructor(SafeConstructor):
    """The safe constructor, with duplicate keys and unbuildable scalars as errors."""

    def __init__(self, line_offset: int = 0) -> None:
        super().__init__()
        self._checked_mappings: set[int] = set()
        self._line_offset = line_offset  # where the document starts in its file

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (_Refused, yaml.YAMLError):
            raise
        # PyYAML's scalar constructors trust the resolver's match; an impossible date gets
        # past the pattern, and an explicit tag (`!!bool maybe`, `!!timestamp soon`,
        # `!!int ''`) reaches them with text they index, look up or match unchecked.
        except (ValueError, ArithmeticError, LookupError, AttributeError, TypeError) as exc:
            kind = str(node.tag).rsplit(":", 1)[-1]
            # Only a ValueError says something to the reader ("day is out of range").
            why = f": {exc}" if isinstance(exc, ValueError) else ""
            raise _Refused(f"{_shorten(node.value)!r} is not a valid {kind}{why}",
                           node.start_mark, node=node) from exc

    def flatten_mapping(self, node: MappingNode) -> None:
        # Checked before the first flattening, while node.value still holds only the keys
        # written in this mapping: a key that overrides a merged (`<<`) one is no duplicate.
        if id(node) not in self._checked_mappings:
            self._checked_mappings.add(id(node))
            self._refuse_duplicate_keys(node)
        super().flatten_mapping(node)

    def _refuse_duplicate_keys(self, node: MappingNode) -> None:
        first: dict[Any, Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                earlier = first.setdefault(key, key_node)
            except TypeError:
                continue  # an unhashable key: PyYAML reports it
            if earlier is not key_node:
                raise _Refused(
                    f"duplicate key {_shorten(key)!r} (first given on line "
                    f"{earlier.start_mark.line + 1 + self._line_offset})",
                    key_node.start_mark, node=key_node)


def _refuse_unsupported_tag(_loader: Any, node: Node) -> Any:
    raise _Refused(f"unsupported tag {node.tag}", node.start_mark, node=node)


def loader_class(parser: type[Any]) -> type:
    """A loader reading events with ``parser`` (libyaml's or PyYAML's own)."""

    class Loader(_BoundedComposer, parser, _CheckedConstructor, Resolver):
        def __init__(self, text: str, line_offset: int = 0) -> None:
            parser.__init__(self, text)
            _BoundedComposer.__init__(self)
            _CheckedConstructor.__init__(self, line_offset)
            Resolver.__init__(self)

    Loader.add_constructor(None, _refuse_unsupported_tag)
    return Loader


Loader = loader_class(EventParser)


def _shorten(value: Any, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}…"


def _path_to(root: Node, target: Node) -> KeyPath:
    """Where ``target`` sits under ``root`` (keys and indexes); only walked on errors."""
    stack: list[tuple[Node, KeyPath]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((child, (*path, i)) for i, child in enumerate(node.value))
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.append((key, (*path, _key_name(key))))
                stack.append((value, (*path, _key_name(key))))
    return ()


class LineMap:
    """Maps a path of keys/indexes inside a YAML document to a 1-based line."""

    def __init__(self, root: Node | None, line_offset: int = 0) -> None:
        self._root = root
        self._offset = line_offset
        # Per mapping node, its keys: a policy with tens of thousands of users looks each
        # one up, and a scan per lookup made loading quadratic.
        self._keys: dict[int, dict[str, Node]] = {}

    def line_of(self, path: KeyPath) -> int | None:
        node = self._root
        if node is None:
            return None
        best = node.start_mark.line + 1
        for key in path:
            child = self._child(node, key)
            if child is None:
                break
            node = child
            best = node.start_mark.line + 1
        return best + self._offset

    def _child(self, node: Node, key: str | int) -> Node | None:
        if isinstance(node, MappingNode):
            keys = self._keys.get(id(node))
            if keys is None:
                # Later pairs win, as in the loaded data: a key written in the mapping
                # overrides one merged in with `<<`.
                keys = {str(k.value): v for k, v in node.value if isinstance(k, ScalarNode)}
                self._keys[id(node)] = keys
            return keys.get(str(key))
        if isinstance(node, SequenceNode) and isinstance(key, int):
            return node.value[key] if 0 <= key < len(node.value) else None
        return None


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    # Building a document allocates a few containers per node and frees none, so each
    # full collection re-scans the growing tree: half the load time of a 32k-user policy,
    # and growing faster than the document. The tree holds no cycles (recursive aliases
    # are refused), so there is nothing to collect until it is built.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_yaml(text: str, source: str, line_offset: int = 0) -> tuple[Any, LineMap]:
    """Parse one YAML document; every problem becomes an InputError with the line."""
    loader = Loader(text, line_offset)
    root: Node | None = None
    try:
        with _cyclic_gc_paused():
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
    except _Refused as exc:
        path = exc.path
        if path is None:
            path = _path_to(root, exc.node) if root is not None and exc.node is not None else ()
        line = exc.mark.line + 1 + line_offset if exc.mark else None
        raise InputError(exc.message, source=source, line=line,
                         field=".".join(str(p) for p in path) or None) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        raise InputError(f"invalid YAML: {exc.problem or exc}", source=source, line=line) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", source=source) from exc
    finally:
        loader.dispose()
    return data, LineMap(root, line_offset)


def validation_to_input_error(
    exc: ValidationError, source: str, lines: LineMap | None
) -> InputError:
    """The first pydantic error, located; the rest are appended so nothing is lost."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(p for p in first["loc"] if isinstance(p, (str, int)))
    field = ".".join(str(p) for p in loc) or None
    line = lines.line_of(loc) if lines else None
    message = first["msg"]
    if len(errors) > 1:
        more = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}"
            f"{'@' + str(lines.line_of(tuple(e['loc']))) if lines else ''}: {e['msg']}"
            for e in errors[1:]
        )
        message += f" (and {len(errors) - 1} more: {more})"
    return InputError(message, source=source, line=line, field=field)


def load_model(
    model: type[M],
    data: Any,
    source: str,
    lines: LineMap | None = None,
    context: dict[str, Any] | None = None,
) -> M:
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise validation_to_input_error(exc, source, lines) from exc


def load_yaml_file(model: type[M], path: Path, context: dict[str, Any] | None = None) -> M:
    """Read ``path`` and validate it as ``model``; every failure is an InputError."""
    return load_yaml_document(model, path, context)[0]


def load_yaml_document(
    model: type[M], path: Path, context: dict[str, Any] | None = None
) -> tuple[M, LineMap]:
    """``load_yaml_file`` plus the line map, for checks after validation that must point
    at a line of the same read of the file."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("file not found", source=source) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file: {exc}", source=source) from exc
    data, lines = parse_yaml(text, source)
    if data is None:
        raise InputError("file is empty", source=source)
    return load_model(model, data, source, lines, context), lines
