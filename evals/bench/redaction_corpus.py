"""Seeded generators of realistic log text for the redaction benchmarks.

Two halves: samples that carry secrets of every kind the redactor claims to know (in
nginx/JSON/syslog/k8s/env/YAML/stack-trace contexts, at varied positions; container env
entries, command lines, URL-encoded bodies, YAML block scalars, chat sentences), and clean
logs full of things that resemble secrets but are not (UUIDs, trace ids, digests, git SHAs,
pod names, base64 payloads, pagination cursors, prose about passwords and tokens, env
entries with ordinary names, flags such as ``ssh -p 2222`` or ``docker run -u 1000:1000``,
encoded queries without credentials).
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, urlencode

UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
DIGITS = string.digits
ALNUM = UPPER + LOWER + DIGITS
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


@dataclass(frozen=True)
class SecretSample:
    kind: str  # label for the report
    generic: bool  # found by context (names, nearby words) rather than by a known format
    text: str  # one or more lines, each ending in "\n"
    secrets: tuple[str, ...]  # none of these may survive redaction


def rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def mixed(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    """Random characters with at least one upper, one lower and one digit, as real keys have."""
    while True:
        s = rand(rng, alphabet, n)
        if any(c.isupper() for c in s) and any(c.islower() for c in s) and any(
            c.isdigit() for c in s
        ):
            return s


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def uuid(rng: random.Random) -> str:
    h = rand(rng, HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def pod(rng: random.Random) -> str:
    app = rng.choice(["checkout", "cart", "payments", "search", "api-gateway", "worker"])
    return f"{app}-{rand(rng, '0123456789bcdfghjklmnpqrstvwxz', rng.choice([9, 10]))}-" + rand(
        rng, "0123456789bcdfghjklmnpqrstvwxz", 5
    )


def ip(rng: random.Random) -> str:
    return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def iso(rng: random.Random) -> str:
    return (
        f"2024-05-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
        f"{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z"
    )


def human_password(rng: random.Random) -> str:
    style = rng.randrange(4)
    if style == 0:
        word = rng.choice(["Summer", "Winter", "Dragon", "Monkey", "Shadow", "Coffee", "Tiger"])
        return f"{word}{rng.randint(1970, 2030)}{rng.choice('!@#$%&*?')}"
    if style == 1:
        return rand(rng, ALNUM + "!#$%&*+-.=?^_~", rng.randint(10, 24))
    if style == 2:
        words = rng.sample(["correct", "horse", "battery", "staple", "river", "lamp", "cloud"], 3)
        return "-".join(words) + str(rng.randint(1, 99))
    return rand(rng, LOWER, rng.randint(6, 9)) + str(rng.randint(1, 999))


# -- where a secret sits in a line -----------------------------------------------------------


def _plain_prefix(rng: random.Random) -> str:
    return rng.choice(
        [
            f"{iso(rng)} INFO  [{rng.choice(['main', 'worker-3', 'http-nio-8080-exec-7'])}] ",
            f"{iso(rng)} level=warn component=config ",
            f"May {rng.randint(1, 28):2d} 12:{rng.randint(10, 59)}:07 "
            f"ip-{ip(rng).replace('.', '-')} app[{rng.randint(100, 9999)}]: ",
            f"{pod(rng)} app ",
            "",
        ]
    )


def _suffix(rng: random.Random) -> str:
    return rng.choice(
        [
            "",
            f" trace_id={rand(rng, HEX, 32)}",
            f" duration_ms={rng.randint(1, 900)} status=ok",
            f" (pod {pod(rng)})",
            f" request_id={uuid(rng)}",
        ]
    )


def in_line(rng: random.Random, body: str) -> str:
    """``body`` inside a log line: plain prefix, or JSON-escaped inside a JSON log message."""
    if rng.random() < 0.25:
        record = {
            "ts": iso(rng),
            "level": rng.choice(["info", "debug", "error"]),
            "msg": body,
            "trace_id": rand(rng, HEX, 32),
        }
        return json.dumps(record) + "\n"
    return _plain_prefix(rng) + body + _suffix(rng) + "\n"


def _sample(kind: str, rng: random.Random, body: str, secret: str,
            generic: bool = False) -> SecretSample:
    return SecretSample(kind, generic, in_line(rng, body), (secret,))


def _one(kind: str, rng: random.Random, secret: str, templates: list[str],
         generic: bool = False) -> SecretSample:
    return _sample(kind, rng, rng.choice(templates).format(s=secret), secret, generic)


# -- known formats ----------------------------------------------------------------------------


def aws_access_key_id(rng: random.Random) -> SecretSample:
    s = rng.choice(["AKIA", "ASIA"]) + rand(rng, UPPER + "234567", 16)
    return _one("aws-access-key-id", rng, s, [
        "aws_access_key_id = {s}", "export AWS_ACCESS_KEY_ID={s}", '"AccessKeyId": "{s}"',
        "X-Amz-Credential={s}/20240501/us-east-1/s3/aws4_request", "found access key {s} in env",
        "assumed role, key={s}", "{s}",
    ])


def aws_secret_access_key(rng: random.Random) -> SecretSample:
    key_id = "AKIA" + rand(rng, UPPER + "234567", 16)
    s = mixed(rng, 40, B64)
    body = rng.choice([
        "aws_secret_access_key = {s}", "export AWS_SECRET_ACCESS_KEY={s}",
        '"SecretAccessKey": "{s}"', "AWS_SECRET_ACCESS_KEY: {s}",
        key_id + ",{s}", "--aws-secret-access-key {s}", "secret_access_key={s}",
    ]).format(s=s)
    return _sample("aws-secret-access-key", rng, body, s)


def gcp_service_account(rng: random.Random) -> SecretSample:
    key_id = rand(rng, HEX, 40)
    pem_body = "\\n".join(b64(rng.randbytes(48)) for _ in range(4))
    pem = f"-----BEGIN PRIVATE KEY-----\\n{pem_body}\\n-----END PRIVATE KEY-----\\n"
    line = (
        '{"type": "service_account", "project_id": "acme-prod", '
        f'"private_key_id": "{key_id}", "private_key": "{pem}", '
        '"client_email": "deployer@acme-prod.iam.gserviceaccount.com"}\n'
    )
    return SecretSample("gcp-service-account", False, line, (key_id, *pem_body.split("\\n")))


def azure_connection_string(rng: random.Random) -> SecretSample:
    s = b64(rng.randbytes(64))
    line = rng.choice([
        "DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey={s};"
        "EndpointSuffix=core.windows.net",
        'AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName=acme;'
        'AccountKey={s}"',
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={s}",
    ]).format(s=s)
    return _sample("azure-account-key", rng, line, s)


def azure_sas(rng: random.Random) -> SecretSample:
    sig = b64(rng.randbytes(32)).replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    url = (
        "https://acme.blob.core.windows.net/backups/db.tar.gz?sv=2022-11-02&ss=b&srt=o&sp=r"
        f"&se=2024-06-01T00:00:00Z&st=2024-05-01T00:00:00Z&spr=https&sig={sig}"
    )
    return _one("azure-sas-signature", rng, sig, [
        f"GET {url}", f"downloading {url} to /tmp/restore", f'"blobUrl": "{url}"',
    ])


def slack_token(rng: random.Random) -> SecretSample:
    s = rng.choice([
        f"xoxb-{rand(rng, DIGITS, 12)}-{rand(rng, DIGITS, 13)}-{mixed(rng, 24)}",
        f"xoxp-{rand(rng, DIGITS, 12)}-{rand(rng, DIGITS, 12)}-{rand(rng, DIGITS, 13)}-"
        f"{rand(rng, HEX, 32)}",
        f"xapp-1-A{rand(rng, UPPER + DIGITS, 10)}-{rand(rng, DIGITS, 13)}-{rand(rng, HEX, 64)}",
    ])
    return _one("slack-token", rng, s, [
        "SLACK_BOT_TOKEN={s}", "slack client init token={s}", 'slack: {{"token": "{s}"}}',
        "posting to #incidents with {s}", "Authorization: Bearer {s}",
    ])


def github_token(rng: random.Random) -> SecretSample:
    s = rng.choice([
        f"{rng.choice(['ghp', 'gho', 'ghu', 'ghs', 'ghr'])}_{mixed(rng, 36)}",
        f"github_pat_{mixed(rng, 22)}_{mixed(rng, 59)}",
    ])
    return _one("github-token", rng, s, [
        "GITHUB_TOKEN={s}", "git clone https://x-access-token:{s}@github.com/acme/checkout.git",
        "Authorization: token {s}", "using {s} for the release upload",
        "gh auth login --with-token {s}",
    ])


def gitlab_token(rng: random.Random) -> SecretSample:
    s = "glpat-" + mixed(rng, 20, B64URL)
    return _one("gitlab-token", rng, s, [
        "PRIVATE-TOKEN: {s}", "CI_JOB_TOKEN fallback {s}", "gitlab api call with {s} failed: 401",
    ])


def stripe_key(rng: random.Random) -> SecretSample:
    s = rng.choice(["sk_live_", "rk_live_", "sk_test_"]) + mixed(rng, rng.choice([24, 99]))
    return _one("stripe-key", rng, s, [
        "STRIPE_SECRET_KEY={s}", "stripe.api_key = '{s}'", "charging card via {s}",
        "-u {s}: https://api.stripe.com/v1/charges",
    ])


def openai_key(rng: random.Random) -> SecretSample:
    s = rng.choice([
        "sk-" + mixed(rng, 20) + "T3BlbkFJ" + mixed(rng, 20),
        "sk-proj-" + mixed(rng, 120, B64URL),
    ])
    return _one("openai-key", rng, s, [
        "OPENAI_API_KEY={s}", "openai.api_key='{s}'", "llm client configured with key {s}",
        '"api_key": "{s}"',
    ])


def npm_token(rng: random.Random) -> SecretSample:
    s = "npm_" + mixed(rng, 36)
    return _one("npm-token", rng, s, [
        "//registry.npmjs.org/:_authToken={s}", "NPM_TOKEN={s}", "npm publish using {s}",
    ])


def pypi_token(rng: random.Random) -> SecretSample:
    s = "pypi-AgEIcHlwaS5vcmc" + mixed(rng, rng.randint(60, 160), B64URL)
    return _one("pypi-token", rng, s, [
        "password = {s}", "twine upload -u __token__ -p {s} dist/*", "TWINE_PASSWORD={s}",
        "uploading with {s}",
    ])


def twilio(rng: random.Random) -> SecretSample:
    s = rng.choice(["SK", "AC"]) + rand(rng, HEX, 32)
    return _one("twilio", rng, s, [
        "TWILIO_API_KEY={s}", "twilio client sid={s}", "sending sms via {s}",
        '"account_sid": "{s}"',
    ])


def sendgrid(rng: random.Random) -> SecretSample:
    s = f"SG.{mixed(rng, 22, B64URL)}.{mixed(rng, 43, B64URL)}"
    return _one("sendgrid-key", rng, s, [
        "SENDGRID_API_KEY={s}", "mailer: using {s}", "Authorization: Bearer {s}",
    ])


def google_api_key(rng: random.Random) -> SecretSample:
    s = "AIza" + rand(rng, B64URL, 35)
    return _one("google-api-key", rng, s, [
        "GET https://maps.googleapis.com/maps/api/geocode/json?address=berlin&key={s}",
        "GOOGLE_API_KEY={s}", "firebase config apiKey: {s}", "using {s} for geocoding",
    ])


def vault_token(rng: random.Random) -> SecretSample:
    s = "hvs." + mixed(rng, rng.choice([24, 95]), B64URL)
    return _one("vault-token", rng, s, [
        "VAULT_TOKEN={s}", "vault login {s}", "X-Vault-Token: {s}", "renewed {s} for 768h",
    ])


def access_token(rng: random.Random) -> SecretSample:
    s = rng.choice([
        "dckr_pat_" + mixed(rng, 27, B64URL), "dop_v1_" + rand(rng, HEX, 64),
        "hf_" + rand(rng, UPPER + LOWER, 34),
    ])
    return _one("access-token", rng, s, [
        "docker login -u ci -p {s}", "DIGITALOCEAN_TOKEN={s}", "HF_TOKEN={s}",
        "huggingface-cli login --token {s}", "pulling with {s}",
    ])


def slack_webhook(rng: random.Random) -> SecretSample:
    path = f"T{rand(rng, UPPER + DIGITS, 10)}/B{rand(rng, UPPER + DIGITS, 10)}/{mixed(rng, 24)}"
    url = f"https://hooks.slack.com/services/{path}"
    return _sample("slack-webhook", rng, rng.choice([
        f"api_url: {url}", f"POST {url} 200", f'"slack_api_url": "{url}"',
    ]), path)


def jwt(rng: random.Random) -> SecretSample:
    header = b64url(json.dumps({"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"}).encode())
    claims = {"sub": str(rng.randint(1, 10**6)), "iat": 1714560000 + rng.randint(0, 10**6),
              "scope": rng.choice(["read", "read write", "admin"])}
    s = f"{header}.{b64url(json.dumps(claims).encode())}.{b64url(rng.randbytes(32))}"
    return _one("jwt", rng, s, [
        "Authorization: Bearer {s}", "id_token={s}", "validated {s} for user", "set session {s}",
        '{{"access_token": "{s}", "token_type": "Bearer", "expires_in": 3600}}',
    ])


PEM_LABELS = ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY",
              "ENCRYPTED PRIVATE KEY"]


def pem_block(rng: random.Random) -> SecretSample:
    label = rng.choice(PEM_LABELS)
    raw = b64(rng.randbytes(rng.choice([400, 900, 1200])))
    body = [raw[i : i + 64] for i in range(0, len(raw), 64)]
    style = rng.randrange(4)
    lines = [f"-----BEGIN {label}-----", *body, f"-----END {label}-----"]
    if style == 0:  # a key file printed as it is
        text = "\n".join(lines)
    elif style == 1:  # YAML block scalar
        text = "tls.key: |\n" + "\n".join("    " + x for x in lines)
    elif style == 2:  # docker compose prefix
        text = "\n".join("web-1  | " + x for x in lines)
    else:  # timestamps on every line
        text = "\n".join(f"{iso(rng)} " + x for x in lines)
    secrets = tuple(x for x in body if len(x) >= 16)
    return SecretSample("private-key", False, text + "\n", secrets)


def url_password(rng: random.Random) -> SecretSample:
    s = rand(rng, ALNUM + "!*-_.~", rng.randint(8, 20))
    if rng.random() < 0.3:  # pasted unencoded: '#', '?' and '@' inside the userinfo
        at = rng.randint(1, len(s) - 1)
        s = s[:at] + rng.choice("#?@") + s[at:]
    scheme, host = rng.choice([
        ("postgres", "db.internal:5432/app"), ("postgresql", "10.0.3.7/orders?sslmode=require"),
        ("mysql", "mysql-primary:3306/shop"), ("redis", "redis-master:6379/0"),
        ("amqp", "rabbitmq.shop.svc:5672/%2f"), ("mongodb+srv", "cluster0.mongodb.net/app"),
        ("https", "artifacts.acme.io/repository/pypi/simple"),
    ])
    url = f"{scheme}://{rng.choice(['app', 'admin', 'svc_checkout', ''])}:{s}@{host}"
    body = rng.choice([
        f"connecting to {url}", f"DATABASE_URL={url}", f'"dsn": "{url}"',
        f"dial {url}: connection refused", f"pip install --index-url {url} acme-lib",
    ])
    return _sample("url-password", rng, body, s)


def go_dsn(rng: random.Random) -> SecretSample:
    s = human_password(rng).replace("@", "#").replace("/", "_").replace(":", "_")
    dsn = f"{rng.choice(['app', 'root', 'orders'])}:{s}@tcp(mysql-0.mysql:3306)/shop?parseTime=true"
    return _sample("url-password", rng, f"opening mysql dsn {dsn}", s)


def authorization(rng: random.Random) -> SecretSample:
    choice = rng.randrange(4)
    if choice == 0:
        s = mixed(rng, rng.randint(24, 48), ALNUM + "-._~")
        value = f"Bearer {s}"
    elif choice == 1:
        s = b64(f"{rng.choice(['admin', 'deploy', 'ci'])}:{human_password(rng)}".encode())
        value = f"Basic {s}"
    elif choice == 2:
        s = f'Credential=AKIA{rand(rng, UPPER, 16)}/20240501/us-east-1/s3/aws4_request, ' \
            f'SignedHeaders=host;x-amz-date, Signature={rand(rng, HEX, 64)}'
        value = f"AWS4-HMAC-SHA256 {s}"
    else:
        s = mixed(rng, 32)
        value = f"Token {s}"
    body = rng.choice([
        f"Authorization: {value}", f'curl -H "Authorization: {value}" https://api.acme.io/v1/orders',
        f"'authorization': '{value}'", f"Proxy-Authorization: {value}",
        f'headers={{"Authorization": "{value}", "Accept": "application/json"}}',
    ])
    return _sample("authorization", rng, body, s)


def cookie(rng: random.Random) -> SecretSample:
    a, b = mixed(rng, 32, ALNUM + "-_"), rand(rng, HEX, 40)
    if rng.random() < 0.5:
        body = f"Cookie: sessionid={a}; csrftoken={b}; theme=dark"
        secrets: tuple[str, ...] = (a, b)
    else:
        body = f"Set-Cookie: __Host-sid={a}; Path=/; Secure; HttpOnly; SameSite=Lax"
        secrets = (a,)
    body = rng.choice(["{b}", "< {b}", "> {b}", "response header {b}"]).format(b=body)
    return SecretSample("cookie", False, in_line(rng, body), secrets)


def k8s_secret(rng: random.Random) -> SecretSample:
    values = {name: b64(human_password(rng).encode()) for name in
              rng.sample(["password", "username", "api-key", "tls.crt", "DB_URL", "token"], 3)}
    data = "".join(f"  {k}: {v}\n" for k, v in values.items())
    meta = f"metadata:\n  name: {rng.choice(['db-credentials', 'api-keys', 'tls'])}\n" \
           f"  namespace: shop\ntype: Opaque\n"
    if rng.random() < 0.5:  # as written by hand: kind first
        text = "apiVersion: v1\nkind: Secret\n" + meta + "data:\n" + data
    else:  # as printed by kubectl get -o yaml: alphabetical, data before kind
        text = "apiVersion: v1\ndata:\n" + data + "kind: Secret\n" + meta
    return SecretSample("k8s-secret", False, "---\n" + text, tuple(values.values()))


# -- generic: found by the name or a nearby word, not by the shape ------------------------------


def kv_password(rng: random.Random) -> SecretSample:
    s = human_password(rng)
    name = rng.choice(["password", "passwd", "pwd", "db_password", "DB_PASS", "dbPassword",
                       "MYSQL_ROOT_PASSWORD", "smtp.password", "redis_pass", "PGPASSWORD"])
    body = rng.choice([
        f"{name}={s}", f'{name}="{s}"', f'"{name}": "{s}"', f"'{name}': '{s}'",
        f"{name}: {s}", f"connect(host=db, user=app, {name}={s}, port=5432)",
        f"--{name.lower().replace('_', '-')} {s}", f"export {name}='{s}'",
        f"User{{name=alice, {name}={s}, role=admin}}",
    ])
    return _sample("kv-password", rng, body, s, generic=True)


def kv_token(rng: random.Random) -> SecretSample:
    s = rng.choice([rand(rng, HEX, 32), mixed(rng, rng.randint(20, 40)),
                    mixed(rng, 24, ALNUM + "-_")])
    name = rng.choice(["api_key", "apiKey", "x-api-key", "client_secret", "access_token",
                       "refresh_token", "auth_token", "SECRET_KEY", "webhook_secret",
                       "DATADOG_API_KEY", "token", "routing_key", "SECRET_KEY_BASE"])
    body = rng.choice([
        f"{name}={s}", f'"{name}":"{s}"', f"{name}: {s}", f"{name.upper()}={s}",
        f"GET /v1/export?format=csv&{name}={s} HTTP/1.1", f"X-Api-Key: {s}",
    ])
    return _sample("kv-token", rng, body, s, generic=True)


def env_dump(rng: random.Random) -> SecretSample:
    s = rng.choice([human_password(rng), mixed(rng, 32)])
    name = rng.choice(["DB_PASSWORD", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "JWT_SECRET",
                       "SESSION_SECRET", "SENTRY_AUTH_TOKEN", "VAULT_TOKEN", "ADMIN_PASS"])
    lines = [f"HOSTNAME={pod(rng)}", "KUBERNETES_SERVICE_HOST=10.96.0.1",
             f"{name}={s}", "LANG=C.UTF-8", "PATH=/usr/local/bin:/usr/bin:/bin"]
    rng.shuffle(lines)
    return SecretSample("env-dump", True, "".join(x + "\n" for x in lines), (s,))


def prose_entropy(rng: random.Random) -> SecretSample:
    s = mixed(rng, rng.randint(20, 40), ALNUM + rng.choice(["", "-_", "+/"]))
    body = rng.choice([
        "rotated token {s} for service checkout", "the api key is {s}",
        "using secret {s} to sign webhooks", "new password {s} set for admin",
        "key {s} added to keyring", "fallback credentials {s} loaded",
        "token: {s}", "issued access token {s} (expires in 3600s)",
    ]).format(s=s)
    return _sample("prose-entropy", rng, body, s, generic=True)


# -- found by the structure around the value: sibling names, command flags, encodings ----------

_SECRET_ENV_NAMES = [
    "DB_PASSWORD", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "ADMIN_PASSWORD", "SMTP_PASS",
    "API_TOKEN", "GITHUB_TOKEN", "SENTRY_AUTH_TOKEN", "JWT_SECRET", "CLIENT_SECRET",
    "STRIPE_SECRET_KEY", "DATADOG_API_KEY", "RABBITMQ_DEFAULT_PASS", "SESSION_SECRET",
]
_PLAIN_ENV = [
    ("LOG_LEVEL", "info"), ("DB_HOST", "postgres.shop.svc"), ("DB_USER", "checkout"),
    ("PORT", "8080"), ("NODE_ENV", "production"), ("FEATURE_FLAGS", "checkout-v2,fast-cart"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector:4317"), ("TZ", "UTC"),
    ("TOKEN_TTL_SECONDS", "3600"), ("PASSWORD_MIN_LENGTH", "12"), ("SECRET_NAME", "db-creds"),
]
_SAFE_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


def yaml_scalar(value: str) -> str:
    """A YAML scalar as a person or kubectl would write it: plain when that is safe."""
    return value if _SAFE_PLAIN.fullmatch(value) and not value.isdigit() else json.dumps(value)


def env_secret(rng: random.Random) -> str:
    return rng.choice([human_password(rng), mixed(rng, rng.randint(20, 40)), rand(rng, HEX, 32)])


def _env_entries(rng: random.Random, name: str, secret: str) -> list[tuple[str, str | None]]:
    """A container's env: the secret among plain entries and a valueFrom reference."""
    entries: list[tuple[str, str | None]] = list(rng.sample(_PLAIN_ENV, rng.randint(1, 4)))
    if rng.random() < 0.4:
        entries.append((rng.choice(_SECRET_ENV_NAMES), None))  # valueFrom: secretKeyRef
    entries.insert(rng.randint(0, len(entries)), (name, secret))
    return entries


