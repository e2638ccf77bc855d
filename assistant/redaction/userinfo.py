"""Credentials in connection strings that are not ``scheme://user:password@host`` URLs.

- ``user:password@host`` with no scheme: rsync (``backup:pw@10.0.0.4::data``), DSNs pasted
  bare (``admin:pw@db-7.internal:5432/orders``);
- ``.pgpass`` lines, ``host:port:database:user:password``;
- Oracle's ``user/password@db`` after ``sqlplus``, RMAN, Data Pump or ``jdbc:oracle:thin:``;
- a URL whose user part is itself a key, as in a Sentry DSN
  (``https://<32 hex>@o1.ingest.sentry.io/7``); the old form's ``key:secret`` loses both.

``label:word@host`` is also how people write ``user:alice@acme.io`` or an image pinned to
a digest (``nginx:1.25@sha256:...``), so the user part must not be such a label, the
password not a version or port number, and the host not a digest algorithm.
"""

from __future__ import annotations

import re

from assistant.redaction.detector import Detector, RegexDetector
from assistant.redaction.fields import is_dummy_value
from assistant.redaction.generic import looks_random

# Words before ':' that label an address rather than name an account.
_LABELS = frozenset("""
user username users email e-mail mail mailto from to cc bcc reply-to sender recipient author
owner contact assignee reporter by login account principal sip sips xmpp acct tel uid id name
committer maintainer member admin-email notify
""".split())
_NUMBERISH = re.compile(r"[vV]?\d[\d.,_+-]*[a-zA-Z]{0,3}")
_DIGEST = re.compile(r"(?i:sha[0-9]*|md5|blake[0-9a-z]*)")
_HOSTISH = re.compile(r"[A-Za-z.*\[]")
_HEX_KEY = re.compile(r"[0-9a-fA-F]{32,}")
# A .pgpass field ('\:' and '\\' are escapes); quotes, commas and braces are JSON's.
_FIELD = r"(?:\\.|[^\s:\\\"',{}\[\]])+"
_NAME = r"(?:\\.|[^\s:\\\"',{}\[\]&=?])+"  # a database or user name: no query punctuation
_ORACLE_TOOLS = r"(?i:sqlplus|rman|expdp|impdp)"
# "Vendor remote login: service / Jh5Rt9Wc2Mx7", "creds: admin / S3cure!pass", "login is
# deploy / Kq7!mPz2Lw": an account and its password written as a pair after a word for
# logging in.
_LOGIN_WORDS = (r"(?i:login|logon|log-in|sign-in|credentials?|creds|user/pass(?:word)?|"
                r"username/password)")
_LOGIN_PROSE = frozenset({"1password", "lastpass", "keepass", "bitwarden", "oauth2", "saml2"})


_PORT_THEN_QUERY = re.compile(r"[0-9]{1,5}(?:\?[\w.%-]*=|#/)")


def password_not_port(match: re.Match[str]) -> bool:
    """``host:5432?user=me@corp``, ``host:80#/to@x``: a port, then a query field or a
    fragment path holding an '@', is no password."""
    secret = match.group("secret")
    return not is_dummy_value(secret) and _PORT_THEN_QUERY.match(secret) is None


def _plausible_password(secret: str) -> bool:
    """Not empty, masked or a template; not a version or port (an all-digit PIN of six or
    more digits still counts), nor a port and a query."""
    if is_dummy_value(secret) or _PORT_THEN_QUERY.match(secret):
        return False
    return not (_NUMBERISH.fullmatch(secret) and not (secret.isdigit() and len(secret) >= 6))


def _bare_userinfo(match: re.Match[str]) -> bool:
    if match.group("user").lower() in _LABELS:
        return False
    if _DIGEST.fullmatch(match.group("host")) and match.group("after") == ":":
        return False  # repo:tag@sha256:<digest>
    return _plausible_password(match.group("secret"))


