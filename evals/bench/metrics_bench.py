"""What metrics cost: audit appends with and without the metrics observer, and a scrape.

    .venv/bin/python -m evals.bench.metrics_bench [--events N] [--scrapes N]

Appends N execution events to SQLite audit logs (fresh files, warmed up, in alternating
rounds) without and with AuditMetrics subscribed, in the same process; the ratio of
medians is the observer's price per event. Then renders /metrics N times for a registry
holding the series a busy opsbot has (every catalog tool's actions, 30 rules, 20
redaction kinds, Slack methods); its median and p95 are what one scrape costs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from assistant.storage import Store, open_store
from assistant.telemetry.audit_metrics import AuditMetrics
from assistant.telemetry.metrics import Metrics
from evals.bench import timed

EXECUTION = {"proposal_id": "p-bench", "status": "succeeded", "output": "rolled back",
             "attempts": 1, "duration_ms": 812.5, "tool": "rollback_deployment",
             "runbook_id": "k8s-crashloop-after-deploy"}


WARM_UP = 50
ROUNDS = 4


def appends(store: Store, n: int) -> list[float]:
    def append() -> None:
        store.audit.append("execution", actor="opsbot-1", thread="bench", payload=EXECUTION)

    timed(append, WARM_UP)  # file growth and first-page caching, not what is measured
    return timed(append, n)


def with_store(run: Callable[[Store], list[float]], observe: bool) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}", lambda v: v)
        try:
            if observe:
                store.audit.subscribe(AuditMetrics(Metrics()))
            return run(store)
        finally:
            store.close()


def busy_metrics() -> Metrics:
    metrics = Metrics()
    AuditMetrics(metrics)
    for i in range(30):
        metrics.decision_rules.labels(rule=f"rule-{i}", effect="deny").inc()
    for i in range(20):
        metrics.redactions.labels(kind=f"kind-{i}").inc()
    for method in ("chat_postMessage", "chat_update", "chat_postEphemeral", "files_upload_v2"):
        metrics.slack_errors.labels(method=method, error="ratelimited").inc()
    for _ in range(100):
        metrics.answer_seconds.labels(outcome="answered").observe(1.7)
    return metrics


def summary(name: str, samples: list[float]) -> float:
    ordered = sorted(samples)
    median = statistics.median(ordered)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    print(f"{name:<34} median {median * 1e3:8.3f} ms   p95 {p95 * 1e3:8.3f} ms   "
          f"n={len(samples)}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--scrapes", type=int, default=200)
    args = parser.parse_args()
    # Alternating rounds, so load that comes and goes hits both alike.
    plain_runs: list[float] = []
    observed_runs: list[float] = []
    for _ in range(ROUNDS):
        plain_runs += with_store(lambda s: appends(s, args.events // ROUNDS), observe=False)
        observed_runs += with_store(lambda s: appends(s, args.events // ROUNDS), observe=True)
    plain = summary("audit append (no observer)", plain_runs)
    observed = summary("audit append (metrics observer)", observed_runs)
    print(f"{'observer price':<34} ratio {observed / plain:.3f}")
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}", lambda v: v)
        event = store.audit.append("execution", actor="opsbot-1", thread="bench",
                                   payload=EXECUTION)
        store.close()
    observer = AuditMetrics(Metrics())
    alone = summary("metrics observer alone", timed(lambda: observer(event), args.events))
    print(f"{'observer alone / plain append':<34} ratio {alone / plain:.4f}")
    metrics = busy_metrics()
    body = metrics.exposition()
    summary(f"scrape ({len(body)} bytes)", timed(metrics.exposition, args.scrapes))


if __name__ == "__main__":
    main()