def _env_yaml(
    entries: list[tuple[str, str | None]], indent: int, value_first: bool = False
) -> list[str]:
    """As kubectl prints env (name first), or as some write it by hand (value first)."""
    pad = " " * indent
    lines = []
    for name, value in entries:
        if value is None:
            lines += [f"{pad}- name: {name}", f"{pad}  valueFrom:", f"{pad}    secretKeyRef:",
                      f"{pad}      key: password", f"{pad}      name: {name.lower()}"]
        elif value_first:
            lines += [f"{pad}- value: {yaml_scalar(value)}", f"{pad}  name: {name}"]
        else:
            lines += [f"{pad}- name: {name}", f"{pad}  value: {yaml_scalar(value)}"]
    return lines


def _env_json(entries: list[tuple[str, str | None]], indent: int) -> list[str]:
    pad = " " * indent
    lines = [f'{pad}"env": [']
    for i, (name, value) in enumerate(entries):
        comma = "," if i < len(entries) - 1 else ""
        lines += [f"{pad}    {{", f'{pad}        "name": {json.dumps(name)},']
        if value is None:
            lines += [f'{pad}        "valueFrom": {{', f'{pad}            "secretKeyRef": {{',
                      f'{pad}                "key": "password",',
                      f'{pad}                "name": "{name.lower()}"',
                      f"{pad}            }}", f"{pad}        }}"]
        else:
            lines.append(f'{pad}        "value": {json.dumps(value)}')
        lines.append(f"{pad}    }}{comma}")
    lines.append(f"{pad}],")
    return lines