def _password_group(match: re.Match[str]) -> bool:
    return _plausible_password(match.group("secret"))


def _pgpass(match: re.Match[str]) -> bool:
    """A host has a letter, a dot or is a wildcard ("12:00:01:..." is a time)."""
    host = match.group("host")
    return _HOSTISH.search(host) is not None and _plausible_password(match.group("secret"))


def _login_pair(match: re.Match[str]) -> bool:
    """The password of ``login: user / password`` looks like one: letters and digits, or
    mixed case, not prose ("login: SSO / OIDC", "creds: see vault / 1password")."""
    secret = match.group("secret").rstrip(".,;:)")
    if not _plausible_password(secret) or secret.lower() in _LOGIN_PROSE:
        return False
    has_digit = any(c.isdigit() for c in secret)
    has_alpha = any(c.isalpha() for c in secret)
    mixed = secret != secret.lower() and secret != secret.upper()
    return (has_digit and has_alpha) or (mixed and len(secret) >= 8)


def _key_user(match: re.Match[str]) -> bool:
    """A user part that is a key: long hex (Sentry, Bugsnag), or random-looking."""
    user = match.group("secret")
    return _HEX_KEY.fullmatch(user) is not None or (
        len(user) >= 20 and looks_random(user, "token")
    )


def userinfo_detectors() -> tuple[Detector, ...]:
    return (
        RegexDetector(
            # The password runs to the last '@' before the host, as in URLs; '/' ends it
            # (a path or a package URL such as pkg:npm/x@1.0 is no userinfo).
            "url-password",
            r"(?<![\w.+%:/@\\-])(?P<user>[A-Za-z0-9_][\w.+-]{0,63}):"
            r"(?P<secret>[^\s\"'<>@/`]+(?:@[^\s\"'<>@/`]+)*)@"
            r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*"
            r"|\[[0-9A-Fa-f:.]+\])(?P<after>[:/\s\"'),;\]`]|$)",
            # A colon, the password, '@' and a host's first character: cheap to scan for,
            # where routing by the whole regex would take Hyperscan a minute to compile.
            triggers=(r":[^\s\"'<>/`]+@[a-z0-9\[]",),
            accept=_bare_userinfo,
        ),
        RegexDetector(
            "password",
            r"(?<![^\s\"'`])(?P<host>\[[0-9A-Fa-f:.]+\]|[\w.*-]+)"
            r":(?:[0-9]{1,5}|\*):" + _NAME + ":" + _NAME + ":(?P<secret>" + _FIELD + r")"
            r"(?![^\s\"'`])",
            triggers=(r":(?:[0-9]{1,5}|\*):[^\s:\"',{}\[\]]+:[^\s:\"',{}\[\]]+:",),
            accept=_pgpass,
        ),
        RegexDetector(
            "url-password",
            r"(?:(?<![\w.-])" + _ORACLE_TOOLS + r"(?:[ \t]+-\S+)*[ \t]+[\"']?|jdbc:oracle:thin:)"
            r"[\w$#.-]+/(?P<secret>[^\s@/\"']+)@",
            triggers=("thin:", "sqlplus", "rman", "pdp"),
            accept=_password_group,
        ),
        RegexDetector(
            "password",
            r"(?<![\w-])" + _LOGIN_WORDS + r"(?:[ \t]*[:=]|[ \t]+(?i:is|was|are))[ \t]*"
            r"[\w.@+-]{1,64}[ \t]*/[ \t]*"
            r"(?P<secret>[^\s/\"'`,;]{6,128})",
            triggers=("login", "logon", "log-in", "sign-in", "cred", "pass"),
            accept=_login_pair,
        ),
        RegexDetector(
            "url-token",
            r"://(?P<secret>[A-Za-z0-9_-]{16,})(?::[^\s/\"'<>@]*)?@",
            triggers=(r"://[^\s/@]*@",),
            accept=_key_user,
        ),
    )
