"""Passwords passed to command-line clients: ``mysql -pS3cret``, ``sshpass -p pw``,
``redis-cli -a pw``, ``docker login -p pw``, ``openssl -passin pass:pw``, the OpenLDAP
clients' ``ldapsearch -w pw`` (``-W`` prompts, ``-y file`` names a file), ``curl -u user:pw``
(``--user``, ``--proxy-user``) and httpie's ``http -a user:pw`` (``--auth``; with
``-A bearer`` the whole value is a token).

A short flag means a password only to the client that defines it (``ssh -p 2222`` is a port;
``mysql -p db`` prompts and names a database; ``docker run -u 1000:1000`` is a uid and gid),
so each flag is looked for after its command's name on the same line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.redaction.detector import Finding
from assistant.redaction.fields import is_dummy_value
from assistant.redaction.prose import credential_like

_WORDS = 16  # how far after its command a flag is looked for
_CMD_END = r"(?![\w.-])"
# One shell word: bare, quoted, quoted inside a JSON string (\"...\") or a mix (-uadmin:'pw').
# A quoted part opens the word or follows : or =, so the quote closing a JSON string around
# the command ends the word. Quotes are bounded so unterminated ones stay linear.
_QUOTED = r"(?:'[^'\n]{0,256}'|\\\"[^\"\\\n]{0,256}\\\"|\"[^\"\n]{0,256}\")"
_BARE = r"(?:\\(?!\")|[^\s'\"\\])"
_VALUE = rf"(?P<word>(?:{_QUOTED}|{_BARE})(?:{_BARE}|(?<=[:=]){_QUOTED})*)"
_QUOTES = ('\\"', '"', "'")


_GLUED = ""  # mysql -pS3cret: a blank would make the next word a database name
_SPACED = r"[ \t]+"
_EITHER = r"[ \t]*"  # getopt: -wS3cret or -w S3cret


def _after(command: str, flag: str, gap: str) -> re.Pattern[str]:
    """``flag``, ``gap`` and its value within a few words after ``command`` (the first such
    flag, as the words are skipped lazily)."""
    skip = rf"(?:[ \t]+\S+){{0,{_WORDS}}}?"
    return re.compile(rf"(?<![\w.-]){command}{_CMD_END}{skip}[ \t]+{flag}{gap}{_VALUE}")


@dataclass(frozen=True)
class _Rule:
    trigger: str  # on the line (lower-cased) whenever the pattern matches
    pattern: re.Pattern[str]
    # The value may also be a word of a sentence ("requirepass is not set", "AUTH failed"),
    # so it counts only when it looks like a credential.
    worded: bool = False


def _positional(command: str, skip: int) -> re.Pattern[str]:
    """The word after the ``skip`` words that follow ``command`` (a subcommand, a user)."""
    word = r"(?:'[^'\n]{0,256}'|\"[^\"\n]{0,256}\"|\S+)"
    return re.compile(
        rf"(?<![\w.-]){command}{_CMD_END}(?:[ \t]+{word}){{{skip}}}[ \t]+{_VALUE}"
    )


# A value stated to a server: Redis' AUTH ([user] password) and SMTP's AUTH PLAIN or LOGIN
# (base64 credentials), alone on a line or after a prompt ("127.0.0.1:6379> ", "C: "), also
# as a debug log quotes it (smtplib's "send: 'AUTH PLAIN ...\\r\\n'").
_AUTH_LINE = re.compile(
    r"^(?:\S*[>:][ \t]*)?(?:b?['\"])?(?:AUTH|auth)(?:[ \t]+(?:PLAIN|LOGIN|XOAUTH2))?"
    rf"(?:[ \t]+\S+)?[ \t]+{_VALUE}['\"]?[ \t]*$"
)
_LINE_BREAK_ESCAPES = re.compile(r"(?:\\[rn])+$")


# Each trigger costs the prefilter one scan of all text (sshpass and pass: ride on "pass"),
# so the list stays short; the mariadb client is left out.
_RULES = (
    _Rule("mysql", _after(r"mysql\w*", "-p", _GLUED)),
    _Rule("redis-cli", _after("redis-cli", "-a", _SPACED)),
    _Rule(
        " login ",
        _after(r"(?:docker|podman|nerdctl|buildah|skopeo|oras|registry|oc|cf|az)[ ]login",
               "-p", _SPACED),
    ),
    _Rule("ldap", _after(
        "ldap(?:search|modify|add|delete|modrdn|compare|whoami|passwd|exop)", "-w", _EITHER
    )),
    # ldappasswd also takes the new (-s) and the old (-a) password of the entry it changes.
    _Rule("ldap", _after("ldappasswd", "-s", _EITHER)),
    _Rule("ldap", _after("ldappasswd", "-a", _EITHER)),
    # sshpass's own options come first; a -p after the wrapped command is that command's.
    _Rule("sshpass", re.compile(
        r"(?<![\w.-])sshpass(?:[ \t]+(?:-P[ \t]*\S+|-[^pP\s]\S*)){0,8}[ \t]+-p[ \t]*" + _VALUE
    )),
    _Rule("pass:", re.compile(r"(?<!\S)-pass(?:in|out)?[ \t]+pass:" + _VALUE)),
    _Rule("mongo", _after(r"mongo\w*", "-p", _SPACED)),
    _Rule("ssh-keygen", _after("ssh-keygen", "-[NP]", _SPACED)),
    _Rule("zip", _after("(?:zip|unzip)", "-P", _SPACED)),
    # rabbitmqctl add_user NAME PASSWORD, change_password NAME PASSWORD.
    _Rule("rabbitmqctl", _positional(
        r"rabbitmqctl(?:[ \t]+-\S+(?:[ \t]+[^-\s]\S*)?)*?[ \t]+"
        r"(?:add_user|change_password|authenticate_user)", 1)),
    # htpasswd -b FILE USER PASSWORD; with -n there is no file.
    _Rule("htpasswd", _positional(r"htpasswd[ \t]+-[A-Za-z]*(?:bn|nb)[A-Za-z]*", 1)),
    _Rule("htpasswd", _positional(r"htpasswd[ \t]+-(?=[A-Za-z]*b)(?![A-Za-z]*n)[A-Za-z]+", 2)),
    # echo 'alice:NewPw' | chpasswd
    _Rule("chpasswd", re.compile(
        r"[\w.-]+:(?P<word>[^\s'\":]+)['\"]?[ \t]*\|[ \t]*(?:sudo[ \t]+)?chpasswd")),
    # Redis: requirepass / masterauth in redis.conf or CONFIG SET.
    _Rule("requirepass", re.compile(r"(?<![\w-])(?i:requirepass)[ \t]+" + _VALUE), True),
    _Rule("masterauth", re.compile(r"(?<![\w-])(?i:masterauth)[ \t]+" + _VALUE), True),
    _Rule("auth ", _AUTH_LINE, True),
    _Rule("auth\t", _AUTH_LINE, True),
    # SQL: IDENTIFIED [WITH plugin] BY 'pw' (MySQL, Oracle); SET PASSWORD [FOR u] = 'pw'.
    _Rule("identified", re.compile(
        r"(?<![\w-])(?i:identified)(?:[ \t]+(?i:with)[ \t]+\S+)?[ \t]+(?i:by)[ \t]+"
        + _VALUE), True),
    _Rule("set password", re.compile(
        r"(?<![\w-])(?i:set[ \t]+password)(?:[ \t]+(?i:for)[ \t]+\S+)?[ \t]*=[ \t]*"
        r"(?i:password\()?(?P<word>" + _QUOTED + ")")),
)
_CURL = "curl "
_USER_FLAG = re.compile(
    r"(?<!\S)(?:-[uU](?:=|[ \t]*)|--(?:user|proxy-user)(?:=|[ \t]+))" + _VALUE
)
# httpie (http, https) and its clone xh (xh, xhs): the command is a word of its own, not
# the scheme of a URL. Its triggers are the flags, as "http" is on most lines of a log.
_AUTH_SHORT, _AUTH_LONG = " -a", "--auth"
_HTTPIE = re.compile(r"(?<![\w.:/-])(?:https?|xhs?)[ \t]")
_AUTH_FLAG = re.compile(r"(?:(?<![^ ])-a(?:=|[ \t]*)|(?<!\S)--auth(?:=|[ \t]+))" + _VALUE)
_BEARER = re.compile(r"(?<!\S)(?:-A[ \t]*|--auth-type(?:=|[ \t]+))bearer(?![\w-])")


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
    triggers = (*(rule.trigger for rule in _RULES), _CURL, _AUTH_SHORT, _AUTH_LONG)
    exact_triggers = ()
    patterns = ()

    def find(self, line: str) -> Iterator[Finding]:
        lowered = line.lower()
        for rule in _RULES:
            if rule.trigger in lowered:
                for match in rule.pattern.finditer(line):
                    found = _password(line, *match.span("word"), rule.worded)
                    if found is not None:
                        yield found
        curl = lowered.find(_CURL)
        if curl != -1:
            yield from _user_passwords(line, _USER_FLAG, curl)
        if _AUTH_SHORT in lowered or _AUTH_LONG in lowered:
            yield from _httpie_credentials(line)


def _password(line: str, start: int, end: int, worded: bool) -> Finding | None:
    if worded:
        # IDENTIFIED BY 'tiger'; and a quoted protocol line's escaped line break
        value = _LINE_BREAK_ESCAPES.sub("", line[start:end])
        end = start + len(value.rstrip(";,."))
    unquoted = _unquoted(line, start, end)
    quoted = unquoted != (start, end)
    start, end = unquoted
    value = line[start:end]
    if end <= start or is_dummy_value(value):
        return None
    if worded and not credential_like(value, quoted=quoted, after="password", closing=True):
        return None
    return Finding(start, end, "password")


def _user_passwords(line: str, flags: re.Pattern[str], pos: int) -> Iterator[Finding]:
    """The password in ``user:password`` after each of ``flags`` from ``pos`` on (``curl -u``,
    ``http -a``); a user alone makes the client prompt."""
    for match in flags.finditer(line, pos):
        start, end = _unquoted(line, *match.span("word"))
        colon = line.find(":", start, end)
        if colon == -1:
            continue
        start, end = _unquoted(line, colon + 1, end)
        password = line[start:end]
        if password and not is_dummy_value(password) and "://" not in password:
            yield Finding(start, end, "password")


def _httpie_credentials(line: str) -> Iterator[Finding]:
    command = _HTTPIE.search(line)
    if command is None:
        return
    if _BEARER.search(line, command.end()) is None:
        yield from _user_passwords(line, _AUTH_FLAG, command.end())
        return
    for match in _AUTH_FLAG.finditer(line, command.end()):
        start, end = _unquoted(line, *match.span("word"))
        if end > start and not is_dummy_value(line[start:end]):
            yield Finding(start, end, "token")