def k8s_env(rng: random.Random) -> SecretSample:
    """Container env where the sibling name makes the value secret: kubectl -o yaml/json,
    Helm values (name or value first), ECS task definitions and jq -c output."""
    s = env_secret(rng)
    entries = _env_entries(rng, rng.choice(_SECRET_ENV_NAMES), s)
    style = rng.randrange(6)
    if style == 0:  # kubectl get pod -o yaml
        lines = ["spec:", "  containers:", "  - env:", *_env_yaml(entries, 4),
                 f"    image: ghcr.io/acme/checkout:1.{rng.randint(0, 9)}.{rng.randint(0, 9)}",
                 "    imagePullPolicy: IfNotPresent", "    name: app"]
    elif style in (1, 5):  # Helm values, written by hand with the value first in style 5
        lines = ["checkout:", f"  replicaCount: {rng.randint(1, 6)}", "  extraEnv:",
                 *_env_yaml(entries, 4, value_first=style == 5), "  resources:", "    limits:",
                 "      cpu: 500m"]
    elif style == 2:  # kubectl get pod -o json
        lines = ['        "containers": [', "            {", *_env_json(entries, 16),
                 '                "image": "ghcr.io/acme/checkout:1.4.2",',
                 '                "name": "app"', "            }", "        ],"]
    elif style == 3:  # ECS task definition / jq -c: one line
        env = [{"name": n, "value": v} for n, v in entries if v is not None]
        rng.shuffle(env)
        lines = [in_line(rng, f'container definition: {{"name": "app", "environment": '
                              f'{json.dumps(env)}, "essential": true}}').rstrip("\n")]
    else:  # YAML flow style, as in a kustomize patch or a chat paste
        env = ", ".join(f"{{name: {n}, value: {yaml_scalar(v)}}}" for n, v in entries
                        if v is not None)
        lines = [f"      env: [{env}]"]
    return SecretSample("k8s-env", False, "".join(x + "\n" for x in lines), (s,))


