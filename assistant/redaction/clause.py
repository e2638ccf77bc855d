"""A credential named, a short clause about it, then the value: "token if you need grafana:
X", "password for the staging db is below: X", "key (rotate after): X", "the admin password,
if you need it, is X", "secret we use in staging -> X", "pass — X", "🔑 X".

What people type when they paste a secret into chat in a hurry. The clause starts with a
function word that cannot make the name a compound ("for", "if", "we", "there", "today", a
bracket or a comma, so "password reset for user: X" and "token refresh failed: X" are not
read; "pw" is a password whatever word qualifies it), holds at most eight words and no
sentence end, and the value after its colon, arrow, dash, spaced "=" or "is" must be
token-shaped: letters and digits and not a number, UUID, host or path; a password as
:func:`~assistant.redaction.prose.credential_like` reads one, anything else with mixed case,
a password's symbol or length, and not a hex digest after "key" or a hyphenated object name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.redaction.detector import Finding
from assistant.redaction.fields import (
    is_dummy_value,
    names_with_hints,
    secret_kind_for_name,
    word_before,
)
from assistant.redaction.generic import shannon_entropy
from assistant.redaction.prose import credential_like

# Key emoji and arrows, as typed and as JSON escapes them in a logged message.
_EMOJI_KEYS = ("🔑", "🔐", "🗝", r"\ud83d\udd11", r"\ud83d\udd10", r"\ud83d\udddd")
_EMOJI = "|".join(re.escape(e) for e in _EMOJI_KEYS)
_ARROWS = "|".join(re.escape(a) for a in (
    "->", "=>", "→", "⇒", "👉", "➡", "—", "–",
    r"\u2192", r"\u21d2", r"\u2014", r"\u2013", r"\ud83d\udc49",
))
_VARIATION = "\ufe0f?"  # emoji presentation: "➡️" is "➡" and this selector
# The names, as whole words (names_with_hints finds them); "pw" and the emoji on their own.
_NOUNS = frozenset({"pass", "password", "passwd", "passphrase", "passord", "passwort", "pwd",
                    "secret", "token", "key", "credential", "credentials", "creds"})
_PW_CASES = ("pw", "PW", "Pw")
_PW = re.compile(r"(?<![\w-])(?i:pw)(?![\w-])")
_EMOJI_NOUN = re.compile("(?:" + _EMOJI + ")" + _VARIATION)
# What may follow the name and open a clause about it rather than a compound name.
# Function words only, a closed class: prepositions, pronouns, and adverbs of place and time
# ("pw there is X", "token now: X"). A content word there may make a compound name.
_FOLLOWER_WORDS = (r"(?i:for|if|to|of|on|in|at|from|with|by|via|per|under|behind|inside|across"
                   r"|we|you|i|they|he|she|it|someone|that|which|here|there|below|above|over"
                   r"|now|today|tonight|still|again|also|then|btw|as|when|until"
                   r"|you'll|you'd|we've|we're)")
_FOLLOWER = re.compile(r"[ ]*[(,]|[ ]+" + _FOLLOWER_WORDS + r"(?=[ ,(:])")
_SEPARATOR = re.compile(
    r"[ ]*(?::|(?:" + _ARROWS + ")" + _VARIATION + r")[ ]*|[ ]+(?:-|=|(?i:is|was))[ ]+"
)
_ARROW_ONLY = re.compile(r"[ ]*(?:" + _ARROWS + ")" + _VARIATION + r"[ ]*|[ ]+-[ ]+")
_EMOJI_SEPARATOR = re.compile(r"[ ]*(?::|=|(?:" + _ARROWS + ")" + _VARIATION + r")?[ ]*")
# A clause ends at a sentence's end or where a field, a quote or a table cell starts; an
# "=" with a blank either side is prose ("pw over there = X"), not a field.
_CLAUSE_STOP = re.compile(r"[;?!\"`|{}\[\]]|=(?![ >])|(?<![ ])=(?!>)|\.(?:\s|$)")
_CLAUSE_REACH = 64
_CLAUSE_WORDS = 8
_VALUE = re.compile(
    r"(?P<q>[\"'`])(?P<quoted>[^\"'`\n]{6,256})(?P=q)|(?P<bare>[^\s\"'`]{1,256})"
)
_DETERMINERS = frozenset({"", "the", "a", "an", "my", "our", "your", "their", "his", "her",
                          "its", "this", "that", "new", "old", "current"})
_KIND_OF_BARE = {"key": "api-key", "pw": "password"}
_MIN_VALUE = 8
_LONG_VALUE = 16
_MIN_ENTROPY = 3.0
_NUMBERISH = re.compile(r"[vV]?\d[\d.,:/+-]*(?:T[\d.:+-]*Z?)?[a-zA-Z]{0,3}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_DOTTED = re.compile(r"[\w-]+(?:\.[\w-]+)+/?")
_OBJECT_NAME = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)+")
_SYMBOL_INSIDE = re.compile(r"[A-Za-z0-9][!@#$%^&*+?~]+[A-Za-z0-9]")


def token_shaped(value: str, kind: str) -> bool:
    """Could ``value``, given as a ``kind`` after a clause about it, be that credential?"""
    if len(value) < _MIN_VALUE or is_dummy_value(value) or "://" in value:
        return False
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    if value.startswith(("/", "./", "~/", "@", "#", "$")) or "=" in value.rstrip("="):
        return False
    if _NUMBERISH.fullmatch(value) or _UUID.search(value) or _DOTTED.fullmatch(value):
        return False
    if kind == "password":  # people choose these: "river-battery-cloud6", "jktyuv969"
        return credential_like(value, quoted=False, after=kind)
    if _OBJECT_NAME.fullmatch(value):
        return False
    if _HEX.fullmatch(value):
        return kind != "api-key" and len(value) >= 32  # after "key": a key id or digest
    mixed_case = any(c.isupper() for c in value) and any(c.islower() for c in value)
    if not (mixed_case or _SYMBOL_INSIDE.search(value) or len(value) >= _LONG_VALUE):
        return False
    return shannon_entropy(value) >= _MIN_ENTROPY


def _kind(line: str, start: int, noun: str) -> str | None:
    """What the noun names: "admin password" a password, "cache key" and "page token"
    nothing; a bare "key", "the key" or "[app]: key" an API key."""
    before = word_before(line, start).lower()
    kind = secret_kind_for_name(f"{before}_{noun}") if before else None
    if kind is None and (before in _DETERMINERS or not before.isalpha()):
        kind = secret_kind_for_name(noun) or _KIND_OF_BARE.get(noun.lower())
    if kind is None and noun.lower() == "pw":  # no compound: "admin pw" is a password too
        kind = "password"
    return kind


def _value(line: str, pos: int) -> tuple[int, int] | None:
    match = _VALUE.match(line, pos)
    if match is None:
        return None
    if match.group("quoted") is not None:
        return match.span("quoted")
    start, end = match.span("bare")
    text = match.group("bare")
    start += len(text) - len(text.lstrip("(["))
    end -= len(text) - len(text.rstrip(".,;:)]"))
    return (start, end) if end > start else None


class ClauseValueDetector:
    triggers = ("pass", "pw", "secret", "token", "key", "cred",
                *(re.escape(e) for e in _EMOJI_KEYS))
    exact_triggers = ()
    # Where it can report: a name, then a clause opener or an arrow, or a key emoji.
    patterns = (
        r"(?i:pass|pw|secret|token|key|cred)[A-Za-z]*(?:[ ]*[(,]|[ ]+" + _FOLLOWER_WORDS
        + r"[ ,(:]|[ ]*(?:" + _ARROWS + r")|[ ]+-[ ]+)",
        _EMOJI,
    )

    def find(self, line: str) -> Iterator[Finding]:
        # Lines come here for holding "key" or "token" anywhere, mostly in longer names
        # (cache_key, trace_token): the names already found on the line are sifted first.
        nouns = []
        for start, end in names_with_hints(line):
            noun = line[start:end].rstrip(".")
            if noun.lower() in _NOUNS:
                nouns.append((start, start + len(noun)))
        if any(pw in line for pw in _PW_CASES):
            nouns.extend(m.span() for m in _PW.finditer(line))
        for start, end in nouns:
            kind = _kind(line, start, line[start:end])
            found = None if kind is None else self._after_clause(line, end, kind)
            if found is not None:
                yield found
        if any(emoji in line for emoji in _EMOJI_KEYS):
            for emoji in _EMOJI_NOUN.finditer(line):
                found = self._after_emoji(line, emoji.end())
                if found is not None:
                    yield found

    @staticmethod
    def _after_emoji(line: str, pos: int) -> Finding | None:
        separator = _EMOJI_SEPARATOR.match(line, pos)
        span = None if separator is None else _value(line, separator.end())
        if span is None or not token_shaped(line[span[0]:span[1]], "secret"):
            return None
        return Finding(span[0], span[1], "secret")

    @staticmethod
    def _after_clause(line: str, pos: int, kind: str) -> Finding | None:
        arrow = _ARROW_ONLY.match(line, pos)
        if arrow is not None:  # "pass — X", "token 👉 X": no clause
            separators: list[re.Match[str]] = [arrow]
        elif _FOLLOWER.match(line, pos) is not None:
            stop = _CLAUSE_STOP.search(line, pos, pos + _CLAUSE_REACH)
            limit = stop.start() if stop is not None else min(len(line), pos + _CLAUSE_REACH)
            separators = list(_SEPARATOR.finditer(line, pos, limit + 1))
        else:
            return None
        for separator in separators:
            if len(line[pos:separator.start()].split()) > _CLAUSE_WORDS:
                return None
            span = _value(line, separator.end())
            if span is not None and token_shaped(line[span[0]:span[1]], kind):
                return Finding(span[0], span[1], kind)
            if ":" in separator.group():
                return None  # a colon ends the clause, with a value or without
        return None
