"""Every kind of secret is found in context, and only the secret is replaced."""

from __future__ import annotations

import re

import pytest
from placeholder_shapes import shape

from assistant.redaction import PLACEHOLDER_RE, Redactor

# (input line, expected output with placeholders written as <kind>)
CASES = [
    # cloud providers
    ("2024-05-01T12:00:00Z INFO using key AKIAIOSFODNN7EXAMPLE for s3 upload",
     "2024-05-01T12:00:00Z INFO using key <aws-access-key-id> for s3 upload"),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY trace=ok",
     "aws_secret_access_key = <aws-secret-access-key> trace=ok"),
    # a secret access key pasted next to its key id, with no field name of its own
    ("AKIAZ3MQ7PLX4RTY2WQB / q8Vn2Lk5Rt/9Pw3Xz7Yb+Mc4Jd6Hf1Gs0Ae2Ku5N",
     "<aws-access-key-id> / <aws-secret-access-key>"),
    ("id AKIAZ3MQ7PLX4RTY2WQB secret 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 ok",
     "id <aws-access-key-id> secret <aws-secret-access-key> ok"),
    ("creds ASIAZ3MQ7PLX4RTY2WQB and secret key q8Vn2Lk5Rt/9Pw3Xz7Yb+Mc4Jd6Hf1Gs0Ae2Ku5N",
     "creds <aws-access-key-id> and secret key <aws-secret-access-key>"),
    ("AKIAZ3MQ7PLX4RTY2WQB/q8Vn2Lk5Rt/9Pw3Xz7Yb+Mc4Jd6Hf1Gs0Ae2Ku5N",
     "<aws-access-key-id>/<aws-secret-access-key>"),
    ('{"private_key_id": "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c", "type": "service_account"}',
     '{"private_key_id": "<gcp-private-key-id>", "type": "service_account"}'),
    ('"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n'
     '-----END PRIVATE KEY-----\\n", "client_email": "ci@acme.iam.gserviceaccount.com"',
     '"private_key": "<private-key>", "client_email": "ci@acme.iam.gserviceaccount.com"'),
    ("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFi"
     "Y2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MTIzNA==;EndpointSuffix=core.windows.net",
     "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=<azure-account-key>;"
     "EndpointSuffix=core.windows.net"),
    ("GET /c/db.bak?sv=2022-11-02&sp=r&sig=Zm9vYmFyYmF6cXV4MTIz%2BNDU2Nzg5MGFi%3D HTTP/1.1 200",
     "GET /c/db.bak?sv=2022-11-02&sp=r&sig=<azure-sas-signature> HTTP/1.1 200"),
    # chat and code hosting
    ("slack: posting with xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx now",
     "slack: posting with <slack-token> now"),
    ("socket mode app token xapp-1-A01ABCDEF-1234567890123-0123456789abcdef0123 ok",
     "socket mode app token <slack-token> ok"),
    ("git push with ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8 done",
     "git push with <github-token> done"),
    ("GH_TOKEN=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012",
     "GH_TOKEN=<github-token>"),
    ("ghs_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8 and gho_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
     "<github-token> and <github-token>"),
    ("PRIVATE-TOKEN: glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn",
     "PRIVATE-TOKEN: <gitlab-token>"),
    # payments, AI, registries, messaging
    ("charging via sk_live_4eC39HqLyjWDarjtT1zdp7dc (customer cus_123)",
     "charging via <stripe-key> (customer cus_123)"),
    ("restricted key rk_live_51H8Ab2Cd3Ef4Gh5Ij6Kl7Mn used", "restricted key <stripe-key> used"),
    ("test mode sk_test_4eC39HqLyjWDarjtT1zdp7dc", "test mode <stripe-key>"),
    ("llm client key sk-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9dE1fG3 ready",
     "llm client key <openai-key> ready"),
    ("OPENAI_API_KEY=sk-proj-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9dE1fG3hI5jK7",
     "OPENAI_API_KEY=<openai-key>"),
    ("//registry.npmjs.org/:_authToken=npm_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
     "//registry.npmjs.org/:_authToken=<npm-token>"),
    ("twine upload -p pypi-AgEIcHlwaS5vcmcCJDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMAAC"
     " dist/*",
     "twine upload -p <pypi-token> dist/*"),
    ("sms via SK0123456789abcdef0123456789abcdef account AC0123456789abcdef0123456789abcdef",
     "sms via <twilio-api-key> account <twilio-account-sid>"),
    ("mailer SG.AbCdEfGhIjKlMnOpQrStUv.WxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz0123456 ok",
     "mailer <sendgrid-key> ok"),
    ("session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
     "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ok",
     "session <jwt> ok"),
    ("GET /maps/api/geocode/json?address=berlin&key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe 200",
     "GET /maps/api/geocode/json?address=berlin&key=<google-api-key> 200"),
    ("heroku HRKU-AAbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-ABCDEFGH ok", "heroku <access-token> ok"),
    ("X-Shopify-Access-Token shpat_0123456789abcdef0123456789abcdef",
     "X-Shopify-Access-Token <access-token>"),
    ("linear lin_api_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCd", "linear <access-token>"),
    ("newrelic NRAK-ABCDEFGHIJKLMNOPQRSTUVWXYZ0 ok", "newrelic <access-token> ok"),
    ("grafana glsa_AbCdEfGhIjKlMnOpQrStUvWxYz012345_0a1b2c3d", "grafana <access-token>"),
    ("doppler dp.st.prd.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCd", "doppler <access-token>"),
    ("pulumi pul-0123456789abcdef0123456789abcdef01234567", "pulumi <access-token>"),
    ("databricks dapi0123456789abcdef0123456789abcdef", "databricks <access-token>"),
    ("gcloud ya29.a0AfH6SMBx3dE5fG7hI9jK1lM3nO5pQ7rS9t", "gcloud <access-token>"),
    ("oauth GOCSPX-AbCdEfGhIjKlMnOpQrStUvWxYz01", "oauth <access-token>"),
    ("bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0 up", "bot <access-token> up"),
    ("AZURE_CLIENT_SECRET abc8Q~abcDEFghiJKLmnoPQRstuVWXyz01234567",
     "AZURE_CLIENT_SECRET <azure-client-secret>"),
    ("AGE-SECRET-KEY-1QQPQZ7Q8W3JZ5H6XVTF7LPAM8C2D5DRZ0Y9V7HHGNQ9K5WPHW8SSL6X2GQ",
     "<private-key>"),
    ("runner glcbt-64_AbCdEfGhIjKlMnOpQrStUv ok", "runner <gitlab-token> ok"),
    ("    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NB",
     "    client-key-data: <api-key>"),
    ("vault login hvs.CAESIJ1a2b3c4d5e6f7g8h9i0jklmnopqrstuvwxyz now",
     "vault login <vault-token> now"),
    ("docker login -u ci -p dckr_pat_abcdefghijklmnopqrstuvwxyz0 registry",
     "docker login -u ci -p <access-token> registry"),
    ('exporter headers {"x-honeycomb-team": "hcaik_01hz7Qm2Vx9Lr4Tn8Wz1Kp5Sd3Fb6"}',
     'exporter headers {"x-honeycomb-team": "<prefixed-token>"}'),
    ("X-Honeycomb-Team: hcxik_01hz7qm2vx9lr4tn8wz1kp5sd3fb6k2m7q9x4z8w1v5t3r6n0p2",
     "X-Honeycomb-Team: <prefixed-token>"),
    ("api_url: https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX",
     "api_url: https://hooks.slack.com/services/<slack-webhook>"),
    ("  routing_key: 0123456789abcdef0123456789abcdef", "  routing_key: <api-key>"),
    # URLs and DSNs
    ("connecting to postgres://app:Sup3r-S3cret@db.internal:5432/orders?sslmode=require",
     "connecting to postgres://app:<url-password>@db.internal:5432/orders?sslmode=require"),
    ("redis://:hunter2@redis-master:6379/0", "redis://:<url-password>@redis-master:6379/0"),
    ("postgres://app:p#ss?w0rd@db:5432/x", "postgres://app:<url-password>@db:5432/x"),
    ("amqp://guest:g#u@st@rabbit:5672/", "amqp://guest:<url-password>@rabbit:5672/"),
    ("dsn app:p4ss_w0rd@tcp(mysql:3306)/shop", "dsn app:<url-password>@tcp(mysql:3306)/shop"),
    # userinfo without a scheme, .pgpass lines, Oracle's user/password@db
    ("admin:S3cr3tPw@db-7.internal:5432/orders", "admin:<url-password>@db-7.internal:5432/orders"),
    ("rsync -av backup:pa55word@10.0.0.4::data /srv",
     "rsync -av backup:<url-password>@10.0.0.4::data /srv"),
    ('DSN="app:p@ss:w0rd@pg-main:5432"', 'DSN="app:<url-password>@pg-main:5432"'),
    ("root:123456@10.0.0.4", "root:<url-password>@10.0.0.4"),
    ("db.prod:5432:*:app:Xk29vLqPz8", "db.prod:5432:*:app:<password>"),
    ("*:*:*:postgres:correcthorse", "*:*:*:postgres:<password>"),
    ("echo 'pg-replica.internal:5433:orders:replicator:a\\:b9' >> ~/.pgpass",
     "echo 'pg-replica.internal:5433:orders:replicator:<password>' >> ~/.pgpass"),
    ("sqlplus -s scott/T1ger99@db-host:1521/ORCL",
     "sqlplus -s scott/<url-password>@db-host:1521/ORCL"),
    ("url=jdbc:oracle:thin:scott/T1ger99@db-host:1521/ORCL",
     "url=jdbc:oracle:thin:scott/<url-password>@db-host:1521/ORCL"),
    # a URL's user part that is a key: Sentry DSNs, new and old form
    ("SENTRY_DSN=https://0123456789abcdef0123456789abcdef@o123456.ingest.sentry.io/456",
     "SENTRY_DSN=https://<url-token>@o123456.ingest.sentry.io/456"),
    ("sentry_sdk.init('https://1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d:9f8e7d6c5b4a39281706f5e4d3c2b1a0"
     "@sentry.example.com/7')",
     "sentry_sdk.init('https://<url-token>:<url-password>@sentry.example.com/7')"),
    # key=value in its many spellings
    ("password=hunter2", "password=<password>"),
    ("login user=bob password=hunter2 attempt=2", "login user=bob password=<password> attempt=2"),
    ('{"user":"bob","password":"s3cr3t!","ok":true}',
     '{"user":"bob","password":"<password>","ok":true}'),
    ("{'api_key': 'abc123def456', 'region': 'eu'}", "{'api_key': '<api-key>', 'region': 'eu'}"),
    ("  db_password: correct horse battery staple", "  db_password: <password>"),
    ("export DB_PASS=letmein", "export DB_PASS=<password>"),
    ("MYSQL_ROOT_PASSWORD=r00t&b0ss", "MYSQL_ROOT_PASSWORD=<password>"),
    ("client_secret=Zx9Yw8Vu7Ts6 grant_type=client_credentials",
     "client_secret=<secret> grant_type=client_credentials"),
    ("GET /export?format=csv&access_token=abc123XYZ&page=2 HTTP/1.1",
     "GET /export?format=csv&access_token=<token>&page=2 HTTP/1.1"),
    ("User{name=alice, password=Tr0ub4dor, role=admin}",
     "User{name=alice, password=<password>, role=admin}"),
    ("mysql --password 'p@ss word' -h db", "mysql --password '<password>' -h db"),
    ("connect --password=hunter2 --host db", "connect --password=<password> --host db"),
    ('{"msg": "retry with {\\"token\\":\\"abc123def456\\"}"}',
     '{"msg": "retry with {\\"token\\":\\"<token>\\"}"}'),
    (":api_key => 'ab12cd34ef56'", ":api_key => '<api-key>'"),
    ("Password: Summer2024!", "Password: <password>"),
    # HTTP credentials
    ("curl -H 'Authorization: Bearer abcDEF123456ghiJKL789' https://api.acme.io",
     "curl -H 'Authorization: Bearer <bearer-token>' https://api.acme.io"),
    ('"Authorization": "Basic YWRtaW46aHVudGVyMg==", "Accept": "*/*"',
     '"Authorization": "Basic <authorization>", "Accept": "*/*"'),
    ('Authorization: Digest username="bob", realm="api", '
     'response="6629fae49393a05397450978507c4ef1"',
     "Authorization: Digest <authorization>"),
    ("Cookie: sessionid=8f14e45fceea167a5a36dedd4bea2543; theme=dark",
     "Cookie: sessionid=<cookie>; theme=dark"),
    ("Set-Cookie: sid=31d4d96e407aad42abcd; Path=/; Secure; HttpOnly",
     "Set-Cookie: sid=<cookie>; Path=/; Secure; HttpOnly"),
    # URLs and configs that are credentials themselves
    ("notify https://discord.com/api/webhooks/112233445566778899/Zt9Kq4mVx2Lp8Rn3Wb6Hy1Jc5Df7G ok",
     "notify https://discord.com/api/webhooks/112233445566778899/<discord-webhook> ok"),
    ("GET /x.pdf?X-Amz-Expires=900&X-Amz-Signature=3b1f0c9d8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"
     "2d1e0f9a8b7c6d5e4f3a2b1c HTTP/1.1",
     "GET /x.pdf?X-Amz-Expires=900&X-Amz-Signature=<url-signature> HTTP/1.1"),
    ('{"auths":{"ghcr.io":{"auth":"ZGVwbG95OmdocF9hYmNkZWZnaGlqa2xtbm9wcXJzdHV2"}}}',
     '{"auths":{"ghcr.io":{"auth":"<registry-auth>"}}}'),
    ("  .dockerconfigjson: eyJhdXRocyI6eyJnaGNyLmlvIjp7ImF1dGgiOiJaR1Z3Ykc5NU9tZG9jRjloWW1Oay"
     "J9fX0=",
     "  .dockerconfigjson: <registry-auth>"),
    # near a word like key / token / secret / password
    ("rotated token Xq9vB2mN7kL4pR8sT1wY for service checkout",
     "rotated token <generic-secret> for service checkout"),
    ("the api key is 7Hd9kQ2mX5vB8nL3pR6tW", "the api key is <api-key>"),
    # .pgpass lines, pasted or logged: host:port:database:user:password
    ("tidb-matching.internal:4000:dispatch:matcher_rw:Gw3Rk8Nt5Vb2",
     "tidb-matching.internal:4000:dispatch:matcher_rw:<password>"),
    ('msg="pgpass loaded" entry="10.0.0.5:5432:readings:ingest:Hb4Nz7Qt1Mk9"',
     'msg="pgpass loaded" entry="10.0.0.5:5432:readings:ingest:<password>"'),
    ("*:*:*:replicator:Zq8Lm2wx", "*:*:*:replicator:<password>"),
    # HTML form fields: the input's type or name says what its value is
    ('<form><input type=hidden name=user value=ops-bot><input type=password name=pwd '
     'value=Rk9Lm3Px7Tzq></form>',
     '<form><input type=hidden name=user value=ops-bot><input type=password name=pwd '
     'value=<password>></form>'),
    ('body="<input value=\\"Rk9Lm3Px7Tzq\\" type=\\"password\\">"',
     'body="<input value=\\"<password>\\" type=\\"password\\">"'),
    ("<INPUT name='csrf_token' type='hidden' value='a8F3kL0pQw'>",
     "<INPUT name='csrf_token' type='hidden' value='<token>'>"),
]


