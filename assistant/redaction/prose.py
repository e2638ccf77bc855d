"""Secrets stated in a sentence: "the password is hunter2", "root pw was S3cret!", "the token
is now abc123def", "password for alice is ...", "password changed to ...", "pw: ...".

The key-value detector, which looks at every sensitive name anyway, asks
:func:`stated_secret` about a name followed by a blank; ``pw``, not a sensitive name
there, has a detector of its own.

"the password is incorrect" and "token is expired" have the same shape, so the word after
the verb must look like a credential rather than like English: not a common word or status
(a small stoplist), and either with a digit or mixed case, or a lower-case word of at least
8 letters without an English ending (``sunshine`` and ``changeme`` are redacted,
``different`` and ``rejected`` are not). Hyphenated English (``case-sensitive``,
``JWT-based``), numbers with separators or units (dates, versions, ``3600s``), paths, URLs
and, after "secret", Kubernetes object names are not credentials. Quoted values are, unless
they are a stopword.

A shorter lower-case password (``letmein``, ``hunter``: 6 or 7 letters) counts only where
the sentence ends with it: at the end of the line, before punctuation, a closing quote or
bracket, an aside in brackets or the next ``key=`` field of a log line ("pw is letmein.",
"the password is hunter", "ok, the password: qwerty"). A description goes on ("the password
is rotated daily", "stored in vault") or is a word the stoplist and endings know
("required", "common"); "pw is letmein until friday" is missed for the same reason. Tokens,
keys and secrets are not short English-looking words ("the secret is regcred" names a
Kubernetes Secret), so this applies to passwords only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.redaction.detector import Finding
from assistant.redaction.fields import is_dummy_value, secret_kind_for_name, word_before

# What follows the name: "for the admin user", a verb, the value.
_CHANGED = r"(?i:set|changed|reset|updated|rotated|switched)"
_VERB = (
    r"(?:[ ](?i:for)(?:[ ][\w.@-]{1,64}){1,3}?)?"
    r"(?:[ ](?i:now))?"
    r"(?:[ ](?i:is|was|are|were|became|becomes|will[ ]be|should[ ]be|must[ ]be)"
    r"(?:[ ](?i:now|still|just|also|(?:set|changed|reset|updated|rotated)[ ]to))?:?[ ]+"
    # "has been changed to", "got rotated to", "has changed to", "was updated to"
    r"|(?:[ ](?i:has|have|had|got|gets|was|were|is|are)(?:[ ](?i:been|now|just|since))*)?"
    rf"[ ]{_CHANGED}[ ]to[ ]+)"
)
_VALUE = (
    r"(?P<value>\"(?P<dq>[^\"\n]{1,256})\"|'(?P<sq>[^'\n]{1,256})'|`(?P<bq>[^`\n]{1,256})`"
    r"|(?P<bare>(?:[^\s\"'`\\]|\\\\)+))"  # in a JSON string \" ends it, \\ is a backslash
)
_STATEMENT = re.compile(_VERB + _VALUE)
# No verb: the value right after the name ("with password X", "secret 'X'", "passphrase X").
_NAMED = re.compile(r"[ ]+" + _VALUE)
# Words that hand a credential to something, a few words before its name: "connect with
# password X", "log in using the admin password X", "ALTER USER app WITH PASSWORD 'X'".
_CUE = re.compile(
    r"(?<![\w-])(?i:with|using|via|use|uses|enter|entered|type|typed|try|tried)"
    r"(?:[ ]+\S+){0,2}[ ]+$"
)
_CUE_REACH = 48
_MIN_NAMED = 4
_PASSWORD_NAMES = ("pass", "pwd", "pw")  # what password names start with
# pw (and Pw, PW) as a word, then a statement or a separator.
_PW = r"[pP][wW](?<![A-Za-z0-9]..)(?![A-Za-z0-9])"
_PW_STATEMENT = re.compile(_PW + r"(?:" + _VERB + r"|[ ]?[:=][ ]*)" + _VALUE)
# Terse notes put the value right after it: "login as admin pw Zx81-hidden-pass".
_PW_NAMED = re.compile(_PW + _NAMED.pattern)
# Symbols a password has and prose rarely puts inside a word: between letters or digits, as
# markup ("*required*", "~deprecated~"), handles ("@alice") and channels ("#ops") never are.
# "reset-link", "e.g.", "a/b" and "key=value" are prose.
_SYMBOL_INSIDE = re.compile(r"[A-Za-z0-9][!@#$%^&*+?~]+[A-Za-z0-9]")
_MIN_LENGTH = 6
_MIN_WORD_LENGTH = 8
# After the value: the end of the line, sentence punctuation, a closing quote or bracket (also
# of a JSON string), a blank and an aside ("letmein (rotate it)", "letmein - ask bob") or the
# next field of a log line ("pw is letmein request_id=...").
_CLOSES = re.compile(r"[.,;:!?)\]\"'`\\]|[ \t]+(?:[(\[-]|[\w.-]+=)|[ \t]*$")
# 2024-05-01T12:00:00Z, 10.0.3.7, v1.2.3, 3600s, 512MB (all digits may be a PIN: not these)
_NUMBERISH = re.compile(r"[vV]?\d[\d.,:/+-]*(?:T[\d.:+-]*Z?)?[a-zA-Z]{0,3}")
_K8S_NAME = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)+")
_DIGIT_IN_WORD = re.compile(r"[A-Za-z]\d|\d[A-Za-z]")
_COMPOUND = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)+")  # hyphenated words, no digits
_ENGLISH_ENDINGS = (
    "ed", "ing", "tion", "sion", "ment", "ness", "able", "ible", "less", "ful", "ous", "ive",
    "ly", "ence", "ance", "ity", "ise", "ize", "al", "ent", "ant", "ary", "ory", "ic", "ure",
    "age", "ate",
)
_STOPWORDS = frozenset("""
a an the this that these those it its it's in on at to for from of by with without as into
via per not no never now still also just only already being been be is was are were will
would should must can could may might has have had do does did here there my your our their
his her set unset same different wrong right correct incorrect invalid valid required optional
mandatory missing empty blank null none nil undefined unknown known expired expiring revoked
rotated changed reset updated stored saved hashed salted encrypted encoded decoded masked
hidden redacted filtered removed deleted sent shared used unused reused needed necessary weak
strong short long too very sensitive good bad fine ok okay working broken fixed secure
insecure safe unsafe compromised leaked exposed rejected accepted denied locked unlocked
disabled enabled active inactive present absent defined configured generated provided
supplied specified given passed injected mounted loaded cached read written refreshed renewed
issued granted created validated verified unverified checked matched mismatched malformed
truncated corrupted stale old new fresh current previous default temporary permanent
plaintext base64 hex random unique secret private public visible shown printed logged
displayed available unavailable something nothing anything everything whatever somewhere
nowhere probably definitely actually really obviously apparently correctly properly
successfully currently usually always generally expected unexpected important critical
sufficient insufficient complex simple policy length characters chars digits letters symbols
success successful failed failure error pending ready true false yes off stolen tied bound
attached linked scoped limited restricted revocable rotatable unchanged separate separately
elsewhere inside outside under over behind between common opaque bearer bcrypt yours theirs
longer shorter weaker stronger better lowercase uppercase unicode cleartext mismatch within
there nearby inline online offline onsite remote legacy standard strict robust fragile perfect
similar distinct nobody tricky sketchy lengthy quirky clunky crappy rubbish twelve sixteen
eleven twenty thirty
""".split())
_QUOTED = ("dq", "sq", "bq")
# An error message naming a setting: "SLACK_BOT_TOKEN: missing, set it in the environment",
# "API_KEY: not set". A status word, or a fixed "not set"-style phrase, after any name, that
# ends a word of its own: "Expired@2024" and "missing.Link7" are passwords.
_MESSAGE = re.compile(
    r"(?i:missing|unset|empty|invalid|expired|revoked|undefined|absent|unavailable|required"
    r"|incorrect|malformed"
    r"|not[ ]+(?:set|found|provided|configured|defined|given|available|valid)"
    r"|no[ ]+(?:value|token|key|secret|password))[.,;:!?)\]\"'`\\]*(?:\s|$)"
)
# Instructions ("see the app's settings page", "must start with xoxb-") are read as a message
# only after a setting's name (SLACK_SIGNING_SECRET), where error messages name them; after
# a config key (password:) a passphrase may well be words ("the quick brown fox").
_INSTRUCTION = re.compile(r"(?i:see|set|must)[ ]+[A-Za-z]")
_SETTING_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")


def _value_span(match: re.Match[str]) -> tuple[int, int, bool]:
    for group in _QUOTED:
        if match.group(group) is not None:
            start, end = match.span(group)
            return start, end, True
    start, end = match.span("bare")
    text = match.group("bare")
    start += len(text) - len(text.lstrip("(["))
    end -= len(text) - len(text.rstrip(".,;:)]"))
    return start, end, False


def _english_parts(word: str) -> list[bool]:
    """For each ``-``-separated part: is it a common word, a status or English-looking?"""
    parts = word.lower().rstrip("!?").split("-")
    return [p in _STOPWORDS or p.endswith(_ENGLISH_ENDINGS) for p in parts if p]


def credential_like(value: str, *, quoted: bool, after: str, closing: bool = False) -> bool:
    """Could ``value``, stated to be the ``after`` ("password", "secret", ...), be one?
    ``closing``: it is a password and the sentence ends with it, so a short word counts."""
    if not value or is_dummy_value(value) or value.lower().rstrip("!?") in _STOPWORDS:
        return False
    if quoted:
        return True
    if len(value) < _MIN_LENGTH or (_NUMBERISH.fullmatch(value) and not value.isdigit()):
        return False
    if value.startswith(("/", "./", "~/")) or "://" in value:
        return False
    if after.lower().startswith("secret") and _K8S_NAME.fullmatch(value):
        return False  # "the secret is db-credentials" names a Kubernetes Secret
    english = _english_parts(value)
    # One word with digits or a password's symbol inside ("Molar!2027spring") is no word
    # of prose, whatever it ends with; hyphenated parts ("base64-encoded") may each be.
    worded = "-" in value or (_SYMBOL_INSIDE.search(value) is None
                              and _DIGIT_IN_WORD.search(value) is None)
    if (all(english) and worded) or (_COMPOUND.fullmatch(value) and any(english)):
        return False  # "case-sensitive", "expired!", "base64-encoded", "JWT-based"
    if _strong(value):
        return True
    # Lower case without digits or symbols: a long word that is not English. With others it is a
    # name, type or host (kubernetes.io/tls) far more often than a password.
    letters = value.replace("-", "")
    long_enough = closing or len(letters) >= _MIN_WORD_LENGTH
    return letters.isalpha() and long_enough and not any(english)


def _kind(line: str, start: int, name: str) -> str | None:
    """What "<word before> <name>" names: "api key" an api-key, "page token" nothing."""
    name = name.lower().replace(" ", "_")
    if name.endswith("s") and secret_kind_for_name(name[:-1]) is not None:
        name = name[:-1]  # passwords, tokens, secrets
    return secret_kind_for_name(f"{word_before(line, start)}_{name}")


def _closing(line: str, end: int, kind: str) -> bool:
    """Is the value before ``end`` a password that its sentence ends with?"""
    return kind == "password" and _CLOSES.match(line, end) is not None


def stated_password(line: str, start: int, end: int, kind: str) -> bool:
    """Is ``line[start:end]`` a password word a sentence ends with ("the password: letmein.")?"""
    return _closing(line, end, kind) and credential_like(
        line[start:end], quoted=False, after=kind, closing=True
    )


def _stated(match: re.Match[str], line: str, kind: str, name: str) -> Finding | None:
    start, end, quoted = _value_span(match)
    closing = _closing(line, end, kind)
    if end > start and credential_like(line[start:end], quoted=quoted, after=name,
                                       closing=closing):
        return Finding(start, end, kind)
    return None


def opens_message(line: str, start: int, name: str) -> bool:
    """Does a message about the value of ``name``, rather than the value, start at
    ``start``?"""
    if _MESSAGE.match(line, start) is not None:
        return True
    return (_SETTING_NAME.fullmatch(name) is not None
            and _INSTRUCTION.match(line, start) is not None)


# A change told before the name: "changed the password to X", "set her sftp pw to X".
_CHANGED_BEFORE = re.compile(rf"(?<![\w-])(?i:{_CHANGED[4:-1]}|change|reset|update|rotate)"
                             r"(?:[ ]+\S+){0,3}[ ]+$")
_TO = re.compile(r"[ ](?i:to|as)[ ]+" + _VALUE)
_CHANGED_REACH = 40


def stated_secret(line: str, start: int, end: int) -> Finding | None:
    """The secret a sentence states after the sensitive name at ``line[start:end]``."""
    name = line[start:end]
    match = _STATEMENT.match(line, end)
    if match is None and _CHANGED_BEFORE.search(line, max(0, start - _CHANGED_REACH), start):
        match = _TO.match(line, end)
    if match is None:
        return _named(line, start, end, name)
    kind = _kind(line, start, name)
    return None if kind is None else _stated(match, line, kind, name)


def _secret_name_like(value: str) -> bool:
    """A Kubernetes object name (``opsbot``, ``db-creds``, ``app-tls-v2``) rather than a
    password with digits among its letters (``tr0ub4dor-gamma``)."""
    return _OBJECT_NAME.fullmatch(value) is not None and _LEET.search(value) is None


_OBJECT_NAME = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
_LEET = re.compile(r"[a-z][0-9]+[a-z]")


def _strong(value: str) -> bool:
    """Digits, mixed case or a password's symbols: what a word of prose does not have."""
    mixed_case = any(c.isupper() for c in value[1:]) and any(c.islower() for c in value)
    return (mixed_case or any(c.isdigit() for c in value)
            or _SYMBOL_INSIDE.search(value) is not None)


