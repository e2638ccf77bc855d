"""Alertmanager webhook receiver: one incident thread per alert group.

A firing group opens a thread in the configured channel (the alert's labels as context,
then opsbot's answer with the top runbook); repeats of the group (same groupKey) land in
that thread and post only when something changed; resolution is noted there. The
groupKey -> thread mapping lives in the database, so restarts and replicas agree.

Alert arrival, the first action run in the thread and resolution are audit events
(assistant/incidents.py reads MTTA and MTTR from them).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import InputError
from assistant.incidents import ALERT_FIRED, ALERT_RESOLVED, FIRST_ACTION, incidents
from assistant.models import RAN, Actor, AuditEvent
from assistant.slack.blocks import Block, context, escape, section, truncate
from assistant.slack.conversation import SlackConversation
from assistant.slack.egress import SlackOut
from assistant.slack.intake import check_storable
from assistant.slack.records import AlertGroup, SlackRecords, thread_id
from assistant.storage.timestamps import utc_now

log = logging.getLogger(__name__)

MAX_LISTED_ALERTS = 10
# A claim this old without a thread belongs to an opener that died; the next delivery
# of the group may open the thread itself.
OPENING_TIMEOUT = timedelta(minutes=5)
SOURCE = "alertmanager webhook"


class _Lenient(BaseModel):
    # Alertmanager adds fields over versions; what opsbot does not read is ignored.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class WebhookAlert(_Lenient):
    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: str | None = Field(default=None, alias="startsAt")
    ends_at: str | None = Field(default=None, alias="endsAt")
    fingerprint: str | None = None

    @property
    def key(self) -> str:
        """Alertmanager's fingerprint, or one of our own from the labels."""
        if self.fingerprint:
            return self.fingerprint
        return hashlib.sha256(json.dumps(self.labels, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "alert")


class Webhook(_Lenient):
    version: str = "4"
    group_key: str = Field(alias="groupKey", min_length=1)
    status: Literal["firing", "resolved"]
    receiver: str = ""
    group_labels: dict[str, str] = Field(default_factory=dict, alias="groupLabels")
    common_labels: dict[str, str] = Field(default_factory=dict, alias="commonLabels")
    common_annotations: dict[str, str] = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field(default="", alias="externalURL")
    alerts: list[WebhookAlert]

    @property
    def firing(self) -> list[WebhookAlert]:
        return [a for a in self.alerts if a.status == "firing"]

    @property
    def alertname(self) -> str:
        return (self.group_labels.get("alertname") or self.common_labels.get("alertname")
                or (self.alerts[0].name if self.alerts else "alert"))


def parse_webhook(body: bytes) -> Webhook:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise InputError(f"not JSON: {exc}", source=SOURCE) from None
    # Acknowledged means handled later: what the database would refuse is refused now.
    check_storable(data, SOURCE)
    try:
        return Webhook.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(first["msg"], source=SOURCE,
                         field=".".join(str(p) for p in first["loc"]) or None) from None


def alert_labels(hook: Webhook) -> dict[str, str]:
    """The most specific labels: the group's common ones under the first firing alert's."""
    first = hook.firing[0] if hook.firing else (hook.alerts[0] if hook.alerts else None)
    return {**hook.common_labels, **(first.labels if first else {})}


def alert_question(hook: Webhook) -> str:
    annotations = {**hook.common_annotations,
                   **(hook.firing[0].annotations if hook.firing else {})}
    detail = annotations.get("summary") or annotations.get("description")
    return f"{hook.alertname} is firing" + (f": {detail}" if detail else "") + \
        ". What is going on and how do we fix it?"


def root_message(hook: Webhook, state: str) -> tuple[str, list[Block]]:
    """The thread's first message: what fired, with its labels; its header follows state."""
    firing = hook.firing
    icon = {"firing": "🔥", "resolved": "✅"}.get(state, "🔔")
    # Also the notification fallback, where Slack reads mentions: escaped like the blocks.
    title = f"{icon} {state.upper()}: {escape(hook.alertname)}" + (
        f" ({len(firing)} alert(s))" if state == "firing" else "")
    labels = alert_labels(hook)
    lines = [f"*{escape(k)}*: `{escape(v)}`" for k, v in sorted(labels.items())]
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(title, 150)}},
        section("\n".join(lines) or "_no labels_"),
    ]
    summary = hook.common_annotations.get("summary") or hook.common_annotations.get(
        "description")
    if summary:
        blocks.append(section(escape(summary)))
    listed = [f"• {escape(a.name)} — " + ", ".join(
        f"{escape(k)}={escape(v)}" for k, v in sorted(a.labels.items()) if k != "alertname")
        for a in firing[:MAX_LISTED_ALERTS]]
    if len(firing) > MAX_LISTED_ALERTS:
        listed.append(f"… and {len(firing) - MAX_LISTED_ALERTS} more")
    if listed and state == "firing":
        blocks.append(section("\n".join(listed)))
    blocks.append(context(f"Alertmanager group `{escape(hook.group_key)}`"
                          + (f" · {escape(hook.external_url)}" if hook.external_url else "")))
    return title, blocks


