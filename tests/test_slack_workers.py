"""The worker pool keeps each thread's work in order without serialising the others; the
user-group directory is cached for its TTL and fails closed."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from assistant.slack.groups import UserGroupDirectory
from assistant.slack.workers import OrderedWorkerPool


def test_jobs_of_one_key_run_in_order_and_never_overlap() -> None:
    pool = OrderedWorkerPool(workers=4, max_queued=100)
    ran: list[int] = []
    busy = threading.Lock()
    overlaps = 0

    def job(i: int) -> None:
        nonlocal overlaps
        if not busy.acquire(blocking=False):
            overlaps += 1
            return
        time.sleep(0.002)
        ran.append(i)
        busy.release()

    for i in range(20):
        assert pool.submit("thread-a", lambda i=i: job(i))
    assert pool.wait_idle(10)
    pool.shutdown()
    assert (ran, overlaps) == (list(range(20)), 0)


def test_different_keys_run_side_by_side() -> None:
    pool = OrderedWorkerPool(workers=2, max_queued=10)
    both_started = threading.Barrier(2, timeout=5)
    outcomes: list[str] = []

    def job(name: str) -> None:
        both_started.wait()  # only returns if the other key's job runs at the same time
        outcomes.append(name)

    pool.submit("a", lambda: job("a"))
    pool.submit("b", lambda: job("b"))
    assert pool.wait_idle(10)
    pool.shutdown()
    assert sorted(outcomes) == ["a", "b"]


def test_a_full_pool_refuses_work_and_a_failing_job_does_not_stop_its_thread() -> None:
    pool = OrderedWorkerPool(workers=1, max_queued=2)
    gate = threading.Event()
    ran: list[str] = []

    def boom() -> None:
        gate.wait(5)
        raise RuntimeError("job failed")

    assert pool.submit("t", boom)
    assert pool.submit("t", lambda: ran.append("after the failure"))
    assert not pool.submit("t", lambda: ran.append("over the bound"))
    gate.set()
    assert pool.wait_idle(10)
    pool.shutdown()
    assert ran == ["after the failure"]


def test_a_shutdown_drops_the_jobs_not_started_and_leaves_the_running_ones() -> None:
    pool = OrderedWorkerPool(workers=1, max_queued=10)
    started, gate = threading.Event(), threading.Event()
    ran: list[str] = []

    def first() -> None:
        started.set()
        gate.wait(5)
        ran.append("running one")

    assert pool.submit("slack:C1:1.1", first)
    assert started.wait(5)
    assert pool.submit("slack:C1:1.1", lambda: ran.append("queued behind it"))
    assert pool.submit("slack:C2:2.2", lambda: ran.append("other thread, waiting"))
    assert sorted(pool.abandon_queued()) == ["slack:C1:1.1", "slack:C2:2.2"]
    assert pool.queued == 1
    gate.set()
    assert pool.wait_idle(10)
    pool.shutdown()
    assert ran == ["running one"]


class FakeOut:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.down = False

    def read(self, method: str, **kwargs: Any) -> dict[str, Any] | None:
        self.calls.append(method)
        if self.down:
            return None
        if method == "usergroups_list":
            return {"usergroups": [{"id": "S0SRE"}, {"id": "S0DEV"}]}
        return {"users": {"S0SRE": ["U1", "U2"], "S0DEV": ["U2"]}[kwargs["usergroup"]]}


def test_group_membership_is_read_once_per_ttl_and_kept_when_slack_is_down() -> None:
    out, now = FakeOut(), [0.0]
    directory = UserGroupDirectory(out, ttl_seconds=60, clock=lambda: now[0])  # type: ignore[arg-type]
    assert directory.groups_of("U2") == ("S0DEV", "S0SRE")
    assert directory.groups_of("U1") == ("S0SRE",)
    assert directory.groups_of("U9") == ()
    assert len(out.calls) == 3
    now[0], out.down = 61.0, True
    assert directory.groups_of("U1") == ("S0SRE",)  # stale but known beats nothing
    assert len(out.calls) == 4


def test_without_any_directory_a_user_has_no_groups() -> None:
    out = FakeOut()
    out.down = True
    assert UserGroupDirectory(out, ttl_seconds=60).groups_of("U1") == ()  # type: ignore[arg-type]


def test_a_mention_the_full_pool_cannot_take_is_told_to_the_asker(
        slack: Any, tmp_path: Path) -> None:
    from types import SimpleNamespace

    from slack_standin import SIGNING_SECRET, slack_service

    from assistant.slack.service import OVERLOADED

    with slack_service(slack, tmp_path, {"SLACK_SIGNING_SECRET": SIGNING_SECRET,
                                                 "OPSBOT_SLACK_MODE": "http"}) as service:
        # A pool with no room: the event was acknowledged and taken, so Slack sends it no
        # more, and the asker is the only one who can try again.
        submit = service.pool.submit
        service.pool.submit = lambda key, job: False  # type: ignore[method-assign]
        service._first_delivery = lambda body, request: True  # type: ignore[method-assign]
        try:
            service._on_mention({}, {"user": "U02BOB", "channel": "C0ROOM", "ts": "1.5",
                                     "text": "<@UOPSBOT> why is checkout down?"},
                                SimpleNamespace(bot_user_id="UOPSBOT"), None)
        finally:
            service.pool.submit = submit  # type: ignore[method-assign]
    told = slack.called("chat.postEphemeral")
    assert [(c.args["user"], c.args["text"], c.args.get("thread_ts")) for c in told] == [
        ("U02BOB", OVERLOADED, "1.5")]