def _named(line: str, start: int, end: int, name: str) -> Finding | None:
    """The value right after the name, with no verb between: quoted ("secret 'X'"), after a
    cue ("with password X"), or, after a password's name, one with digits or mixed case
    ("passphrase Blue-Elephant-42"). Words as values ("password reset emails", "the token
    bucket", "with password authentication") are none of these."""
    match = _NAMED.match(line, end)
    if match is None:
        return None
    value_start, value_end, quoted = _value_span(match)
    value = line[value_start:value_end]
    if value_end - value_start < _MIN_NAMED or value.isdigit() or (not quoted and "=" in value):
        return None  # "password user=bob": the next field of a log line; "secret 'X'"
    password = name.lower().startswith(_PASSWORD_NAMES)
    strong = quoted or _strong(value)
    # Cheap tests first: most names in a log are followed by a word that is none of these.
    if not strong and not (password and _CLOSES.match(line, value_end)):
        return None
    kind = _kind(line, start, name)
    if kind is None or not credential_like(value, quoted=quoted, after=name,
                                           closing=_closing(line, value_end, kind)):
        return None
    if name.lower().startswith("secret") and _secret_name_like(value):
        return None  # secret "db-creds" not found
    if strong and (quoted or password):
        return Finding(value_start, value_end, kind)
    cued = _CUE.search(line, max(0, start - _CUE_REACH), start) is not None
    if cued and (strong or kind == "password"):
        return Finding(value_start, value_end, kind)  # "connect with password sunshine."
    return None


