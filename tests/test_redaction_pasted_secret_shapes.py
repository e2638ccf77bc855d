"""Secrets as a stressed engineer pastes them into chat: vendor tokens whose body is not the
documented length, a name and a short clause before the value, key emoji and arrows, login
pairs, bare Basic credentials, signed CDN URLs and Teams webhooks. Look-alikes stay."""

from __future__ import annotations

import pytest
from placeholder_shapes import shape

from assistant.redaction import Redactor


@pytest.mark.parametrize(("line", "expected"), [
    ("grafana: glsa_Hv7Kq2WmP9xL4tRb_8e1f0c2a", "grafana: <access-token>"),
    ("use ghp_Ab3dE6gH9jK2mN5pQ8sT1vW4 for the clone", "use <github-token> for the clone"),
    ("github_pat_11ABCDEFG0abcdEFGH12 expires friday", "<github-token> expires friday"),
    ("NPM_TOKEN is npm_Ab3dE6gH9jK2mN5pQ8sT1vW4xZ", "NPM_TOKEN is <npm-token>"),
    ("try hf_Ab3dE6gH9jK2mN5pQ8sT1vW4 on the hub", "try <access-token> on the hub"),
    ("runner: glpat-Zq8xT3mV7nR2kL5", "runner: <gitlab-token>"),
    ("pull with dckr_pat_Ab3dE6gH9jK2mN5pQ8s", "pull with <access-token>"),
    ("vault login hvs.CAESIKq7mPz2Lw9", "vault login <vault-token>"),
])
def test_vendor_prefix_marks_a_token_of_any_body_length(
    redactor: Redactor, line: str, expected: str
) -> None:
    assert shape(redactor.redact(line)) == expected


@pytest.mark.parametrize("line", [
    "ghp_XXXXXXXXXXXXXXXXXXXX is the format, see the docs",
    "npm_config_cache=/root/.npm",
    "hf_hub_download(repo_id='bert-base-uncased')",
    "set npm_token_v2 in CI",
    "hf_transfer_enabled_2024 = true",
])
def test_vendor_prefix_before_a_name_or_placeholder_stays(redactor: Redactor, line: str) -> None:
    assert redactor.redact(line) == line


@pytest.mark.parametrize(("line", "expected"), [
    ("token if you need grafana: Hv7Kq2WmP9xL4tRb8e1f0c2a", "token if you need grafana: <token>"),
    ("password for the staging db is below: Xk9pLm2QrT7w",
     "password for the staging db is below: <password>"),
    ("key (rotate after): Xk9pLm2QrT7wB4nV", "key (rotate after): <api-key>"),
    ("api key for the vendor portal, don't share: 7fQx2Lm9Rt4VbN8w",
     "api key for the vendor portal, don't share: <api-key>"),
    ("here's the secret we use in staging -> Qw8eRt5yUi2oP7aS",
     "here's the secret we use in staging -> <secret>"),
    ("password for prod (rotate after incident): Tr0ub4dor&3x",
     "password for prod (rotate after incident): <password>"),
    ("the grafana admin password, if you need it, is Kq7mPz2Lw9xR",
     "the grafana admin password, if you need it, is <password>"),
    ("pw for the vpn → river-battery-cloud6", "pw for the vpn → <password>"),
    ("creds for the bastion, just for today: Kq7mPz2Lw9xR4tB8",
     "creds for the bastion, just for today: <credential>"),
    ("pass — Kq7mPz2Lw9xR", "pass — <password>"),
    ("token 👉 Kq7mPz2Lw9xR4tB8", "token 👉 <token>"),
    ("🔑 Kq7mPz2Lw9xR4tB8", "🔑 <secret>"),
    ("🔑: Kq7mPz2Lw9xR4tB8 (prod)", "🔑: <secret> (prod)"),
    ('{"msg": "pw for prod \\u2192 Shadow2003!x"}', '{"msg": "pw for prod \\u2192 <password>"}'),
])
def test_value_after_a_clause_about_a_credential_is_replaced(
    redactor: Redactor, line: str, expected: str
) -> None:
    assert shape(redactor.redact(line)) == expected


@pytest.mark.parametrize("line", [
    "password reset for user: alice42",
    "token for tenant: 7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "key for shard 3: 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "cache key for request: 9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c",
    "token refresh for client web-app-2: ok",
    "secret for deployment (namespace prod): db-creds-v2",
    "password for user svc_backup42: rejected",
    "token if present: null",
    "password if set: ${DB_PASS}",
    "key for the build: v1.12.3-rc4",
    "token for pod: checkout-7f9c8d6b5-x2x9z",
    "pass — 42 of 142 checks",
    "page token for the next request: Ab12Cd34Ef56Gh78",
    "password for 10.0.3.7: see vault",
    "credentials for the bucket: s3://acme-backups/creds.json",
    "the token, if it expired. Kq7mPz2Lw9xR is the request id: retry",
])
def test_clause_before_something_that_is_no_credential_stays(
    redactor: Redactor, line: str
) -> None:
    assert redactor.redact(line) == line


