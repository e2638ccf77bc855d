"""A process killed with SIGKILL mid-action: the next start marks its claim interrupted,
and the proposal's Slack thread is told and its card closed (no live buttons)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from slack_standin import CHANNEL, SlackStandin, opsbot_on_standin
from slack_thread import ROLLBACK, ROOT, ask, block_texts, buttons, the_card

from assistant.models import ProposalStatus

REPO = Path(__file__).resolve().parent.parent

def test_a_claim_killed_mid_action_is_told_and_its_card_closed_at_the_next_start(
        tmp_path: Path) -> None:
    with SlackStandin() as slack:
        with opsbot_on_standin(slack, tmp_path) as first:
            ask(first)
        card = the_card(slack)
        pid = buttons(card)[0]["value"]

        env = dict(os.environ, OPSBOT_HOME=str(tmp_path), PYTHONPATH=str(REPO),
                   OPSBOT_EXECUTOR_HEARTBEAT_SECONDS="0.2")
        env.pop("OPSBOT_DB", None)
        worker = subprocess.Popen([sys.executable, str(REPO / "tests" / "executor_worker.py"),
                                   pid, "hang"], cwd=REPO,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        try:
            assert worker.stdout is not None
            line = worker.stdout.readline()
            assert line == "running\n", worker.stderr.read() if worker.stderr else line
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
        time.sleep(0.5)  # past two of its 0.2 s heartbeats: its lease is visibly gone

        with opsbot_on_standin(slack, tmp_path) as second:
            second.settle()
            assert second.session.proposal(pid).status is ProposalStatus.INTERRUPTED

    final = slack.message(CHANNEL, card.ts)
    assert final.blocks[0]["text"]["text"] == "Interrupted: rollback_deployment"
    assert "*Interrupted* mid-execution" in block_texts(final) and not buttons(final)
    notices = [m.text for m in slack.thread(CHANNEL, ROOT) if float(m.ts) > float(card.ts)]
    assert len(notices) == 1
    assert notices[0].startswith(f"⚠️ {ROLLBACK} ({pid}) was interrupted mid-execution by a "
                                 "crash of ")
