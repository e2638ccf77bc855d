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
from test_slack_threads import ROLLBACK, ROOT, ask, block_texts, buttons, the_card

from assistant.models import ProposalStatus

REPO = Path(__file__).resolve().parent.parent

# Approves and executes the proposal with a rollback that never returns; says "running"
# once the claim is taken and the action has started.
EXECUTE_AND_HANG = """
import sys, time
from assistant.config import Settings
from assistant.executor import Executor
from assistant.heartbeat import Heartbeat
from assistant.models import Actor, Approval, ProposalStatus
from assistant.policy.source import PolicySource
from assistant.storage import new_executor_id, open_store
from assistant.storage.spool import ResultSpool
from tools.sandbox import SandboxBackend

settings = Settings.from_env()
store = open_store(settings.db_url, lambda value: value)
spool = ResultSpool(settings.spool_dir)
heartbeat = Heartbeat(store, new_executor_id(), settings.executor_heartbeat_seconds, spool)
heartbeat.start()
backend = SandboxBackend.load("checkout-bad-deploy", settings.scenario_dir)

def hang(args, approved_by=None):
    print("running", flush=True)
    time.sleep(600)

backend.rollback_deployment = hang
pid = sys.argv[1]
proposal = store.proposals.get(pid).proposal
store.proposals.add_approval(Approval(proposal_id=pid, approver=Actor(user_id="U01ALICE"),
                                      args_hash=proposal.args_hash, approved=True,
                                      at=backend.now()))
store.proposals.set_status(pid, ProposalStatus.APPROVED)
Executor(backend=backend, policies=PolicySource(settings.policy_dir), store=store,
         redact=lambda text: text, executor_id=heartbeat.executor_id, spool=spool).execute(pid)
"""


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
        worker = subprocess.Popen([sys.executable, "-c", EXECUTE_AND_HANG, pid], cwd=REPO,
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