@pytest.mark.parametrize(("line", "expected"), CASES, ids=[c[1][:40] for c in CASES])
def test_secret_is_replaced_and_the_rest_of_the_line_kept(
    redactor: Redactor, line: str, expected: str
) -> None:
    assert shape(redactor.redact(line)) == expected


def test_placeholder_has_the_documented_form(redactor: Redactor) -> None:
    out = redactor.redact("password=hunter2")
    assert re.fullmatch(r"password=\[REDACTED:password#[0-9a-f]{4}\]", out)
    assert PLACEHOLDER_RE.search(out)


def test_multi_line_private_key_becomes_one_placeholder_between_its_markers(
    redactor: Redactor
) -> None:
    body = ["MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
            "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK"]
    lines = ["-----BEGIN RSA PRIVATE KEY-----", *body, "-----END RSA PRIVATE KEY-----", ""]
    text = "\n".join(lines)
    assert shape(redactor.redact(text)) == (
        "-----BEGIN RSA PRIVATE KEY-----\n<private-key>\n-----END RSA PRIVATE KEY-----\n"
    )


@pytest.mark.parametrize("prefix", ["    ", "web-1  | ", "2024-05-01T12:00:00.000Z "])
def test_private_key_lines_may_carry_the_prefix_of_their_begin_line(
    redactor: Redactor, prefix: str
) -> None:
    body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
    lines = ["-----BEGIN OPENSSH PRIVATE KEY-----", body, body[::-1],
             "-----END OPENSSH PRIVATE KEY-----"]
    out = redactor.redact("".join(prefix + line + "\n" for line in lines) + "next line\n")
    assert body not in out and body[::-1] not in out
    assert out.endswith(prefix + "-----END OPENSSH PRIVATE KEY-----\nnext line\n")


