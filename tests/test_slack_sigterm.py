"""`opsbot serve slack` receiving SIGTERM (what Kubernetes sends on every rollout) while it
answers a question: it stops taking work, reports not ready on the ops port, finishes the
answer (the "Looking into it…" message is replaced) and exits within its drain bound."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import pytest
from slack_process import CLOSE_SECONDS, START_SECONDS, StderrLines, probe, serve_slack_process
from slack_standin import CHANNEL, SlackStandin
from slack_thread import buttons
from socket_mode_standin import SocketModeStandin

from assistant.slack.conversation import LOOKING

DRAIN_SECONDS = 15.0
QUESTION_TS = "1733500000.000700"


@pytest.mark.slow
def test_sigterm_mid_question_posts_the_answer_and_exits_within_the_drain_bound(
        tmp_path: Path) -> None:
    with (SocketModeStandin() as socket,
          SlackStandin(socket_mode=socket) as slack):
        process = serve_slack_process(tmp_path, slack, OPSBOT_DRAIN_SECONDS=str(DRAIN_SECONDS))
        try:
            said = StderrLines(process)
            ops = said.wait_for(r"ops endpoints on (http://127\.0\.0\.1:\d+)", START_SECONDS)
            said.wait_for("connected to Slack in Socket Mode", 30)
            ops_url = ops.group(1)
            deadline = time.monotonic() + 30
            while probe(f"{ops_url}/readyz")[0] != 200 and time.monotonic() < deadline:
                time.sleep(0.1)  # the Slack check joins once the socket is open
            assert probe(f"{ops_url}/readyz") == (200, {"status": "ok"})

            placeholder = slack.hold("chat.postMessage")
            socket.wait_acked(socket.mention(
                "U02BOB", "<@UOPSBOT> checkout restarts nonstop since this morning's rollout",
                QUESTION_TS))
            assert placeholder.reached.wait(60), "the question never got to its placeholder"
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            said.wait_for(r"SIGTERM received", 30)
            said.wait_for(r"draining: new work refused", 30)
            status, body = probe(f"{ops_url}/readyz")
            assert status == 503 and "shutdown" in body["failing"], body  # type: ignore[operator]
            assert probe(f"{ops_url}/livez")[0] == 200
            placeholder.release()
            code = process.wait(timeout=DRAIN_SECONDS + CLOSE_SECONDS)
            exited = time.monotonic() - signalled
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(30)
        print(f"exit {exited:.2f} s after SIGTERM")
    assert code == 0, "\n".join(said.lines)
    assert exited < DRAIN_SECONDS + CLOSE_SECONDS
    said.wait_for("stopped: the work taken was finished", 1)
    assert [c.args.get("text") for c in slack.called("chat.postMessage")].count(LOOKING) == 1
    thread = slack.thread(CHANNEL, QUESTION_TS)
    assert all(m.text != LOOKING for m in thread), [m.text for m in thread]
    answers = [c for c in slack.called("chat.update")
               if c.args.get("channel") == CHANNEL and c.args.get("text") != LOOKING]
    assert answers, "the placeholder was never replaced with the answer"
    assert len([m for m in thread if buttons(m)]) == 1  # the proposal's card was posted too
    with sqlite3.connect(tmp_path / "opsbot.db") as db:
        # The lease is given up on the way out: other replicas need not wait a minute for it
        # to run out, and nothing of this process is left claimed.
        assert db.execute("SELECT count(*) FROM executors WHERE stopped_at IS NULL")\
            .fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM proposals WHERE status = 'executing'")\
            .fetchone() == (0,)
