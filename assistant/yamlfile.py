"""Load YAML into pydantic models so that every error names file, line and field.

PyYAML's composed node tree keeps start marks; we walk it alongside the data so a
pydantic error location such as ``deployments.0.replicas`` maps back to a line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from assistant.errors import InputError

M = TypeVar("M", bound=BaseModel)


class LineMap:
    """Maps a path of keys/indexes inside a YAML document to a 1-based line."""

    def __init__(self, root: yaml.Node | None, line_offset: int = 0) -> None:
        self._root = root
        self._offset = line_offset

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        node = self._root
        if node is None:
            return None
        best = node.start_mark.line + 1
        for key in path:
            child = _child(node, key)
            if child is None:
                break
            node = child
            best = node.start_mark.line + 1
        return best + self._offset


def _child(node: yaml.Node, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                return v
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int):
        return node.value[key] if 0 <= key < len(node.value) else None
    return None


def parse_yaml(text: str, source: str, line_offset: int = 0) -> tuple[Any, LineMap]:
    """Parse one YAML document; syntax errors become InputError with the line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        raise InputError(f"invalid YAML: {exc.problem or exc}", source=source, line=line) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", source=source) from exc
    return data, LineMap(node, line_offset)


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
    return load_model(model, data, source, lines, context)
