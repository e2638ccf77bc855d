"""Values named by a sibling (Kubernetes env, SSM, Consul) or by the key of a YAML block
scalar: the value is replaced, the structure and every non-secret entry stay."""

from __future__ import annotations

import io

import pytest
from placeholder_shapes import shape

from assistant.redaction import Redactor

KUBECTL_YAML = """\
spec:
  containers:
  - env:
    - name: LOG_LEVEL
      value: info
    - name: DB_PASSWORD
      value: s3cr3t-Val
    - name: API_TOKEN
      valueFrom:
        secretKeyRef:
          key: token
          name: api-token
    - name: REDIS_PASSWORD
      # set by the operator
      value: "hunter2 with spaces"
    image: ghcr.io/acme/checkout:1.4.2
    name: app
"""

KUBECTL_JSON = """\
                "env": [
                    {
                        "name": "LOG_LEVEL",
                        "value": "info"
                    },
                    {
                        "name": "DB_PASSWORD",
                        "value": "s3cr3t-Val"
                    },
                    {
                        "name": "API_TOKEN",
                        "valueFrom": {
                            "secretKeyRef": {"key": "token", "name": "api-token"}
                        }
                    },
                    {
                        "name": "PORT",
                        "value": "8080"
                    }
                ],
"""


def test_kubectl_yaml_env_hides_values_of_sensitive_names_only(redactor: Redactor) -> None:
    out = shape(redactor.redact(KUBECTL_YAML))
    assert out == KUBECTL_YAML.replace("value: s3cr3t-Val", "value: <password>").replace(
        'value: "hunter2 with spaces"', 'value: "<password>"'
    )


def test_kubectl_json_env_hides_values_of_sensitive_names_only(redactor: Redactor) -> None:
    out = shape(redactor.redact(KUBECTL_JSON))
    assert out == KUBECTL_JSON.replace('"value": "s3cr3t-Val"', '"value": "<password>"')


@pytest.mark.parametrize(("line", "expected"), [
    ('{"name":"DB_PASSWORD","value":"s3cr3t-Val"}', '{"name":"DB_PASSWORD","value":"<password>"}'),
    ('{"value":"s3cr3t-Val","name":"DB_PASSWORD"}', '{"value":"<password>","name":"DB_PASSWORD"}'),
    ('[{"name":"A_TOKEN","value":"t0k3n-abc"},{"name":"LOG_LEVEL","value":"debug"}]',
     '[{"name":"A_TOKEN","value":"<token>"},{"name":"LOG_LEVEL","value":"debug"}]'),
    ("- {name: DB_PASSWORD, value: s3cr3t-Val}", "- {name: DB_PASSWORD, value: <password>}"),
    ('{"Name": "/prod/db/password", "Type": "SecureString", "Value": "S3cretPw"}',
     '{"Name": "/prod/db/password", "Type": "SecureString", "Value": "<password>"}'),
    ('{"msg": "env {\\"name\\": \\"JWT_SECRET\\", \\"value\\": \\"abc123\\"}"}',
     '{"msg": "env {\\"name\\": \\"JWT_SECRET\\", \\"value\\": \\"<secret>\\"}"}'),
])
def test_one_line_entries_in_either_order(redactor: Redactor, line: str, expected: str) -> None:
    assert shape(redactor.redact(line)) == expected


@pytest.mark.parametrize("text", [
    '{"name":"LOG_LEVEL","value":"debug"}',
    '{"name":"PASSWORD_MIN_LENGTH","value":"12"}',
    '{"name":"TOKEN_TTL_SECONDS","value":"3600"}',
    '{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}}',
    '{"name":"DB_PASSWORD","value":"${DB_PASSWORD}"}',
    '{"key": "token_bucket_size", "value": 100}',
    "tolerations: [{key: dedicated, value: gpu, effect: NoSchedule}]",
    "metadata:\n  name: api-token\n  namespace: shop\nspec:\n  value: 3\n",
    "- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef:\n      key: password\n"
    "      name: db\n  value: not-this-one\n",
])
def test_entries_without_a_secret_value_stay(redactor: Redactor, text: str) -> None:
    assert redactor.redact(text) == text


def test_a_value_at_another_indentation_is_not_the_entrys(redactor: Redactor) -> None:
    text = "- name: DB_PASSWORD\n  image: app\n- name: LOG_LEVEL\n  value: debug\n"
    assert redactor.redact(text) == text


HELM_VALUE_FIRST = """\
extraEnv:
  - value: s3cr3tValue
    name: DB_PASSWORD
  - value: debug
    name: LOG_LEVEL
  - value: "t0k3n with spaces"
    # from the vault export
    name: API_TOKEN
  - value: plain
    description: the name comes after a nested block
    labels:
      team: shop
    name: JWT_SECRET
resources: {}
"""


def test_yaml_entries_with_the_value_before_the_name_hide_sensitive_values_only(
    redactor: Redactor
) -> None:
    out = shape(redactor.redact(HELM_VALUE_FIRST))
    assert out == (HELM_VALUE_FIRST.replace("- value: s3cr3tValue", "- value: <password>")
                   .replace('"t0k3n with spaces"', '"<token>"')
                   .replace("- value: plain", "- value: <secret>"))