def shell_quote(rng: random.Random, value: str) -> str:
    """Quoted when the shell needs it, and now and then when it does not."""
    if _SAFE_PLAIN.fullmatch(value) and rng.random() < 0.7:
        return value
    return "'" + value + "'" if "'" not in value else json.dumps(value)


def cli_password(rng: random.Random) -> SecretSample:
    s = human_password(rng).replace("'", "")
    q = shell_quote(rng, s)
    user = rng.choice(["root", "admin", "app", "deploy", "svc_checkout"])
    host = rng.choice(["db.internal", "mysql-primary.shop.svc", "10.0.3.7", "127.0.0.1"])
    db = rng.choice(["shop", "orders", "checkout"])
    cmd = rng.choice([
        f"mysql -h {host} -u {user} -p{q} {db}",
        f"mysql -h {host} -P 3306 -u{user} -p{q} -e 'SHOW PROCESSLIST'",
        f"mysqldump --single-transaction -u{user} -p{q} {db} > /backup/{db}.sql",
        f"kubectl exec -it mysql-0 -n {db} -- mysql -uroot -p{q} {db}",
        f"curl -u {shell_quote(rng, user + ':' + s)} https://api.acme.io/v1/orders",
        f"curl -sS --user {shell_quote(rng, user + ':' + s)} -X POST https://jenkins.acme.io/job/"
        f"deploy/build",
        f"curl -fsSL -u{user}:{q} https://artifacts.acme.io/repository/raw/app.tgz -o app.tgz",
        f"sshpass -p {q} ssh -o StrictHostKeyChecking=no {user}@{ip(rng)}",
        f"sshpass -p {q} scp -P 2222 backup.tgz deploy@{ip(rng)}:/tmp/",
        f"redis-cli -h redis-master -p 6379 -a {q} --no-auth-warning INFO replication",
        f"docker login -u {user} -p {q} registry.acme.io",
        f"openssl pkcs12 -export -in tls.crt -inkey tls.key -out tls.p12 -passout pass:{q}",
        f"ldapsearch -x -H ldaps://ldap.acme.io -D cn={user},dc=acme,dc=io -w {q} "
        f"-b ou=people,dc=acme,dc=io '(uid=alice)'",
        f"ldapmodify -x -D cn={user},dc=acme,dc=io -w{q} -f /tmp/rotate.ldif",
        f"http -a {shell_quote(rng, user + ':' + s)} GET https://api.acme.io/v1/orders",
        f"https --auth={shell_quote(rng, user + ':' + s)} api.acme.io/v1/me",
    ])
    if '"' not in cmd and rng.random() < 0.2:
        cmd = f'bash -c "{cmd}"'
    body = rng.choice(["$ {c}", "+ {c}", "{c}", "running: {c}", "  {c} \\"]).format(c=cmd)
    return _sample("cli-password", rng, body, s)


