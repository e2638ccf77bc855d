"""Ordinary log content comes out untouched, and the generated corpus meets the targets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from assistant.redaction import Redactor

REPO = Path(__file__).resolve().parent.parent

# Written by hand from real-world shapes (not by the benchmark's generator).
CLEAN_LINES = [
    ('10.0.3.7 - - [01/May/2024:12:03:04 +0000] "GET /api/v1/orders?page=2&sort=desc '
     'HTTP/1.1" 200 5123 "https://shop.acme.io/cart" "Mozilla/5.0 (X11; Linux x86_64)"'),
    ('10.0.3.8 - - [01/May/2024:12:03:05 +0000] "GET /healthz HTTP/1.1" 200 2 "-" '
     '"kube-probe/1.29"'),
    ('{"ts":"2024-05-01T12:03:04.123Z","level":"info","msg":"order '
     'created","order_id":"ord_8ZQ3","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span'
     '_id":"00f067aa0ba902b7"}'),
    ('{"level":"warn","msg":"token refresh '
     'succeeded","client":"checkout-api","token_type":"Bearer","expires_in":3600}'),
    ('{"level":"info","msg":"LLM '
     'call","model":"gpt-4o-mini","max_tokens":1024,"prompt_tokens":311}'),
    ('request_id=3f1c2b3a-1d2e-4f5a-9b8c-7d6e5f4a3b2c user_id=4411 duration_ms=12.5 '
     'cache_key=product:991:v2 hit=true'),
    ('2m   Normal   Pulled   pod/checkout-6f7c9-x2k4q   Successfully pulled image '
     '"ghcr.io/acme/checkout:1.4.2@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b82'
     '2cd15d6c15b0f00a08"'),
    ('5m   Warning  BackOff  pod/checkout-6f7c9-x2k4q   Back-off restarting failed '
     'container app in pod '
     'checkout-6f7c9-x2k4q_shop(6c0d2f4e-9d6b-4f1e-8b7a-2c3d4e5f6a7b)'),
    ('3m   Warning  FailedMount  pod/api-7d4b9-k2x9z  MountVolume.SetUp failed for '
     'volume "db-credentials" : secret "db-credentials" not found'),
    ('Started container app '
     'containerd://4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e'),
    ('deployed checkout rev 41 (commit 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12) by '
     'alice'),
    'HEAD is now at 2fd4e1c fix: retry on 503',
    # IDs behind a prefix: a ULID, a Stripe object, a digest.
    'job_01HZ7QM2VX9LR4TN8WZ1KP5SD3 paid pi_3MtwBwLkdIwHu7ix28a3tqPa',
    'run_01hz7qm2vx9lr4tn8wz1kp5sd3 finished',
    'sha_9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    'java.lang.IllegalStateException: Connection pool exhausted',
    '\tat com.acme.checkout.PaymentService.charge(PaymentService.java:142)',
    'Traceback (most recent call last):',
    '  File "/app/checkout/api.py", line 88, in create_order',
    '    token = session.get_token(client_id)',
    "KeyError: 'customer_id'",
    'goroutine 17 [running]:',
    'main.(*Server).handle(0xc000123456, 0x1)',
    ('2024-05-01 12:03:04.123 UTC [4242] FATAL:  password authentication failed for '
     'user "app"'),
    ('2024-05-01 12:03:04.123 UTC [4242] ERROR:  duplicate key value violates unique '
     'constraint "orders_pkey"'),
    ('Accepted publickey for deploy from 10.0.3.7 port 52144 ssh2: ED25519 '
     'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s'),
    'Server host key: ssh-ed25519 SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    'Connecting to postgres://db.internal:5432/app?sslmode=require',
    "Connecting to postgres://db.internal:5432?user=svc@acme.io&sslmode=require",
    "See https://docs.acme.io:443#/guide@v2 for the rest",
    'Connected to redis://redis-master.cache.svc.cluster.local:6379/0',
    "Cloning into 'checkout'... https://alice@github.com/acme/checkout.git",
    'user alice@example.com signed in from 192.168.1.20 (2001:db8::1)',
    'password reset email sent to user 4411',
    'invalid password for user alice (attempt 3/5)',
    'Authorization header missing',
    'secret rotation scheduled in 24h; loaded 3 keys from keyring',
    'keyspace_hits=1234 keyspace_misses=56 evicted_keys=0',
    'GET /v1/items?nextToken=eyJsYXN0IjoxMjN9&limit=50 200',
    'payload (base64): eyJldmVudCI6Im9yZGVyLmNyZWF0ZWQiLCJpZCI6MTIzfQ==',
    'secretName: db-credentials',
    'imagePullSecrets: [{name: regcred}]',
    'uid: 6c0d2f4e-9d6b-4f1e-8b7a-2c3d4e5f6a7b',
    'apiVersion: v1',
    'kind: ConfigMap',
    'data:',
    '  LOG_LEVEL: info',
    '  TIMEOUT_MS: "3000"',
]
CLEAN_SAMPLE = "".join(line + "\n" for line in CLEAN_LINES)


def test_realistic_clean_log_is_left_untouched(redaction_engine: str) -> None:
    redactor = Redactor(key=b"clean", engine=redaction_engine)
    redacted = redactor.redact(CLEAN_SAMPLE).splitlines()
    assert [(a, b) for a, b in zip(CLEAN_LINES, redacted, strict=True) if a != b] == []


def test_generated_corpus_meets_recall_and_false_positive_targets() -> None:
    """A quality gate: the benchmark at a small size must still meet every target."""
    done = subprocess.run(
        [sys.executable, "-m", "evals.bench.redaction_quality", "--per-kind", "40",
         "--clean", "10000", "--seed", "7", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=True,
    )
    report = json.loads(done.stdout)
    low = {k: v["recall"] for k, v in report["kinds"].items() if v["recall"] < v["target"]}
    assert low == {}, f"recall below target: {low}"
    assert report["fp_per_10k"] <= 1.0, report["fp_examples"]
    assert report["targets_met"]
