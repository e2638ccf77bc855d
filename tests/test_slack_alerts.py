"""Alertmanager webhook -> one incident thread per alert group, deduplicated by groupKey."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from alertmanager_webhooks import CRASHLOOP, GROUP, webhook
from slack_standin import ALERT_CHANNEL, Opsbot, SlackStandin, StoredMessage, opsbot_on_standin

from assistant.errors import InputError


def send(bot: Opsbot, payload: dict[str, Any]) -> None:
    reply = bot.sender.alert(payload)
    assert reply.status == 200, reply
    bot.settle()


def roots(slack: SlackStandin) -> list[StoredMessage]:
    return [m for m in (slack.message(c, ts) for (c, ts) in list(slack.messages))
            if m.channel == ALERT_CHANNEL and m.thread_ts is None]


def replies(slack: SlackStandin) -> list[str]:
    (root,) = roots(slack)
    return [m.text for m in slack.thread(ALERT_CHANNEL, root.ts) if m.ts != root.ts]


def test_a_firing_group_opens_a_thread_with_its_labels_and_the_top_runbook(
        bot: Opsbot, slack: SlackStandin) -> None:
    send(bot, webhook())
    (root,) = roots(slack)
    assert root.text == "🔥 FIRING: KubePodCrashLooping (1 alert(s))"
    assert root.blocks[1]["text"]["text"] == (
        "*alertname*: `KubePodCrashLooping`\n*container*: `checkout`\n*namespace*: `shop`\n"
        "*pod*: `checkout-6f7c9-x2k4q`\n*severity*: `warning`")
    answer, card = slack.thread(ALERT_CHANNEL, root.ts)[1:3]
    assert "*Runbook*: Pods crash-looping after a deploy (`k8s-crashloop-after-deploy`)" \
        in answer.text
    assert card.text.startswith("Confirm: rollback_deployment")
    (question,) = [e for e in bot.session.rt.store.audit.events() if e.kind == "question"]
    assert question.actor == "U02BOB"
    assert question.payload["alert"]["pod"] == "checkout-6f7c9-x2k4q"
    assert question.payload["question"].startswith("KubePodCrashLooping is firing: Pod is crash")


def test_repeats_land_in_the_same_thread_and_only_changes_are_posted(
        bot: Opsbot, slack: SlackStandin) -> None:
    send(bot, webhook())
    before = replies(slack)
    send(bot, webhook())  # Alertmanager's repeat_interval: nothing new
    assert replies(slack) == before
    second = {**copy.deepcopy(CRASHLOOP), "fingerprint": "ffff000011112222",
              "labels": {**CRASHLOOP["labels"], "pod": "checkout-6f7c9-p8w2n"}}
    send(bot, webhook(alerts=[CRASHLOOP, second]))
    assert len(roots(slack)) == 1
    assert replies(slack)[len(before):] == [
        "🔁 Alert group changed: 2 alert(s) firing now.\nNew: alertname=KubePodCrashLooping, "
        "container=checkout, namespace=shop, pod=checkout-6f7c9-p8w2n, severity=warning"]
    assert roots(slack)[0].text == "🔥 FIRING: KubePodCrashLooping (2 alert(s))"


def test_resolution_is_noted_and_a_new_firing_reopens_the_same_thread(
        bot: Opsbot, slack: SlackStandin) -> None:
    send(bot, webhook())
    send(bot, webhook("resolved"))
    send(bot, webhook("resolved"))
    assert [r for r in replies(slack) if r.startswith("✅ Resolved")] == [
        "✅ Resolved: KubePodCrashLooping — every alert in this group has stopped firing "
        "(last at 2025-03-11T15:02:00Z)."]
    assert roots(slack)[0].text == "✅ RESOLVED: KubePodCrashLooping"
    send(bot, webhook())
    assert len(roots(slack)) == 1
    assert "🔥 KubePodCrashLooping is firing again (1 alert(s))." in replies(slack)
    questions = [e for e in bot.session.rt.store.audit.events() if e.kind == "question"]
    assert len(questions) == 2


def test_the_group_to_thread_mapping_survives_a_restart(slack: SlackStandin,
                                                         tmp_path: Path) -> None:
    with opsbot_on_standin(slack, tmp_path) as first:
        send(first, webhook())
    with opsbot_on_standin(slack, tmp_path) as second:
        send(second, webhook("resolved"))
    assert len(roots(slack)) == 1
    assert replies(slack)[-1].startswith("✅ Resolved: KubePodCrashLooping")


def test_a_resolved_group_opsbot_never_saw_fire_opens_nothing(bot: Opsbot,
                                                              slack: SlackStandin) -> None:
    send(bot, webhook("resolved"))
    assert roots(slack) == []


@pytest.mark.parametrize("payload, field", [
    ({"status": "firing", "alerts": []}, "groupKey"),
    ({"groupKey": "g", "status": "burning", "alerts": []}, "status"),
    ({"groupKey": "g", "status": "firing", "alerts": [{"status": "firing"}]}, "alerts.0.labels"),
])
def test_a_malformed_webhook_is_refused_naming_the_field(
        bot: Opsbot, slack: SlackStandin, payload: dict[str, Any], field: str) -> None:
    reply = bot.sender.alert(payload)
    assert reply.status == 400
    assert f"alertmanager webhook: {field}:" in reply.body
    assert roots(slack) == []


@pytest.mark.parametrize("where", ["label", "group key"])
def test_an_alert_the_database_cannot_store_is_refused_rather_than_acknowledged_and_lost(
        slack: SlackStandin, tmp_path: Path, postgres_url: str, where: str) -> None:
    """PostgreSQL text cannot hold NUL: acknowledged, the alert would fail to be stored
    later, and Alertmanager, told it was delivered, would never send it again."""
    if where == "label":
        labels = {**CRASHLOOP["labels"], "pod": "checkout-\x00x2k4q"}
        hostile, field = webhook(alerts=[{**CRASHLOOP, "labels": labels}]), "alerts.0.labels.pod"
    else:
        hostile, field = webhook(groupKey=GROUP + "\x00"), "groupKey"
    with opsbot_on_standin(slack, tmp_path, db_url=postgres_url) as bot:
        reply = bot.sender.alert(hostile)
        bot.settle()
        assert (reply.status, json.loads(reply.body)["error"]) == (
            400, f"alertmanager webhook: {field}: contains a NUL character or a lone surrogate, "
                 "which cannot be stored")
        assert roots(slack) == []
        send(bot, webhook())
        assert bot.service.records.alert_group(GROUP) is not None
    assert len(roots(slack)) == 1


def test_mentions_in_an_alert_are_shown_not_notified(bot: Opsbot, slack: SlackStandin) -> None:
    name = "<!channel> CheckoutDown"
    labels = {**CRASHLOOP["labels"], "alertname": name, "pod": "<@U0EVIL>"}
    send(bot, webhook(alerts=[{**CRASHLOOP, "labels": labels}],
                      groupLabels={"alertname": name}, commonLabels={"alertname": name},
                      commonAnnotations={"summary": "<!here> see <#C0EVIL>"}))
    sent = json.dumps([c.args for c in slack.calls if c.method.startswith("chat.")],
                      ensure_ascii=False)
    assert [m for m in ("<!channel>", "<!here>", "<@U0EVIL>", "<#C0EVIL>") if m in sent] == []
    assert roots(slack)[0].text == "🔥 FIRING: &lt;!channel&gt; CheckoutDown (1 alert(s))"


def test_with_a_token_configured_alertmanager_must_send_it(slack: SlackStandin,
                                                          tmp_path: Path) -> None:
    with opsbot_on_standin(slack, tmp_path,
                           env={"OPSBOT_ALERTMANAGER_TOKEN": "s3cret-token"}) as bot:
        assert bot.sender.alert(webhook()).status == 401
        assert bot.sender.alert(webhook(), token="wrong").status == 401
        assert bot.sender.alert(webhook(), token="s3cret-token").status == 200
        bot.settle()
    assert len(roots(slack)) == 1


def test_a_secret_in_an_alert_annotation_never_reaches_slack(bot: Opsbot,
                                                             slack: SlackStandin) -> None:
    leaky = webhook(commonAnnotations={
        "summary": "checkout cannot reach postgres://checkout:hunter2@db.shop:5432/orders"})
    send(bot, leaky)
    assert "hunter2" not in slack.everything_sent()
    assert "postgres://checkout:[REDACTED" in roots(slack)[0].blocks[2]["text"]["text"]


def test_alerts_asked_as_a_user_no_policy_knows_is_a_start_up_error(
        slack: SlackStandin, tmp_path: Path) -> None:
    with pytest.raises(InputError) as err, \
            opsbot_on_standin(slack, tmp_path, env={"OPSBOT_SLACK_ALERT_AS": "U99NOBODY"}):
        pass
    assert err.value.field == "OPSBOT_SLACK_ALERT_AS"
    assert "U99NOBODY holds no role in the policy files" in str(err.value)


def test_a_group_whose_opener_died_is_opened_by_the_next_delivery(
        bot: Opsbot, slack: SlackStandin) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    bot.service.records.claim_alert_group(GROUP, ALERT_CHANNEL, now)  # opening, right now
    send(bot, webhook())
    assert roots(slack) == []
    bot.service.records.release_alert_group(GROUP)
    bot.service.records.claim_alert_group(GROUP, ALERT_CHANNEL,
                                          now - timedelta(minutes=6))  # and died
    send(bot, webhook())
    assert len(roots(slack)) == 1