def url_encoded(rng: random.Random) -> SecretSample:
    raw = rng.choice([human_password(rng), mixed(rng, rng.randint(16, 32))])
    name = rng.choice(["password", "client_secret", "access_token", "refresh_token", "api_key",
                       "token", "passwd"])
    style = rng.randrange(5)
    if style == 0:  # an encoded query inside a redirect parameter: encoded twice
        inner = f"/oauth/callback?state={rand(rng, HEX, 16)}&{name}={quote(raw, safe='')}"
        s = quote(quote(raw, safe=""), safe="")
        body = f"GET /login?next={quote(inner, safe='')} HTTP/1.1 302"
    elif style == 1:  # a whole form body, encoded into one field
        form = urlencode({"grant_type": "client_credentials", "client_id": "web", name: raw})
        s = quote(quote_plus(raw), safe="")
        body = f"audit: body={quote(form, safe='')} status=200"
    elif style == 2:  # URL-encoded JSON
        payload = json.dumps({"username": "alice", name: raw})
        s = quote(raw, safe="")
        body = f"POST /api/session?payload={quote(payload, safe='')} 401"
    elif style == 3:  # Rails/PHP form field names, as logged
        s = quote_plus(raw)
        field = rng.choice([f"user[{name}]", f"user%5B{name}%5D"])
        body = (f"Started POST /users/sign_in body: utf8=%E2%9C%93&user[email]=alice%40acme.io"
                f"&{field}={s}&commit=Log+in")
    else:  # an encoded callback URL carried in a query value: its query encoded twice
        s = quote(quote(raw, safe=""), safe="")
        body = (f"webhook delivery url=https%3A%2F%2Fhooks.acme.io%2Fin%3F{name}%3D{s}"
                f"%26source%3Dci attempt=2")
    return _sample("url-encoded", rng, body, s)


def yaml_block_scalar(rng: random.Random) -> SecretSample:
    key = rng.choice(["password", "db_password", "private_key", "ssh_private_key",
                      "client_secret", "token", "credentials", "secretKey"])
    indicator = rng.choice(["|", "|-", ">", ">-", "|+"])
    if "private" in key:
        raw = b64(rng.randbytes(rng.choice([96, 144, 240])))
        content = [raw[i : i + 64] for i in range(0, len(raw), 64)]
    else:
        content = [env_secret(rng)]
    parent, pad = rng.choice([("database:", "  "), ("auth:", "  "), ("", ""),
                              ("vars:", "  "), ("  backend:", "    ")])
    lines = [parent] if parent else []
    lines += [f"{pad}host: {rng.choice(['db.internal', 'auth.acme.io'])}",
              f"{pad}{key}: {indicator}", *(f"{pad}  {c}" for c in content),
              f"{pad}port: {rng.choice([5432, 443, 6379])}"]
    secrets = tuple(c for c in content if len(c) >= 6)
    return SecretSample("yaml-block-scalar", False, "".join(x + "\n" for x in lines), secrets)


_WORD_PASSWORDS = ["letmein", "hunter", "dragon", "monkey", "qwerty", "shadow", "master",
                   "sunshine", "iloveyou", "trustno"]


def prose_password(rng: random.Random) -> SecretSample:
    """A secret stated in a chat message, not next to a field name; now and then a short
    lower-case word that ends its sentence."""
    if rng.random() < 0.25:
        word = rng.choice(_WORD_PASSWORDS)
        template = rng.choice([
            "pw is {s}", "the password is {s}.", "fyi the root pw was {s}, changed since",
            "ok, the password: {s}", "the admin password is {s} (rotate it after)",
        ])
        return _sample("prose-password", rng, template.format(s=word), word, generic=True)
    password = human_password(rng).rstrip(".")
    token = mixed(rng, rng.randint(12, 32), ALNUM + rng.choice(["", "-_"]))
    template, s = rng.choice([
        ("the password is {s}", password), ("db password is {s} (rotate it after this)", password),
        ("fyi the root pw is {s}", password), ("Root password was {s}, changed since", password),
        ("new password for admin is {s}", password),
        ("password for the replica user is {s}", password),
        ("ok, the admin password is now {s}", password),
        ("password changed to {s} for svc_checkout", password), ("pw: {s}", password),
        ("pw is {s} until friday", password), ("the token is {s}", token),
        ("api key was {s} before the rotation", token), ("the staging secret is {s}", token),
        ("the password is '{s}'", password),
    ])
    return _sample("prose-password", rng, template.format(s=s), s, generic=True)


_VENDOR_PREFIXES = ["ghp_", "gho_", "github_pat_", "glpat-", "npm_", "hf_", "glsa_",
                    "dckr_pat_", "sk_live_", "hvs.", "xoxb-", "lin_api_"]


