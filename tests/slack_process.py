"""`opsbot serve slack` as a child process, the way a container runs it: started on the
stand-ins, its stderr read line by line, its ops endpoints probed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from slack_standin import APP_TOKEN, SlackStandin

REPO = Path(__file__).resolve().parent.parent
# Closing the runtime (lease, database, index) after the drain; the Deployment's
# terminationGracePeriodSeconds leaves the same room above OPSBOT_DRAIN_SECONDS.
CLOSE_SECONDS = 15.0
START_SECONDS = 180.0  # a fresh home embeds the runbooks first, on a busy machine


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


def probe(url: str) -> tuple[int, dict[str, object]]:
    """An ops endpoint's status and JSON body, whatever the status."""
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