def test_a_truncated_key_does_not_swallow_the_log_after_it(redactor: Redactor) -> None:
    text = ("-----BEGIN EC PRIVATE KEY-----\n"
            "MHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\n"
            "2024-05-01 12:00:01 INFO request done in 12 ms\n")
    out = redactor.redact(text)
    assert "MHcCAQEEIIrYSSNQ" not in out
    assert shape(out).endswith("<private-key>\n2024-05-01 12:00:01 INFO request done in 12 ms\n")


def test_kubernetes_secret_data_values_are_replaced_in_either_key_order(redactor: Redactor) -> None:
    hand_written = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n"
                    "  password: aHVudGVyMg==\n  username: YWRtaW4=\n")
    kubectl = ("apiVersion: v1\ndata:\n  password: aHVudGVyMg==\n  tls.crt: LS0tLS1CRUdJTg==\n"
               "kind: Secret\nmetadata:\n  name: db\n")
    assert shape(redactor.redact(hand_written)).endswith(
        "data:\n  password: <k8s-secret>\n  username: <k8s-secret>\n")
    assert shape(redactor.redact(kubectl)) == (
        "apiVersion: v1\ndata:\n  password: <k8s-secret>\n  tls.crt: <k8s-secret>\n"
        "kind: Secret\nmetadata:\n  name: db\n")


