"""Debian's real Prometheus scrapes a running `opsbot serve slack` (Web API on the Slack
stand-in) through an incident, evaluates the shipped recording rules, and every rule and
every Grafana dashboard query comes back with data."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from monitoring_services import prometheus, require_binary
from slack_standin import (
    ALERT_CHANNEL,
    ALERT_TOKEN,
    CHANNEL,
    SIGNING_SECRET,
    SignedSender,
    SlackStandin,
    StoredMessage,
)

from assistant.evaluation.local_monitoring import free_port

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "deploy" / "monitoring" / "opsbot-rules.yml"
DASHBOARD = REPO / "deploy" / "monitoring" / "grafana-dashboard.json"
WAIT_SECONDS = 90.0
GROUP = '{}/{alertname="KubePodCrashLooping"}:{namespace="shop"}'


def rule_records() -> list[str]:
    return [r["record"] for g in yaml.safe_load(RULES.read_text())["groups"]
            for r in g["rules"]]


def dashboard_queries() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [t["expr"] for p in panels for t in p.get("targets", [])]


def test_the_shipped_rules_pass_promtool() -> None:
    done = subprocess.run([require_binary("promtool"), "check", "rules", str(RULES)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 10 rules found" in done.stdout


def test_the_dashboard_shows_every_sli_rule() -> None:
    queries = dashboard_queries()
    assert set(rule_records()) <= set(queries)
    assert len(queries) == len(set(queries))


def wait_for(what: str, probe: Callable[[], Any], seconds: float = WAIT_SECONDS) -> Any:
    """``probe()``'s first truthy answer, polled until ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = probe()
        except httpx.TransportError:
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds:g}s waiting for {what}")
        time.sleep(0.2)


class RunningOpsbot:
    def __init__(self, process: subprocess.Popen[str], metrics_port: int, slack_port: int,
                 log: Path) -> None:
        self.process = process
        self.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        self.sender = SignedSender(f"http://127.0.0.1:{slack_port}")
        self.log = log

    def sample(self, line_start: str) -> float | None:
        for line in httpx.get(self.metrics_url, timeout=5).text.splitlines():
            if line.startswith(line_start + " "):
                return float(line.rsplit(" ", 1)[1])
        return None

    def idle(self) -> bool:
        return self.sample('opsbot_queue_depth{queue="slack-work"}') == 0 and \
            self.sample('opsbot_queue_depth{queue="slack-requests"}') == 0


@pytest.fixture
def opsbot(tmp_path: Path, built_index_dir: Path) -> Iterator[tuple[RunningOpsbot, SlackStandin]]:
    home = tmp_path / "home"
    shutil.copytree(built_index_dir, home / "index")
    metrics_port, slack_port = free_port(), free_port()
    with SlackStandin() as slack:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSBOT_", "SLACK_"))}
        env.update(PYTHONPATH=str(REPO), OPSBOT_HOME=str(home), SLACK_BOT_TOKEN="xoxb-test",
                   SLACK_SIGNING_SECRET=SIGNING_SECRET, OPSBOT_SLACK_API_URL=slack.url,
                   OPSBOT_SLACK_CHANNEL=ALERT_CHANNEL, OPSBOT_SLACK_ALERT_AS="U02BOB",
                   OPSBOT_ALERTMANAGER_TOKEN=ALERT_TOKEN, OPSBOT_OPS_HOST="127.0.0.1",
                   OPSBOT_OPS_PORT=str(metrics_port), OPSBOT_LOG_FORMAT="json",
                   OPSBOT_LOG_LEVEL="INFO")
        log = tmp_path / "opsbot.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "assistant.cli", "serve", "slack", "--scenario",
                 "checkout-bad-deploy", "--mode", "http", "--host", "127.0.0.1", "--port",
                 str(slack_port)], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                text=True)
        running = RunningOpsbot(process, metrics_port, slack_port, log)

        def serving() -> bool:
            if process.poll() is not None:
                pytest.fail(f"opsbot exited with {process.returncode}:\n{log.read_text()}")
            return httpx.get(running.metrics_url, timeout=2).status_code == 200 and \
                httpx.get(f"http://127.0.0.1:{slack_port}/healthz", timeout=2).status_code == 200

        try:
            wait_for("opsbot's metrics and Slack listener", serving)
            yield running, slack
        finally:
            process.terminate()
            process.wait(timeout=30)


def cards(slack: SlackStandin, channel: str) -> list[StoredMessage]:
    return [m for (c, _), m in list(slack.messages.items()) if c == channel and any(
        b["type"] == "actions" for b in m.blocks)]


def press(bot: RunningOpsbot, user: str, card: StoredMessage) -> None:
    action = next(e["action_id"] for b in card.blocks if b["type"] == "actions"
                  for e in b["elements"] if e["action_id"].startswith("opsbot_confirm"))
    assert bot.sender.click(user, card, action).status == 200
    wait_for(f"{user}'s click to be handled", bot.idle)