@pytest.mark.parametrize(("line", "expected"), [
    ("the gateway admin pw there is Kelby!Gw2026xQ so it's ours",
     "the gateway admin pw there is <password> so it's ours"),
    ("the wifi pw today is Harbour7Gulls", "the wifi pw today is <password>"),
    ("root password over there = Tr0ub4dor&3x", "root password over there = <password>"),
    ("the db secret there: Zq9vL2mXw8Rt4kP", "the db secret there: <secret>"),
    ("api token now is Ab12Xy98QwErTz", "api token now is <token>"),
    ("the admin pw he gave us: Kq7mPz2Lw9xR", "the admin pw he gave us: <password>"),
])
def test_value_after_a_place_or_time_word_about_a_credential_is_replaced(
    redactor: Redactor, line: str, expected: str
) -> None:
    assert shape(redactor.redact(line)) == expected


@pytest.mark.parametrize("line", [
    "the key metric there is p99Latency",
    "token refresh there failed: Abc123XyzQ9",
    "password policy there is Min8Chars",
    "the password field there is required",
    "token there count=Abc123XyzQ9 ok",
    "key there is x=Abc123XyzQ9",
    "pw there is the same as last week",
])
def test_compound_names_and_fields_after_a_place_word_stay(
    redactor: Redactor, line: str
) -> None:
    assert redactor.redact(line) == line


@pytest.mark.parametrize(("line", "expected"), [
    ("login is deploy / Kq7!mPz2Lw", "login is deploy / <password>"),
    ("basic auth ZGVwbG95OktxN21QejJMdzl4Ug==", "basic auth <authorization>"),
    ("https://cdn.x.io/f.zip?Expires=1714567890&Signature=Kq7mPz2Lw9xR4tB8vN3cXyZ~aB2c"
     "&Key-Pair-Id=K2JCJMDEHXQW5F",
     "https://cdn.x.io/f.zip?Expires=1714567890&Signature=<url-signature>"
     "&Key-Pair-Id=K2JCJMDEHXQW5F"),
    ("https://acme.webhook.office.com/webhookb2/1a2b3c4d-1111-2222-3333-444455556666@ab12cd34"
     "/IncomingWebhook/9f8e7d6c5b4a39281706f5e4d3c2b1a0/0a1b2c3d",
     "https://acme.webhook.office.com/webhookb2/<teams-webhook>"),
])
def test_pasted_login_pairs_basic_credentials_and_signed_urls_are_replaced(
    redactor: Redactor, line: str, expected: str
) -> None:
    assert shape(redactor.redact(line)) == expected


@pytest.mark.parametrize("line", [
    "login is required / see the wiki",
    "basic auth is disabled on this ingress",
    "basic auth dXNlcm5hbWVvbmx5 is not a pair",
    "GET /search?q=signature=abc 200",
])
def test_login_words_and_basic_without_a_credential_stay(redactor: Redactor, line: str) -> None:
    assert redactor.redact(line) == line


@pytest.mark.parametrize(("line", "expected"), [
    ("*password*: Kq7mPz2Lw9xR", "*password*: <password>"),
    ("`token`: Kq7mPz2Lw9xR", "`token`: <token>"),
    ("passwd= Kq7mPz2Lw9xR", "passwd= <password>"),
    ("passord: Kq7mPz2Lw9xR", "passord: <password>"),
    ("DB_PASSWORT=Kq7mPz2Lw9xR", "DB_PASSWORT=<password>"),
    ("    auth: ZGVwbG95OktxN21QejJMdzl4Ug==", "    auth: <registry-auth>"),
])
def test_chat_labels_typos_and_other_languages_name_a_password(
    redactor: Redactor, line: str, expected: str
) -> None:
    assert shape(redactor.redact(line)) == expected


@pytest.mark.parametrize("line", [
    "*password*: required",
    "password= user=bob",
    "    auth: enabled",
    "    auth: c29tZXRoaW5n",  # base64 of a word, no user:password pair
])
def test_labels_with_no_credential_after_them_stay(redactor: Redactor, line: str) -> None:
    assert redactor.redact(line) == line


@pytest.mark.parametrize(("table", "expected"), [
    ("| service | user | password |\n|---|---|---|\n| grafana | admin | hunter22 |\n"
     "| nexus | ci | n/a |\nthanks\n",
     "| service | user | password |\n|---|---|---|\n| grafana | admin | <password> |\n"
     "| nexus | ci | n/a |\nthanks\n"),
    ("| host | **PW** |\n|:--|:--|\n| db1 | `Sommer2024` |\n",
     "| host | **PW** |\n|:--|:--|\n| db1 | `<password>` |\n"),
    ("| Key | Value |\n|---|---|\n| LOG_LEVEL | debug |\n| DB_PASSWORD | hunter22 |\n",
     "| Key | Value |\n|---|---|\n| LOG_LEVEL | debug |\n| DB_PASSWORD | <password> |\n"),
])
def test_markdown_table_credential_cells_are_replaced(
    redactor: Redactor, table: str, expected: str
) -> None:
    assert shape(redactor.redact(table)) == expected
    assert shape("".join(redactor.redact_lines(table.splitlines(keepends=True)))) == expected


@pytest.mark.parametrize("table", [
    "| secret | namespace | age |\n|---|---|---|\n| db-creds-v2 | shop | 12d |\n",
    "| key | value |\n|---|---|\n| LOG_LEVEL | debug |\n| TIMEOUT_MS | 3000 |\n",
    "| password | notes |\n| hunter22 | no delimiter row: not a table |\n",
    "| token | expires |\n|---|---|\n| n/a | - |\n| <token> | never |\n",
    "| password | user |\n|---|---|\n\nhunter22 | after the table ended\n",
])
def test_markdown_tables_without_credential_cells_stay(redactor: Redactor, table: str) -> None:
    assert redactor.redact(table) == table
