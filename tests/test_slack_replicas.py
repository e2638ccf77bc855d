"""Two replicas on one PostgreSQL database receive the same Slack event (Slack, or a load
balancer, delivering it to each, and Slack retrying it with X-Slack-Retry-Num): the thread
gets one answer and one card."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from slack_standin import CHANNEL, SlackStandin, event_body, mention_event, opsbot_on_standin
from slack_thread import buttons

from assistant.slack.conversation import LOOKING

THREAD = "1712345678.000900"


def test_one_event_delivered_to_two_replicas_and_retried_is_answered_once(
        tmp_path: Path, postgres_url: str) -> None:
    key = tmp_path / "audit.key"
    key.write_text(secrets.token_hex(32))
    shared = {"OPSBOT_AUDIT_KEY_FILE": str(key)}
    body = json.dumps(event_body(mention_event(
        "U01ALICE", "<@UOPSBOT> the checkout pods keep restarting after today's release",
        THREAD), "Ev0REPLICAS1"))
    with (SlackStandin() as slack,
          opsbot_on_standin(slack, tmp_path / "replica-a", db_url=postgres_url,
                            opsbot_env=shared) as first,
          opsbot_on_standin(slack, tmp_path / "replica-b", db_url=postgres_url,
                            opsbot_env=shared) as second):
        replies = [first.sender.post("/slack/events", body, "application/json"),
                   second.sender.post("/slack/events", body, "application/json"),
                   second.sender.post("/slack/events", body, "application/json",
                                      headers={"X-Slack-Retry-Num": "1",
                                               "X-Slack-Retry-Reason": "http_timeout"})]
        first.settle()
        second.settle()
        taker = first.service.records.event_taker("Ev0REPLICAS1")
    assert [r.status for r in replies] == [200, 200, 200]  # each acknowledged: no more retries
    assert taker is not None and taker[1] == 3
    said = slack.thread(CHANNEL, THREAD)
    opsbot_said = [m for m in said if m.bot]
    assert len(slack.called("chat.postMessage")) == len(opsbot_said)
    assert sum(1 for c in slack.called("chat.postMessage") if c.args.get("text") == LOOKING) == 1
    assert len([m for m in opsbot_said if buttons(m)]) == 1
    assert all(LOOKING not in m.text for m in opsbot_said), "a placeholder was left behind"