def alert(bot: RunningOpsbot, status: str) -> None:
    crashloop = {"status": status, "labels": {"alertname": "KubePodCrashLooping",
                                              "namespace": "shop",
                                              "pod": "checkout-6f7c9-x2k4q"},
                 "annotations": {"summary": "checkout restarts in a loop"},
                 "startsAt": "2026-12-07T18:00:00Z", "fingerprint": "c0ffee0000000042"}
    reply = bot.sender.alert({"version": "4", "groupKey": GROUP, "status": status,
                              "receiver": "opsbot", "commonLabels": {
                                  "alertname": "KubePodCrashLooping", "namespace": "shop"},
                              "alerts": [crashloop]})
    assert reply.status == 200, reply


def query(prom: str, expr: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert answer["status"] == "success", (expr, answer)
    return list(answer["data"]["result"])


@pytest.mark.slow
def test_prometheus_scrapes_opsbot_and_every_rule_and_panel_has_data(
        opsbot: tuple[RunningOpsbot, SlackStandin], tmp_path: Path) -> None:
    bot, slack = opsbot
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        group["interval"] = "1s"  # the shipped 30s, sped up for the test
    target = bot.metrics_url.removeprefix("http://").removesuffix("/metrics")
    (tmp_path / "prometheus").mkdir()
    with prometheus(tmp_path / "prometheus", None, yaml.safe_dump(rules),
                    scrape=[target]) as prom:
        wait_for("the first scrape", lambda: [s for s in query(prom, "up") if
                                              s["value"][1] == "1"])
        # An incident: the alert opens a thread, a viewer's click is refused (and Slack
        # fails to tell them), an SRE confirms the rollback, and the alert resolves.
        alert(bot, "firing")
        card = wait_for("the alert thread's card", lambda: cards(slack, ALERT_CHANNEL))[0]
        wait_for("the alert question to finish", bot.idle)
        slack.fail("chat.postEphemeral", 500, times=10, error="internal_error")
        slack.fail("chat.update", 429, retry_after=1)
        press(bot, "U03CAROL", card)
        press(bot, "U01ALICE", card)
        wait_for("the first action to be scraped", lambda: query(
            prom, "opsbot_executions_total"))
        # A second action, asked for in a thread of its own, so the action rates move.
        assert bot.sender.mention("U01ALICE", "restart the cart deployment in shop",
                                  "1765130000.000100").status == 200
        restart = wait_for("the restart card", lambda: cards(slack, CHANNEL))[0]
        wait_for("the question to finish", bot.idle)
        press(bot, "U04DAN", restart)
        alert(bot, "resolved")
        wait_for("the resolution", lambda: bot.sample("opsbot_incidents_resolved_total"))

        empty: list[str] = []
        for expr in [*rule_records(), *dashboard_queries()]:
            try:
                wait_for(expr, lambda e=expr: query(prom, e), seconds=20)
            except pytest.fail.Exception:
                empty.append(expr)
        assert not empty, f"no data for: {empty}"

        def number(expr: str) -> float:
            (sample,) = query(prom, expr)
            return float(sample["value"][1])

        # A rule evaluated before the last scrape had its inputs answers NaN (0/0) or an
        # early ratio: wait until Prometheus holds both actions and the resolution, then
        # until the rules that divide by them have been evaluated since.
        wait_for("both actions and the resolution in Prometheus", lambda: number(
            "sum(opsbot_executions_total) + sum(opsbot_incidents_resolved_total)") == 3)
        wait_for("the rules evaluated over the whole incident", lambda: all(
            math.isfinite(number(e)) for e in ("opsbot:mtta_seconds:mean1d",
                                               "opsbot:mttr_seconds:mean1d"))
            and number("opsbot:rollback:ratio_rate1h") < 1.0)

        assert number("opsbot:command_success:ratio_rate1h") == 1.0
        assert number("opsbot:rollback:ratio_rate1h") == pytest.approx(0.5)
        assert number("opsbot:playbook_failure:ratio_rate1h") == 0.0
        assert number("opsbot:automation_adoption:ratio_rate1d") == pytest.approx(1.0)
        assert 0 < number("opsbot:mtta_seconds:mean1d") <= number("opsbot:mttr_seconds:mean1d")
        assert number("opsbot:audited_actions:ratio1h") == 1.0
        assert number("opsbot:command_latency_seconds:p95_rate5m") > 0
        assert number("opsbot:unauthorized_attempts:rate1h") > 0
    # OPSBOT_LOG_FORMAT=json: every line opsbot wrote is a JSON object, the start-up
    # notices included, and a question's lines carry its thread and correlation ids.
    logged = [json.loads(line) for line in bot.log.read_text().splitlines()]
    assert any(str(line["message"]).startswith("ops endpoints on http://127.0.0.1:")
               for line in logged)
    assert any(line.get("correlation_id") and line.get("thread_id") for line in logged)
