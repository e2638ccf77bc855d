"""A shutdown ends a verification against a live cluster at once: the real backend's wait
between two looks at the workload gives way to the runtime's shutdown Event, and the
action's result is recorded with the watch so far, instead of the drain sitting out a 30 s
step. The Kubernetes half runs over the API stand-in loaded with a sandbox world."""

from __future__ import annotations

import threading
import time
from typing import Any

from k8s_scenario import kubernetes_tools, load_world
from k8s_standin import K8sStandin
from mistaken_rollback import ProposesOneCall

from assistant.models import Actor, ProposalStatus, ToolCall, ToolOutput
from assistant.runtime import open_runtime
from assistant.session import Session
from tools.backend import ToolFailure
from tools.real.alerts import AlertRecord
from tools.real.backend import RealBackend, sleep_unless, utc_now
from tools.sandbox import SandboxBackend

SCENARIO = "checkout-bad-deploy"
ROLL_BACK = ToolCall(tool="rollback_deployment", args={
    "namespace": "shop", "deployment": "checkout", "revision": 41})
WAIT_BOUND_SECONDS = 30.0  # generous on a busy machine; the wait itself is cut at once


class FiringMonitoring:
    """Monitoring where checkout's alert keeps firing, so the watch never settles (without
    a shutdown it would last its whole 300 s bound); the question's evidence reads from
    Prometheus fail as they would with it down."""

    def alerts(self) -> list[AlertRecord]:
        return [AlertRecord("CheckoutErrorBudgetBurn", {"namespace": "shop",
                                                        "deployment": "checkout"},
                            "firing", since=None)]

    def error_budget(self, service: str) -> None:
        return None

    def query_metrics(self, args: object) -> ToolOutput:
        raise ToolFailure("Prometheus is not part of this test")

    list_alerts = get_error_budget = query_metrics

    def close(self) -> None:
        pass


def test_shutdown_cuts_a_live_verification_short_and_the_action_stays_recorded(
        engine_settings: Any, runbook_index: Any) -> None:
    world = SandboxBackend.load(SCENARIO, engine_settings.scenario_dir)
    shutdown = threading.Event()
    watching = threading.Event()
    interruptible = sleep_unless(shutdown)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        watching.set()
        interruptible(seconds)

    with K8sStandin() as standin:
        load_world(standin, world)
        backend = RealBackend(world.environment, kubernetes_tools(standin, utc_now),
                              FiringMonitoring(), sleep=sleep)  # type: ignore[arg-type]
        with open_runtime(engine_settings, SCENARIO, backend=backend, index=runbook_index,
                          planner=ProposesOneCall(ROLL_BACK), shutdown=shutdown) as rt:
            session = Session(rt)
            turn = session.ask("t-live-drain", Actor(user_id="U02BOB"),
                               "checkout 42 is broken, go back to 41")
            assert turn.pending, [m.text for m in turn.messages]
            pid = turn.pending[0].id
            approval = threading.Thread(target=session.respond, args=(
                "t-live-drain", pid, Actor(user_id="U01ALICE")), kwargs={"approve": True})
            approval.start()
            assert watching.wait(WAIT_BOUND_SECONDS), "the verification never began to wait"
            began = time.monotonic()
            rt.shutdown.set()
            approval.join(WAIT_BOUND_SECONDS)
            ended = time.monotonic() - began
            assert not approval.is_alive(), "the verification did not give way to the shutdown"
            stored = session.proposal(pid)
        # The preview's dry run aside, the rollback reached the cluster once.
        patches = [r for r in standin.requests
                   if r.method == "PATCH" and r.query.get("dryRun") != "All"]
    print(f"verification ended {ended:.3f} s after the shutdown began "
          f"(step {rt.executor.verify_interval_seconds:g} s)")
    assert waits == [rt.executor.verify_interval_seconds]
    assert [r.path for r in patches] == [
        "/apis/apps/v1/namespaces/shop/deployments/checkout"]
    assert stored.status is ProposalStatus.EXECUTED
    # A watch cut short gives no verdict (and so no undo); it stays open for a live replica.
    assert stored.result is not None and stored.result.verification is None
    assert stored.result.compensation is None
    assert rt.executor.outcome(pid) is not None
