"""Analyzers judge from typed observations: the finding, its evidence and what it rules out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assistant.analysis import Remedy, analyze, collect
from assistant.models import DeploymentInfo, Inventory, Series
from tools.outputs import (
    AlertList,
    AlertRow,
    DeploymentDescription,
    MetricSeries,
    PodList,
    PodRow,
    RevisionRow,
    RolloutHistory,
)
from tools.workload_outputs import HpaList, HpaRow

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
NS, NAME = "ledger", "posting-engine"
KEY = (NS, NAME)


def _inventory(*names: str) -> Inventory:
    return Inventory(environment="prod", deployments=tuple(
        DeploymentInfo(namespace=NS, name=n, service=n, replicas=2, ready_replicas=2)
        for n in names or (NAME,)))


def _pod(name: str, *, reason: str | None = None, last: str | None = None, ready: bool = True,
         restarts: int = 0, revision: int = 9) -> PodRow:
    return PodRow(name=name, phase="Running", ready=ready, restarts=restarts, reason=reason,
                  deployment=NAME, revision=revision, last_termination_reason=last, age="1d")


def _history(current: int, *, current_age: timedelta,
             current_healthy: bool = True) -> RolloutHistory:
    rows = [RevisionRow(revision=r, image=f"img:{r}", change=f"change {r}", healthy=True,
                        current=False, deployed_at=(NOW - timedelta(days=40 - r)).isoformat())
            for r in range(current - 2, current)]
    rows.append(RevisionRow(revision=current, image=f"img:{current}", change="the new one",
                            healthy=current_healthy, current=True,
                            deployed_at=(NOW - current_age).isoformat()))
    return RolloutHistory(revisions=rows)


def _series(metric: str, unit: str, values: list[float], minutes: int = 120,
            **labels: str) -> Series:
    step = minutes / (len(values) - 1)
    return Series(name=metric, unit=unit,
                  labels={"namespace": NS, "deployment": NAME, **labels},
                  points=tuple(((NOW - timedelta(minutes=minutes - i * step)).isoformat(), v)
                               for i, v in enumerate(values)))


def _describe(limit_mib: float | None = 512.0) -> DeploymentDescription:
    return DeploymentDescription(
        namespace=NS, name=NAME, service=NAME, replicas=2, ready_replicas=2, revision=9,
        image="img:9", change="x", conditions=[], memory_limit_mib=limit_mib)


def _findings(*outputs: object, focus: tuple[str, str] = KEY) -> list:
    paired = [(o, KEY if isinstance(o, PodList | RolloutHistory) else None) for o in outputs]
    return analyze(collect(paired, _inventory(), NOW), [focus])  # type: ignore[arg-type]


MIB = 2**20


def test_oom_with_climbing_memory_on_an_old_revision_supports_restart_not_rollback() -> None:
    memory = _series("container_memory_working_set_bytes", "bytes",
                     [300 * MIB, 480 * MIB, 110 * MIB, 300 * MIB, 495 * MIB])
    found = _findings(
        PodList(pods=[_pod("posting-engine-a", last="OOMKilled", restarts=9),
                      _pod("posting-engine-b", last="OOMKilled", restarts=8)]),
        _history(9, current_age=timedelta(days=12)),
        MetricSeries(series=[memory]), _describe(512))
    (memory_finding,) = [f for f in found if f.kind == "memory-exhaustion"]
    assert Remedy.RESTART in memory_finding.supports
    rollback = memory_finding.against(Remedy.ROLLBACK)
    assert rollback is not None and "12 days" in rollback.why and rollback.firm
    assert memory_finding.against(Remedy.SCALE_OUT)
    assert any("2 of 2 pods last terminated OOMKilled" in e for e in memory_finding.evidence)
    assert any("container_memory_working_set_bytes" in e for e in memory_finding.evidence)
    assert not [f for f in found if f.kind in ("bad-rollout", "healthy")]


def test_oom_right_after_a_rollout_does_not_rule_out_rollback() -> None:
    found = _findings(
        PodList(pods=[_pod("posting-engine-a", last="OOMKilled", reason="CrashLoopBackOff",
                           ready=False, restarts=4)]),
        _history(9, current_age=timedelta(minutes=40), current_healthy=False),
        _describe(512))
    kinds = {f.kind: f for f in found}
    assert kinds["memory-exhaustion"].against(Remedy.ROLLBACK) is None
    assert Remedy.ROLLBACK in kinds["bad-rollout"].supports
    assert kinds["bad-rollout"].healthy_revision == 8


def test_crash_loop_that_began_with_the_rollout_supports_rollback_to_the_healthy_one() -> None:
    errors = _series("http_requests_error_ratio", "ratio", [0.001, 0.001, 0.001, 0.2, 0.22],
                     minutes=60)
    found = _findings(
        PodList(pods=[_pod("posting-engine-a", reason="CrashLoopBackOff", ready=False,
                           restarts=6)]),
        _history(9, current_age=timedelta(minutes=25), current_healthy=False),
        MetricSeries(series=[errors]))
    (rollout,) = [f for f in found if f.kind == "bad-rollout"]
    assert rollout.supports == (Remedy.ROLLBACK,)
    assert rollout.healthy_revision == 8
    assert rollout.against(Remedy.RESTART) and rollout.against(Remedy.SCALE_OUT)
    assert any("stepped from 0.1% to 22%" in e for e in rollout.evidence)


def test_old_revision_with_flat_errors_is_not_a_bad_rollout() -> None:
    errors = _series("http_requests_error_ratio", "ratio", [0.002, 0.002, 0.002])
    found = _findings(PodList(pods=[_pod("posting-engine-a")]),
                      _history(9, current_age=timedelta(days=5)), MetricSeries(series=[errors]))
    assert not [f for f in found if f.kind == "bad-rollout"]
    (healthy,) = [f for f in found if f.kind == "healthy"]
    assert all((c := healthy.against(r)) is not None and not c.firm for r in Remedy)


def test_errors_held_high_since_before_an_old_revision_rule_out_rollback() -> None:
    errors = _series("http_requests_error_ratio", "ratio", [0.068, 0.071, 0.07],
                     minutes=14 * 24 * 60)
    found = _findings(PodList(pods=[_pod("posting-engine-a")]),
                      _history(9, current_age=timedelta(days=13)), MetricSeries(series=[errors]))
    assert not [f for f in found if Remedy.ROLLBACK in f.supports]
    (steady,) = [f for f in found if f.kind == "steady-state"]
    rollback = steady.against(Remedy.ROLLBACK)
    assert rollback is not None and rollback.firm and "7.0%" in rollback.why


def test_errors_flat_over_a_window_after_the_deploy_only_softly_argue_against_rollback(
) -> None:
    # Two hours of a flat 7% say nothing about the deploy 13 days ago: errors may have
    # stepped up with it and held since.
    errors = _series("http_requests_error_ratio", "ratio", [0.068, 0.071, 0.07])
    found = _findings(PodList(pods=[_pod("posting-engine-a")]),
                      _history(9, current_age=timedelta(days=13)), MetricSeries(series=[errors]))
    (steady,) = [f for f in found if f.kind == "steady-state"]
    rollback = steady.against(Remedy.ROLLBACK)
    assert rollback is not None and not rollback.firm
    assert "does not reach back to the deploy" in rollback.why
    assert "since before" not in " ".join(steady.evidence)


def test_errors_held_high_since_a_fresh_rollout_are_not_called_steady() -> None:
    errors = _series("http_requests_error_ratio", "ratio", [0.07, 0.07, 0.07])
    found = _findings(PodList(pods=[_pod("posting-engine-a")]),
                      _history(9, current_age=timedelta(hours=3)), MetricSeries(series=[errors]))
    assert not [f for f in found if f.kind == "steady-state"]


def test_memory_held_near_the_limit_without_growth_rules_out_restart() -> None:
    memory = _series("container_memory_working_set_bytes", "bytes",
                     [470 * MIB, 470 * MIB, 470 * MIB, 470 * MIB])
    found = _findings(PodList(pods=[_pod("posting-engine-a")]), MetricSeries(series=[memory]),
                      _describe(512))
    assert not [f for f in found if f.kind == "memory-exhaustion"]
    (steady,) = [f for f in found if f.kind == "steady-state"]
    restart = steady.against(Remedy.RESTART)
    assert restart is not None and restart.firm and "470 MiB" in restart.why


def test_memory_jitter_near_the_limit_is_steady_not_a_leak_with_restarts() -> None:
    memory = _series("container_memory_working_set_bytes", "bytes",
                     [470 * MIB, 471 * MIB, 470 * MIB, 471 * MIB, 470 * MIB])
    found = _findings(PodList(pods=[_pod("posting-engine-a")]), MetricSeries(series=[memory]),
                      _describe(512))
    assert [f.kind for f in found] == ["steady-state"]


def test_memory_near_the_limit_after_an_oom_kill_is_not_called_steady() -> None:
    memory = _series("container_memory_working_set_bytes", "bytes", [470 * MIB] * 4)
    found = _findings(PodList(pods=[_pod("posting-engine-a", last="OOMKilled", restarts=1)]),
                      MetricSeries(series=[memory]), _describe(512))
    assert not [f for f in found if f.kind == "steady-state"]


def test_more_traffic_without_a_new_revision_supports_scale_out_only() -> None:
    cpu = _series("container_cpu_utilisation_ratio", "ratio", [0.4, 0.41, 0.9, 0.95, 0.95])
    rate = _series("http_requests_per_second", "req/s", [500, 510, 1100, 1200, 1200])
    latency = _series("http_request_duration_p99_seconds", "seconds", [0.1, 0.1, 0.8, 1.9, 2.0])
    found = _findings(_history(9, current_age=timedelta(days=9)),
                      MetricSeries(series=[cpu, rate, latency]))
    (sat,) = [f for f in found if f.kind == "saturation"]
    assert sat.supports == (Remedy.SCALE_OUT,)
    rollback = sat.against(Remedy.ROLLBACK)
    assert rollback is not None and "+140%" in rollback.why
    assert sat.against(Remedy.RESTART) and sat.against(Remedy.REPLACE_POD)


def test_saturation_is_read_from_series_named_the_team_s_own_way() -> None:
    cpu = _series("pod_cpu_usage_ratio", "ratio", [0.35, 0.36, 0.8, 0.94, 0.94])
    rate = _series("ingress_http_hits", "req/s", [380, 385, 860, 1020, 1020])
    throttled = _series("container_cpu_cfs_throttled_ratio", "ratio", [0.9, 0.9, 0.9])
    found = _findings(_history(9, current_age=timedelta(days=6)),
                      MetricSeries(series=[throttled, cpu, rate]))
    (sat,) = [f for f in found if f.kind == "saturation"]
    assert sat.supports == (Remedy.SCALE_OUT,)
    assert any(e.startswith("pod_cpu_usage_ratio") for e in sat.evidence)
    assert any(e.startswith("ingress_http_hits") and "+168%" in e for e in sat.evidence)


def test_busy_cpu_without_more_traffic_supports_nothing() -> None:
    cpu = _series("container_cpu_utilisation_ratio", "ratio", [0.9, 0.92, 0.93])
    rate = _series("http_requests_per_second", "req/s", [500, 505, 498])
    found = _findings(_history(9, current_age=timedelta(days=9)),
                      MetricSeries(series=[cpu, rate]))
    (sat,) = [f for f in found if f.kind == "cpu-saturation"]
    assert sat.supports == ()


def test_image_pull_failure_supports_rollback() -> None:
    found = _findings(
        PodList(pods=[_pod("posting-engine-a", reason="ImagePullBackOff", ready=False)]),
        _history(9, current_age=timedelta(minutes=10), current_healthy=False))
    (pull,) = [f for f in found if f.kind == "image-pull"]
    assert pull.supports == (Remedy.ROLLBACK,) and pull.healthy_revision == 8


def _autoscaler(current: int, *, low: int = 2, high: int = 6, wanted: int = 6) -> HpaList:
    return HpaList(namespace=NS, hpas=[HpaRow(
        name=NAME, target_kind="Deployment", target_name=NAME, min_replicas=low,
        max_replicas=high, current_replicas=current, desired_replicas=min(wanted, high),
        metrics=["cpu 118% (target 70%)"], limited=wanted > high)])


@pytest.mark.parametrize("hpa", [
    _autoscaler(6, wanted=9),  # at its maximum and wanting more
    _autoscaler(4, low=4, high=4),  # minReplicas = maxReplicas
], ids=["at-max", "min-equals-max"])
def test_an_autoscaler_at_its_limit_says_a_hand_scale_is_undone(hpa: HpaList) -> None:
    (pinned,) = [f for f in _findings(hpa) if f.kind == "autoscaler-pinned"]
    scale = pinned.against(Remedy.SCALE_OUT)
    assert scale is not None and scale.undone and "raise its maxReplicas" in scale.why
    assert pinned.evidence and "cpu 118%" in pinned.evidence[0]


def test_an_autoscaler_with_room_to_grow_lets_only_a_count_above_its_desired_stand() -> None:
    found = _findings(_autoscaler(4, wanted=4))
    assert not [f for f in found if f.kind == "autoscaler-pinned"]
    (sizes,) = [f for f in found if f.kind == "autoscaler-sizes"]
    scale = sizes.against(Remedy.SCALE_OUT)
    assert scale is not None and scale.undone and scale.holds == (5, 6)
    assert "raise its minReplicas" in scale.caveat


def test_an_autoscaler_of_another_workload_is_no_finding_about_this_one() -> None:
    other = HpaList(namespace=NS, hpas=[HpaRow(
        name="gateway", target_kind="Deployment", target_name="gateway", min_replicas=2,
        max_replicas=6, current_replicas=6, desired_replicas=6, metrics=[], limited=True)])
    assert not [f for f in _findings(other) if f.kind == "autoscaler-pinned"]


def _hpa_alert(hpa: str) -> AlertRow:
    return AlertRow(name="KubeHpaMaxedOut",
                    labels={"namespace": NS, "horizontalpodautoscaler": hpa},
                    state="firing", since=NOW.isoformat(), severity="warning",
                    summary="HPA is running at max replicas", annotations={})


def test_an_alert_naming_the_workloads_autoscaler_is_about_the_workload() -> None:
    hpa = HpaList(namespace=NS, hpas=[HpaRow(
        name="posting-scaler", target_kind="Deployment", target_name=NAME, min_replicas=2,
        max_replicas=6, current_replicas=6, desired_replicas=6, metrics=[], limited=True)])
    outputs = [(hpa, None), (PodList(pods=[_pod("posting-engine-a")]), KEY),
               (AlertList(alerts=[_hpa_alert("posting-scaler"), _hpa_alert("gateway")]), None)]
    evidence = collect(outputs, _inventory(), NOW)  # type: ignore[arg-type]
    assert [a.labels["horizontalpodautoscaler"] for a in evidence.workloads[KEY].alerts] == [
        "posting-scaler"]
    assert not [f for f in analyze(evidence, [KEY]) if f.kind == "healthy"]


def _alert(namespace: str, annotations: dict[str, str] | None = None,
           name: str = "QueueBacklogGrowing") -> AlertRow:
    return AlertRow(name=name, labels={"namespace": namespace, "queue": "orders"},
                    state="firing", since=NOW.isoformat(), severity="warning", summary="s",
                    annotations=annotations or {})


def test_alert_inside_its_change_window_supports_a_silence_until_the_window_ends() -> None:
    window = {"change": "OPS-88 queue migration 2026-09-01T11:00:00Z to 2026-09-01T13:30:00Z"}
    found = _findings(AlertList(alerts=[_alert("ingest", window), _alert("billing")]))
    (ok,) = [f for f in found if f.kind == "change-window"]
    assert ok.supports == (Remedy.SILENCE,)
    assert ok.minutes_left == 90
    assert ok.subject.labels == {"namespace": "ingest"}
    (loud,) = [f for f in found if f.kind == "alert-unexplained"]
    assert loud.subject.namespace == "billing" and loud.against(Remedy.SILENCE)


def test_a_same_named_alert_in_the_same_namespace_narrows_the_scope() -> None:
    window = {"maintenance": "2026-09-01T11:00:00Z - 2026-09-01T13:00:00Z"}
    other = AlertRow(name="QueueBacklogGrowing", labels={"namespace": "ingest", "queue": "refunds"},
                     state="firing", since=None, severity="critical", summary="s", annotations={})
    found = _findings(AlertList(alerts=[_alert("ingest", window), other]))
    (ok,) = [f for f in found if f.kind == "change-window"]
    assert ok.subject.labels == {"namespace": "ingest", "queue": "orders"}


def test_a_window_that_has_ended_explains_nothing() -> None:
    past = {"maintenance": "2026-09-01T08:00:00Z to 2026-09-01T09:00:00Z"}
    found = _findings(AlertList(alerts=[_alert("ingest", past)]))
    assert not [f for f in found if f.kind == "change-window"]


def test_a_sawtooth_signal_behind_an_alert_is_flapping() -> None:
    saw = Series(name="node_filesystem_avail_bytes", unit="bytes",
                 labels={"instance": "n1", "mountpoint": "/scratch"},
                 points=tuple(((NOW - timedelta(minutes=240 - 20 * i)).isoformat(),
                               float(100 - (i % 6) * 15)) for i in range(13)))
    alert = AlertRow(name="DiskFillingUp", labels={"namespace": "ops", "instance": "n1",
                                                   "mountpoint": "/scratch"},
                     state="firing", since=None, severity="warning", summary="s",
                     annotations={})
    found = _findings(AlertList(alerts=[alert]), MetricSeries(series=[saw]))
    (flap,) = [f for f in found if f.kind == "flapping-alert"]
    assert flap.supports == (Remedy.SILENCE,)


def test_an_alert_about_a_diagnosed_fault_is_not_taken_for_flapping() -> None:
    waiting = _series("kube_pod_container_status_waiting_reason", "pods",
                      [0, 1, 0, 1, 0, 1, 0], minutes=60, reason="CrashLoopBackOff")
    errors = _series("http_requests_error_ratio", "ratio", [0.001, 0.001, 0.2, 0.21], minutes=60)
    alert = AlertRow(name="HighErrorRate", labels={"namespace": NS, "deployment": NAME},
                     state="firing", since=None, severity="critical", summary="s",
                     annotations={})
    found = _findings(
        PodList(pods=[_pod("posting-engine-a", reason="CrashLoopBackOff", ready=False)]),
        _history(9, current_age=timedelta(minutes=25), current_healthy=False),
        AlertList(alerts=[alert]), MetricSeries(series=[waiting, errors]))
    assert [f.kind for f in found if f.kind == "bad-rollout"] == ["bad-rollout"]
    assert not [f for f in found if f.kind == "flapping-alert"]


def test_a_workload_whose_only_alert_is_inside_its_change_window_is_healthy() -> None:
    window = {"maintenance": "MNT-1 reseed 2026-09-01 11:00 to 13:30 UTC"}
    alert = AlertRow(name="ReplicationLagHigh", labels={"namespace": NS, "pod": f"{NAME}-2"},
                     state="firing", since=None, severity="warning", summary="s",
                     annotations=window)
    found = _findings(PodList(pods=[_pod(f"{NAME}-2")]), AlertList(alerts=[alert]))
    assert [f.kind for f in found if f.kind == "change-window"] == ["change-window"]
    (ok,) = [f for f in found if f.kind == "healthy"]
    restart = ok.against(Remedy.RESTART)
    assert restart is not None and not restart.firm
    assert any("ReplicationLagHigh expected" in e for e in ok.evidence)


def test_an_unexplained_alert_still_keeps_a_workload_from_looking_healthy() -> None:
    alert = AlertRow(name="ReplicationLagHigh", labels={"namespace": NS, "pod": f"{NAME}-2"},
                     state="firing", since=None, severity="warning", summary="s",
                     annotations={})
    found = _findings(PodList(pods=[_pod(f"{NAME}-2")]), AlertList(alerts=[alert]))
    assert not [f for f in found if f.kind == "healthy"]


def test_an_alert_naming_a_statefulset_by_its_kind_keeps_it_from_looking_healthy() -> None:
    alert = AlertRow(name="KubeStatefulSetUpdateNotRolledOut",
                     labels={"namespace": NS, "statefulset": NAME}, state="firing",
                     since=None, severity="warning", summary="s", annotations={})
    found = _findings(PodList(pods=[_pod(f"{NAME}-0")]), AlertList(alerts=[alert]))
    assert not [f for f in found if f.kind == "healthy"]


def _pod_alert(pod: str) -> AlertList:
    return AlertList(alerts=[AlertRow(
        name="KubePodCrashLooping", labels={"namespace": NS, "deployment": NAME, "pod": pod},
        state="firing", since=None, severity="warning", summary="s", annotations={})])


def test_an_alert_about_a_replaced_pod_does_not_hide_that_the_workload_is_healthy() -> None:
    pods = PodList(pods=[_pod(f"{NAME}-7c4d2-a1b2c"), _pod(f"{NAME}-7c4d2-d3e4f")])
    found = _findings(pods, _pod_alert(f"{NAME}-5f9e1-zz9yx"))
    (ok,) = [f for f in found if f.kind == "healthy"]
    assert any(f"{NAME}-5f9e1-zz9yx, which no longer exists" in e for e in ok.evidence)
    assert ok.against(Remedy.ROLLBACK) is not None


def test_an_alert_about_a_pod_that_still_runs_keeps_the_workload_from_looking_healthy() -> None:
    pods = PodList(pods=[_pod(f"{NAME}-7c4d2-a1b2c"), _pod(f"{NAME}-7c4d2-d3e4f")])
    found = _findings(pods, _pod_alert(f"{NAME}-7c4d2-a1b2c"))
    assert not [f for f in found if f.kind == "healthy"]


def test_a_healthy_revision_with_every_pod_ready_rules_out_a_rollback_short_of_an_order(
) -> None:
    found = _findings(PodList(pods=[_pod("a"), _pod("b")]),
                      _history(9, current_age=timedelta(days=10)))
    (sound,) = [f for f in found if f.kind == "sound-revision"]
    against = sound.against(Remedy.ROLLBACK)
    assert against is not None and against.firm
    assert sound.supports == ()


def test_pods_still_on_another_revision_leave_the_running_one_unjudged() -> None:
    found = _findings(PodList(pods=[_pod("a"), _pod("b", revision=8)]),
                      _history(9, current_age=timedelta(days=10)))
    assert not [f for f in found if f.kind == "sound-revision"]


def test_oom_crash_loop_on_a_revision_days_old_is_a_leak_not_a_bad_rollout() -> None:
    looping = _pod("a", reason="CrashLoopBackOff", last="OOMKilled", ready=False, restarts=40)
    found = _findings(PodList(pods=[looping, _pod("b", last="OOMKilled", restarts=38)]),
                      _history(9, current_age=timedelta(days=9), current_healthy=False))
    assert not [f for f in found if f.kind == "bad-rollout"]
    (leak,) = [f for f in found if f.kind == "memory-exhaustion"]
    assert leak.supports == (Remedy.RESTART,)


def test_oom_crash_loop_right_after_a_rollout_is_still_the_rollouts() -> None:
    looping = _pod("a", reason="CrashLoopBackOff", last="OOMKilled", ready=False, restarts=6)
    found = _findings(PodList(pods=[looping]),
                      _history(9, current_age=timedelta(minutes=30), current_healthy=False))
    (bad,) = [f for f in found if f.kind == "bad-rollout"]
    assert bad.healthy_revision == 8


def test_errors_risen_since_a_recent_rollout_leave_its_revision_unjudged() -> None:
    # Ready pods serving errors are the commonest bad deploy: 1.2% -> 4.5% is short of a
    # five-fold step, but a "sound revision" must not then argue the rollback away.
    errors = _series("http_error_ratio", "ratio", [0.012, 0.012, 0.012, 0.03, 0.045])
    found = _findings(PodList(pods=[_pod("a"), _pod("b")]),
                      _history(9, current_age=timedelta(minutes=50)),
                      MetricSeries(series=[errors]))
    assert not [f for f in found if f.against(Remedy.ROLLBACK) is not None]


def test_errors_draining_after_a_rollback_still_leave_the_revision_sound() -> None:
    errors = _series("http_error_ratio", "ratio", [0.01, 0.2, 0.2, 0.12, 0.05])
    found = _findings(PodList(pods=[_pod("a"), _pod("b")]),
                      _history(9, current_age=timedelta(minutes=40)),
                      MetricSeries(series=[errors]))
    assert [f for f in found if f.kind == "sound-revision"]


def test_errors_draining_after_a_rollback_to_an_old_template_leave_it_sound() -> None:
    # A rollback re-uses a template first rolled out weeks ago: its history keeps that
    # date, so only its pods, all started since, tell when it took over again.
    errors = _series("http_error_ratio", "ratio", [0.0003, 0.2, 0.2, 0.2, 0.03])
    fresh = [_pod(n).model_copy(update={"created_at": (NOW - timedelta(minutes=20)).isoformat()})
             for n in ("a", "b")]
    found = _findings(PodList(pods=fresh), _history(9, current_age=timedelta(days=30)),
                      MetricSeries(series=[errors]))
    (sound,) = [f for f in found if f.kind == "sound-revision"]
    assert any("took over again" in e for e in sound.evidence)
    assert sound.against(Remedy.ROLLBACK) is not None


def test_errors_risen_on_an_old_revision_whose_pods_are_old_leave_it_unjudged() -> None:
    errors = _series("http_error_ratio", "ratio", [0.0003, 0.2, 0.2, 0.2, 0.03])
    old = [_pod(n).model_copy(update={"created_at": (NOW - timedelta(days=30)).isoformat()})
           for n in ("a", "b")]
    found = _findings(PodList(pods=old), _history(9, current_age=timedelta(days=30)),
                      MetricSeries(series=[errors]))
    assert not [f for f in found if f.kind == "sound-revision"]


def test_a_change_window_does_not_make_a_broken_workloads_alert_silenceable() -> None:
    # The window is text in the alert; the crash loop on the new revision is observed. A
    # deploy that breaks inside its own maintenance window must not be muted as expected.
    window = (f"CHG-9 {(NOW - timedelta(hours=1)).isoformat()} to "
              f"{(NOW + timedelta(hours=1)).isoformat()}")
    alert = AlertRow(name="KubePodCrashLooping",
                     labels={"namespace": NS, "deployment": NAME, "pod": f"{NAME}-a"},
                     state="firing", since=None, severity="warning", summary="s",
                     annotations={"maintenance": window})
    found = _findings(
        PodList(pods=[_pod(f"{NAME}-a", reason="CrashLoopBackOff", ready=False, restarts=6)]),
        _history(9, current_age=timedelta(minutes=25), current_healthy=False),
        AlertList(alerts=[alert]))
    assert [f for f in found if f.kind == "bad-rollout"]
    assert not [f for f in found if Remedy.SILENCE in f.supports]
    against = [c for f in found if (c := f.against(Remedy.SILENCE)) is not None]
    assert against and all(c.firm for c in against)


def _ready_on_an_old_revision(*series: Series) -> list:
    """Findings about one ready pod of a revision five days old, with these series."""
    return _findings(PodList(pods=[_pod("posting-engine-a")]),
                     _history(9, current_age=timedelta(days=5)),
                     MetricSeries(series=list(series)))


def _p99(values: list[float]) -> Series:
    return _series("http_request_duration_seconds_p99", "seconds", values)


def test_a_p99_stepped_far_above_its_baseline_is_not_healthy() -> None:
    errors = _series("http_requests_error_ratio", "ratio", [0.001, 0.001, 0.001])
    found = _ready_on_an_old_revision(_p99([0.12, 0.13, 0.12, 1.9, 2.1, 2.0]), errors)
    assert not [f for f in found if f.kind == "healthy"]


def test_a_latency_near_its_baseline_leaves_a_workload_healthy() -> None:
    found = _ready_on_an_old_revision(_p99([0.12, 0.15, 0.13]))
    (healthy,) = [f for f in found if f.kind == "healthy"]
    assert "latency 130 ms" in healthy.evidence


def test_an_alert_that_began_long_after_an_old_deploy_firmly_rules_out_rollback() -> None:
    # The window starts after the deploy, but the alert about the errors only began 12
    # days after it: whatever started then, the deploy did not.
    errors = _series("http_requests_error_ratio", "ratio", [0.068, 0.071, 0.07])
    alert = AlertRow(name="HighErrorRate", labels={"namespace": NS, "deployment": NAME},
                     state="firing", since=(NOW - timedelta(hours=5)).isoformat(),
                     severity="warning", summary="s", annotations={})
    found = _findings(PodList(pods=[_pod("posting-engine-a")]),
                      _history(9, current_age=timedelta(days=13)),
                      MetricSeries(series=[errors]), AlertList(alerts=[alert]))
    (steady,) = [f for f in found if f.kind == "steady-state"]
    rollback = steady.against(Remedy.ROLLBACK)
    assert rollback is not None and rollback.firm
    assert "began firing 12 days after revision 9 rolled out" in rollback.why


def test_a_latency_step_nothing_here_explains_argues_softly_against_every_remedy() -> None:
    cpu = _series("container_cpu_usage_ratio", "ratio", [0.4, 0.42, 0.41])
    found = _ready_on_an_old_revision(_p99([0.12, 0.13, 0.12, 1.9, 2.1, 2.0]), cpu)
    (step,) = [f for f in found if f.kind == "latency-step"]
    assert not step.supports
    for remedy in (Remedy.RESTART, Remedy.ROLLBACK, Remedy.SCALE_OUT):
        against = step.against(remedy)
        assert against is not None and not against.firm
    assert "120 ms to 2.0 s" in step.evidence[0]


def test_a_latency_step_with_hot_cpu_is_left_to_saturation() -> None:
    cpu = _series("container_cpu_usage_ratio", "ratio", [0.5, 0.9, 0.95])
    found = _ready_on_an_old_revision(_p99([0.12, 0.12, 2.0, 2.0]), cpu)
    assert not [f for f in found if f.kind == "latency-step"]


def test_an_alert_naming_an_autoscaler_read_elsewhere_is_not_about_its_namesake() -> None:
    # The HPA called posting-engine sizes another workload: its scaleTargetRef decides.
    hpa = HpaList(namespace=NS, hpas=[HpaRow(
        name=NAME, target_kind="Deployment", target_name="gateway", min_replicas=2,
        max_replicas=6, current_replicas=6, desired_replicas=6, metrics=[], limited=True)])
    outputs = [(hpa, None), (AlertList(alerts=[_hpa_alert(NAME)]), None)]
    evidence = collect(outputs, _inventory(NAME, "gateway"), NOW)  # type: ignore[arg-type]
    assert evidence.workloads[KEY].alerts == []
    assert len(evidence.workloads[(NS, "gateway")].alerts) == 1


def test_an_alert_naming_an_unread_autoscaler_is_about_the_workload_of_its_name() -> None:
    outputs = [(AlertList(alerts=[_hpa_alert(NAME), _hpa_alert("gateway")]), None)]
    evidence = collect(outputs, _inventory(), NOW)  # type: ignore[arg-type]
    assert [a.labels["horizontalpodautoscaler"] for a in evidence.workloads[KEY].alerts] == [
        NAME]


def test_a_crash_loop_no_rollout_explains_is_still_a_finding() -> None:
    only = RolloutHistory(revisions=[RevisionRow(
        revision=9, image="img:9", change="only one", healthy=False, current=True,
        deployed_at=(NOW - timedelta(days=30)).isoformat())])
    found = _findings(
        PodList(pods=[_pod("posting-engine-a", reason="CrashLoopBackOff", ready=False,
                           restarts=12, last="Error")]), only)
    (crash,) = [f for f in found if f.kind == "crash-loop"]
    assert crash.supports == ()
    assert "no earlier healthy revision to roll back to" in crash.evidence
    assert not [f for f in found if f.kind in ("bad-rollout", "healthy")]


def test_a_crash_loop_a_rollout_explains_is_left_to_the_rollout_finding() -> None:
    found = _findings(
        PodList(pods=[_pod("posting-engine-a", reason="CrashLoopBackOff", ready=False)]),
        _history(9, current_age=timedelta(minutes=25), current_healthy=False))
    assert {f.kind for f in found} >= {"bad-rollout"}
    assert "crash-loop" not in {f.kind for f in found}
