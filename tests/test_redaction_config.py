"""Team config loads from YAML; every mistake names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.redaction import Redactor, load_redaction_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "redaction.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config_loads_and_applies(tmp_path: Path) -> None:
    path = write(tmp_path, (
        "patterns:\n"
        "  - name: acme-key\n"
        "    regex: 'acme_[a-z0-9]{8}'\n"
        "allow:\n"
        "  - literal: AKIAIOSFODNN7EXAMPLE\n"
        "  - regex: 'dev-[a-z]+'\n"
    ))
    redactor = Redactor(load_redaction_config(path), key=b"k")
    out = redactor.redact("acme_0123abcd AKIAIOSFODNN7EXAMPLE password=dev-only")
    assert out.startswith("[REDACTED:acme-key#")
    assert out.endswith(" AKIAIOSFODNN7EXAMPLE password=dev-only")


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("patterns:\n  - name: acme\n    regex: 'acme_[a-z'\n", 3, "patterns.0.regex",
         "invalid regular expression"),
        ("patterns:\n  - name: acme\n    regex: 'x*'\n", 3, "patterns.0.regex",
         "matches the empty string"),
        ("patterns:\n  - name: Acme Key\n    regex: 'acme'\n", 2, "patterns.0.name",
         "not a valid kind"),
        ("allow:\n  - literal: a\n  - regex: '('\n", 3, "allow.1.regex",
         "invalid regular expression"),
        ("allow:\n  - literal: a\n    regex: b\n", 2, "allow.0", "exactly one"),
        ("patterns: []\nallowlist: []\n", 2, "allowlist", "Extra inputs"),
        ("allow:\n  - literal: a\n    literal: b\n", 3, "allow.0.literal",
         "duplicate key 'literal'"),
        ("patterns:\n  - name: a\n    regex: [\n", 4, None, "invalid YAML"),
    ],
)
def test_errors_name_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str | None, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_redaction_config(path)
    error = caught.value
    assert error.source == str(path)
    assert error.line == line
    assert error.field == field
    assert message in str(error)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_redaction_config(tmp_path / "absent.yaml")
