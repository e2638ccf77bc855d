"""Text to Block Kit: escaping, Slack's size limits, Markdown headings to mrkdwn. Pure."""

from __future__ import annotations

import re
from typing import Any

Block = dict[str, Any]

SECTION_CHARS = 3000  # Slack's limit on a section's text
MAX_BLOCKS = 50  # Slack's limit on blocks in one message
# Above this a message is hard to read in a thread; the whole text goes into a file.
INLINE_CHARS = 12000
INLINE_LINES = 40

_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_BULLET = re.compile(r"^(\s*)- ")
_QUOTE = re.compile(r"^&gt; ", re.MULTILINE)


def escape(text: str) -> str:
    """Slack reads &, < and > as markup (links, mentions); show them as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """Engine text (already mrkdwn-flavoured) made safe: escaped, block quotes kept."""
    return _QUOTE.sub("> ", escape(text))


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_CHARS)}}


def context(text: str) -> Block:
    return {"type": "context",
            "elements": [{"type": "mrkdwn", "text": truncate(text, SECTION_CHARS)}]}


def text_blocks(text: str) -> list[Block]:
    """Sections of at most SECTION_CHARS, split between lines where possible."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines():
        while len(line) > SECTION_CHARS:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:SECTION_CHARS])
            line = line[SECTION_CHARS:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_CHARS:
            chunks.append(current)
            candidate = line
        current = candidate
    if current.strip():
        chunks.append(current)
    return [section(chunk) for chunk in chunks[:MAX_BLOCKS]]


def is_long(text: str) -> bool:
    return len(text) > INLINE_CHARS or text.count("\n") >= INLINE_LINES


def head(text: str, lines: int = INLINE_LINES // 2) -> str:
    kept = text.splitlines()[:lines]
    rest = len(text.splitlines()) - len(kept)
    return "\n".join(kept) + (f"\n… ({rest} more lines in the attached file)" if rest else "")


def markdown_to_mrkdwn(markdown: str) -> str:
    """The summary is Markdown for postmortem docs; in Slack, headings become bold lines."""
    out: list[str] = []
    for line in escape(markdown).splitlines():
        heading = _HEADING.match(line)
        if heading:
            out.append(f"*{heading.group(1).strip()}*")
        else:
            out.append(_BULLET.sub(lambda m: f"{m.group(1)}• ", line))
    return "\n".join(out)