@pytest.mark.parametrize("dash", ["-   ", "-  ", "- "])
def test_a_value_first_entry_is_found_however_far_its_dash_is(
    redactor: Redactor, dash: str
) -> None:
    sibling = " " * len(dash)
    text = f"env:\n{dash}value: s3cr3tValue\n{sibling}name: DB_PASSWORD\n"
    assert "s3cr3tValue" not in redactor.redact(text)


def test_value_first_entries_agree_across_text_lines_and_stream_and_keep_every_line(
    redactor: Redactor
) -> None:
    lines = list(redactor.redact_lines(HELM_VALUE_FIRST.splitlines(True)))
    out = io.StringIO()
    redactor.redact_stream(io.StringIO(HELM_VALUE_FIRST), out)
    assert len(lines) == HELM_VALUE_FIRST.count("\n")
    assert "".join(lines) == out.getvalue() == redactor.redact(HELM_VALUE_FIRST)


@pytest.mark.parametrize("text", [
    "- value: debug\n  name: LOG_LEVEL\n",
    "- value: \"3\"\n  name: replicas\n",
    "- value: s3cr3tValue\n  description: no name follows\n",
    "- value: s3cr3tValue\n- name: DB_PASSWORD\n  valueFrom: {}\n",
    "- value: s3cr3tValue\n  nested:\n    name: DB_PASSWORD\n",
    "- value: s3cr3tValue\n" + "  note: filler\n" * 8 + "  name: DB_PASSWORD\n",
    "- value: ${DB_PASSWORD}\n  name: DB_PASSWORD\n",
    "- value: s3cr3tValue",
])
def test_value_first_entries_without_a_sensitive_sibling_name_stay(
    redactor: Redactor, text: str
) -> None:
    assert redactor.redact(text) == text
    assert "".join(redactor.redact_lines([text])) == text


def test_value_block_scalar_under_a_sensitive_name_is_replaced_line_by_line(
    redactor: Redactor
) -> None:
    text = ("- name: TLS_PRIVATE_KEY\n  value: |\n    c2VjcmV0LWxpbmUtb25l\n\n"
            "    c2VjcmV0LWxpbmUtdHdv\n- name: PORT\n  value: \"8080\"\n")
    assert shape(redactor.redact(text)) == (
        "- name: TLS_PRIVATE_KEY\n  value: |\n    <private-key>\n\n    <private-key>\n"
        "- name: PORT\n  value: \"8080\"\n"
    )


@pytest.mark.parametrize("indicator", ["|", "|-", ">", ">-", "|+", "|2"])
def test_block_scalar_under_a_sensitive_key_is_replaced_until_the_dedent(
    redactor: Redactor, indicator: str
) -> None:
    text = (f"database:\n  password: {indicator}\n    first-S3cret-line\n    second line\n"
            "  port: 5432\n")
    assert shape(redactor.redact(text)) == (
        f"database:\n  password: {indicator}\n    <password>\n    <password>\n  port: 5432\n"
    )


def test_block_scalar_holding_a_key_block_becomes_one_placeholder(redactor: Redactor) -> None:
    text = ("ssh_private_key: |\n  -----BEGIN OPENSSH PRIVATE KEY-----\n"
            "  b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
            "  QyNTUxOQAAACDmN4Kt9cQ8cKV4d3nq1yMC2F0b3b4zXwX0gZbW7o0DyAAAAJgAAAAAAAAA\n"
            "  -----END OPENSSH PRIVATE KEY-----\nuser: deploy\n")
    assert shape(redactor.redact(text)) == (
        "ssh_private_key: |\n  -----BEGIN OPENSSH PRIVATE KEY-----\n  <private-key>\n"
        "  -----END OPENSSH PRIVATE KEY-----\nuser: deploy\n"
    )


def test_block_scalars_under_ordinary_keys_stay(redactor: Redactor) -> None:
    text = ("description: |\n  Rotates the API token every night and stores the\n"
            "  new password in vault.\nscript: |\n  echo token=abc\n")
    assert shape(redactor.redact(text)) == text.replace("token=abc", "token=<token>")


def test_state_carries_across_stream_chunks_and_agrees_with_text(redactor: Redactor) -> None:
    out = io.StringIO()
    redactor.redact_stream(io.StringIO(KUBECTL_YAML), out)
    assert out.getvalue() == "".join(redactor.redact_lines(KUBECTL_YAML.splitlines(True)))
    assert out.getvalue() == redactor.redact(KUBECTL_YAML)


def test_structured_env_lists_hide_values_of_sensitive_names(redactor: Redactor) -> None:
    value = {"env": [{"name": "DB_PASSWORD", "value": "hunter"},
                     {"name": "LOG_LEVEL", "value": "debug"},
                     {"Name": "/prod/api/token", "Value": "abc"},
                     {"Key": "app/db/password", "Flags": 0, "Value": "aHVudGVyMg=="}]}
    out = redactor.redact_value(value)
    assert shape(out["env"][0]["value"]) == "<password>"
    assert out["env"][1] == {"name": "LOG_LEVEL", "value": "debug"}
    assert shape(out["env"][2]["Value"]) == "<token>"
    assert shape(out["env"][3]["Value"]) == "<password>"
