"""Which troubled workloads a question that names none is about, from the symptoms it
describes. Pure (the diagnosis is passed in).

"the rider app just spins when people check their bus" names no workload, and with
several in trouble the evidence alone picks none. What people meet does: a spinner is
slowness, which only saturation explains, so when exactly one troubled workload in scope
is saturated the question is about it. Each part of the question ("taps declining AND the
app crawling") is tied on its own, so two symptoms can bring two subjects; the words only
say which kind of trouble, the evidence says whose. A question naming a workload this
environment does not have ("recommendations service is timing out", "inventory-svc is
slow", "billing keeps crash looping") is asked back instead: it may be about something
nobody can see from here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.models import Inventory
from assistant.planning.entities import Linking
from assistant.planning.intent import split_words
from assistant.planning.names import mentions
from assistant.planning.ordinary_words import is_ordinary
from assistant.planning.symptoms import (
    Diagnose,
    Tied,
    known_words,
    said_of_unknown,
    suspects,
    symptoms_in,
    tied_to,
)
from assistant.redaction.placeholder import PLACEHOLDER_RE

# Where one symptom's part of a question ends and another's begins.
_PARTS = re.compile(r"[.!?;,:\n]+|\b(?:and|but|also|plus|while)\b|&")
# Nouns for a workload itself: an unknown word before one names a workload ("the
# recommendations service"), not something people use ("the app", "taps").
_WORKLOAD_NOUN = (r"(?:services?|svc|apis?|servers?|backends?|workers?|db|databases?|"
                  r"deployments?|microservices?|pods?|daemons?|consumers?|gateways?|"
                  r"proxy|proxies|brokers?)")
_WORD_BEFORE_NOUN = re.compile(rf"\b([a-z][\w]*)\s+{_WORKLOAD_NOUN}\b")
_HYPHENATED = re.compile(r"\b[a-z][a-z0-9]*(?:-[a-z0-9]+)+\b")


def _names_unknown(own: str, inventory: Inventory) -> bool:
    """The asker's words name a workload that is not in the inventory: a hyphenated name,
    a word before a workload noun, or a word a symptom is said of that is no thing people
    use ("billing keeps crash looping")."""
    known = {d.namespace for d in inventory.deployments} | {
        d.name for d in inventory.deployments} | {d.service for d in inventory.deployments}
    lowered = own.lower()
    hyphenated = [w for w in _HYPHENATED.findall(lowered) if w not in known]
    modifiers = [w for w in _WORD_BEFORE_NOUN.findall(lowered)
                 if w not in known and not is_ordinary(w)]
    subjects = [w for clause in _PARTS.split(lowered) if clause
                for w in said_of_unknown(clause, known_words(inventory))]
    return bool(hyphenated or modifiers or subjects)


def tied_unnamed(linking: Linking, question: str, inventory: Inventory,
                 diagnose: Diagnose) -> tuple[Tied, ...]:
    """The troubled workloads the symptoms of a question that links nothing are about, in
    the order described; empty when the words name something, name a workload we do not
    have, or a symptom fits no troubled workload or several."""
    if linking.resolved or linking.ambiguous or linking.overview or linking.source != "none":
        return ()
    # A redacted secret's placeholder ("[REDACTED:api-key#07cd]") names nothing.
    own = split_words(PLACEHOLDER_RE.sub(" ", question),
                      [d.name for d in inventory.deployments]).own
    if _names_unknown(own, inventory):
        return ()
    parts = [p for p in _PARTS.split(own.lower())
             if symptoms_in(p) and not any(mentions(p, d.name) for d in inventory.deployments)]
    tied: list[Tied] = []
    for part in parts:
        # A namespace a part names bounds its own suspects, not the other parts'.
        pool = suspects(inventory, part, set())
        found = tied_to(symptoms_in(part), pool, diagnose) if pool else None
        if found is not None and all(t.entities != found.entities for t in tied):
            tied.append(found)
    return tuple(tied)


def unnamed_note(tied: Sequence[Tied]) -> str:
    """Why the answer is about workloads the question did not name."""
    return ("your words name no workload, but " + "; and ".join(t.because() for t in tied)
            + ", so this answer is about "
            + ("it" if len(tied) == 1 else "them") + " (policy and an approver decide)")
