"""A claim left by a replica that died is swept while this replica serves Slack, and the
proposal's thread hears of it: the card closes as interrupted and a notice follows."""

from __future__ import annotations

import threading
from datetime import timedelta

from slack_standin import CHANNEL, Opsbot, SlackStandin
from slack_thread import ROLLBACK, ROOT, ask, block_texts, buttons, the_card

from assistant.models import ProposalStatus
from assistant.storage.timestamps import utc_now

REPLICA = "replica-b:4242:bbbb"


def test_a_swept_claim_closes_its_card_and_is_told_in_its_thread(
        bot: Opsbot, slack: SlackStandin) -> None:
    ask(bot)
    card = the_card(slack)
    pid = buttons(card)[0]["value"]
    rt = bot.session.rt
    assert rt.store.proposals.set_status(pid, ProposalStatus.APPROVED)
    rt.store.executors.register(REPLICA, utc_now() - timedelta(minutes=5), 10)
    assert rt.store.proposals.claim(pid, REPLICA, rt.backend.now()).claimed

    # Whichever beat sweeps it (this one or the background thread's), the Slack job is
    # queued before the test's own listener, subscribed after the adapter's, hears of it.
    heard = threading.Event()
    rt.heartbeat.subscribe(lambda found: heard.set())
    rt.heartbeat.beat()
    assert heard.wait(30)
    bot.settle()

    final = slack.message(CHANNEL, card.ts)
    assert final.blocks[0]["text"]["text"] == "Interrupted: rollback_deployment"
    assert "*Interrupted* mid-execution" in block_texts(final) and not buttons(final)
    notice = [m.text for m in slack.thread(CHANNEL, ROOT) if float(m.ts) > float(card.ts)]
    assert notice == [f"⚠️ {ROLLBACK} ({pid}) was interrupted mid-execution by a crash of "
                      f"{REPLICA}; it was not re-run. Check its effect before proposing it "
                      "again."]
