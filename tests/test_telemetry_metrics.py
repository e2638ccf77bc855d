"""Prometheus metrics: the /metrics route, counters fed by the audit log, redactions,
planner spend, Slack errors and 429s, queue depth; labels never name people or threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from slack_standin import SIGNING_SECRET, SlackStandin, slack_service

from assistant.models import Actor
from assistant.ops_server import OpsServer
from assistant.planning.entities import LinkedEntities
from assistant.planning.offline import Plan
from assistant.slack.service import SlackService
from assistant.telemetry.metrics import METRICS_PATH, Metrics
from assistant.telemetry.planner_metrics import MeteredPlanner

CRASHLOOP_QUESTION = "checkout pods keep crashing after the rollout, what now?"


def value(metrics: Metrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    assert found is not None, f"no sample {name}{labels}"
    return found


def test_the_route_serves_the_exposition_format() -> None:
    metrics = Metrics()
    status, body, headers = metrics.route()
    assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE opsbot_questions_total counter" in body
    assert 'opsbot_unauthorized_attempts_total{kind="click"} 0.0' in body


def test_two_runtimes_count_apart() -> None:
    first, second = Metrics(), Metrics()
    first.questions.inc()
    assert value(first, "opsbot_questions_total") == 1
    assert value(second, "opsbot_questions_total") == 0


def test_a_question_a_refused_click_and_a_confirmed_rollback_are_counted(open_engine) -> None:
    with open_engine("checkout-bad-deploy") as session:
        m = session.rt.metrics
        asked = session.ask("cli:pager-77", Actor(user_id="U02BOB"), CRASHLOOP_QUESTION)
        (proposal,) = asked.pending
        session.respond("cli:pager-77", proposal.id, Actor(user_id="U03CAROL"), approve=True)
        session.respond("cli:pager-77", proposal.id, Actor(user_id="U01ALICE"), approve=True)
        session.ask("cli:pager-78", Actor(user_id="U77STRANGER"), "restart checkout")
        exposition = m.exposition().decode()

    assert value(m, "opsbot_questions_total") == 2
    assert value(m, "opsbot_answer_seconds_count", outcome="answered") == 2
    assert value(m, "opsbot_proposals_total", tool=proposal.call.tool, outcome="confirm") == 1
    assert value(m, "opsbot_decisions_total", stage="proposal", outcome="confirm") == 1
    assert value(m, "opsbot_decisions_total", stage="execution-recheck", outcome="confirm") == 1
    assert value(m, "opsbot_refused_clicks_total", cause="not-permitted") == 1
    assert value(m, "opsbot_unauthorized_attempts_total", kind="click") == 1
    assert value(m, "opsbot_unauthorized_attempts_total", kind="unknown-user") == 1
    assert value(m, "opsbot_approvals_total") == 1
    assert value(m, "opsbot_executions_total", tool=proposal.call.tool, status="succeeded",
                 remedy="rollback", playbook="true") == 1
    assert value(m, "opsbot_execution_duration_seconds_count", tool=proposal.call.tool) == 1
    assert sum(value(m, "opsbot_verifications_total", verdict=v)
               for v in ("improved", "unchanged", "worse")) == 1
    # The planted database password in checkout's logs was caught on its way out.
    assert 'opsbot_redactions_total{kind="url-password"}' in exposition
    assert value(m, "opsbot_llm_calls_total") == 0 and value(m, "opsbot_llm_fallbacks_total") == 0
    for personal in ("U02BOB", "U03CAROL", "U01ALICE", "U77STRANGER", "pager-7",
                     proposal.id):
        assert personal not in exposition, f"{personal} became a label value"


def test_the_audit_log_keeps_the_correlation_id_and_the_executed_tool(open_engine) -> None:
    with open_engine("checkout-bad-deploy") as session:
        asked = session.ask("cli:pager-90", Actor(user_id="U02BOB"), CRASHLOOP_QUESTION)
        (proposal,) = asked.pending
        session.respond("cli:pager-90", proposal.id, Actor(user_id="U01ALICE"), approve=True)
        events = list(session.rt.store.audit.events(thread="cli:pager-90"))
        assert session.rt.store.audit.verify().ok
    ran = next(e for e in events if e.kind == "execution")
    assert ran.payload["tool"] == proposal.call.tool
    assert ran.payload["runbook_id"] == proposal.runbook_id
    asked_ids = {e.payload["correlation_id"] for e in events if e.seq < ran.seq
                 and e.kind in ("question", "proposal", "answer")}
    clicked_ids = {e.payload["correlation_id"] for e in events if e.kind in
                   ("approval", "execution")}
    assert len(asked_ids) == 1 and len(clicked_ids) == 1 and asked_ids != clicked_ids


def plan(**spent: object) -> Plan:
    return Plan(entities=LinkedEntities(namespace="ledger"), **spent)


class _ScriptedPlanner:
    def __init__(self, plan: Plan) -> None:
        self.result = plan

    def plan(self, request: object, run_read_only: object) -> Plan:
        return self.result


def test_a_metered_planner_counts_calls_tokens_and_fallbacks() -> None:
    metrics = Metrics()
    model = MeteredPlanner(_ScriptedPlanner(plan(planner="llm", llm_calls=3, prompt_tokens=900,
                                                 completion_tokens=120)), metrics,
                           uses_llm=True)
    fell_back = MeteredPlanner(_ScriptedPlanner(plan(llm_calls=1, prompt_tokens=40)), metrics,
                               uses_llm=True)
    offline = MeteredPlanner(_ScriptedPlanner(plan()), metrics, uses_llm=False)
    for planner in (model, fell_back, offline):
        planner.plan(object(), object())  # type: ignore[arg-type]
    assert value(metrics, "opsbot_llm_calls_total") == 4
    assert value(metrics, "opsbot_llm_tokens_total", kind="prompt") == 940
    assert value(metrics, "opsbot_llm_tokens_total", kind="completion") == 120
    assert value(metrics, "opsbot_llm_fallbacks_total") == 1


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[SlackStandin, SlackService]]:
    with SlackStandin() as slack, slack_service(
            slack, tmp_path, {"SLACK_SIGNING_SECRET": SIGNING_SECRET}) as svc:
        yield slack, svc


def test_slack_errors_and_429s_are_counted_by_method(service) -> None:
    slack, svc = service
    m = svc.session.rt.metrics
    slack.fail("chat.postMessage", 429, retry_after=1)
    assert svc.out.post("C0WARROOM", "first try is throttled") is not None
    slack.fail("chat.update", 500, times=10, error="internal_error")
    assert not svc.out.update("C0WARROOM", "1.000001", "edit")
    slack.fail("chat.postEphemeral", 429, times=10, retry_after=1, error="ratelimited")
    assert not svc.out.ephemeral("C0WARROOM", "U02BOB", "never arrives")
    assert value(m, "opsbot_slack_api_errors_total", method="chat_update",
                 error="internal_error") == 1
    assert value(m, "opsbot_slack_api_errors_total", method="chat_postEphemeral",
                 error="ratelimited") == 1
    # One 429 retried on chat_postMessage, then chat_postEphemeral's retries and its last.
    assert value(m, "opsbot_slack_rate_limited_total") == 1 + 5 + 1


def test_queue_depth_is_read_at_scrape_time(service) -> None:
    _, svc = service
    m = svc.session.rt.metrics
    release, started = threading.Event(), threading.Event()

    def busy() -> None:
        started.set()
        release.wait(30)

    assert svc.pool.submit("slack:C0WARROOM:1.1", busy)
    assert svc.pool.submit("slack:C0WARROOM:1.1", lambda: None)
    assert started.wait(30)
    assert value(m, "opsbot_queue_depth", queue="slack-work") == 2
    release.set()
    assert svc.pool.wait_idle(30)
    assert value(m, "opsbot_queue_depth", queue="slack-work") == 0


def test_the_ops_port_serves_the_metrics_route_over_http() -> None:
    metrics = Metrics()
    metrics.questions.inc(3)
    server = OpsServer({METRICS_PATH: metrics.route}, "127.0.0.1", 0).start()
    try:
        scraped = httpx.get(f"http://127.0.0.1:{server.port}/metrics", timeout=5)
        missing = httpx.get(f"http://127.0.0.1:{server.port}/admin", timeout=5)
    finally:
        server.stop()
    assert scraped.status_code == 200 and "opsbot_questions_total 3.0" in scraped.text
    assert scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert missing.status_code == 404


def test_a_runtime_counts_its_llm_planner_s_calls_and_its_fallback(
        engine_settings, runbook_index) -> None:
    from llm_server import TEST_API_KEY, Fail, Reply, scripted_llm_server
    from pydantic import SecretStr

    from assistant.planning.llm import LLMSettings, build_llm_planner
    from assistant.redaction import Redactor
    from assistant.runtime import open_runtime
    from assistant.session import Session

    answered = Reply(content="checkout's revision 42 crashes; roll it back.")
    down = (Fail(status=503),) * 6
    with scripted_llm_server(answered, *down) as llm:
        settings = LLMSettings(model="m", base_url=llm.base_url, api_key=SecretStr(TEST_API_KEY),
                               attempts=1)
        planner = build_llm_planner(settings, Redactor().redact, sleep=lambda _: None)
        with open_runtime(engine_settings, "checkout-bad-deploy", persist_sandbox=False,
                          index=runbook_index, planner=planner) as rt:
            Session(rt).ask("cli:llm-1", Actor(user_id="U02BOB"), CRASHLOOP_QUESTION)
            Session(rt).ask("cli:llm-2", Actor(user_id="U02BOB"), CRASHLOOP_QUESTION)
            m = rt.metrics
    assert value(m, "opsbot_llm_calls_total") == 1
    assert value(m, "opsbot_llm_tokens_total", kind="prompt") > 0
    assert value(m, "opsbot_llm_fallbacks_total") == 1