def vendor_prefix(rng: random.Random) -> SecretSample:
    """A vendor's prefix before a body of another length than the documented one: a token
    cut short in a paste, or an older or newer format."""
    body = mixed(rng, rng.randint(12, 30))
    if rng.random() < 0.3:
        body += "_" + rand(rng, HEX, 8)  # Grafana's service account tokens end in a checksum
    secret = rng.choice(_VENDOR_PREFIXES) + body
    return _one("vendor-prefix", rng, secret, [
        "{s}", "token if you need it: {s}", "use {s} for the clone", "export TOKEN={s}",
        "pasting {s} here, rotate after",
    ])


def clause_secret(rng: random.Random) -> SecretSample:
    """A credential named, a short clause about it, then the value (chat pastes)."""
    password = human_password(rng).rstrip(".")
    token = mixed(rng, rng.randint(12, 32), ALNUM + rng.choice(["", "-_"]))
    system = rng.choice(["grafana", "the staging db", "prod", "the vendor portal", "nexus"])
    template, s = rng.choice([
        (f"token if you need {system}: {{s}}", token),
        (f"password for {system} is below: {{s}}", password),
        ("key (rotate after): {s}", token),
        (f"api key for {system}, don't share: {{s}}", token),
        ("here's the secret we use in staging -> {s}", token),
        (f"the {rng.choice(['grafana', 'nexus', 'jenkins'])} admin password, if you need it,"
         " is {s}", password),
        (f"pw for {system} → {{s}}", password),
        ("password (rotate after the incident): {s}", password),
        ("creds for the bastion, just for today: {s}", token),
        ("\U0001f511 {s}", token),
        ("token \U0001f449 {s}", token),
    ])
    return _sample("prose-clause", rng, template.format(s=s), s, generic=True)


def markdown_table(rng: random.Random) -> SecretSample:
    """Credentials pasted as a markdown table: a credential column, or name/value rows."""
    password = human_password(rng).replace("|", "!")
    service = rng.choice(["grafana", "nexus", "sftp", "jenkins"])
    if rng.random() < 0.5:
        header = rng.choice(["password", "pw", "api key", "token", "**Password**"])
        lines = [f"| service | user | {header} |", "|---|---|---|",
                 f"| {service} | {rand(rng, LOWER, 5)} | {password} |"]
    else:
        name = rng.choice(["DB_PASSWORD", "GRAFANA_TOKEN", "SFTP_PASS", "API_KEY"])
        lines = ["| key | value |", "|:---|:---|", "| LOG_LEVEL | debug |",
                 f"| {name} | {password} |"]
    return SecretSample("markdown-table", False, "".join(x + "\n" for x in lines), (password,))


SECRET_GENERATORS: tuple[Callable[[random.Random], SecretSample], ...] = (
    aws_access_key_id, aws_secret_access_key, gcp_service_account, azure_connection_string,
    azure_sas, slack_token, github_token, gitlab_token, stripe_key, openai_key, npm_token,
    pypi_token, twilio, sendgrid, google_api_key, vault_token, access_token, slack_webhook,
    jwt, pem_block, url_password, go_dsn, authorization, cookie,
    k8s_secret, k8s_env, cli_password, url_encoded, yaml_block_scalar,
    kv_password, kv_token, env_dump, prose_entropy, prose_password, vendor_prefix,
    clause_secret, markdown_table,
)


def secret_samples(rng: random.Random, per_generator: int) -> list[SecretSample]:
    return [gen(rng) for gen in SECRET_GENERATORS for _ in range(per_generator)]


# -- clean logs --------------------------------------------------------------------------------

_PATHS = ["/api/v1/orders", "/api/v1/cart/items", "/products/red-running-shoes", "/healthz",
          "/static/js/app.3f9a1c.js", "/api/v2/search", "/login", "/checkout/confirm"]
_UAS = ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Safari/605.1.15",
        "curl/8.4.0", "kube-probe/1.29", "Go-http-client/1.1", "python-requests/2.31.0"]


def _query(rng: random.Random) -> str:
    return rng.choice([
        "", "?page=2&sort=price", "?q=red+shoes&size=10", f"?id={uuid(rng)}",
        f"?cursor={b64url(json.dumps({'id': rng.randint(1, 10**6)}).encode())}",
        f"?page_token={mixed(rng, 28, B64URL)}", f"?nextToken={mixed(rng, 40)}",
        "?utm_source=newsletter&utm_campaign=spring", "?next=%2Fcart",
    ])


def _nginx(rng: random.Random) -> str:
    return (
        f'{ip(rng)} - - [01/May/2024:12:{rng.randint(10, 59)}:{rng.randint(10, 59)} +0000] '
        f'"{rng.choice(["GET", "POST", "PUT"])} {rng.choice(_PATHS)}{_query(rng)} HTTP/1.1" '
        f'{rng.choice([200, 200, 201, 204, 301, 404, 500, 502])} {rng.randint(0, 90000)} '
        f'"{rng.choice(["-", "https://shop.acme.io/cart", "https://www.google.com/"])}" '
        f'"{rng.choice(_UAS)}" {rng.random():.3f}'
    )


_MESSAGES = [
    "order created", "payment authorized", "cache miss", "retrying request", "user logged in",
    "token refreshed for client checkout-api", "password reset email sent",
    "rate limit exceeded", "upstream timeout", "JWT validation failed: signature expired",
    "API key rotated for project acme", "secret rotation scheduled in 24h",
    "invalid password for user alice (attempt 3/5)", "Authorization header missing",
    "csrf token mismatch", "loaded 3 keys from keyring", "session expired",
]


def _json_app(rng: random.Random) -> str:
    record: dict[str, object] = {
        "ts": iso(rng), "level": rng.choice(["info", "warn", "error", "debug"]),
        "logger": rng.choice(["checkout.api", "cart.service", "auth.tokens", "payments"]),
        "msg": rng.choice(_MESSAGES), "trace_id": rand(rng, HEX, 32),
        "span_id": rand(rng, HEX, 16), "request_id": uuid(rng),
    }
    extra = rng.choice([
        {"user_id": rng.randint(1, 10**6), "duration_ms": round(rng.random() * 900, 2)},
        {"token_type": "Bearer", "expires_in": 3600, "scope": "read write"},
        {"cache_key": f"product:{rng.randint(1, 10**5)}:v2", "hit": rng.random() < 0.5},
        {"idempotency_key": uuid(rng), "amount": rng.randint(100, 99999), "currency": "EUR"},
        {"max_tokens": 1024, "prompt_tokens": rng.randint(10, 900), "model": "gpt-4o-mini"},
        {"etag": f'W/"{rand(rng, HEX, 16)}"', "content_md5": b64(rng.randbytes(16))},
        {"secret_name": "db-credentials", "namespace": "shop"},
        {"password_changed": True, "mfa": "totp"},
    ])
    record.update(extra)
    return json.dumps(record, separators=(",", ":") if rng.random() < 0.5 else (", ", ": "))


