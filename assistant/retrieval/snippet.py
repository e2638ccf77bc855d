"""A short excerpt of a section for people: the first line that matches the question."""

from __future__ import annotations

from assistant.retrieval.lexical import tokenize


def snippet(text: str, query: str, width: int = 200) -> str:
    wanted = set(tokenize(query))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    best = max(lines, key=lambda line: len(wanted.intersection(tokenize(line))))
    start = lines.index(best)
    excerpt = " ".join(lines[start:])
    return excerpt if len(excerpt) <= width else excerpt[: width - 1].rstrip() + "…"