def test_kubernetes_secret_string_data_and_json_are_replaced(redactor: Redactor) -> None:
    string_data = "kind: Secret\nstringData:\n  DB_URL: postgres-main\n  note: plain words\n"
    as_json = '{\n  "data": {\n    "token": "c2VjcmV0dG9rZW4=",\n    "ca.crt": "LS0tLQ=="\n  },\n'
    assert shape(redactor.redact(string_data)).endswith(
        "stringData:\n  DB_URL: <k8s-secret>\n  note: <k8s-secret>\n")
    out = shape(redactor.redact(as_json))
    assert '"ca.crt": "<k8s-secret>"' in out and "c2VjcmV0dG9rZW4" not in out


def test_configmap_data_is_left_alone(redactor: Redactor) -> None:
    text = ("apiVersion: v1\nkind: ConfigMap\ndata:\n  LOG_LEVEL: info\n"
            "  GREETING: SGVsbG8gd29ybGQ=\nmetadata:\n  name: app\n")
    assert redactor.redact(text) == text


@pytest.mark.parametrize("line", [
    "user:alice@acme.io role:admin",
    "mailto:bob2@acme.io",
    "image nginx:1.25@sha256:0123456789abcdef0123456789abcdef",
    "image web:stable@sha256:0123456789abcdef0123456789abcdef",
    "pkg:npm/lodash@4.17.21",
    "git@github.com:acme/repo.git",
    "dsn: https://public@sentry.example.com/1",
    "10.0.0.4:5432:orders ready",
    "2024-05-01 12:00:00:000:INFO:app:started",
    "db.prod:5432:*:app:*",
    "see host:5432?user=me@corp",
    "GET /b/x?se=2024-06-01T00:00:00Z&st=2024-05-01T00:00:00Z&spr=https HTTP/1.1",
    "# surrogatepass: streams read with surrogateescape still hash deterministically.",
    "nginx:443:upstream:timeout:30s",
    "ERROR:root:conn:retry:backoff",
    "mac 00:1a:2b:3c:4d:5e",
    '{"host":"db","port":5432,"db":"orders","user":"app","msg":"ok"}',
])
def test_addresses_digests_and_colon_lists_are_not_credentials(
    redactor: Redactor, line: str
) -> None:
    assert redactor.redact(line) == line


