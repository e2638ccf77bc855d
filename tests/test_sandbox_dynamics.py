"""The simulated world reacts to actions the way production would, deterministically, and
its state survives a round trip."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from assistant.errors import InputError
from assistant.models import ToolCall
from tools.backend import run_tool
from tools.sandbox import SandboxBackend, Scenario, load_scenario

MIB = 1024 * 1024


@cache
def scenario(name: str) -> Scenario:
    return load_scenario(name)


def fresh(name: str) -> SandboxBackend:
    return SandboxBackend.from_scenario(scenario(name))


def run(backend: SandboxBackend, tool: str, **args: Any) -> Any:
    return run_tool(backend, ToolCall(tool=tool, args=args))


def latest(backend: SandboxBackend, query: str) -> float:
    (series,) = run(backend, "query_metrics", query=query, minutes=1).json_data()["series"]
    return series["points"][-1][1]


def pods(backend: SandboxBackend, namespace: str, deployment: str) -> list[dict[str, Any]]:
    return run(backend, "list_pods", namespace=namespace, deployment=deployment).json_data()["pods"]


def alert_states(backend: SandboxBackend, name: str) -> list[str]:
    return [a.state for a in backend.inventory().alerts if a.name == name]


ERRORS = 'http_requests_error_ratio{namespace="shop", deployment="checkout"}'


def test_a_crash_loop_keeps_crashing_until_someone_acts() -> None:
    backend = fresh("checkout-bad-deploy")
    before = sum(p["restarts"] for p in pods(backend, "shop", "checkout"))
    backend.advance(30)
    after = pods(backend, "shop", "checkout")
    assert sum(p["restarts"] for p in after) >= before + 6
    assert latest(backend, ERRORS) == pytest.approx(0.21)
    assert alert_states(backend, "KubePodCrashLooping") == ["firing"]


def test_rollback_to_a_healthy_revision_heals_pods_and_error_rate() -> None:
    backend = fresh("checkout-bad-deploy")
    run(backend, "rollback_deployment", namespace="shop", deployment="checkout")
    right_after = latest(backend, ERRORS)
    backend.advance(3)
    falling = latest(backend, ERRORS)
    backend.advance(7)
    healed = pods(backend, "shop", "checkout")
    assert len(healed) == 3
    assert all(p["ready"] and p["phase"] == "Running" and p["revision"] == 41 for p in healed)
    assert all(p["reason"] is None and p["restarts"] == 0 for p in healed)
    dep = backend.inventory().deployment("shop", "checkout")
    assert dep is not None and dep.revision == 41
    history = run(backend, "rollout_history", namespace="shop", deployment="checkout").json_data()
    assert [r["revision"] for r in history["revisions"] if r["current"]] == [41]
    assert right_after > falling > latest(backend, ERRORS)
    assert latest(backend, ERRORS) < 0.005
    backend.advance(30)
    assert all(p["restarts"] == 0 for p in pods(backend, "shop", "checkout"))
    assert alert_states(backend, "KubePodCrashLooping") == ["resolved"]
    assert alert_states(backend, "HighErrorRate") == ["resolved"]


def test_old_pods_serve_until_their_replacements_are_up() -> None:
    backend = fresh("checkout-bad-deploy")
    run(backend, "rollback_deployment", namespace="shop", deployment="checkout")
    during = pods(backend, "shop", "checkout")
    assert len(during) == 6
    assert sum(p["phase"] == "Pending" for p in during) == 3
    backend.advance(1)
    assert len(pods(backend, "shop", "checkout")) == 3


def test_rollback_to_an_unhealthy_revision_does_not_heal() -> None:
    backend = fresh("checkout-bad-deploy")
    run(backend, "rollback_deployment", namespace="shop", deployment="checkout", revision=40)
    backend.advance(20)
    assert latest(backend, ERRORS) == pytest.approx(0.09, abs=0.005)
    assert alert_states(backend, "HighErrorRate") == ["firing"]


def test_restart_clears_the_leak_for_a_while_then_it_grows_again() -> None:
    backend = fresh("cart-memory-leak")
    memory = 'container_memory_working_set_bytes{namespace="shop", deployment="cart"}'
    assert latest(backend, memory) > 1000 * MIB
    run(backend, "restart_deployment", namespace="shop", deployment="cart")
    backend.advance(10)
    assert latest(backend, memory) < 400 * MIB
    assert alert_states(backend, "ContainerMemoryNearLimit") == ["resolved"]
    backend.advance(60)
    assert all(p["restarts"] == 0 for p in pods(backend, "shop", "cart")), "no OOM for a while"
    grown = latest(backend, memory)
    assert 700 * MIB < grown < 1024 * MIB
    backend.advance(15)  # 85 minutes after the restart: near the limit again
    assert alert_states(backend, "ContainerMemoryNearLimit") == ["firing"]
    backend.advance(10)
    regrown = pods(backend, "shop", "cart")
    assert all(p["restarts"] == 1 and p["last_termination_reason"] == "OOMKilled"
               for p in regrown)


def test_without_a_restart_the_leak_keeps_killing_pods() -> None:
    backend = fresh("cart-memory-leak")
    before = sum(p["restarts"] for p in pods(backend, "shop", "cart"))
    backend.advance(60)
    assert sum(p["restarts"] for p in pods(backend, "shop", "cart")) >= before + 3


def test_scaling_up_adds_pods_and_relieves_saturation() -> None:
    backend = fresh("search-traffic-spike")
    cpu = 'container_cpu_utilisation_ratio{namespace="search"}'
    p99 = 'http_request_duration_p99_seconds{namespace="search"}'
    assert latest(backend, cpu) == pytest.approx(0.95)
    run(backend, "scale_deployment", namespace="search", deployment="search-api", replicas=8)
    assert len(pods(backend, "search", "search-api")) == 8
    backend.advance(10)
    dep = backend.inventory().deployment("search", "search-api")
    assert dep is not None and (dep.replicas, dep.ready_replicas, len(dep.pods)) == (8, 8, 8)
    assert latest(backend, cpu) == pytest.approx(0.475, abs=0.01)
    assert latest(backend, p99) < 0.2
    assert alert_states(backend, "HighRequestLatency") == ["resolved"]


def test_scaling_down_overloads_the_remaining_pods() -> None:
    backend = fresh("search-traffic-spike")
    run(backend, "scale_deployment", namespace="search", deployment="search-api", replicas=2)
    assert len(pods(backend, "search", "search-api")) == 2
    backend.advance(10)
    assert latest(backend, 'container_cpu_utilisation_ratio{namespace="search"}') > 0.99
    errors = latest(backend, 'http_requests_error_ratio{namespace="search"}')
    assert errors > 0.4  # 1,900 req/s offered to 1,000 req/s of capacity


def test_a_silence_hides_the_alert_until_it_expires() -> None:
    backend = fresh("noisy-disk-alert")
    node17 = {"instance": "ip-10-20-3-17.eu-west-1.compute.internal:9100"}
    run(backend, "silence_alert", alertname="NodeFilesystemSpaceFillingUp",
        matchers={"mountpoint": "/mnt/scratch", **node17}, duration_minutes=240)

    def node17_state() -> str:
        return next(a.state for a in backend.inventory().alerts
                    if a.labels["instance"] == node17["instance"])

    assert node17_state() == "silenced"
    assert run(backend, "list_alerts").json_data()["alerts"] == []
    backend.advance(130)  # 13:30, inside a fill phase again: still silenced
    assert node17_state() == "silenced"
    backend.advance(120)  # 15:30, silence ended at 15:20, the volume is filling again
    assert node17_state() == "firing"


def test_a_noisy_alert_resolves_and_refires_on_its_own() -> None:
    backend = fresh("noisy-disk-alert")
    backend.advance(45)  # 12:05, the janitor ran at 12:00
    states = alert_states(backend, "NodeFilesystemSpaceFillingUp")
    assert states == ["resolved", "resolved"]
    backend.advance(70)  # 13:15
    firing = run(backend, "list_alerts").json_data()["alerts"]
    assert [a["labels"]["instance"][:14] for a in firing] == ["ip-10-20-3-17."]
    assert firing[0]["since"] == "2025-06-03T13:10:00+00:00"  # active again since 13:10


def test_error_budget_burns_while_errors_last() -> None:
    backend = fresh("payments-budget-exhausted")
    start = backend.error_budget("payments")
    backend.advance(60)
    burnt = backend.error_budget("payments")
    assert start is not None and burnt is not None
    assert start.remaining is not None and burnt.remaining is not None
    # 4.6% errors against a 0.05% allowance: 92x burn, 60 of 43,200 minutes
    assert start.remaining - burnt.remaining == pytest.approx(92 * 60 / 43200, rel=0.02)
    assert burnt.as_of == backend.now()


def test_the_clock_moves_only_when_told() -> None:
    backend = fresh("checkout-bad-deploy")
    start = backend.now()
    run(backend, "list_pods", namespace="shop")
    run(backend, "rollback_deployment", namespace="shop", deployment="checkout")
    assert backend.now() == start
    backend.wait(90)
    assert (backend.now() - start).total_seconds() == 90
    with pytest.raises(ValueError):
        backend.advance(-1)


def test_state_round_trip_continues_identically() -> None:
    original = fresh("checkout-bad-deploy")
    run(original, "rollback_deployment", namespace="shop", deployment="checkout")
    original.advance(0.5)
    restored = SandboxBackend.from_state(json.loads(json.dumps(original.state())))
    assert restored.state() == original.state()
    for backend in (original, restored):
        backend.advance(12)
        run(backend, "scale_deployment", namespace="shop", deployment="checkout", replicas=5)
        backend.advance(3)
    assert restored.state() == original.state()
    assert restored.scenario_name == "checkout-bad-deploy"


def test_corrupt_state_is_an_input_error_naming_the_field() -> None:
    state = fresh("checkout-bad-deploy").state()
    state["deployments"][0]["replicas"] = "many"
    with pytest.raises(InputError) as info:
        SandboxBackend.from_state(state)
    assert info.value.field == "deployments.0.replicas"


def test_fresh_copies_are_independent() -> None:
    first = fresh("checkout-bad-deploy")
    second = fresh("checkout-bad-deploy")
    untouched = second.state()
    run(first, "rollback_deployment", namespace="shop", deployment="checkout")
    run(first, "silence_alert", alertname="HighErrorRate")
    first.advance(5)
    assert second.state() == untouched
    assert SandboxBackend.load("checkout-bad-deploy").state() == untouched


def test_replays_are_deterministic() -> None:
    def play() -> dict[str, Any]:
        backend = fresh("cart-memory-leak")
        backend.advance(7)
        run(backend, "restart_deployment", namespace="shop", deployment="cart")
        backend.advance(100)
        run(backend, "scale_deployment", namespace="shop", deployment="cart", replicas=4)
        backend.advance(15)
        return backend.state()

    assert play() == play()