def _k8s_event(rng: random.Random) -> str:
    p = pod(rng)
    return rng.choice([
        f'{rng.randint(1, 59)}m  Normal  Pulled  pod/{p}  Successfully pulled image '
        f'"ghcr.io/acme/{p.split("-")[0]}:1.{rng.randint(0, 9)}.{rng.randint(0, 9)}@sha256:'
        f'{rand(rng, HEX, 64)}" in 1.2s',
        f"{rng.randint(1, 59)}s  Warning  BackOff  pod/{p}  Back-off restarting failed container"
        f" app in pod {p}_shop({uuid(rng)})",
        f"{rng.randint(1, 59)}m  Normal  Scheduled  pod/{p}  Successfully assigned shop/{p} "
        f"to ip-{ip(rng).replace('.', '-')}.eu-west-1.compute.internal",
        f'{rng.randint(1, 9)}m  Warning  FailedMount  pod/{p}  MountVolume.SetUp failed for '
        f'volume "db-credentials" : secret "db-credentials" not found',
        f"{rng.randint(1, 9)}m  Normal  Started  pod/{p}  Started container app "
        f"containerd://{rand(rng, HEX, 64)}",
    ])


def _stack(rng: random.Random) -> str:
    return rng.choice([
        "java.lang.IllegalStateException: Connection pool exhausted",
        f"\tat com.acme.checkout.PaymentService.charge(PaymentService.java:{rng.randint(20, 400)})",
        "Caused by: java.net.SocketTimeoutException: Read timed out",
        f"\t... {rng.randint(5, 80)} more",
        "Traceback (most recent call last):",
        f'  File "/app/checkout/api.py", line {rng.randint(10, 500)}, in create_order',
        "    token = session.get_token(client_id)",
        '    password = request.form["password"]',
        "    api_key = settings.PAYMENTS_API_KEY",
        "KeyError: 'customer_id'",
        f"goroutine {rng.randint(1, 900)} [running]:",
        f"main.(*Server).handle(0xc000{rand(rng, HEX, 6)}, 0x{rand(rng, HEX, 4)})",
        f"\t/app/internal/server.go:{rng.randint(10, 900)} +0x{rand(rng, HEX, 3)}",
    ])


def _ops(rng: random.Random) -> str:
    return rng.choice([
        f"deployed checkout rev {rng.randint(1, 90)} (commit {rand(rng, HEX, 40)}) by alice",
        f"HEAD is now at {rand(rng, HEX, 7)} fix: retry on 503",
        f"Digest: sha256:{rand(rng, HEX, 64)}",
        "Status: Downloaded newer image for ghcr.io/acme/api:2.3.1",
        'http_requests_total{method="GET",code="200",service="checkout"} '
        + str(rng.randint(1, 10**6)),
        f"{iso(rng)} UTC [{rng.randint(100, 9999)}] FATAL:  password authentication failed for "
        f'user "app"',
        f"{iso(rng)} UTC [{rng.randint(100, 9999)}] ERROR:  duplicate key value violates unique "
        f'constraint "orders_pkey"',
        f"Accepted publickey for deploy from {ip(rng)} port {rng.randint(1024, 65535)} ssh2: "
        f"ED25519 SHA256:{b64(rng.randbytes(32)).rstrip('=')}",
        f"Server host key: ssh-ed25519 SHA256:{b64(rng.randbytes(32)).rstrip('=')}",
        f"Sec-WebSocket-Key: {b64(rng.randbytes(16))}",
        f"traceparent: 00-{rand(rng, HEX, 32)}-{rand(rng, HEX, 16)}-01",
        "Connected to redis://redis-master.cache.svc.cluster.local:6379/0",
        "Connecting to postgres://db.internal:5432/app?sslmode=require",
        "remote: git@github.com:acme/checkout.git",
        "Cloning into 'checkout'... https://alice@github.com/acme/checkout.git",
        f"keyspace_hits={rng.randint(1, 10**6)} keyspace_misses={rng.randint(1, 10**4)}",
        f"token bucket refilled: tokens={rng.randint(1, 100)} capacity=100",
        "payload (base64): " + b64(json.dumps({"event": "order.created", "id": 7}).encode()),
        "Using credentials from /var/run/secrets/eks.amazonaws.com/serviceaccount/token",
        f"listening on [::]:{rng.choice([8080, 9090, 3000])} pid={rng.randint(1, 99999)}",
        f"user alice@example.com signed in from {ip(rng)}",
        f"HOSTNAME={pod(rng)}",
        "secretName: db-credentials",
        "imagePullSecrets: [{name: regcred}]",
        f"uid: {uuid(rng)}",
        f"LOG:  statement: UPDATE users SET password = $1 WHERE id = {rng.randint(1, 10**6)}",
        "SELECT id, email, password_hash FROM users WHERE email = $1 LIMIT 1",
        "spring.datasource.password=${SPRING_DATASOURCE_PASSWORD}",
        f"tests passed: {rng.randint(1, 500)}, failed: 0, bypass_cache=true",
        f"resourceVersion: \"{rng.randint(10**5, 10**7)}\"",
    ])


_CONFIGMAPS = [
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: checkout-config\ndata:\n"
    "  LOG_LEVEL: info\n  FEATURE_FLAGS: checkout-v2,fast-cart\n  TIMEOUT_MS: \"3000\"\n",
    "apiVersion: v1\ndata:\n  LOG_LEVEL: debug\n  REGION: eu-west-1\n  MAX_CONN: \"100\"\n"
    "kind: ConfigMap\nmetadata:\n  name: cart-config\n",
]

def _prose_lookalike(rng: random.Random) -> str:
    """Sentences shaped like "the password is X" where X is not a secret."""
    return rng.choice([
        "login failed: the password is incorrect", "Password is required.",
        "token is expired, refreshing", f"the token was rotated at {iso(rng)}",
        "password was changed by alice yesterday", "the secret is db-credentials",
        "api key is invalid (401 from payments)", f"next page token is {mixed(rng, 24, B64URL)}",
        "the password is stored in vault at secret/shop/db", "password is too short (min 12)",
        f"tokens are refreshed every {rng.choice([300, 900, 3600])}s",
        "the password is case-sensitive", f"token is valid until {iso(rng)}",
        "the token is base64-encoded", "secret was mounted at /var/run/secrets/app",
        "credentials are loaded from the instance profile", "the pw is wrong, try again",
        "password for alice is expired", "the password was reset to the default",
        "your password is not set", "the token is a JWT", "password is different from the old one",
        f"the secret is {rng.choice(['checkout-tls', 'regcred', 'db-creds-v2'])}",
        "the api key is missing from the request", "pw: see the vault entry",
        "password is rotated daily", "the password is common to all replicas",
        "the password is hashed with bcrypt", "the token is opaque",
        "invalid password: try again", f"{rng.choice(_SECRET_ENV_NAMES)}: not set",
        f"error: {rng.choice(_SECRET_ENV_NAMES)}: missing, set it in the environment",
    ])


