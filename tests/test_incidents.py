"""Alert arrival, first action and resolution are audited, and MTTA / MTTR are read from
them: per incident (`opsbot audit incidents`) and as Prometheus histograms."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_standin import ALERT_CHANNEL, Opsbot, SlackStandin, StoredMessage

from assistant.cli.audit import list_incidents
from assistant.incidents import Incident, incidents, mean
from assistant.models import AuditEvent

T0 = datetime(2026, 3, 2, 3, 14, tzinfo=UTC)
GROUP = '{}/{alertname="LedgerDiskFull"}:{namespace="payments"}'
STORAGE_ALERT = {
    "status": "firing",
    "labels": {"alertname": "KubePodCrashLooping", "namespace": "shop",
               "pod": "checkout-6f7c9-x2k4q", "severity": "page"},
    "annotations": {"summary": "checkout restarts in a loop"},
    "startsAt": "2026-03-02T03:10:00Z", "fingerprint": "0badc0ffee000001",
}


def event(seq: int, kind: str, minutes: float, thread: str = "slack:C0PAY:1.1",
          **payload: Any) -> AuditEvent:
    return AuditEvent(seq=seq, time=T0 + timedelta(minutes=minutes), kind=kind, actor=None,
                      thread=thread, payload=payload, prev_hash="", hash="")


def test_incidents_are_read_from_fired_acted_and_resolved_events() -> None:
    found = incidents([
        event(1, "alert_fired", 0, group_key=GROUP, alertname="LedgerDiskFull"),
        event(2, "question", 0.1),
        event(3, "alert_fired", 2, group_key=GROUP, alertname="LedgerDiskFull"),  # a repeat
        event(4, "first_action", 6, proposal_id="p1"),
        event(5, "first_action", 9, proposal_id="p2"),
        event(6, "alert_fired", 10, thread="slack:C0PAY:2.2", alertname="QueueLag"),
        event(7, "alert_resolved", 30),
        event(8, "alert_fired", 45, alertname="LedgerDiskFull"),  # fires again: new incident
    ])
    assert [(i.thread, i.alertname) for i in found] == [
        ("slack:C0PAY:1.1", "LedgerDiskFull"), ("slack:C0PAY:2.2", "QueueLag"),
        ("slack:C0PAY:1.1", "LedgerDiskFull")]
    first, other, again = found
    assert (first.seconds_to_first_action, first.seconds_to_resolve) == (360.0, 1800.0)
    assert (other.seconds_to_first_action, other.seconds_to_resolve) == (None, None)
    assert again.fired_at == T0 + timedelta(minutes=45) and again.first_action_at is None
    assert mean(i.seconds_to_first_action for i in found) == 360.0
    assert mean([None]) is None


def test_events_outside_an_incident_are_ignored() -> None:
    assert incidents([event(1, "first_action", 1), event(2, "alert_resolved", 2),
                      event(3, "alert_fired", 3, thread=None)]) == []  # type: ignore[arg-type]


def deliver(bot: Opsbot, status: str) -> None:
    alert = dict(STORAGE_ALERT, status=status)
    if status == "resolved":
        alert["endsAt"] = "2026-03-02T03:40:00Z"
    reply = bot.sender.alert({
        "version": "4", "groupKey": GROUP, "status": status, "receiver": "opsbot",
        "groupLabels": {"alertname": "KubePodCrashLooping"},
        "commonLabels": {"alertname": "KubePodCrashLooping", "namespace": "shop"},
        "alerts": [alert]})
    assert reply.status == 200, reply
    bot.settle()


def the_alert_card(slack: SlackStandin) -> StoredMessage:
    cards = [m for (c, _), m in list(slack.messages.items()) if c == ALERT_CHANNEL and any(
        b["type"] == "actions" for b in m.blocks)]
    assert len(cards) == 1
    return cards[0]


def confirm(bot: Opsbot, slack: SlackStandin, user: str) -> None:
    card = the_alert_card(slack)
    action = next(e["action_id"] for b in card.blocks if b["type"] == "actions"
                  for e in b["elements"] if e["action_id"].startswith("opsbot_confirm"))
    assert bot.sender.click(user, card, action).status == 200
    bot.settle()


def test_an_alert_thread_audits_arrival_first_action_and_resolution(
        bot: Opsbot, slack: SlackStandin) -> None:
    deliver(bot, "firing")
    confirm(bot, slack, "U03CAROL")  # a viewer's click runs nothing: not an action
    confirm(bot, slack, "U01ALICE")
    deliver(bot, "resolved")
    audit = bot.session.rt.store.audit
    events = list(audit.events())
    kinds = [e.kind for e in events if e.kind in ("alert_fired", "execution", "first_action",
                                                  "alert_resolved")]
    assert kinds == ["alert_fired", "execution", "first_action", "alert_resolved"]
    fired, ran, first, resolved = (next(e for e in events if e.kind == k) for k in kinds)
    assert fired.payload["group_key"] == GROUP and fired.payload["alerts"] == 1
    assert fired.payload["starts_at"] == "2026-03-02T03:10:00Z"
    assert first.thread == fired.thread == resolved.thread
    assert first.payload["proposal_id"] == ran.payload["proposal_id"]
    assert first.payload["seconds_since_alert"] == (ran.time - fired.time).total_seconds()
    assert resolved.payload["seconds_open"] >= first.payload["seconds_since_alert"]
    assert audit.verify().ok

    (incident,) = incidents(events)
    assert incident == Incident(thread=str(fired.thread), group_key=GROUP,
                                alertname="KubePodCrashLooping", fired_at=fired.time,
                                first_action_at=ran.time, resolved_at=resolved.time)
    m = bot.session.rt.metrics.registry
    assert m.get_sample_value("opsbot_incidents_opened_total") == 1
    assert m.get_sample_value("opsbot_incidents_resolved_total") == 1
    assert m.get_sample_value("opsbot_incident_time_to_first_action_seconds_count") == 1
    assert m.get_sample_value("opsbot_incident_time_to_first_action_seconds_sum") == \
        first.payload["seconds_since_alert"]
    assert m.get_sample_value("opsbot_incident_time_to_resolve_seconds_count") == 1

    table, lines = io.StringIO(), io.StringIO()
    list_incidents(bot.session.rt.store, table, as_json=False)
    list_incidents(bot.session.rt.store, lines, as_json=True)
    assert "KubePodCrashLooping" in table.getvalue()
    assert "1 incident(s); MTTA " in table.getvalue() and "(1 acted on)" in table.getvalue()
    (row,) = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert row["seconds_to_first_action"] == first.payload["seconds_since_alert"]


def test_a_replica_that_read_the_thread_before_the_first_action_was_audited_adds_none(
        bot: Opsbot, slack: SlackStandin) -> None:
    deliver(bot, "firing")
    session = bot.session
    before_acting = session.thread_events
    stale = [e for e in session.rt.store.audit.events() if e.kind == "alert_fired"]
    confirm(bot, slack, "U01ALICE")
    ran = next(e for e in session.rt.store.audit.events() if e.kind == "execution")
    # The other replica acted at the same instant, and read the thread before this one's
    # first_action was in the audit log.
    session.thread_events = lambda thread: stale  # type: ignore[method-assign]
    try:
        bot.service.alerts.note_action(ran.model_copy(update={
            "payload": {**ran.payload, "proposal_id": "p-other-replica"}}))
    finally:
        session.thread_events = before_acting  # type: ignore[method-assign]
    firsts = [e for e in session.rt.store.audit.events() if e.kind == "first_action"]
    assert [e.payload["proposal_id"] for e in firsts] == [ran.payload["proposal_id"]]


def test_a_question_thread_without_an_alert_has_no_first_action(
        bot: Opsbot, slack: SlackStandin) -> None:
    assert bot.sender.mention("U02BOB", "why is checkout crash looping?",
                              "1712000000.000100").status == 200
    bot.settle()
    card = next(m for m in slack.messages.values() if any(
        b["type"] == "actions" for b in m.blocks))
    action = next(e["action_id"] for b in card.blocks if b["type"] == "actions"
                  for e in b["elements"] if e["action_id"].startswith("opsbot_confirm"))
    assert bot.sender.click("U01ALICE", card, action).status == 200
    bot.settle()
    kinds = [e.kind for e in bot.session.rt.store.audit.events()]
    assert "execution" in kinds and "first_action" not in kinds
