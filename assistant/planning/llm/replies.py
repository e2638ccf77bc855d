"""Read a model's reply the way local servers really send it: calls, reasoning, text.

Servers without a tool-call parser for the model (Ollama and llama.cpp with some templates,
vLLM without ``--tool-call-parser``) hand the model's call back as text in ``content``:
Hermes/Qwen ``<tool_call>{...}</tool_call>`` tags, Llama 3.x ``<|python_tag|>{...}`` or a
bare ``{"name": ..., "parameters": ...}``, Mistral ``[TOOL_CALLS] [...]``, or a fenced JSON
block. Reasoning models put ``<think>...</think>`` in ``content`` or send a separate
``reasoning_content`` / ``reasoning`` field. This module separates the three: calls become
``ToolRequest``s that ``calls.interpret`` validates exactly like native ones (a recovered
call is never trusted more), reasoning is kept apart for the audit log, and only the rest
is text a person may read. ``chat_text`` is the last gate for anything shown in chat: no
reasoning and no raw call or template markup survives it. Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.planning.llm.calls import ToolRequest

_REASONING_TAGS = "think|thinking|reasoning|reflection|thought"
_REASONING_TAG = re.compile(rf"<(/?)(?:{_REASONING_TAGS})\s*>", re.IGNORECASE)
_REASONING_END = re.compile(rf"</(?:{_REASONING_TAGS})\s*>", re.IGNORECASE)
_HERMES = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.IGNORECASE | re.DOTALL)
_PYTHON_TAG = re.compile(r"<\|python_tag\|>(.*?)(?:<\|eom_id\|>|<\|eot_id\|>|\Z)", re.DOTALL)
_MISTRAL = re.compile(r"\[TOOL_CALLS\]\s*(.*?)(?:</s>|\Z)", re.DOTALL)
_FENCE = re.compile(r"```[ \t]*(?:json|tool_call|tool_calls|javascript)?[ \t]*\n(.*?)(?:```|\Z)",
                    re.IGNORECASE | re.DOTALL)
_NAME = re.compile(r'"name"\s*:\s*"([^"]{1,100})"')
# Markup no person should see: template tokens, call tags, reasoning tags.
_MARKUP = re.compile(
    r"<\|[^|<>\n]{0,40}\|>"
    r"|</?(?:tool_call|tool_response|tools|function_call|" + _REASONING_TAGS + r")\s*>"
    r"|\[/?(?:TOOL_CALLS|TOOL_RESULTS|AVAILABLE_TOOLS|INST|SYS)\]|<</?SYS>>"
    r"|</?(?:start_of_turn|end_of_turn|s)>",
    re.IGNORECASE)
JSON_TURN_CALLS = "tool_calls"
JSON_TURN_ANSWER = "answer"
# llama.cpp's generic format (common/chat.cpp), for templates it has no parser for:
# {"tool_call": {...}} or {"tool_calls": [...]}, else {"response": "..."}.
_GENERIC_CALL = "tool_call"
_ANSWER_KEYS = (JSON_TURN_ANSWER, "response")


@dataclass(frozen=True)
class ModelReply:
    """One reply taken apart. ``recovered`` says the calls were read out of text."""

    text: str
    reasoning: str
    calls: tuple[ToolRequest, ...]
    recovered: bool = False


def read_reply(content: str | None, native_calls: Sequence[ToolRequest] = (),
               reasoning: str | None = None) -> ModelReply:
    text, thoughts = split_reasoning(content or "")
    if reasoning and reasoning.strip():
        thoughts = [reasoning.strip(), *thoughts]
    calls: tuple[ToolRequest, ...] = tuple(native_calls)
    recovered = False
    if not calls:
        text, found = _recover_calls(text)
        calls, recovered = tuple(found), bool(found)
    return ModelReply(text=text.strip(), reasoning="\n\n".join(thoughts), calls=calls,
                      recovered=recovered)


def split_reasoning(content: str) -> tuple[str, list[str]]:
    """``content`` without its reasoning, and the reasoning taken out of it.

    An opening tag starts reasoning that runs to its closing tag or the end (a reply cut
    off mid-thought); a closing tag with no opening one ends reasoning that began where
    the last visible text did (templates that open it in the prompt).
    """
    thoughts: list[str] = []
    visible: list[str] = []
    position = 0
    while True:
        tag = _REASONING_TAG.search(content, position)
        if tag is None:
            visible.append(content[position:])
            break
        if tag.group(1):  # a closing tag nobody opened: what came before was reasoning
            thoughts.append(content[position:tag.start()])
            position = tag.end()
            continue
        visible.append(content[position:tag.start()])
        close = _REASONING_END.search(content, tag.end())
        thoughts.append(content[tag.end():close.start() if close else len(content)])
        position = close.end() if close else len(content)
    return "".join(visible), [t.strip() for t in thoughts if t.strip()]


def chat_text(text: str) -> str:
    """Model text fit for people: reasoning, call markup and template tokens removed."""
    visible, _ = split_reasoning(text)
    for pattern in (_HERMES, _PYTHON_TAG, _MISTRAL):
        visible = pattern.sub("", visible)
    visible = _MARKUP.sub("", visible)
    return re.sub(r"\n{3,}", "\n\n", visible).strip()


def _recover_calls(text: str) -> tuple[str, list[ToolRequest]]:
    for pattern in (_HERMES, _PYTHON_TAG, _MISTRAL):
        found: list[ToolRequest] = []
        for match in pattern.finditer(text):
            found.extend(_requests(match.group(1)))
        if found:
            return pattern.sub("", text), found
    fenced = [(m, list(_requests(m.group(1), strict=True))) for m in _FENCE.finditer(text)]
    if any(calls for _, calls in fenced):
        rest = text
        for match, calls in reversed(fenced):
            if calls:
                rest = rest[:match.start()] + rest[match.end():]
        return rest, [c for _, calls in fenced for c in calls]
    bare = list(_requests(text, strict=True))
    if bare:
        answer = _json_turn_answer(text)
        return answer, bare
    return _json_turn_answer(text) if _is_json_turn(text) else text, []


def _requests(body: str, *, strict: bool = False) -> Iterator[ToolRequest]:
    """The calls in one markup body. ``strict``: only a body that is nothing but calls."""
    body = body.strip()
    if not body:
        return
    parsed = _load(body)
    if parsed is None and not strict and ";" in body:  # Llama's several calls: a; b
        parts = [_load(part) for part in body.split(";")]
        if all(p is not None for p in parts):
            parsed = parts
    if parsed is None:
        if strict:
            return
        # Cut off or malformed: still a call, so validation reports what is wrong with it.
        name = _NAME.search(body)
        yield ToolRequest(id="", name=name.group(1) if name else "", arguments=body)
        return
    items = _call_items(parsed)
    if items is None:
        if not strict:
            yield ToolRequest(id="", name="", arguments=body)
        return
    for item in items:
        yield _request(item)


def _load(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _call_items(parsed: Any) -> list[dict[str, Any]] | None:
    if isinstance(parsed, dict) and isinstance(parsed.get(JSON_TURN_CALLS), list):
        parsed = parsed[JSON_TURN_CALLS]
    elif isinstance(parsed, dict) and isinstance(parsed.get(_GENERIC_CALL), dict):
        parsed = parsed[_GENERIC_CALL]
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items or not all(_is_call(i) for i in items):
        return None
    return items


def _is_call(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    if isinstance(item.get("function"), dict):
        item = item["function"]
    return isinstance(item.get("name"), str) and any(
        k in item for k in ("arguments", "parameters"))


def _request(item: dict[str, Any]) -> ToolRequest:
    given_id = item.get("id")
    ident = given_id if isinstance(given_id, str) else ""
    if isinstance(item.get("function"), dict):
        item = item["function"]
    args = item.get("arguments", item.get("parameters"))
    arguments = args if isinstance(args, str) else json.dumps(args)
    return ToolRequest(id=ident, name=item["name"], arguments=arguments)


def _is_json_turn(text: str) -> bool:
    parsed = _load(text.strip())
    return isinstance(parsed, dict) and any(
        k in parsed for k in (*_ANSWER_KEYS, JSON_TURN_CALLS, _GENERIC_CALL))


def _json_turn_answer(text: str) -> str:
    """The answer of a JSON turn (``{"tool_calls": [...], "answer": ...}``), else ""."""
    parsed = _load(text.strip())
    if isinstance(parsed, dict):
        answer = next((parsed[k] for k in _ANSWER_KEYS if isinstance(parsed.get(k), str)), "")
        return answer
    return ""
