"""Clauses in which the asker rules a symptom out, dropped from the search text. Pure.

A question often names two symptoms and sets one aside: "receive errors climbing on ens3,
transmit side looks clean", "the CPU throttling alert is firing but that's normal for us",
"identical on every replica, so not a config problem". The words of the symptom set aside
match its own page as well as the real symptom's words match the real page, in the
embedding and in BM25 alike, so the page the asker ruled out came first. The clause that
rules it out is dropped, so only what is left wrong is searched.

Only a clause that states something is fine goes: one that asks ("is it okay?", "does it
look fine") or denies it ("doesn't look ok") stays, and so does one that says how far the
trouble reaches ("the others are fine"). Clauses end at a comma, semicolon,
sentence end or line break, and before "but", "while", "whereas", "though", "although"
("the image runs fine locally but crashes on start" loses only its first half). A clause
whose subject points back ("that's normal for us", "so not a config problem") rules out
the one before it as well. A question that is nothing but such clauses is searched as it
is.
"""

from __future__ import annotations

import re

# A clause boundary: punctuation followed by a space (not the dot of "alertmanager.yml"
# or "10.96.0.1"), a line break, or the space before a contrasting conjunction.
_BOUNDARY = re.compile(r"((?:[,;]|[.!?]+)(?=\s|$)\s*|\n|\s+(?=(?:but|while|whereas|"
                       r"though|although)\b))", re.IGNORECASE)
_FINE = re.compile(
    r"\b(?:(?:is|are|was|were|looks?|seems?|stays?|remains?|runs?|(?<=\w['’])s)\s+"
    r"(?:(?:all|perfectly|totally|completely|still|just)\s+)?"
    r"(?:fine|clean|normal|ok|okay|healthy|stable|unaffected|expected)|"
    r"not\s+(?:a|an|the)\s+(?:[\w.-]+\s+)?(?:problem|issue|cause))\b",
    re.IGNORECASE)
# Before the "is fine": a question's lead word or a negation ("does it look ok", "doesn't
# look ok"); the "not a ... problem" form carries its own negation.
_NOT_STATING = re.compile(r"^\s*(?:is|are|does|do|did|should|would|could|can|will|if|"
                          r"whether|how|why|what)\b|\b(?:not|never)\b|n['’]t\b",
                          re.IGNORECASE)
# "The others are fine", "the rest look healthy": not another symptom but how far this one
# reaches (one pod of several, one replica of three), which tells sibling pages apart.
_SCOPE = re.compile(r"\b(?:others?|rest|remaining|siblings?|else)\b", re.IGNORECASE)
# A clause whose only subject points back ("..., so not a config problem", "... but that's
# normal for us") rules out the clause before it too; one with no subject at all ("looks
# fine otherwise") says nothing about the clause before.
_CONJUNCTION = r"\s*(?:(?:but|so|and|yet)\s+)?"
_POINTS_BACK = re.compile(_CONJUNCTION + r"(?:that|this|it|which)\s*['’]?\s*", re.IGNORECASE)
_NO_SUBJECT = re.compile(_CONJUNCTION, re.IGNORECASE)


def drop_ruled_out(question: str) -> str:
    """``question`` without the clauses that say something is fine."""
    pieces = _BOUNDARY.split(question)
    kept: list[str] = []
    dropped = False
    for start in range(0, len(pieces), 2):
        clause = pieces[start]
        boundary = pieces[start + 1] if start + 1 < len(pieces) else ""
        fine = _ruling_out(clause, boundary)
        if fine is None:
            kept.append(clause + boundary)
            continue
        dropped = True
        if kept and _points_back(clause[:fine.start()], fine):
            kept.pop()
    text = "".join(kept).strip()
    return text if dropped and text else question


def _points_back(subject: str, fine: re.Match[str]) -> bool:
    if _POINTS_BACK.fullmatch(subject):
        return True
    return fine.group().lower().startswith("not") and _NO_SUBJECT.fullmatch(subject) is not None


def _ruling_out(clause: str, boundary: str) -> re.Match[str] | None:
    """Where ``clause`` says something is fine, if it states so of another symptom."""
    fine = _FINE.search(clause)
    if fine is None or "?" in boundary:
        return None
    if fine.group().lower().startswith("not"):
        return fine
    subject = clause[:fine.start()]
    if _NOT_STATING.search(subject) or _SCOPE.search(subject):
        return None
    return fine
