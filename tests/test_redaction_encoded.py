"""Credentials inside URL-encoded text are replaced up to the end of their own field."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from placeholder_shapes import shape

from assistant.redaction import Redactor


@pytest.mark.parametrize(("line", "expected"), [
    ("POST /login body=user%3Dbob%26password%3DS3cret99%26x%3D1",
     "POST /login body=user%3Dbob%26password%3D<password>%26x%3D1"),
    ("GET /cb?next=%2Fapp%3Ftoken%3Dabc123XYZ%26lang%3Den 302",
     "GET /cb?next=%2Fapp%3Ftoken%3D<token>%26lang%3Den 302"),
    ("body=%7B%22password%22%3A%22S3cret99%22%7D", "body=%7B%22password%22%3A%22<password>%22%7D"),
    ("data=%7B%22client_secret%22%3A%20%22abcDEF123%22%7D",
     "data=%7B%22client_secret%22%3A%20%22<secret>%22%7D"),
    ("next=%2Flogin%253Fpassword%253DS3cret99%2526x%253D1",
     "next=%2Flogin%253Fpassword%253D<password>%2526x%253D1"),
    ("user[email]=a%40b.io&user[password]=hunter2&commit=Log+in",
     "user[email]=a%40b.io&user[password]=<password>&commit=Log+in"),
    ("user%5Bpassword%5D=hunter2&commit=Log+in", "user%5Bpassword%5D=<password>&commit=Log+in"),
])
def test_encoded_field_value_is_replaced(redactor: Redactor, line: str, expected: str) -> None:
    assert shape(redactor.redact(line)) == expected


def test_a_value_keeps_its_own_deeper_encoded_ampersand(redactor: Redactor) -> None:
    secret = "pa&ss=w0rd"
    form = urlencode({"grant_type": "client_credentials", "client_secret": secret})
    line = f"audit body={quote(form, safe='')} status=200"
    out = shape(redactor.redact(line))
    assert out == "audit body=grant_type%3Dclient_credentials%26client_secret%3D<secret> status=200"


@pytest.mark.parametrize("line", [
    "GET /login?next=%2Fcart%3Fpage%3D2 HTTP/1.1 302",
    "GET /search?q=password%20reset&lang=en 200",
    "redirect_uri=https%3A%2F%2Fshop.acme.io%2Fcb%3Fstate%3Dabc123",
    "GET /api/v1/items?filter=%7B%22key%22%3A%22sku%22%7D 200",
    "GET /docs?q=%22api%20key%22%20rotation 200",
    "next=%2Freset%3Ftoken_type%3Dbearer",
    "user[email]=alice%40acme.io&user[remember_me]=1",
    "body=password%3D%24%7BDB_PASSWORD%7D",
])
def test_encoded_text_without_a_credential_stays(redactor: Redactor, line: str) -> None:
    assert redactor.redact(line) == line