@pytest.mark.parametrize("line", [
    "password=${DB_PASSWORD}",
    "spring.datasource.password=${SPRING_DATASOURCE_PASSWORD}",
    "token: {{ .Values.api.token }}",
    "password=%(password)s",
    "UPDATE users SET password = $1 WHERE id = $2",
    "UPDATE users SET password = :password WHERE id = :id",
    "password=********",
    "password: <redacted>",
    "password= user=bob",
    '"password": null, "token": ""',
    "export API_TOKEN=$API_TOKEN",
    '{"auth": "disabled", "mode": "anonymous"}',
])
def test_templates_masks_and_empty_values_are_not_secrets(redactor: Redactor, line: str) -> None:
    assert redactor.redact(line) == line


@pytest.mark.parametrize("line", [
    "01:23:45:67:89:ab",
    "fe80:0:0:0:1 is link-local",
    "12:30:45:07:99 clock",
    "app.py:10:5: E501 line too long",
    "record:instance:node_cpu:rate5m",
    "<input type='text' name='username' value='alice'>",
    '<input type="password" name="pw" value="">',
])
def test_colon_runs_and_plain_form_fields_are_not_passwords(
    redactor: Redactor, line: str
) -> None:
    assert redactor.redact(line) == line


@pytest.mark.parametrize("line", [
    "SLACK_BOT_TOKEN: missing, set it in the environment",
    "SLACK_BOT_TOKEN: not set",
    "environment: SLACK_BOT_TOKEN: missing, set it in the environment",
    "error: OPSBOT_ALERTMANAGER_TOKEN: not set (the receiver needs one)",
    "DB_PASSWORD: Not Set",
    "api_key: invalid",
    "SLACK_SIGNING_SECRET: see the app's Basic Information page",
])
def test_a_message_about_a_setting_after_its_name_stays_readable(
    redactor: Redactor, line: str
) -> None:
    assert redactor.redact(line) == line


@pytest.mark.parametrize(("line", "expected"), [
    ("SLACK_BOT_TOKEN: xoxb-123-456-abcdef", "SLACK_BOT_TOKEN: <slack-token>"),
    ("SLACK_BOT_TOKEN: notsetq7Zk2", "SLACK_BOT_TOKEN: <token>"),
    ("DB_PASSWORD: not-a-word-2024", "DB_PASSWORD: <password>"),
    ("DB_PASSWORD='not set'", "DB_PASSWORD='<password>'"),
    ("password: the quick brown fox", "password: <password>"),
    ("password: no one knows", "password: <password>"),
    ("password: see you later alligator", "password: <password>"),
])
def test_a_value_that_merely_starts_like_a_message_is_still_replaced(
    redactor: Redactor,
    line: str, expected: str
) -> None:
    assert shape(redactor.redact(line)) == expected
