"""Any '<qualifier>_key' name holds a secret when its value looks random, on both engines."""

from __future__ import annotations

import pytest

from assistant.redaction import Redactor

SECRETS = [
    ('project=heron-prod fcm_server_key=AAAAx9TqLm3:APA91bGq7Hc2Wv8KpR4nZs6Ty1Ue5Io3Pa9Sd0Fg',
     "AAAAx9TqLm3:APA91bGq7Hc2Wv8KpR4nZs6Ty1Ue5Io3Pa9Sd0Fg"),
    ("segment write_key: Zk8qP2wLm4Xv7Rt9Yb3N", "Zk8qP2wLm4Xv7Rt9Yb3N"),
    ('{"merchant-key": "mk_9Qz2LxW7vR4tP8sN3bY6"}', "mk_9Qz2LxW7vR4tP8sN3bY6"),
]
ORDINARY = [
    "cache_key=user:42 object_key=reports/2025/x.pdf idempotency_key=3f9a",
    "sort_key=created_at partition-key=tenant-42 primary_key=id",
    "dedup_key=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
]


@pytest.mark.parametrize(("line", "secret"), SECRETS)
def test_a_random_value_under_any_key_name_is_redacted(redaction_engine: str, line: str,
                                                      secret: str) -> None:
    out = Redactor(engine=redaction_engine).redact(line)
    assert secret not in out and "[REDACTED:api-key" in out


@pytest.mark.parametrize("line", ORDINARY)
def test_ordinary_key_fields_stay_readable(redaction_engine: str, line: str) -> None:
    assert Redactor(engine=redaction_engine).redact(line) == line