def _command_lookalike(rng: random.Random) -> str:
    """Command lines whose flags look like the password ones but are not."""
    return rng.choice([
        f"ssh -p 2222 deploy@{ip(rng)}", "mysql -u root -p shop", "mysqladmin -uroot -p status",
        "docker run -u 1000:1000 --rm ghcr.io/acme/api:2.3.1",
        "docker exec -u www-data:www-data checkout-web php artisan migrate",
        "curl -u alice: https://api.acme.io/v1/me", "curl -u alice https://api.acme.io/v1/me",
        "redis-cli -h redis-master -p 6379 ping", "mkdir -p /var/lib/app/data",
        "tar -xzpf backup.tgz -C /restore", "sshpass -f /etc/ssh/pw ssh -p 2222 deploy@bastion",
        "mysql -uroot -p$MYSQL_ROOT_PASSWORD shop", "docker login -u ci --password-stdin ghcr.io",
        "psql -h db.internal -U app -d shop -c 'select 1'",
        "kubectl exec mysql-0 -- mysqladmin ping",
        "curl -sS -H 'Accept: application/json' https://api.acme.io/v1/orders?page=2",
        "ldapsearch -x -D cn=admin,dc=acme,dc=io -W -b dc=acme,dc=io '(uid=alice)'",
        "ldapsearch -x -D cn=admin,dc=acme,dc=io -y /etc/ldap.secret -b dc=acme,dc=io",
        "http -a alice GET https://api.acme.io/v1/me", "uname -a", "cp -a /etc/nginx /backup",
        "wget -w 2 https://ldap.acme.io/export.ldif",
    ])


def _encoded_lookalike(rng: random.Random) -> str:
    """URL-encoded text around sensitive words with nothing secret in it."""
    return rng.choice([
        "GET /login?next=%2Fcart%3Fpage%3D2 HTTP/1.1 302",
        "GET /search?q=password%20reset&lang=en 200",
        f"redirect_uri=https%3A%2F%2Fshop.acme.io%2Fcb%3Fstate%3D{rand(rng, HEX, 16)}",
        "GET /api/v1/items?filter=%7B%22key%22%3A%22sku%22%7D 200",
        "GET /docs?q=%22api%20key%22%20rotation 200",
        "GET /oauth/authorize?response_type=code&scope=openid%20token 302",
        "user[email]=alice%40acme.io&user[remember_me]=1&commit=Log+in",
    ])


def _structure_lookalike(rng: random.Random) -> str:
    """Env entries and block scalars under names that are not secret (several lines)."""
    name, value = rng.choice(_PLAIN_ENV)
    return rng.choice([
        "\n".join(_env_yaml([(name, value), (rng.choice(_SECRET_ENV_NAMES), None)], 4)),
        "\n".join(_env_yaml([(name, value)], 2, value_first=True)),
        json.dumps({"name": name, "value": value}),
        "\n".join(["description: |", "  Rotates the API token every night and stores the",
                    "  new password in vault.", "schedule: '0 3 * * *'"]),
        "\n".join(["script: |", "  echo token refreshed", f"  curl -sf {rng.choice(_PATHS)}",
                    "when: always"]),
        '{"key": "token_bucket_size", "value": 100}',
        "tolerations: [{key: dedicated, value: gpu, effect: NoSchedule}]",
    ])


def _clause_lookalike(rng: random.Random) -> str:
    """A credential's name, a clause and a colon or arrow before something that is no
    credential; vendor prefixes before names and placeholders."""
    return rng.choice([
        f"password reset for user: {rand(rng, LOWER, 5)}{rng.randint(1, 99)}",
        f"token for tenant: {uuid(rng)}",
        f"key for shard {rng.randint(1, 9)}: {rand(rng, HEX, 32)}",
        f"cache key for request: {rand(rng, HEX, 40)}", "token refresh for client web-app-2: ok",
        "secret for deployment (namespace prod): db-creds-v2",
        f"password for user svc_backup{rng.randint(10, 99)}: rejected",
        f"key (sha256): {rand(rng, HEX, 64)}", "token if present: null",
        "password if set: ${DB_PASS}", f"secret for app -> checkout-tls-{rng.randint(2020, 2030)}",
        f"key for the build: v1.{rng.randint(0, 20)}.{rng.randint(0, 9)}-rc{rng.randint(1, 9)}",
        f"token for pod: {pod(rng)}", f"key -> {rand(rng, LOWER, 6)}_flag_v{rng.randint(2, 9)}",
        f"pass — {rng.randint(10, 99)} of {rng.randint(100, 200)} checks",
        "npm_config_cache=/root/.npm", "hf_hub_download(repo_id='bert-base-uncased')",
        "ghp_XXXXXXXXXXXXXXXXXXXX is the format, see the docs", "set npm_token_v2 in CI",
        f"token, as of {iso(rng)}: expired", f"password for {ip(rng)}: see vault",
        "credentials for the bucket: s3://acme-backups/creds.json",
        f"key (region eu-west-1): alias/app-{rand(rng, LOWER, 4)}2",
        "*password*: required", "**token**: see the vault entry", "password= user=bob",
        "| secret | namespace | age |\n|---|---|---|\n| db-creds-v2 | shop | 12d |",
        "| key | value |\n|---|---|\n| LOG_LEVEL | debug |\n| TIMEOUT_MS | 3000 |",
        "| token | expires |\n|---|---|\n| n/a | - |\n| <token> | never |",
    ])


LOOKALIKE_GENERATORS: tuple[Callable[[random.Random], str], ...] = (
    _prose_lookalike, _command_lookalike, _encoded_lookalike, _structure_lookalike,
    _clause_lookalike,
)
# Look-alikes are far denser here than in real logs: they probe precision in the quality
# bench, and stay out of mixed_log so the speed bench measures an ordinary log.
LOOKALIKE_SHARE = 0.11

CLEAN_GENERATORS: tuple[Callable[[random.Random], str], ...] = (
    _nginx, _nginx, _json_app, _json_app, _k8s_event, _stack, _ops, _ops,
)


def clean_lines(rng: random.Random, n: int) -> list[str]:
    """``n`` clean lines (each ending in a newline): log lines, look-alikes of every detector's
    secrets, and now and then a ConfigMap dump."""
    lines: list[str] = []
    while len(lines) < n:
        draw = rng.random()
        if draw < 0.005:
            lines.extend(x + "\n" for x in rng.choice(_CONFIGMAPS).splitlines())
        elif draw < 0.005 + LOOKALIKE_SHARE:
            lines.extend(x + "\n" for x in rng.choice(LOOKALIKE_GENERATORS)(rng).split("\n"))
        else:
            lines.append(rng.choice(CLEAN_GENERATORS)(rng) + "\n")
    return lines[:n]


def mixed_log(rng: random.Random, size_bytes: int, secret_share: float = 0.02) -> str:
    """A log of about ``size_bytes``: clean lines with secret samples among them."""
    parts: list[str] = []
    total = 0
    while total < size_bytes:
        if rng.random() < secret_share:
            piece = rng.choice(SECRET_GENERATORS)(rng).text
        else:
            piece = rng.choice(CLEAN_GENERATORS)(rng) + "\n"
        parts.append(piece)
        total += len(piece)
    return "".join(parts)