class PwStatementDetector:
    """``pw is X``, ``root pw was X``, ``pw: X``, ``pw=X``, and ``pw X`` where X is
    strong ("admin pw Zx81-hidden-pass", not "pw reset is broken")."""

    triggers = ("pw",)
    exact_triggers = ()
    patterns = ()

    def find(self, line: str) -> Iterator[Finding]:
        for match in _PW_STATEMENT.finditer(line):
            found = _stated(match, line, "password", "pw")
            if found is not None:
                yield found
        for match in _PW_NAMED.finditer(line):
            start, end, quoted = _value_span(match)
            value = line[start:end]
            if ((quoted or _strong(value)) and "=" not in value
                    and credential_like(value, quoted=quoted, after="pw")):
                yield Finding(start, end, "password")


# A value stated of a credential named before it, on its line or the one before: "we rotated
# our SFTP password, new one is X", "api key was rotated; the new value: X", "it's now X".
_ANAPHOR = re.compile(
    r"(?<![\w-])(?i:(?:the[ ])?new[ ](?:one|value)(?:[ ](?:is|was|will[ ]be))?:?"
    r"|it(?:'s|’s|[ ]is|[ ]was)[ ]now:?|now[ ]it(?:'s|’s|[ ]is)"
    rf"|{_CHANGED}[ ]it[ ]to)[ ]+" + _VALUE)
