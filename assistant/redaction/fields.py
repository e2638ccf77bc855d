"""What a field name says about its value, and whether a value is a real secret at all.

Shared by the text detectors (``password=...``) and by structured redaction
(``{"password": ...}``) so both agree on which names are sensitive.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A sensitive name contains one of these (lower-cased); the prefilter relies on it.
NAME_TRIGGERS = ("pass", "pwd", "secret", "token", "key", "cred")
# A word holding a trigger, to the end of its name (a regex for prefilter patterns).
HINTED_NAME_END = (
    r"(?i:(?:" + "|".join(NAME_TRIGGERS) + r")[a-z]*(?:[_.-]*[0-9]+)*(?:[_.-]*base)?)"
)

_HINT = re.compile("|".join(NAME_TRIGGERS), re.IGNORECASE)
_HINT_LOWER = re.compile("|".join(NAME_TRIGGERS))
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_NAME_RUN = re.compile(r"[A-Za-z0-9_.-]*")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")

MAX_NAME = 256  # a longer "name" is a run of text, not a field name
# Also Norwegian and Danish "passord" and German "passwort", as teams write them.
_PASSWORD_SUFFIXES = ("password", "passwd", "passphrase", "passcode", "passord", "passwort")
_PASSWORD_WORDS = frozenset({"pwd", "pass"})
# keytool's -storepass and -keypass, Redis' requirepass, ldap's bindpass end in "pass"; so do
# these words.
_NOT_PASSWORDS = frozenset({"bypass", "compass", "surpass", "trespass", "overpass",
                            "underpass", "encompass", "impass", "multipass", "onepass",
                            "singlepass", "firstpass", "secondpass", "surrogatepass"})
_KEY_WORDS = frozenset({"apikey", "accesskey", "secretkey", "privatekey", "signingkey"})
_KEY_QUALIFIERS = frozenset({
    "api", "access", "secret", "private", "signing", "encryption", "master", "account",
    "auth", "client", "license", "shared", "subscription", "storage", "consumer", "app",
    "admin", "session", "ssh", "deploy", "webhook", "hmac", "encrypt", "decrypt",
    "routing", "integration",  # PagerDuty keys in Alertmanager configs
})
_CREDENTIAL_WORDS = frozenset({"credential", "credentials", "creds"})
# How every name secret_kind_for_name accepts ends (a regex for prefilter patterns, a
# superset): its last word, numbering, and Rails' "_base" (secret_key_base).
SENSITIVE_NAME_END = (
    r"(?i:(?:pass[a-z]*|pwd|token|secret|cred(?:entials?|s)|(?:private|api|"
    + "|".join(sorted(_KEY_QUALIFIERS)) + r")[0-9_.-]*key(?:[_.-]*data)?)(?:[_.-]*[0-9]+)*"
    r"(?:[_.-]*base)?)"
)
# Tokens that only point somewhere: pagination cursors, sync markers, idempotency tokens.
_POINTER_TOKENS = frozenset({
    "page", "next", "continuation", "pagination", "sync", "cursor", "resume", "cancellation",
    "idempotency", "continue",
})
_HEADER_KINDS = {
    "authorization": "authorization",
    "proxy-authorization": "authorization",
    "cookie": "cookie",
    "set-cookie": "cookie",
}


def name_words(name: str) -> list[str]:
    """``dbPassword`` -> [db, password]; ``X-API-Key`` -> [x, api, key]."""
    return [w.lower() for w in _SEPARATORS.split(_CAMEL.sub("_", name)) if w]


def _run_end(text: str, pos: int) -> int:
    run = _NAME_RUN.match(text, pos)
    return pos if run is None else run.end()


@lru_cache(maxsize=4)  # two detectors ask about the same line in a row
def names_with_hints(line: str) -> tuple[tuple[int, int], ...]:
    """Spans of the names (letters, digits, ``_ . -``) in ``line`` holding a trigger word.

    Leading ``-`` and ``.`` are not part of a name (``--password`` is ``password``); runs
    longer than :data:`MAX_NAME` are not names.
    """
    lowered = line.lower()
    hints = _HINT_LOWER if len(lowered) == len(line) else _HINT
    text = lowered if hints is _HINT_LOWER else line
    size = len(line)
    reversed_line = ""
    spans = []
    pos = 0
    while (hint := hints.search(text, pos)) is not None:
        start, end = hint.span()
        end = _run_end(line, end)
        if start and line[start - 1] in _NAME_CHARS:
            # Walk back with the same regex over the reversed line: C speed both ways.
            reversed_line = reversed_line or line[::-1]
            start = size - _run_end(reversed_line, size - start)
        pos = end
        while start < end and line[start] in "-.":
            start += 1
        if end - start <= MAX_NAME:
            spans.append((start, end))
    return tuple(spans)


def word_before(line: str, start: int) -> str:
    """The word a blank before ``start`` ("page" in "next page token"), else ""."""
    if not start or line[start - 1] != " ":
        return ""
    words = line[max(0, start - 40) : start].split()
    return words[-1].strip("\"'`([{,;:") if words else ""


@lru_cache(maxsize=4096)
def secret_kind_for_name(name: str) -> str | None:
    """The placeholder kind for values named ``name``, or None if the name is not sensitive.

    Only the last word counts, so ``token_type``, ``secret_name`` and ``password_reset``
    are ordinary fields while ``DB_PASSWORD``, ``accessToken`` and ``x-api-key`` are not.
    Callers pass names of at most :data:`MAX_NAME` characters, so the cache stays small.
    """
    if not _HINT.search(name):
        return None
    # Numbering does not change what a field holds: password2, DB_PASSWORD_1.
    words = [w.rstrip("0123456789") for w in name_words(name) if not w.isdigit()]
    if not words:
        return None
    if words[-2:] in (["key", "base"], ["key", "data"]):
        words.pop()  # Rails' secret_key_base; kubeconfig's client-key-data
    last = words[-1]
    previous = words[-2] if len(words) > 1 else ""
    if last.endswith(_PASSWORD_SUFFIXES) or last in _PASSWORD_WORDS or (
        last.endswith("pass") and last not in _NOT_PASSWORDS
    ):
        return "password"
    if last.endswith("token"):
        pointer = previous in _POINTER_TOKENS or last[:-5] in _POINTER_TOKENS
        return None if pointer else "token"
    if last == "privatekey" or (last == "key" and previous == "private"):
        return "private-key"
    if last.endswith("apikey") or last in _KEY_WORDS or (
        last == "key" and previous in _KEY_QUALIFIERS
    ):
        return "api-key"
    if last.endswith("secret"):
        return "secret"
    if last in _CREDENTIAL_WORDS:
        return "credential"
    return None


# Lists of {name: X, value: Y} entries (Kubernetes env, ECS, SSM, Consul, CloudFormation):
# the value is as sensitive as the sibling name X says.
PAIR_NAME_KEYS = frozenset({"name", "key", "parametername", "parameterkey"})
PAIR_VALUE_KEYS = frozenset({"value", "parametervalue"})


def secret_kind_for_field(name: str) -> str | None:
    """Like :func:`secret_kind_for_name`, plus header names whose whole value is a credential."""
    return _HEADER_KINDS.get(name.lower()) or secret_kind_for_name(name)


_DUMMY_WORDS = frozenset({
    "null", "none", "nil", "true", "false", "undefined", "redacted", "masked", "hidden",
    "filtered", "removed", "omitted", "unset", "empty", "n/a", "na", "required", "optional",
})
# Template references and bind parameters stand in for a value: ${DB_PASS}, {{ .pw }},
# $(cat f), $API_KEY, %s, %(pw)s, {}, <password>, xxxx, and SQL's $1, ? and :password.
_TEMPLATE_START = re.compile(
    r"\$\{[^}]*\}|\{\{.*?\}\}|\$\([^)]*\)|\$[A-Z_][A-Z0-9_]*\b|%[sdr]\b|%\(\w+\)[sdr]"
    r"|\{\w*\}|<[\w .:/-]+>|\$\d{1,2}\b"
    r"|:\w*(?i:pass|pwd|secret|token|key|cred)\w*\b"  # named binds are named after the field
)
_TEMPLATE = re.compile(r"(?:" + _TEMPLATE_START.pattern + r"|[xX]{3,})")


def starts_with_template(text: str, pos: int = 0) -> bool:
    """Does a template reference or bind parameter start at ``pos``? (a value cut short at a
    bracket, such as ``${DB_PASS`` out of ``${DB_PASS}``, is still one)"""
    return _TEMPLATE_START.match(text, pos) is not None


def is_dummy_value(value: str) -> bool:
    """Empty, masked, boolean/null or a template reference: nothing to hide."""
    text = value.strip()
    if not any(c.isalnum() for c in text):
        return True
    return text.lower() in _DUMMY_WORDS or _TEMPLATE.fullmatch(text) is not None


def looks_secretish(value: str) -> bool:
    """Weak evidence for prose like ``Password: Summer2024!`` vs ``password: required``."""
    if len(value) < 6:
        return False
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value)
    inner_upper = any(c.isupper() for c in value[1:])
    has_lower = any(c.islower() for c in value)
    return has_digit or has_symbol or (inner_upper and has_lower)
