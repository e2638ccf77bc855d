"""Passwords passed to command-line clients: ``mysql -pS3cret``, ``sshpass -p pw``,
``redis-cli -a pw``, ``docker login -p pw``, ``ldapsearch -w pw``, ``openssl -passin pass:pw``
and ``curl -u user:pw`` (``--user``, ``--proxy-user``).

A short flag means a password only to the client that defines it (``ssh -p 2222`` is a port;
``mysql -p db`` prompts and names a database), so each flag is looked for among the next few
words after its command's name. ``-u user:password`` is curl's, but ``docker run -u 1000:1000``
is a uid and gid: away from a curl command (a ``\\``-continued line, say) the part after the
colon must look like a password.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.redaction.detector import Finding
from assistant.redaction.fields import is_dummy_value, looks_secretish

_WORDS = 16  # how far after its command a flag is looked for
_CMD_END = r"(?![\w.-])"
# One shell word: bare, quoted, quoted inside a JSON string (\"...\") or a mix (-uadmin:'pw').
# A quoted part opens the word or follows : or =, so the quote closing a JSON string around
# the command ends the word. Quotes are bounded so unterminated ones stay linear.
_QUOTED = r"(?:'[^'\n]{0,256}'|\\\"[^\"\\\n]{0,256}\\\"|\"[^\"\n]{0,256}\")"
_BARE = r"(?:\\(?!\")|[^\s'\"\\])"
_VALUE = rf"(?P<word>(?:{_QUOTED}|{_BARE})(?:{_BARE}|(?<=[:=]){_QUOTED})*)"
_QUOTES = ('\\"', '"', "'")


def _after(command: str, flag: str, glued: bool) -> re.Pattern[str]:
    """``flag`` and its value within a few words after ``command`` (the first such flag, as
    the words are skipped lazily); ``glued``: no blank between them (``-pS3cret``), as
    ``mysql -p`` requires."""
    skip = rf"(?:[ \t]+\S+){{0,{_WORDS}}}?"
    gap = "" if glued else r"[ \t]+"
    return re.compile(rf"(?<![\w.-]){command}{_CMD_END}{skip}[ \t]+{flag}{gap}{_VALUE}")


@dataclass(frozen=True)
class _Rule:
    triggers: tuple[str, ...]
    pattern: re.Pattern[str]


_RULES = (
    _Rule(("mysql", "mariadb"), _after(r"(?:mysql\w*|mariadb[\w-]*)", "-p", glued=True)),
    _Rule(("redis-cli",), _after("redis-cli", "-a", glued=False)),
    _Rule(("ldap",), _after(r"ldap\w+", "-w", glued=False)),
    _Rule(
        (" login",),
        _after(r"(?:docker|podman|nerdctl|buildah|skopeo|oras|registry|oc|cf|az)[ ]+login",
               "-p", glued=False),
    ),
    # sshpass's own options come first; a -p after the wrapped command is that command's.
    _Rule(("sshpass",), re.compile(
        r"(?<![\w.-])sshpass(?:[ \t]+(?:-P[ \t]*\S+|-[^pP\s]\S*)){0,8}[ \t]+-p[ \t]*" + _VALUE
    )),
    _Rule(("pass:",), re.compile(r"(?<!\S)-pass(?:in|out)?[ \t]+pass:" + _VALUE)),
)
_USER_FLAG_TRIGGERS = ("-u",)  # also in --user, --proxy-user and (lower-cased) -U
_USER_FLAG = re.compile(
    r"(?<!\S)(?:-[uU](?P<sep>=|[ \t]*)|--(?:user|proxy-user)(?:=|[ \t]+))" + _VALUE
)


def _unquoted(line: str, start: int, end: int) -> tuple[int, int]:
    """The span inside the quotes when ``line[start:end]`` is one quoted string."""
    text = line[start:end]
    for quote in _QUOTES:
        size = len(quote)
        if len(text) >= 2 * size and text.startswith(quote) and text.endswith(quote) and (
            quote not in text[size:-size]
        ):
            return start + size, end - size
    return start, end


class CommandLineDetector:
    triggers = tuple(t for rule in _RULES for t in rule.triggers) + _USER_FLAG_TRIGGERS
    exact_triggers = ()

    def find(self, line: str) -> Iterator[Finding]:
        lowered = line.lower()
        for rule in _RULES:
            if any(t in lowered for t in rule.triggers):
                for match in rule.pattern.finditer(line):
                    start, end = _unquoted(line, *match.span("word"))
                    if end > start and not is_dummy_value(line[start:end]):
                        yield Finding(start, end, "password")
        if any(t in lowered for t in _USER_FLAG_TRIGGERS):
            yield from self._user_passwords(line, lowered)

    @staticmethod
    def _user_passwords(line: str, lowered: str) -> Iterator[Finding]:
        """``-u user:password``: lenient after ``curl`` on the line, strict elsewhere."""
        curl = lowered.find("curl")
        for match in _USER_FLAG.finditer(line):
            in_curl = curl != -1 and curl < match.start()
            if match.group("sep") == "" and not in_curl:
                continue  # -uroot is mysql's user; only curl takes -uuser:password glued
            start, end = _unquoted(line, *match.span("word"))
            colon = line.find(":", start, end)
            if colon == -1:
                continue
            start, end = _unquoted(line, colon + 1, end)
            user = line[match.start("word") : colon].lstrip("'\"\\")
            password = line[start:end]
            if not password or is_dummy_value(password) or "://" in line[start:end]:
                continue
            if not in_curl and (
                password == user or password.isdigit() or not looks_secretish(password)
            ):
                continue
            yield Finding(start, end, "password")