_CREDENTIAL_NOUN = re.compile(
    r"(?<![\w-])(?i:pass(?:word|phrase|wd)?s?|pwd|pw|secrets?|tokens?|api[ _-]?keys?|"
    r"credentials?|creds)(?![\w-])")
_GENERATED_LENGTH = 10


def _generated(value: str) -> bool:
    """Upper and lower case and digits run together, long: what a generator hands out, and
    no word, name or number of prose looks like."""
    return (len(value) >= _GENERATED_LENGTH and value.isalnum() and not value.isdigit()
            and any(c.isupper() for c in value) and any(c.islower() for c in value)
            and any(c.isdigit() for c in value))


class AnaphoraDetector:
    """``new one is X``, ``the new value: X``, ``it's now X`` after a credential's name on the
    same line; with no name there (it was on the line before), only a generated-looking X."""

    triggers = ("new one", "new value", "it's now", "it’s now", "it is now", "it was now",
                "now it", " it to ")
    exact_triggers = ()
    patterns = ()

    def find(self, line: str) -> Iterator[Finding]:
        for match in _ANAPHOR.finditer(line):
            start, end, quoted = _value_span(match)
            value = line[start:end]
            nouns = list(_CREDENTIAL_NOUN.finditer(line, 0, match.start()))
            if not nouns:
                if _generated(value):
                    yield Finding(start, end, "password")
                continue
            noun = nouns[-1].group(0).lower().replace(" ", "_").replace("-", "_")
            kind = secret_kind_for_name(noun.rstrip("s") if noun.endswith("keys") else noun)
            kind = kind or "password"
            if "=" not in value and credential_like(value, quoted=quoted, after=kind,
                                                    closing=_closing(line, end, kind)):
                yield Finding(start, end, kind)
