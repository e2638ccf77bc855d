"""Secrets in HTML and XML markup are replaced; the markup around them stays."""

from __future__ import annotations

import pytest
from placeholder_shapes import shape

from assistant.redaction import Redactor


@pytest.mark.parametrize(("line", "expected"), [
    ('<input type="password" name="pw" value="Sup3rS3cret!">',
     '<input type="password" name="pw" value="<password>">'),
    ("<input value='Hunter2xx' type='password' name='login'>",
     "<input value='<password>' type='password' name='login'>"),
    ('<input name="login" value="qwerty1234" type=password>',
     '<input name="login" value="<password>" type=password>'),
    ("<INPUT TYPE=PASSWORD VALUE=abcXYZ987 NAME=login>",
     "<INPUT TYPE=PASSWORD VALUE=<password> NAME=login>"),
    ('<input\ttype="password"\tvalue="tabbed9X">', '<input\ttype="password"\tvalue="<password>">'),
    ('<input name="password" value="letmein">', '<input name="password" value="<password>">'),
    ('<add key="ApiKey" value="AbC123xYz789QwE456" />', '<add key="ApiKey" value="<api-key>" />'),
    ('<property name="db.password" value="pr0pPw"/>',
     '<property name="db.password" value="<password>"/>'),
    ("<password>XmlPw_99</password>", "<password><password></password>"),
    ("<db:password> nsPw_42 </db:password>", "<db:password> <password> </db:password>"),
    ('<apiKey env="prod">AbC123xYz789</apiKey>', '<apiKey env="prod"><api-key></apiKey>'),
])
def test_secret_in_markup_is_replaced(redactor: Redactor, line: str, expected: str) -> None:
    assert shape(redactor.redact(line)) == expected


@pytest.mark.parametrize("line", [
    '<input type="text" name="user" value="alice">',
    '<input type="password" name="pw" value="">',
    '<input type="password" name="pw" value="{{ pw }}">',
    '<add key="LogLevel" value="Debug" />',
    "<td>password</td><td>token</td>",
    "<password></password>",
    "<passwordHash>sha256</passwordHash>",
    "<password>${DB_PASSWORD}</password>",
])
def test_markup_without_a_secret_stays(redactor: Redactor, line: str) -> None:
    assert redactor.redact(line) == line
