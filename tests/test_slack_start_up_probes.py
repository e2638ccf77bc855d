"""`opsbot serve slack` answers its probes from the start: while the start-up is held (Slack
not yet answering the token check), /livez is 200 and /readyz 503 naming the stage; once
the start-up completes, /readyz turns 200. Loopback only, every wait bounded."""

from __future__ import annotations

import signal
import time
import urllib.request
from pathlib import Path

import pytest
from slack_process import START_SECONDS, StderrLines, probe, serve_slack_process
from slack_standin import SlackStandin
from socket_mode_standin import SocketModeStandin

from assistant.readiness import Readiness

CONNECTING = "starting: connecting to Slack"
POLL_SECONDS = 0.1


def _poll(url: str, until: int, seconds: float) -> tuple[int, dict[str, object]]:
    deadline = time.monotonic() + seconds
    answer = probe(url)
    while answer[0] != until and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        answer = probe(url)
    return answer


@pytest.mark.slow
def test_probes_answer_while_the_start_up_is_held_then_turn_ready(tmp_path: Path) -> None:
    with (SocketModeStandin() as socket,
          SlackStandin(socket_mode=socket) as slack):
        token_check = slack.hold("auth.test")
        process = serve_slack_process(tmp_path, slack)
        try:
            said = StderrLines(process)
            ops_url = said.wait_for(
                r"ops endpoints on (http://127\.0\.0\.1:\d+) \(/livez, /metrics, /readyz\)",
                60).group(1)
            # The port is open before the runbook index is built: a fresh home embeds them.
            early = probe(f"{ops_url}/readyz")
            print(f"first /readyz: {early}")
            assert early[0] == 503 and str(early[1]["status"]).startswith("starting"), early
            assert token_check.reached.wait(START_SECONDS), "start-up never reached Slack"
            assert probe(f"{ops_url}/livez") == (200, {"status": CONNECTING})
            assert probe(f"{ops_url}/readyz") == (503, {"status": CONNECTING})
            # The runtime's metrics are scraped from the same port through the start-up.
            with urllib.request.urlopen(f"{ops_url}/metrics", timeout=10) as scrape:
                assert scrape.status == 200
                assert b"opsbot_questions_total" in scrape.read()
            token_check.release()
            said.wait_for("connected to Slack in Socket Mode", 60)
            assert _poll(f"{ops_url}/readyz", 200, 30) == (200, {"status": "ok"})
            assert probe(f"{ops_url}/livez") == (200, {"status": "alive"})
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
        finally:
            token_check.release()
            if process.poll() is None:
                process.kill()
                process.wait(30)
    assert code == 0, "\n".join(said.lines)


def test_a_start_up_past_its_bound_is_no_longer_live_and_says_where_it_stuck() -> None:
    stuck = Readiness({}, 5, start_bound_seconds=0)
    stuck.starting("building runbook index")
    alive, why = stuck.liveness()
    assert not alive
    assert why.startswith("starting: building runbook index for ")
    assert why.endswith("s (limit 0 s)")


def test_a_start_up_within_its_bound_is_live_and_not_ready() -> None:
    slow = Readiness({}, 5, start_bound_seconds=3600)
    slow.starting("opening the database")
    assert slow.liveness() == (True, "starting: opening the database")
    report = slow.report()
    assert not report.ready
    assert report.to_json() == '{"status": "starting: opening the database"}'
