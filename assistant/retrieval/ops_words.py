"""Everyday ops words for things the runbooks call otherwise, followed by the runbook's
word. Pure.

People say "a worker went NotReady", "the NIC", "errors on incoming packets", "the client
cert"; the runbooks say node, network interface, receive, transmit, certificate. BM25 and
name matching never link the two, and the small embedding model links them too weakly
to separate sibling pages (receive vs transmit errors, node vs pod not ready). The table
holds only words with one meaning on a cluster; "worker" followed by what it qualifies
("worker pod", "worker process") is not a node. The word is kept and the runbook's word
follows it, as short_names.py does.
"""

from __future__ import annotations

import re

_RUNBOOK_WORDS = {
    "worker": "node",
    "workers": "nodes",
    "nic": "network interface",
    "nics": "network interfaces",
    "incoming": "receive",
    "inbound": "receive",
    "outgoing": "transmit",
    "outbound": "transmit",
    "cert": "certificate",
    "certs": "certificates",
}
# Not part of a longer name ("worker-3", "/etc/certs"), and not "worker" naming the kind
# of some other thing.
_OPS_WORD = re.compile(
    r"(?<![\w/.-])(" + "|".join(sorted(_RUNBOOK_WORDS, key=len, reverse=True)) + r")"
    r"(?![\w/-])(?!\s+(?:pods?|process(?:es)?|threads?|containers?|jobs?|nodes?)\b)",
    re.IGNORECASE,
)


def spell_out_ops_words(question: str) -> str:
    """``question`` with each everyday ops word followed by the runbooks' word for it."""
    return _OPS_WORD.sub(lambda m: f"{m.group()} ({_RUNBOOK_WORDS[m.group(1).lower()]})",
                         question)
