"""Unicode whitespace (a no-break space pasted from chat or a wiki, the em and ideographic
spaces, ...) separates a name from its value for every detector, as a blank does."""

from __future__ import annotations

import io
import sys

import pytest
from placeholder_shapes import shape

from assistant.redaction import PLACEHOLDER_RE, Redactor
from assistant.redaction.spaces import OTHER_SPACES, plain_spaces

# One text per detector and tracker; blanks in them are replaced by each Unicode space.
TEXTS = [
    "token: Xq9vB2mN7kL4pR8s",
    "Authorization: Bearer abcDEF123456ghiJKL789",
    "curl -H 'Authorization: Basic YWRtaW46aHVudGVyMg==' https://api.acme.io",
    "Cookie: sessionid=8f14e45fceea167a5a36dedd4bea2543; theme=dark",
    "sent bearer abcDEF123456ghiJKL789 upstream",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY trace=ok",
    "AKIAIOSFODNN7REALKEY wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "using key AKIAIOSFODNN7REALKEY for s3",
    "password = hunter2 and more",
    "connect --password hunter2 --host db",
    "  db_password: Tr0ub4dor&3",
    "mysql -u root -pS3cretPw db",
    "curl -u admin:S3cretPw https://x",
    "sshpass -p S3cretPw ssh root@host",
    "redis-cli -h redis -a S3cretPw ping",
    "docker login -u ci -p S3cretPw registry.acme.io",
    "ldapsearch -x -D cn=admin -w S3cretPw -b dc=acme",
    "openssl pkcs12 -export -passout pass:hunter22 -out k.p12",
    "http -a alice:S3cretPw GET https://api.acme.io/v1/me",
    "the password is Zk8qLm2xW",
    "fyi root pw was S3cret! until friday",
    "the api key is 7Hd9kQ2mX5vB8nL3pR6tW",
    "rotated token Xq9vB2mN7kL4pR8sT1wY for service checkout",
    "- name: DB_PASSWORD\n  value: s3cr3t-Val\n",
    '{"name": "API_TOKEN", "value": "t0k3n-abc"}',
    "- value: s3cr3t-Val\n  name: DB_PASSWORD\n",
    "password: |\n  s3cret-line-1\n  s3cret-line-2\nnext: 1\n",
    "kind: Secret\ndata:\n  password: aGVsbG8gd29ybGQ=\n",
    "  -----BEGIN RSA PRIVATE KEY-----\n  MIIEowIBAAKCAQEAu1SU1LfVLPHCozMx\n"
    "  -----END RSA PRIVATE KEY-----\n",
    "connecting to postgres://app:Sup3r-S3cret@db.internal:5432/orders now",
    "GET /cb?next=%2Fhome%3Ftoken%3Dabc123XYZ HTTP/1.1",
]


def test_the_table_holds_every_whitespace_character_python_knows() -> None:
    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert spaces - set(" \t\r\n") == set(OTHER_SPACES)


@pytest.mark.parametrize("text", TEXTS, ids=[t[:30] for t in TEXTS])
def test_any_unicode_space_is_a_blank_to_every_detector(redactor: Redactor, text: str) -> None:
    expected = shape(redactor.redact(text))
    assert expected != text  # each text holds a secret
    for space in OTHER_SPACES:
        spaced = text.replace(" ", space)
        assert shape(redactor.redact(spaced)) == expected.replace(" ", space), repr(space)


@pytest.mark.parametrize(("text", "secret"), [
    ("token:\u00a0Xq9vB2mN7kL4pR8s", "Xq9vB2mN7kL4pR8s"),
    ("Authorization:\u00a0Bearer\u00a0abcDEF123456ghiJKL789", "abcDEF123456ghiJKL789"),
    ("password\u202f=\u202fhunter2", "hunter2"),
    ("the\u3000password\u3000is\u3000Zk8qLm2xW", "Zk8qLm2xW"),
])
def test_no_break_spaces_hide_nothing_in_text_lines_and_streams(
    redactor: Redactor, text: str, secret: str
) -> None:
    streamed = io.StringIO()
    redactor.redact_stream(io.StringIO(text + "\n"), streamed)
    outputs = [redactor.redact(text), "".join(redactor.redact_lines([text])), streamed.getvalue()]
    for out in outputs:
        assert secret not in PLACEHOLDER_RE.sub("", out)
        assert PLACEHOLDER_RE.sub("", out).strip() == PLACEHOLDER_RE.sub("", text.replace(
            secret, "")).strip()  # the rest, no-break spaces and all, is kept as it was


def test_plain_spaces_keeps_offsets_and_returns_clean_text_itself() -> None:
    text = "a\u00a0b\x0bc\u3000d\te"
    assert plain_spaces(text) == "a b c d\te"
    clean = "password=hunter2 in plain ASCII"
    assert plain_spaces(clean) is clean
