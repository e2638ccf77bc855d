"""Whose words are these? The asking user's own request versus text they pasted. Pure.

Text is data (DESIGN.md, invariant 7): a ticket, a chat message or a log line pasted into
the question may help find what the thread is about, but it never chooses an action, a
revision or a replica count. Only the asker's own words can ask for an action, and only an
order ("restart cart", "please roll it back") asks for one outright; a question ("should we
roll back?") is a hypothesis to check against the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from assistant.models import Remedy
from tools.catalog import CATALOG

# Quoted spans: straight or typographic double quotes, backticks, and code fences.
_QUOTED = re.compile(r'```.*?```|`[^`\n]*`|"[^"]*"|“[^”]*”|«[^»]*»', re.S)
# Lines that are pasted material rather than the asker talking: chat quotes ("> ..."), and
# log lines (a timestamp or level=... key/value pairs).
_PASTED_LINE = re.compile(
    r"^\s*(?:>|\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\S*level=\w+|\[\w+\]\s|\{\s*\")", re.M)
# Text addressed to a model rather than written to opsbot by the asker: a role label
# ("SYSTEM:", "ASSISTANT NOTE:") or a bid to override instructions. It and the rest of its
# line are somebody else's words (an injection), whoever pasted them.
_TO_A_MODEL = re.compile(
    r"(?:\b(?:SYSTEM|ASSISTANT|AI)(?:\s+[A-Z]+){0,3}\s*:"
    r"|(?i:\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:your|previous|prior|"
    r"earlier|the\s+above|above)\s+(?:rules|instructions|guidelines|prompts?)))"
    r".*$", re.M)
# Clauses: split at sentence ends and at commas ("cart OOM again, restart it").
_CLAUSE = re.compile(r"[^.!?;,\n]+[.!?;]?")
# A clause that asks rather than tells: a modal, auxiliary or question word up front
# ("should we roll back?", "is it the deploy?", "would more replicas help?").
_ASKING = re.compile(
    r"^\s*(?:should|shall|would|wouldn't|will|could|couldn't|can|can't|do|does|did|don't|"
    r"is|isn't|are|aren't|was|were|must|may|might|why|what|how|when|which|who|whether|if|"
    r"maybe)\b|\b(?:should|would|could|can|do)\s+(?:we|i|it|they|that|you)\b|"
    r"\bwhat about\b|\bworth\b|\binstead\b|\bhelp\b|\bor not\b",
    re.I)
# "please ...", "can you ...", "go ahead and ..." are polite orders, not questions.
_POLITE = re.compile(r"^\s*(?:please|pls|plz|can you|could you|would you|go ahead and)\b|"
                     r"\bplease\b", re.I)
_FILLER = re.compile(r"^\s*(?:and|so|then|ok|okay|just|now|let's|lets|pls)\s+", re.I)


class Ask(IntEnum):
    """How the asker's own words bring up an action, weakest first."""

    NONE = 0  # not at all
    WONDERS = 1  # in a question: "should we roll back?", "would a restart help?"
    REQUESTS = 2  # a terse request: "restart?", "scale again?"
    ORDERS = 3  # an order: "restart cart", "please roll it back", "add replicas"


@dataclass(frozen=True)
class Words:
    own: str  # what the asker wrote, with pasted material blanked out
    pasted: str  # the pasted material, joined


def split_words(question: str) -> Words:
    pasted: list[str] = []

    def blank(match: re.Match[str]) -> str:
        pasted.append(match.group(0))
        return " " * len(match.group(0))

    own = _TO_A_MODEL.sub(blank, _QUOTED.sub(blank, question))
    lines = []
    for line in own.splitlines(keepends=True):
        if _PASTED_LINE.match(line):
            pasted.append(line)
            lines.append("\n")
        else:
            lines.append(line)
    return Words(own="".join(lines), pasted="\n".join(pasted))


def _clause_ask(clause: str, verb: re.Pattern[str]) -> Ask:
    text = clause.strip().lower()
    found = verb.search(text)
    if found is None:
        return Ask.NONE
    asking = _ASKING.search(text) is not None
    if _POLITE.search(text) or not (asking or text.endswith("?")):
        return Ask.ORDERS
    lead = _FILLER.match(text)
    verb_first = found.start() == (lead.end() if lead else 0)
    return Ask.REQUESTS if verb_first and not asking else Ask.WONDERS


def ask_of(own_words: str, verb: re.Pattern[str]) -> Ask:
    """The strongest way any clause of the asker's own words brings up ``verb``."""
    return max((_clause_ask(c, verb) for c in _CLAUSE.findall(own_words)), default=Ask.NONE)


@dataclass(frozen=True)
class Order:
    """One clause of the asker's own words that orders a tool outright."""

    tool: str
    clause: str


def orders_in(question: str) -> list[Order]:
    """Every order in the asker's own words, by clause; pasted text gives none."""
    clauses = [c.strip() for c in _CLAUSE.findall(split_words(question).own)]
    return [Order(tool=name, clause=clause)
            for name, spec in CATALOG.items() if spec.asked_by is not None
            for clause in clauses if _clause_ask(clause, spec.asked_by) is Ask.ORDERS]


def asks_by(question: str) -> Callable[[str], Ask]:
    """How the asker's own words (not pasted text) bring up a given tool."""
    own = split_words(question).own

    def ask(tool: str) -> Ask:
        spec = CATALOG.get(tool)
        if spec is None or spec.asked_by is None:
            return Ask.NONE
        return ask_of(own, spec.asked_by)

    return ask


def remedies_asked(question: str) -> frozenset[Remedy]:
    """Remedies the asker's own words mention at all, ordered or asked about."""
    own = split_words(question).own.lower()
    return frozenset(spec.remedy for spec in CATALOG.values()
                     if spec.remedy is not None and spec.asked_by is not None
                     and spec.asked_by.search(own))
