"""Seeded generators of realistic log text for the redaction benchmarks.

Two halves: samples that carry secrets of every kind the redactor claims to know (in
nginx/JSON/syslog/k8s/env/YAML/stack-trace contexts, at varied positions), and clean logs
full of things that resemble secrets but are not (UUIDs, trace ids, digests, git SHAs, pod
names, base64 payloads, pagination cursors, prose about passwords and tokens).
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

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


SECRET_GENERATORS: tuple[Callable[[random.Random], SecretSample], ...] = (
    aws_access_key_id, aws_secret_access_key, gcp_service_account, azure_connection_string,
    azure_sas, slack_token, github_token, gitlab_token, stripe_key, openai_key, npm_token,
    pypi_token, twilio, sendgrid, google_api_key, vault_token, access_token, slack_webhook,
    jwt, pem_block, url_password, go_dsn, authorization, cookie,
    k8s_secret, kv_password, kv_token, env_dump, prose_entropy,
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

CLEAN_GENERATORS: tuple[Callable[[random.Random], str], ...] = (
    _nginx, _nginx, _json_app, _json_app, _k8s_event, _stack, _ops, _ops,
)


def clean_lines(rng: random.Random, n: int) -> list[str]:
    """``n`` clean lines (each ending in a newline); now and then a ConfigMap dump."""
    lines: list[str] = []
    while len(lines) < n:
        if rng.random() < 0.005:
            lines.extend(x + "\n" for x in rng.choice(_CONFIGMAPS).splitlines())
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
