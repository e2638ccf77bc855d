"""A verification watch left open by a replica that stopped is resumed by the next one, and
its outcome reaches the Slack thread exactly as the watching replica would have told it:
posted once, even when the watch finished before the adapter subscribed, and with the undo
card when the action made things worse."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from slack_standin import (
    CHANNEL,
    SIGNING_SECRET,
    Opsbot,
    SignedSender,
    SlackStandin,
    StoredMessage,
    shared_index,
)
from slack_thread import ROOT, ask, buttons, click, the_card

from assistant.config import Settings
from assistant.config.reading import load_config
from assistant.models import Inventory, ProposalStatus
from assistant.runtime import Runtime, open_runtime
from assistant.session import Session
from assistant.slack.server import SlackHttpServer
from assistant.slack.service import SlackService
from tools.backend import Backend
from tools.sandbox import SandboxBackend

SCENARIO = "checkout-bad-deploy"
CONDITION_CHECKS = 600  # looks, 0.05 s apart, before a condition counts as never met


class CheckoutNeverReady(SandboxBackend):
    """The world after the action, except that no checkout pod is ready any more: the
    action made things worse. Watching waits at ``gate`` until the test opens it."""

    gate: threading.Event | None = None

    def inventory(self) -> Inventory:
        inv = super().inventory()
        deps = tuple(d.model_copy(update={"ready_replicas": 0}) if d.name == "checkout" else d
                     for d in inv.deployments)
        return inv.model_copy(update={"deployments": deps})

    def wait(self, seconds: float) -> None:
        if self.gate is not None:
            assert self.gate.wait(60), "the test never let the watch go on"
        super().wait(seconds)


def _eventually(condition: Callable[[], object], what: str) -> None:
    for _ in range(CONDITION_CHECKS):
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} never happened")


def _settings(home: Path) -> Settings:
    return Settings.from_env({"OPSBOT_HOME": str(home), "OPSBOT_OPS_PORT": "0"})


@contextmanager
def _runtime(home: Path, backend: Backend) -> Iterator[Runtime]:
    with open_runtime(_settings(home), SCENARIO, backend=backend, persist_sandbox=False,
                      index=shared_index()) as rt:
        yield rt


@contextmanager
def _serving(slack: SlackStandin, rt: Runtime) -> Iterator[Opsbot]:
    """The Slack adapter of a replica, on a runtime already open (its watches resumed)."""
    config = load_config({"SLACK_BOT_TOKEN": "xoxb-test", "OPSBOT_SLACK_API_URL": slack.url,
                          "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                          "OPSBOT_SLACK_MODE": "http"}).tree.slack.for_serving()
    service = SlackService(Session(rt), config)
    server = SlackHttpServer(service, "127.0.0.1", 0, events=True).start()
    try:
        yield Opsbot(service, service.session, server,
                     SignedSender(f"http://127.0.0.1:{server.port}"))
    finally:
        server.stop()
        service.close()


def _live_cards(slack: SlackStandin) -> list[StoredMessage]:
    return [m for m in slack.thread(CHANNEL, ROOT) if buttons(m)]


def _verifications(slack: SlackStandin) -> list[str]:
    return [m.text for m in slack.thread(CHANNEL, ROOT) if m.text.startswith("🔍 Verification")]


def _rollback_whose_watcher_stopped(slack: SlackStandin,
                                    home: Path) -> tuple[str, dict[str, Any]]:
    """A replica rolls checkout back on a click and stops before watching its effect: the
    watch stays open for the next replica. Returns the proposal id and the world after."""
    world = SandboxBackend.load(SCENARIO, _settings(home).scenario_dir)
    with _runtime(home, world) as rt, _serving(slack, rt) as first:
        rt.executor.verify = lambda _pid: None  # its watcher stops before watching
        ask(first)
        card = the_card(slack)
        pid = str(buttons(card)[0]["value"])
        click(first, slack, "U01ALICE", card)
        assert first.session.proposal(pid).status is ProposalStatus.EXECUTED
    assert _verifications(slack) == []
    return pid, world.state()


def test_a_watch_resumed_before_the_adapter_subscribes_is_posted_once_when_it_does(
        slack: SlackStandin, tmp_path: Path) -> None:
    pid, after = _rollback_whose_watcher_stopped(slack, tmp_path)
    with _runtime(tmp_path, SandboxBackend.from_state(after)) as rt:
        _eventually(lambda: rt.store.verifications.unreported(),
                    "the resumed watch finishing")
        stored = rt.store.proposals.get(pid)
        assert stored.result is not None and stored.result.verification is not None
        assert _verifications(slack) == []  # recorded while nobody listened
        with _serving(slack, rt) as second:
            second.settle()
            assert _verifications(slack) == [
                f"🔍 Verification: *{stored.result.verification.verdict}* — "
                f"{stored.result.verification.detail}"]
            with _serving(slack, rt) as third:  # another replica starting: already told
                third.settle()
        assert rt.store.verifications.unreported() == []
    assert len(_verifications(slack)) == 1


def test_a_watch_resumed_on_another_replica_that_finds_it_worse_offers_the_undo_card(
        slack: SlackStandin, tmp_path: Path) -> None:
    pid, after = _rollback_whose_watcher_stopped(slack, tmp_path)
    backend = CheckoutNeverReady.from_state(after)
    backend.gate = threading.Event()
    with _runtime(tmp_path, backend) as rt, _serving(slack, rt) as second:
        backend.gate.set()  # the adapter listens; now the watch may end
        # The executed action's card has no buttons left: a live card is the undo's.
        _eventually(lambda: _live_cards(slack), "the undo card being posted")
        second.settle()
        result = second.session.proposal(pid).result
        assert result is not None and result.verification is not None
        assert result.verification.verdict == "worse"
        assert result.compensation is not None
        (undo,) = second.session.pending(f"slack:{CHANNEL}:{ROOT}")
        assert undo.call == result.compensation
        said = [m.text for m in slack.thread(CHANNEL, ROOT)]
        assert len(_verifications(slack)) == 1 and _verifications(slack)[0].startswith(
            "🔍 Verification: *worse*")
        assert f"Suggested: {undo.call.render()} (policy confirm)" in said
        card = the_card(slack)
        assert buttons(card)[0]["value"] == undo.id
        click(second, slack, "U01ALICE", card)  # the card is live: confirming runs the undo
        assert second.session.proposal(undo.id).status is ProposalStatus.EXECUTED
    assert any(f"`{undo.call.render()}` → *succeeded*" in m.text
               for m in slack.thread(CHANNEL, ROOT))
