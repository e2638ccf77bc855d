"""Random-looking tokens next to words like key, token, secret or password.

For prose and unstructured logs ("rotated token 9fQx...", "the api key is ..."). The word
must stand alone or be a sensitive name (``X-Api-Key`` yes, ``Sec-WebSocket-Key`` no). The
token must look random (entropy, mixed character classes) and not have the shape of an
ordinary identifier: UUIDs, hex digests after "key", pod and DNS names, paths, dotted names.
Scanning stops at the next field (``trace_id=...``, ``"span":``) or at punctuation.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator

from assistant.redaction.detector import Finding
from assistant.redaction.fields import (
    SENSITIVE_NAME_END,
    names_with_hints,
    secret_kind_for_name,
    word_before,
)

_KEYWORDS = frozenset({
    "key", "keys", "apikey", "token", "tokens", "secret", "secrets", "password", "passwd",
    "passphrase", "credential", "credentials",
})
_TOKEN_WORDS = frozenset({"token", "tokens"})
_WORD = re.compile(r"\S+")
_FIELD = re.compile(r"[\"']?[A-Za-z_][\w.-]*[\"']?(?:[:=][^=]|:$)")
_EDGE = "\"'`,;:()[]{}<>="
_CLAUSE_END = ",;.)]}\"'"
_MIN_LENGTH = 16
_CANDIDATE = re.compile(r"[A-Za-z0-9+/_=.-]{16,256}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_PATH = re.compile(r"(?:/[a-z0-9_-]*)+/?")
_DNS_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
_DIGEST_PREFIX = re.compile(r"(?i)(?:sha1|sha256|sha384|sha512|md5):$")
_WINDOW_WORDS = 4
_WINDOW_CHARS = 1024
_MIN_ENTROPY = 3.2


def shannon_entropy(text: str) -> float:
    counts = Counter(text)
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def looks_random(token: str, after_word: str) -> bool:
    """Would a person call ``token``, seen right after ``after_word``, a secret?"""
    if "." in token or _PATH.fullmatch(token):
        return False  # dotted names, versions, hosts; paths
    if _UUID.search(token) or token.isdigit() or _DNS_NAME.fullmatch(token):
        return False
    if _HEX.fullmatch(token):
        # Hex after "key" is a cache key, key id or digest; after token/secret it is a secret.
        return not after_word.lower().endswith("key") and len(token) >= 32
    has_upper = any(c.isupper() for c in token)
    has_lower = any(c.islower() for c in token)
    if not any(c.isdigit() for c in token) or not (has_upper or has_lower):
        return False  # CamelCaseIdentifiers and words are not keys
    return shannon_entropy(token) >= _MIN_ENTROPY


class HighEntropyDetector:
    triggers = ("key", "token", "secret", "pass", "cred")
    exact_triggers = ()
    # Where it can report: a sensitive name or a keyword as a name of its own, then within
    # its next four words, none before it ending a clause, a run of 16 characters a
    # candidate is made of (matched at the run's end only: one match a run).
    patterns = (
        r"(?:" + SENSITIVE_NAME_END + r"|(?:^|[^A-Za-z0-9_.-])[.-]*(?i:keys?|tokens?|secrets?))"
        r"\.*(?:(?:[^ \t\n]*[^ \t\n" + re.escape(_CLAUSE_END) + r"])?[ \t]+){0,4}"
        r"[^ \t\n]*[A-Za-z0-9+/_=.-]{16}(?:[^A-Za-z0-9+/_=.\n-]|$)",
    )

    def find(self, line: str) -> Iterator[Finding]:
        for start, end in names_with_hints(line):
            name = line[start:end].rstrip(".")
            lowered = name.lower()
            if lowered not in _KEYWORDS and secret_kind_for_name(name) is None:
                continue  # part of an ordinary name: cache_key, Sec-WebSocket-Key
            if lowered in _TOKEN_WORDS and secret_kind_for_name(
                f"{word_before(line, start)}_token"
            ) is None:
                continue  # "next page token ...": a cursor
            found = self._after(line, end, name)
            if found is not None:
                yield found

    def _after(self, line: str, pos: int, word: str) -> Finding | None:
        # A bounded window keeps lines like "key=key=key=..." linear; a word cut off by the
        # window's end is longer than any candidate anyway.
        window_end = pos + _WINDOW_CHARS
        for n, raw in enumerate(_WORD.finditer(line, pos, window_end)):
            if n >= _WINDOW_WORDS or (n and _FIELD.match(raw.group())):
                return None
            if raw.end() == window_end and window_end < len(line):
                return None
            found = self._token_in(raw, word)
            if found is not None:
                return found
            if raw.group()[-1] in _CLAUSE_END:
                return None
        return None

    @staticmethod
    def _token_in(raw: re.Match[str], after_word: str) -> Finding | None:
        text = raw.group()
        if len(text) < _MIN_LENGTH:
            return None
        start = raw.start() + len(text) - len(text.lstrip(_EDGE))
        text = text.strip(_EDGE)
        colon = text.rfind(":")
        if colon != -1:
            if _DIGEST_PREFIX.search(text[: colon + 1]):
                return None  # sha256:<digest>
            start += colon + 1
            text = text[colon + 1 :]
        if not _CANDIDATE.fullmatch(text) or not looks_random(text, after_word):
            return None
        return Finding(start, start + len(text), "generic-secret")
