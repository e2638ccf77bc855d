"""Structured values: strings inside containers, and whole values under sensitive names."""

from __future__ import annotations

from datetime import UTC, datetime

from placeholder_shapes import PLACEHOLDER
from pydantic import BaseModel

from assistant.models import ToolCall
from assistant.redaction import Redactor
from assistant.redaction.structured import redact_structured


def kind(value: str) -> str | None:
    match = PLACEHOLDER.fullmatch(value)
    return match.group(1) if match else None


def test_sensitive_names_hide_innocent_looking_values(redactor: Redactor) -> None:
    out = redactor.redact_value({
        "password": "hunter",
        "apiKey": "abc",
        "X-Auth-Token": "short",
        "Authorization": "Bearer x",
        "db": {"DB_PASS": 1234, "host": "db.internal", "port": 5432},
    })
    assert kind(out["password"]) == "password"
    assert kind(out["apiKey"]) == "api-key"
    assert kind(out["X-Auth-Token"]) == "token"
    assert kind(out["Authorization"]) == "authorization"
    assert kind(out["db"]["DB_PASS"]) == "password"
    assert out["db"]["host"] == "db.internal" and out["db"]["port"] == 5432


def test_ordinary_fields_keep_their_values_and_types(redactor: Redactor) -> None:
    when = datetime(2024, 5, 1, tzinfo=UTC)
    value = {"token_type": "Bearer", "max_tokens": 512, "secret_name": "db-creds",
             "ok": True, "at": when, "ratio": 0.5, "none": None}
    assert redactor.redact_value(value) == value


def test_strings_anywhere_are_redacted_and_container_types_kept(redactor: Redactor) -> None:
    value = {"log": ["ok", "password=hunter2"], "pair": ("a", "AKIAIOSFODNN7EXAMPLE"),
             "tags": {"x"}}
    out = redactor.redact_value(value)
    assert isinstance(out["log"], list) and isinstance(out["pair"], tuple)
    assert out["log"][0] == "ok" and "hunter2" not in out["log"][1]
    assert kind(out["pair"][1]) == "aws-access-key-id"
    assert out["tags"] == {"x"}


def test_empty_and_masked_values_under_sensitive_names_stay(redactor: Redactor) -> None:
    value = {"password": "", "token": None, "secret": "***", "api_key": "${API_KEY}"}
    assert redactor.redact_value(value) == value


def test_kubernetes_secret_mapping_hides_every_data_value(redactor: Redactor) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
              "data": {"username": "YWRtaW4=", "tls.crt": "LS0t"}}
    out = redactor.redact_value(secret)
    assert all(kind(v) == "k8s-secret" for v in out["data"].values())
    assert out["metadata"] == {"name": "db"}


def test_pydantic_models_and_bytes_are_redacted(redactor: Redactor) -> None:
    class Event(BaseModel):
        msg: str
        password: str

    out = redactor.redact_value(Event(msg="token=ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
                                      password="x1"))
    assert "ghp_" not in out["msg"] and kind(out["password"]) == "password"
    assert b"hunter2" not in redactor.redact_value(b"password=hunter2")
    call = ToolCall(tool="get_logs", args={"namespace": "shop", "token": "abc"})
    assert kind(redactor.redact_value(call)["args"]["token"]) == "token"


def test_unknown_objects_come_back_as_redacted_text(redactor: Redactor) -> None:
    class Opaque:
        def __str__(self) -> str:
            return "conn postgres://app:hunter2@db/x"

    out = redactor.redact_value({"thing": Opaque()})
    assert isinstance(out["thing"], str) and "hunter2" not in out["thing"]


def test_structured_and_text_redaction_agree_on_suffixes(redactor: Redactor) -> None:
    structured = redactor.redact_value({"password": "hunter2"})["password"]
    assert PLACEHOLDER.search(structured).group(0)[-6:] == (
        PLACEHOLDER.search(redactor.redact("password=hunter2")).group(0)[-6:]
    )


def test_a_field_name_repeated_across_records_is_redacted_once_per_value() -> None:
    seen: list[str] = []

    def redact_text(text: str) -> str:
        seen.append(text)
        return text

    records = [{"name": f"db-{i}", "password": f"pw-{i}", "replicas": i} for i in range(50)]
    out = redact_structured(records, redact_text, lambda kind, text: f"[{kind}]")
    assert [seen.count(k) for k in ("name", "password", "replicas")] == [1, 1, 1]
    assert out[7] == {"name": "db-7", "password": "[password]", "replicas": 7}
