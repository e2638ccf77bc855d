"""HTTP credentials: ``Authorization`` / ``Proxy-Authorization`` and ``Cookie`` / ``Set-Cookie``.

Matched as headers, JSON or dict entries and curl flags alike (``"Authorization": "Bearer x"``,
``-H 'Cookie: a=b'``). Only credential material is replaced; scheme names, cookie names and
Set-Cookie attributes stay so the line still says what it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.redaction.detector import Finding
from assistant.redaction.fields import is_dummy_value, looks_secretish

_HEADER_TAIL = r"(?P<kq>\\?[\"'])?[ \t]*[:=][ \t]*(?P<vq>\\?[\"'])?"
_AUTHORIZATION = re.compile(r"(?<![A-Za-z0-9_-])(?i:(?:proxy-)?authorization)" + _HEADER_TAIL)
_COOKIE = re.compile(r"(?<![A-Za-z0-9_-])(?i:(?P<set>set-)?cookie)" + _HEADER_TAIL)

# Schemes whose credential is one token; for the rest (Digest, AWS4-HMAC-SHA256, OAuth 1)
# the credential is the whole remaining value.
_TOKEN_SCHEMES = frozenset({"bearer", "basic", "token", "apikey", "api-key", "key", "jwt",
                            "sso-key", "dpop", "splunk"})
_PARAM_SCHEMES = frozenset({"digest", "aws4-hmac-sha256", "oauth", "negotiate", "ntlm",
                            "hoba", "mutual", "vapid", "gssapi", "kerberos"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9-]*)[ \t]+")
_TOKEN = re.compile(r"[^\s\"'\\,;]+")
# name=value, name="value" or name=\"value\", separated by commas: Digest, AWS4, OAuth 1.
_PARAM = r"[\w-]+=(?:\\\"[^\"\\]*\\\"|\"[^\"]*\"|[^\s,\"'\\]+)"
_PARAMS = re.compile(_PARAM + r"(?:[ \t]*,[ \t]*" + _PARAM + r")*")
_MIN_COOKIE = 8  # shorter values are preferences (theme=dark, lang=en), not sessions
_PAIR = re.compile(r"[ \t]*(?P<name>[^=;,\s\"'\\]+)=(?P<value>[^;\s\"'\\,]*)[ \t]*(?P<sep>;?)")


def _value_end(line: str, start: int, quote: str | None) -> int:
    """End of a header value: its closing quote, or the end of the line."""
    if quote:
        end = line.find(quote, start)
        if end != -1:
            return end
    return len(line.rstrip())


class AuthorizationDetector:
    triggers = ("authorization",)
    exact_triggers = ()
    patterns = ()

    def find(self, line: str) -> Iterator[Finding]:
        for match in _AUTHORIZATION.finditer(line):
            found = self._credential(line, match.end(), match.group("vq"))
            if found is not None:
                yield found

    @staticmethod
    def _credential(line: str, pos: int, quote: str | None) -> Finding | None:
        end = _value_end(line, pos, quote)
        scheme = _SCHEME.match(line, pos, end)
        if scheme is not None:
            name = scheme.group(1).lower()
            if name in _PARAM_SCHEMES and (params := _PARAMS.match(line, scheme.end())):
                return Finding(params.start(), params.end(), "authorization")
            if name in _TOKEN_SCHEMES or name in _PARAM_SCHEMES:
                token = _TOKEN.match(line, scheme.end(), end)
                if token is not None and not is_dummy_value(token.group()):
                    return Finding(token.start(), token.end(), "authorization")
                return None
        # No known scheme: a bare credential, or prose such as "authorization: denied".
        token = _TOKEN.match(line, pos, end)
        if token is None or len(token.group()) < 8 or not looks_secretish(token.group()):
            return None
        if is_dummy_value(token.group()):
            return None
        return Finding(token.start(), token.end(), "authorization")


class CookieDetector:
    triggers = ("cookie",)
    exact_triggers = ()
    patterns = ()

    def find(self, line: str) -> Iterator[Finding]:
        for match in _COOKIE.finditer(line):
            pos = match.end()
            end = _value_end(line, pos, match.group("vq"))
            first_only = match.group("set") is not None  # the rest are attributes
            while pos < end:
                pair = _PAIR.match(line, pos, end)
                if pair is None:
                    break
                value = pair.group("value")
                if len(value) >= _MIN_COOKIE and not is_dummy_value(value):
                    yield Finding(pair.start("value"), pair.end("value"), "cookie")
                if first_only or not pair.group("sep"):
                    break
                pos = pair.end()
