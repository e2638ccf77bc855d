"""Which runbook section an answer relies on, read from the citation tags it contains."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.models import RetrievalHit, Runbook

_TAG = re.compile(r"\[(runbook|tool):([^\]#\s]+)(?:#([^\]]+))?\]")


@dataclass(frozen=True)
class Citations:
    runbooks: tuple[tuple[str, str | None], ...]  # (runbook id, section heading or None)
    tools: tuple[int, ...]


def find_citations(text: str) -> Citations:
    runbooks: list[tuple[str, str | None]] = []
    tools: list[int] = []
    for kind, ident, heading in _TAG.findall(text or ""):
        if kind == "runbook":
            entry = (ident, heading.strip() or None)
            if entry not in runbooks:
                runbooks.append(entry)
        elif ident.isdigit() and int(ident) not in tools:
            tools.append(int(ident))
    return Citations(tuple(runbooks), tuple(tools))


def cited_hit(
    texts: Sequence[str], hits: Sequence[RetrievalHit], runbooks: Mapping[str, Runbook]
) -> tuple[RetrievalHit | None, tuple[str, ...]]:
    """The first retrieved runbook the texts cite (with the cited section), else the top hit.

    Also returns the runbook ids cited that were never retrieved: the model made them up.
    """
    by_id = {h.runbook_id: h for h in hits}
    unknown: list[str] = []
    chosen: RetrievalHit | None = None
    for text in texts:
        for runbook_id, heading in find_citations(text).runbooks:
            hit = by_id.get(runbook_id)
            if hit is None:
                if runbook_id not in unknown:
                    unknown.append(runbook_id)
                continue
            if chosen is None:
                chosen = _with_section(hit, runbooks.get(runbook_id), heading)
    if chosen is None and hits:
        chosen = hits[0]
    return chosen, tuple(unknown)


def _with_section(hit: RetrievalHit, book: Runbook | None, heading: str | None) -> RetrievalHit:
    if heading is None or book is None:
        return hit
    wanted = heading.casefold()
    for section in book.sections:
        if section.heading.casefold() == wanted:
            return hit.model_copy(update={"section": section})
    return hit


def cited_runbook(text: str, hits: Sequence[RetrievalHit]) -> str | None:
    """The first retrieved runbook ``text`` cites, for a proposal's runbook reference."""
    retrieved = {h.runbook_id for h in hits}
    return next((rid for rid, _ in find_citations(text).runbooks if rid in retrieved), None)
