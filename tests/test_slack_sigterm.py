"""`opsbot serve slack` receiving SIGTERM (what Kubernetes sends on every rollout) while it
answers a question: it stops taking work, reports not ready on the ops port, finishes the
answer (the "Looking into it…" message is replaced) and exits within its drain bound."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from slack_standin import APP_TOKEN, CHANNEL, SlackStandin
from socket_mode_standin import SocketModeStandin
from test_slack_threads import buttons

from assistant.slack.conversation import LOOKING

REPO = Path(__file__).resolve().parent.parent
DRAIN_SECONDS = 15.0
# Closing the runtime (lease, database, index) after the drain; the Deployment's
# terminationGracePeriodSeconds leaves the same room above OPSBOT_DRAIN_SECONDS.
CLOSE_SECONDS = 15.0
START_SECONDS = 180.0  # a fresh home embeds the runbooks first, on a busy machine
QUESTION_TS = "1733500000.000700"


class StderrLines:
    """The process's stderr, line by line, read on a thread so waits are bounded."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._process = process
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        found = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                match = next((m for line in self.lines if (m := found.search(line))), None)
                left = deadline - time.monotonic()
                if match or left <= 0 or self._process.poll() is not None:
                    break
                self._changed.wait(min(left, 0.5))
        assert match, f"no line matching {pattern!r}:\n" + "\n".join(self.lines)
        return match


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def serve_slack_process(home: Path, slack: SlackStandin,
                        **settings: str) -> subprocess.Popen[str]:
    """`opsbot serve slack` in Socket Mode on ``slack``, its ops port on loopback, the
    environment cleared of the caller's opsbot, Slack and LLM settings; stderr piped."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("OPSBOT_", "SLACK_", "OPENAI_"))}
    env.update(PYTHONPATH=str(REPO), OPSBOT_HOME=str(home), OPSBOT_OPS_PORT="0",
               OPSBOT_OPS_HOST="127.0.0.1", OPSBOT_HEALTH_PROBE_SECONDS="0.2",
               SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN=APP_TOKEN,
               OPSBOT_SLACK_API_URL=slack.url, OPSBOT_LLM="off", **settings)
    return subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "slack", "--mode", "socket",
         "--scenario", "checkout-bad-deploy"],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)


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
            while _get(f"{ops_url}/readyz")[0] != 200 and time.monotonic() < deadline:
                time.sleep(0.1)  # the Slack check joins once the socket is open
            assert _get(f"{ops_url}/readyz") == (200, {"status": "ok"})

            placeholder = slack.hold("chat.postMessage")
            socket.wait_acked(socket.mention(
                "U02BOB", "<@UOPSBOT> checkout restarts nonstop since this morning's rollout",
                QUESTION_TS))
            assert placeholder.reached.wait(60), "the question never got to its placeholder"
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            said.wait_for(r"SIGTERM received", 30)
            said.wait_for(r"draining: new work refused", 30)
            status, body = _get(f"{ops_url}/readyz")
            assert status == 503 and "shutdown" in body["failing"], body  # type: ignore[operator]
            assert _get(f"{ops_url}/livez")[0] == 200
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