class AlertThreads:
    """``in_thread`` runs the opening question the way the thread's other work runs (the
    server queues it behind the thread's earlier messages)."""

    def __init__(self, conversation: SlackConversation, records: SlackRecords, channel: str,
                 actor_id: str, *, in_thread: Callable[[str, Callable[[], object]], None],
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.conversation = conversation
        self.out: SlackOut = conversation.out
        self.records = records
        self.channel = channel
        self.actor_id = actor_id
        self.clock = clock
        self.in_thread = in_thread
        self.session = conversation.session

    def note_action(self, event: AuditEvent) -> None:
        """An audit observer: the first action run in a firing incident's thread is
        audited as ``first_action``, with how long after the alert it came (MTTA)."""
        if event.kind != "execution" or event.thread is None \
                or event.payload.get("status") not in RAN:
            return
        found = incidents(self.session.thread_events(event.thread))
        if not found:
            return
        current = found[-1]
        if current.first_action_at is not None or current.resolved_at is not None:
            return
        # Another replica may have read the same thread and be acting at this instant:
        # the database lets one of us record the first action.
        if not self.records.claim_first_action(event.thread, current.fired_at,
                                               event.payload.get("proposal_id"), event.time):
            return
        self.session.record_event(FIRST_ACTION, actor=event.actor, thread=event.thread, payload={
            "group_key": current.group_key, "alertname": current.alertname,
            "proposal_id": event.payload.get("proposal_id"), "tool": event.payload.get("tool"),
            "status": event.payload.get("status"), "acted_at": event.time,
            "seconds_since_alert": (event.time - current.fired_at).total_seconds()})

    def _audit_fired(self, hook: Webhook, channel: str, thread_ts: str, *,
                     again: bool) -> None:
        starts = [a.starts_at for a in hook.firing if a.starts_at]
        self.session.record_event(ALERT_FIRED, actor=None, thread=thread_id(channel, thread_ts),
                          payload={"group_key": hook.group_key, "alertname": hook.alertname,
                                   "alerts": len(hook.firing), "labels": alert_labels(hook),
                                   "starts_at": min(starts) if starts else None,
                                   "again": again})

    def _audit_resolved(self, hook: Webhook, group: AlertGroup) -> None:
        assert group.thread_ts is not None
        tid = thread_id(group.channel, group.thread_ts)
        found = incidents(self.session.thread_events(tid))
        fired = found[-1].fired_at if found and found[-1].resolved_at is None else None
        ends = [a.ends_at for a in hook.alerts if a.ends_at]
        self.session.record_event(ALERT_RESOLVED, actor=None, thread=tid, payload={
            "group_key": hook.group_key, "alertname": hook.alertname,
            "ends_at": max(ends) if ends else None,
            "seconds_open": (self.clock() - fired).total_seconds() if fired else None})

    def handle(self, hook: Webhook) -> None:
        prints = tuple(sorted(a.key for a in hook.firing))
        group = self.records.alert_group(hook.group_key)
        if group is None:
            if hook.status == "resolved" or not prints:
                log.info("alert group %s resolved before opsbot saw it fire", hook.group_key)
                return
            if self.records.claim_alert_group(hook.group_key, self.channel, self.clock()):
                self._open(hook, prints)
            else:
                log.info("alert group %s is being opened by another replica", hook.group_key)
            return
        if group.thread_ts is None:
            now = self.clock()
            if prints and self.records.take_over_alert_group(
                    hook.group_key, now - OPENING_TIMEOUT, now):
                self._open(hook, prints)
            else:
                log.info("alert group %s is still being opened; repeat skipped",
                         hook.group_key)
            return
        if hook.status == "resolved" or not prints:
            self._resolved(hook, group)
        elif group.status == "resolved":
            self._fired_again(hook, group, prints)
        elif set(prints) != set(group.fingerprints):
            self._changed(hook, group, prints)
        else:
            # A plain repeat (repeat_interval): already in the thread, nothing new to say.
            self._save(hook, "firing", prints)

    def _save(self, hook: Webhook, status: str, prints: tuple[str, ...],
              thread_ts: str | None = None) -> None:
        self.records.update_alert_group(hook.group_key, status=status, fingerprints=prints,
                                        now=self.clock(), thread_ts=thread_ts)

    def _ask(self, hook: Webhook, thread_ts: str) -> None:
        actor, question, labels = Actor(user_id=self.actor_id), alert_question(hook), \
            alert_labels(hook)
        self.in_thread(thread_id(self.channel, thread_ts), lambda: self.conversation.ask(
            self.channel, thread_ts, actor, question, alert=labels))

    def _open(self, hook: Webhook, prints: tuple[str, ...]) -> None:
        text, blocks = root_message(hook, "firing")
        ts = self.out.post(self.channel, text, blocks=blocks)
        if ts is None:
            self.records.release_alert_group(hook.group_key)
            return
        self._save(hook, "firing", prints, thread_ts=ts)
        self._audit_fired(hook, self.channel, ts, again=False)
        self._ask(hook, ts)

    def _update_root(self, hook: Webhook, group: AlertGroup, state: str) -> None:
        assert group.thread_ts is not None
        text, blocks = root_message(hook, state)
        self.out.update(group.channel, group.thread_ts, text, blocks)

    def _changed(self, hook: Webhook, group: AlertGroup, prints: tuple[str, ...]) -> None:
        by_key = {a.key: a for a in hook.firing}
        new = [by_key[k] for k in prints if k not in group.fingerprints]
        gone = len([k for k in group.fingerprints if k not in by_key])
        parts = [f"🔁 Alert group changed: {len(prints)} alert(s) firing now."]
        if new:
            parts.append("New: " + "; ".join(
                ", ".join(f"{escape(k)}={escape(v)}" for k, v in sorted(a.labels.items()))
                for a in new[:MAX_LISTED_ALERTS]))
        if gone:
            parts.append(f"{gone} alert(s) no longer firing.")
        self.out.post(group.channel, "\n".join(parts), thread_ts=group.thread_ts)
        self._update_root(hook, group, "firing")
        self._save(hook, "firing", prints)

    def _resolved(self, hook: Webhook, group: AlertGroup) -> None:
        if group.status == "resolved":
            return
        ended = max((a.ends_at or "" for a in hook.alerts), default="")
        self.out.post(group.channel, f"✅ Resolved: {escape(hook.alertname)} — every alert "
                      "in this group has stopped firing"
                      + (f" (last at {escape(ended)})" if ended else "") + ".",
                      thread_ts=group.thread_ts)
        self._update_root(hook, group, "resolved")
        self._save(hook, "resolved", ())
        self._audit_resolved(hook, group)

    def _fired_again(self, hook: Webhook, group: AlertGroup, prints: tuple[str, ...]) -> None:
        assert group.thread_ts is not None
        self.out.post(group.channel, f"🔥 {escape(hook.alertname)} is firing again "
                      f"({len(prints)} alert(s)).", thread_ts=group.thread_ts)
        self._update_root(hook, group, "firing")
        self._save(hook, "firing", prints)
        self._audit_fired(hook, group.channel, group.thread_ts, again=True)
        self._ask(hook, group.thread_ts)
