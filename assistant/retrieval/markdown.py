"""Parse one Markdown runbook (ours, Hugo-style or plain) into a :class:`Runbook`.

The body is rendered to plain text through a real Markdown parser, so code blocks keep
their content verbatim while HTML wrappers (``<details>``), link targets and Hugo
shortcodes disappear; only what a reader sees is indexed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from pydantic import BaseModel, ConfigDict, field_validator

from assistant.errors import InputError
from assistant.models import Runbook, RunbookStep, Section
from assistant.retrieval.commands import commands_in, derive_steps
from assistant.yamlfile import LineMap, load_model, parse_yaml
from tools.catalog import CATALOG

_FENCE_END = ("---", "...")
_TAG = re.compile(r"<!--.*?-->|<[^>\n]+>", re.DOTALL)
_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.DOTALL)
# Hugo's cross-page link; replaced by its target so the Markdown link around it parses.
_REF_SHORTCODE = re.compile(r"""\{\{[<%]\s*(?:rel)?ref\s+"([^"]+)"\s*[%>]\}\}""")
# A Prometheus alert name: one identifier word, no spaces.
_ALERT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_:]*$")

_PARSER = MarkdownIt("commonmark").enable("table")


class _FrontMatter(BaseModel):
    """Our runbook keys; other keys (Hugo ``weight``, ``draft`` ...) are left alone."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    title: str | None = None
    alerts: list[str] = []
    tags: list[str] = []
    steps: list[Any] = []

    @field_validator("alerts", "tags", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("id", "title")
    @classmethod
    def _single_line(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or "\n" in value.strip()):
            raise ValueError("must be a non-empty single line")
        return value.strip() if value is not None else None


@dataclass(frozen=True)
class _Block:
    text: str
    level: int = 0  # heading level; 0 = body text


def parse_runbook(path: Path, text: str) -> Runbook:
    """``text`` is the content of ``path``; every problem is an InputError naming the file."""
    source = str(path)
    front, lines, body = _split_front_matter(text, source)
    meta = load_model(_FrontMatter, front, source, lines)
    steps = tuple(_step(raw, i, source, lines) for i, raw in enumerate(meta.steps))
    tokens = _PARSER.parse(_REF_SHORTCODE.sub(r"\1", body))
    manual: tuple[str, ...] = ()
    # Typed steps, even an empty list, are the author's word; only a runbook without
    # them is followed through the commands its body gives.
    if "steps" not in front:
        steps, manual = derive_steps(commands_in(tokens), CATALOG.values())

    blocks = _render(tokens)
    title_heading = blocks[0].text if blocks and blocks[0].level == 1 else None
    if title_heading is not None:
        blocks = blocks[1:]
    first_heading = title_heading or next((b.text for b in blocks if b.level), None)
    title = meta.title or first_heading or path.stem

    alerts = list(meta.alerts)
    # Collections like the prometheus-operator runbooks name each page after the alert it
    # answers and repeat that name (sometimes spaced out) as the page's top heading.
    if (
        title_heading is not None
        and title_heading.replace(" ", "") == path.stem
        and _ALERT_NAME.match(path.stem)
        and path.stem not in alerts
    ):
        alerts.append(path.stem)

    return Runbook(
        id=meta.id or path.stem,
        title=title,
        alerts=tuple(alerts),
        tags=tuple(meta.tags),
        steps=steps,
        manual_commands=manual,
        sections=_sections(blocks, title),
        path=source,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def runbook_body(path: Path, text: str) -> str:
    """The Markdown after any front matter; an unclosed front matter is an InputError."""
    return _split_front_matter(text, str(path))[2]


def _split_front_matter(text: str, source: str) -> tuple[dict[str, Any], LineMap | None, str]:
    """Return (front matter, its line map, body); the body keeps its line count."""
    text = text.removeprefix("\ufeff")
    all_lines = text.splitlines(keepends=True)
    if not all_lines or all_lines[0].rstrip() != "---":
        return {}, None, text
    end = next((i for i, line in enumerate(all_lines) if i and line.rstrip() in _FENCE_END), 0)
    if not end:
        raise InputError("front matter opened with '---' is never closed", source=source, line=1)
    data, lines = parse_yaml("".join(all_lines[1:end]), source, line_offset=1)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError("front matter must be a mapping of keys", source=source, line=2)
    return data, lines, "".join(all_lines[end + 1 :])


def _step(raw: Any, index: int, source: str, lines: LineMap | None) -> RunbookStep:
    where = ("steps", index)
    line = lines.line_of(where) if lines else None
    if not isinstance(raw, dict):
        raise InputError(
            "a step must be a mapping with 'tool', 'args' and optional 'why'",
            source=source, line=line, field=f"steps.{index}",
        )
    try:
        step = load_model(RunbookStep, raw, source, _Nested(lines, where) if lines else None)
    except InputError as exc:
        field = f"steps.{index}" + (f".{exc.field}" if exc.field else "")
        raise InputError(exc.message, source=source, line=exc.line, field=field) from exc
    if step.tool not in CATALOG:
        raise InputError(
            f"unknown tool {step.tool!r}; known tools: {', '.join(sorted(CATALOG))}",
            source=source,
            line=lines.line_of((*where, "tool")) if lines else line,
            field=f"steps.{index}.tool",
        )
    return step


class _Nested(LineMap):
    """A LineMap seen from inside one element, so nested model errors keep their line."""

    def __init__(self, outer: LineMap, prefix: tuple[str | int, ...]) -> None:
        self._outer = outer
        self._prefix = prefix

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        return self._outer.line_of((*self._prefix, *path))


def _render(tokens: list[Token]) -> list[_Block]:
    """Plain-text blocks in reading order; headings carry their level."""
    blocks: list[_Block] = []
    heading_level = 0
    row: list[str] | None = None
    for token in tokens:
        if token.type == "heading_open":
            heading_level = int(token.tag[1:])
        elif token.type == "heading_close":
            heading_level = 0
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            blocks.append(_Block(" | ".join(c for c in row if c)))
            row = None
        elif token.type == "inline":
            text = _inline_text(token)
            if row is not None:
                row.append(text)
            elif text:
                blocks.append(_Block(text, heading_level))
        elif token.type in ("fence", "code_block"):
            if token.content.strip():
                blocks.append(_Block(token.content.rstrip()))
        elif token.type == "html_block":
            text = _clean(_TAG.sub(" ", token.content))
            if text:
                blocks.append(_Block(text))
    return blocks


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or ():
        # An image stands for its alt text.
        if child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return _clean("".join(parts))


def _clean(text: str) -> str:
    return " ".join(_SHORTCODE.sub(" ", text).split())


def _sections(blocks: list[_Block], title: str) -> tuple[Section, ...]:
    """Split at the top heading level left after the title; deeper headings stay inside."""
    levels = [b.level for b in blocks if b.level]
    split_level = min(levels) if levels else 0
    sections: list[Section] = []
    heading = title
    body: list[str] = []

    def close() -> None:
        text = "\n".join(body).strip()
        if text:
            sections.append(Section(heading=heading, text=text))

    for block in blocks:
        if block.level and block.level <= split_level:
            close()
            heading, body = block.text, []
        else:
            body.append(block.text)
    close()
    return tuple(sections)
