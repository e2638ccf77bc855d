"""Property tests: an inserted known-format secret never survives, whatever surrounds it."""

from __future__ import annotations

import io
import json
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.redaction import PLACEHOLDER_RE, Redactor

ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"


def visible(text: str) -> str:
    """What is left once placeholders are taken out (a kind name may spell the secret)."""
    return PLACEHOLDER_RE.sub("", text)


def chars(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size)


def mixed(size: int) -> st.SearchStrategy[str]:
    """Key material as vendors issue it: upper case, lower case and digits all present."""
    return st.tuples(
        chars(string.ascii_uppercase, 1), chars(string.ascii_lowercase, 1),
        chars(string.digits, 1), chars(ALNUM, size - 3),
    ).map("".join)


KNOWN_SECRETS = st.one_of(
    st.tuples(st.sampled_from(["AKIA", "ASIA"]), chars(string.ascii_uppercase + "234567", 16)),
    st.tuples(st.sampled_from(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]), chars(ALNUM, 36)),
    st.tuples(st.just("github_pat_"), chars(ALNUM + "_", 82)),
    st.tuples(st.just("glpat-"), chars(B64URL, 20)),
    st.tuples(st.sampled_from(["xoxb-", "xoxp-"]), chars(string.digits, 12), st.just("-"),
              chars(ALNUM, 24)),
    st.tuples(st.sampled_from(["sk_live_", "rk_live_", "sk_test_"]), chars(ALNUM, 24)),
    st.tuples(st.just("sk-"), mixed(48)),
    st.tuples(st.just("sk-proj-"), mixed(64)),
    st.tuples(st.just("npm_"), chars(ALNUM, 36)),
    st.tuples(st.just("pypi-AgEIcHlwaS5vcmc"), chars(B64URL, 60)),
    st.tuples(st.sampled_from(["SK", "AC"]), chars("0123456789abcdef", 32)),
    st.tuples(st.just("SG."), chars(B64URL, 22), st.just("."), chars(B64URL, 43)),
    st.tuples(st.just("eyJ"), chars(B64URL, 20), st.just(".eyJ"), chars(B64URL, 30),
              st.just("."), chars(B64URL, 43)),
    st.tuples(st.just("AIza"), chars(B64URL, 35)),
    st.tuples(st.just("hvs."), chars(B64URL, 90)),
    st.tuples(st.just("dckr_pat_"), chars(B64URL, 27)),
).map("".join)

SURROUNDING = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60
)
BEFORE = st.sampled_from([" ", "\n", "\t", "(", '"', "'", "=", ": ", ", ", "[", "{"])
AFTER = st.sampled_from([" ", "\n", ")", '"', "'", ",", ";", "]", "}", ". "])


# No deadline: timing belongs in the benchmarks, and CI machines are shared.
@settings(deadline=None)
@given(SURROUNDING, BEFORE, KNOWN_SECRETS, AFTER, SURROUNDING)
def test_known_format_secret_never_leaks(
    redactor: Redactor,
    head: str, before: str, secret: str, after: str, tail: str
) -> None:
    out = visible(redactor.redact(head + before + secret + after + tail))
    assert out.count(secret) <= (head + tail).count(secret)  # only where the noise had it


@settings(deadline=None)
@given(SURROUNDING, chars(ALNUM + "!*-_.~", 12), SURROUNDING)
def test_url_password_never_leaks(redactor: Redactor, head: str, password: str, tail: str) -> None:
    out = visible(redactor.redact(f"{head} postgres://app:{password}@db.internal:5432/x {tail}"))
    assert out.count(password) <= (head + tail).count(password)


@settings(deadline=None)
@given(SURROUNDING, chars(ALNUM + "!*-_.~#?@", 12), SURROUNDING)
def test_url_password_holding_hash_query_or_at_never_leaks(
    redactor: Redactor,
    head: str, password: str, tail: str
) -> None:
    """Pasted unencoded: the userinfo runs to the last '@' before the host."""
    out = visible(redactor.redact(f"{head} redis://app:{password}@cache:6379/0 {tail}"))
    assert out.count(password) <= (head + tail).count(password)


@settings(deadline=None)
@given(st.lists(st.one_of(SURROUNDING, KNOWN_SECRETS), max_size=6))
def test_redaction_is_idempotent(redactor: Redactor, parts: list[str]) -> None:
    once = redactor.redact(" ".join(parts))
    assert redactor.redact(once) == once


# Pieces that move the multi-line state machines (key blocks, Secret data blocks, name/value
# entries, block scalars).
STATEFUL = st.sampled_from([
    "\n", "\r\n", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "data:", "kind: Secret", "  password: aGVsbG8=", "---",
    "- name: DB_PASSWORD", "  value: hunter2", '"name": "API_TOKEN",', '"value": "abc123"', "{",
    "password: |", "    s3cret-line", "  valueFrom:", "- value: hunter2", "  name: API_TOKEN",
])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(SURROUNDING, KNOWN_SECRETS, STATEFUL), max_size=14))
def test_text_lines_and_stream_agree(redactor: Redactor, parts: list[str]) -> None:
    text = " ".join(parts)
    streamed = io.StringIO()
    redactor.redact_stream(io.StringIO(text), streamed)
    assert streamed.getvalue() == "".join(redactor.redact_lines([text])) == redactor.redact(text)


ENV_NAMES = st.sampled_from(["DB_PASSWORD", "API_TOKEN", "JWT_SECRET", "STRIPE_SECRET_KEY"])
ENV_VALUES = st.tuples(mixed(10), chars(ALNUM + "!#$%&*+-.=?^_~@", 6)).map("".join)


def _env_formats(name: str, value: str) -> list[str]:
    quoted = json.dumps(value)
    return [
        f"- name: {name}\n  value: {quoted}\n",
        f"    - name: {name}\n      image: x\n      value: {quoted}\n",
        f'{{"name": "{name}", "value": {quoted}}}\n',
        f'{{"value": {quoted}, "name": "{name}"}}\n',
        f'{{\n  "name": "{name}",\n  "value": {quoted}\n}}\n',
        f"{name.lower()}: |\n  {value}\n  {value[::-1]}\nnext: 1\n",
        f"  - value: {quoted}\n    # set by hand\n    name: {name}\n",
    ]


@settings(deadline=None)
@given(SURROUNDING, ENV_NAMES, ENV_VALUES, st.integers(0, 6), SURROUNDING)
def test_env_entry_and_block_scalar_values_never_leak(
    redactor: Redactor,
    head: str, name: str, value: str, style: int, tail: str
) -> None:
    text = head.replace("\n", " ") + "\n" + _env_formats(name, value)[style] + tail
    out = visible(redactor.redact(text))
    assert out.count(value) <= (head + tail).count(value)
