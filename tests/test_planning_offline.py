import pytest

from assistant.analysis import Contradiction, Finding, Remedy, Subject
from assistant.models import (
    AlertInfo,
    DeploymentInfo,
    Inventory,
    NodeInfo,
    RetrievalHit,
    Runbook,
    RunbookStep,
    Section,
    ToolCall,
    ToolOutput,
)
from assistant.planning.binding import MissingBinding, bind_args
from assistant.planning.entities import LinkedEntities, Linking
from assistant.planning.offline import Observation, derive_bindings, plan_offline
from tools.object_outputs import ContainerStatus, PodDescription
from tools.outputs import PodList, PodLogs, PodRow, RevisionRow, RolloutHistory

INVENTORY = Inventory(
    environment="prod",
    deployments=(
        DeploymentInfo(namespace="shop", name="checkout", service="checkout", replicas=4,
                       ready_replicas=1, pods=("checkout-1", "checkout-2")),
    ),
)

CRASHLOOP = Runbook(
    id="crashloop",
    title="Crash loop after deploy",
    alerts=("KubePodCrashLooping",),
    steps=(
        RunbookStep(tool="list_pods", args={"namespace": "{namespace}",
                                            "deployment": "{deployment}"}),
        RunbookStep(tool="get_pod_logs", args={"namespace": "{namespace}", "pod": "{pod}"}),
        RunbookStep(tool="rollout_history", args={"namespace": "{namespace}",
                                                  "deployment": "{deployment}"}),
        RunbookStep(tool="rollback_deployment",
                    args={"namespace": "{namespace}", "deployment": "{deployment}",
                          "revision": "{healthy_revision}"},
                    why="Roll back to the last healthy revision"),
    ),
    sections=(Section(heading="Mitigation", text="Roll back."),),
    path="runbooks/crashloop.md",
    content_hash="x",
)
HIT = RetrievalHit(runbook_id="crashloop", title="Crash loop after deploy", score=1.0,
                   section=CRASHLOOP.sections[0], path=CRASHLOOP.path)
LINKED = Linking(entities=LinkedEntities(namespace="shop", deployment="checkout",
                                         service="checkout"), source="question")



def _pod(name: str, ready: bool, restarts: int) -> PodRow:
    return PodRow(name=name, phase="Running", ready=ready, restarts=restarts, reason=None,
                  deployment="checkout", revision=42, last_termination_reason=None, age="1h")


def _revision(number: int, healthy: bool, current: bool) -> RevisionRow:
    return RevisionRow(revision=number, image=f"checkout:{number}", change=None,
                       healthy=healthy, current=current, deployed_at=None)


# Observations carry the outputs' JSON, as plan state does.
OUTPUTS = {
    "list_pods": PodList(pods=[_pod("checkout-1", True, 0), _pod("checkout-2", False, 14)]),
    "get_pod_logs": PodLogs(pod="checkout-2", lines=["panic: bad config"], previous=False),
    "describe_pod": PodDescription(
        namespace="shop", name="checkout-2", node=None, phase="Running", ready=False,
        reason="CrashLoopBackOff", owner=None, deployment="checkout", conditions=[],
        containers=[ContainerStatus(name="checkout", image="checkout:42", ready=False,
                                    restarts=14, state="waiting", reason="CrashLoopBackOff",
                                    last_termination_reason="Error", last_exit_code=1)]),
    "rollout_history": RolloutHistory(revisions=[
        _revision(40, True, False), _revision(41, True, False), _revision(42, False, True)]),
}
DATA = {tool: ToolOutput(text="", data=model).json_data() for tool, model in OUTPUTS.items()}


def fake_runner(calls: list[ToolCall]):
    def run(call: ToolCall) -> Observation:
        calls.append(call)
        return Observation(call=call, ok=True, text=f"{call.tool} ok", data=DATA[call.tool])
    return run


def test_bind_args_keeps_types_and_does_arithmetic():
    bound = bind_args({"replicas": "{replicas*2}", "ns": "{namespace}", "note": "x-{namespace}",
                       "n": 3}, {"replicas": 4, "namespace": "shop"})
    assert bound == {"replicas": 8, "ns": "shop", "note": "x-shop", "n": 3}


def test_bind_args_names_the_missing_placeholder():
    with pytest.raises(MissingBinding) as err:
        bind_args({"pod": "{pod}"}, {"namespace": "shop"})
    assert err.value.name == "pod"


def test_healthy_revision_is_the_newest_healthy_before_current():
    call = ToolCall(tool="rollout_history", args={})
    assert derive_bindings(call, DATA["rollout_history"], {}) == {"healthy_revision": 41}


def test_worst_pod_is_bound_from_list_pods():
    call = ToolCall(tool="list_pods", args={})
    assert derive_bindings(call, DATA["list_pods"], {}) == {"pod": "checkout-2"}


def test_plan_runs_reads_in_order_and_proposes_rollback_to_healthy_revision():
    calls: list[ToolCall] = []
    plan = plan_offline(LINKED, [HIT], {"crashloop": CRASHLOOP}, INVENTORY, fake_runner(calls))
    # Then what the crash-looping pod calls for: its events, and the crashed container's log.
    assert [c.tool for c in calls] == ["list_pods", "get_pod_logs", "rollout_history",
                                       "describe_pod", "get_pod_logs"]
    assert calls[1].args["pod"] == "checkout-2"
    assert calls[4].args == {"namespace": "shop", "pod": "checkout-2", "previous": True}
    assert len(plan.candidates) == 1
    cand = plan.candidates[0]
    assert cand.call.tool == "rollback_deployment"
    assert cand.call.args == {"namespace": "shop", "deployment": "checkout", "revision": 41}
    assert cand.why == "Roll back to the last healthy revision"


def test_plan_asks_back_instead_of_guessing_when_nothing_links():
    calls: list[ToolCall] = []
    unlinked = Linking(entities=LinkedEntities(), source="none", unmatched=("billing",))
    plan = plan_offline(unlinked, [HIT], {"crashloop": CRASHLOOP}, INVENTORY,
                        fake_runner(calls))
    assert calls == []
    assert plan.candidates == ()
    assert plan.ask_back and "billing" in plan.ask_back and "shop/checkout" in plan.ask_back


def test_an_alert_that_names_no_namespace_is_said_so_when_asking_back():
    from assistant.models import AlertInfo

    cluster_wide = Inventory(environment="prod", deployments=INVENTORY.deployments, alerts=(
        AlertInfo(name="ClusterDNSDegraded", labels={"severity": "warning"}),))
    about_alert = Linking(entities=LinkedEntities(alertname="ClusterDNSDegraded"),
                          source="question")
    plan = plan_offline(about_alert, [HIT], {"crashloop": CRASHLOOP}, cluster_wide,
                        fake_runner([]))
    assert plan.ask_back is not None
    assert plan.ask_back.startswith("ClusterDNSDegraded carries no label that names a workload")
    assert "fires in ," not in plan.ask_back and "shop/checkout" in plan.ask_back


def test_an_alert_whose_runbook_reads_only_fixed_things_runs_them_instead_of_asking():
    from assistant.models import AlertInfo

    proxy = Runbook(id="KubeProxyDown", title="KubeProxy Down", alerts=("KubeProxyDown",),
                    steps=(RunbookStep(tool="list_pods", args={"namespace": "kube-system"}),),
                    path="corpus/KubeProxyDown.md", content_hash="y")
    hit = RetrievalHit(runbook_id=proxy.id, title=proxy.title, score=1.0, path=proxy.path)
    cluster_wide = Inventory(environment="prod", deployments=INVENTORY.deployments, alerts=(
        AlertInfo(name="KubeProxyDown", labels={"job": "kube-proxy"}),))
    about_alert = Linking(entities=LinkedEntities(alertname="KubeProxyDown"), source="alert")
    calls: list[ToolCall] = []
    plan = plan_offline(about_alert, [hit], {proxy.id: proxy}, cluster_wide, fake_runner(calls))
    assert plan.ask_back is None
    assert (calls[0].tool, calls[0].args) == ("list_pods", {"namespace": "kube-system"})


def test_a_read_runs_without_an_optional_arg_the_thread_cannot_fill():
    logs = CRASHLOOP.model_copy(update={"steps": (
        RunbookStep(tool="get_pod_logs", args={"namespace": "{namespace}",
                                               "pod": "checkout-1",
                                               "container": "{container}"}),
        RunbookStep(tool="get_pod_logs", args={"namespace": "{namespace}", "pod": "{pod}"}),
    )})
    calls: list[ToolCall] = []
    plan = plan_offline(LINKED, [HIT], {"crashloop": logs}, INVENTORY, fake_runner(calls))
    # The default container's log; a pod nothing names is still a gap.
    assert [c.args for c in calls] == [{"namespace": "shop", "pod": "checkout-1"}]
    assert plan.notes == ("skipped step 2 (get_pod_logs): nothing to fill {pod}",)


def test_failed_read_leaves_dependent_mutation_unproposed_with_a_note():
    def failing(call: ToolCall) -> Observation:
        return Observation(call=call, ok=False, text="", error="boom")

    plan = plan_offline(LINKED, [HIT], {"crashloop": CRASHLOOP}, INVENTORY, failing)
    assert plan.candidates == ()
    assert any("healthy_revision" in n for n in plan.notes)


def test_runbook_without_steps_is_cited_but_proposes_nothing():
    plain = CRASHLOOP.model_copy(update={"id": "plain", "steps": ()})
    hit = HIT.model_copy(update={"runbook_id": "plain"})
    plan = plan_offline(LINKED, [hit], {"plain": plain}, INVENTORY, fake_runner([]))
    assert plan.cited == hit
    assert plan.candidates == ()


def test_healthy_target_gets_nothing_to_fix_instead_of_a_rollback():
    healthy = Inventory(environment="prod", deployments=(
        DeploymentInfo(namespace="shop", name="checkout", service="checkout", replicas=2,
                       ready_replicas=2, pods=("checkout-1", "checkout-2")),))
    calm = dict(DATA, list_pods=PodList(pods=[
        _pod("checkout-1", True, 0), _pod("checkout-2", True, 0)]).model_dump(mode="json"))

    def run(call: ToolCall) -> Observation:
        return Observation(call=call, ok=True, text="ok", data=calm[call.tool])

    plan = plan_offline(LINKED, [HIT], {"crashloop": CRASHLOOP}, healthy, run)
    assert plan.candidates == ()
    assert any("no sign of trouble on shop/checkout (2/2 pods ready" in n for n in plan.notes)


def test_firing_alert_about_the_target_is_trouble_even_with_all_pods_ready():
    from assistant.models import AlertInfo

    ready = Inventory(environment="prod", alerts=(
        AlertInfo(name="HighErrorRate", labels={"namespace": "shop", "service": "checkout"}),),
        deployments=(DeploymentInfo(namespace="shop", name="checkout", service="checkout",
                                    replicas=2, ready_replicas=2),))

    def run(call: ToolCall) -> Observation:
        return Observation(call=call, ok=True, text="ok", data=DATA[call.tool])

    plan = plan_offline(LINKED, [HIT], {"crashloop": CRASHLOOP}, ready, run)
    assert [c.call.tool for c in plan.candidates] == ["rollback_deployment"]


SCALE_OUT = Runbook(
    id="scale-out", title="Saturated deployment", alerts=(),
    steps=(RunbookStep(tool="scale_deployment",
                       args={"namespace": "{namespace}", "deployment": "{deployment}",
                             "replicas": "{replicas*2}"}, why="Double the replicas"),),
    sections=(Section(heading="Mitigation", text="Scale out."),),
    path="runbooks/scale-out.md", content_hash="y")
SCALE_HIT = RetrievalHit(runbook_id="scale-out", title="Saturated deployment", score=1.0,
                         section=SCALE_OUT.sections[0], path=SCALE_OUT.path)
WITH_FRONTEND = INVENTORY.model_copy(update={"deployments": (
    *INVENTORY.deployments,
    DeploymentInfo(namespace="shop", name="frontend", service="frontend", replicas=3,
                   ready_replicas=3))})


@pytest.mark.parametrize(("question", "replicas"), [
    ("checkout is saturated; scale frontend to 40", 8),
    ("checkout is saturated, scale checkout to 6", 6),
    ("checkout is saturated, scale it to 6", 6),
])
def test_a_count_stated_for_another_workload_is_not_put_on_this_one(
        question: str, replicas: int) -> None:
    plan = plan_offline(LINKED, [SCALE_HIT], {"scale-out": SCALE_OUT}, WITH_FRONTEND,
                        fake_runner([]), question=question)
    (cand,) = plan.candidates
    assert cand.call.args["replicas"] == replicas


def _doubting_rollback(firm: bool) -> Finding:
    return Finding(kind="k", subject=Subject(namespace="shop", workload="checkout"),
                   summary="s", contradicts=(Contradiction(remedy=Remedy.ROLLBACK, why="w",
                                                           firm=firm),))


@pytest.mark.parametrize(("firm", "followed"), [(False, "crashloop"), (True, "scale-out")])
def test_only_a_firm_contradiction_swaps_the_runbook_for_another_remedy(firm, followed):
    plan = plan_offline(LINKED, [HIT, SCALE_HIT],
                        {"crashloop": CRASHLOOP, "scale-out": SCALE_OUT}, INVENTORY,
                        fake_runner([]), findings=[_doubting_rollback(firm)])
    assert plan.followed is not None and plan.followed.id == followed


def test_a_remedy_the_evidence_supports_is_drafted_when_the_runbook_offers_another():
    oom = Finding(kind="memory-exhaustion", subject=Subject(namespace="shop", workload="checkout"),
                  summary="containers are OOMKilled", supports=(Remedy.RESTART,))
    plan = plan_offline(LINKED, [HIT], {"crashloop": CRASHLOOP}, INVENTORY, fake_runner([]),
                        findings=[oom])
    tools = [c.call.tool for c in plan.candidates]
    assert tools == ["rollback_deployment", "restart_deployment"]
    (drafted,) = [c for c in plan.candidates if c.runbook_id is None]
    assert drafted.call.args == {"namespace": "shop", "deployment": "checkout"}
    assert drafted.why == "the evidence: containers are OOMKilled"


# A runbook for a known-noisy disk (another alert), with a literal example mountpoint.
SCRATCH_NOISE = Runbook(
    id="scratch-noise", title="Scratch disk filling (known noise)",
    alerts=("NodeFilesystemSpaceFillingUp",),
    steps=(RunbookStep(tool="list_alerts", args={"namespace": "{namespace}"}),
           RunbookStep(tool="query_metrics",
                       args={"query": 'node_filesystem_avail_bytes{mountpoint="/mnt/scratch"}',
                             "minutes": 240}),
           RunbookStep(tool="silence_alert",
                       args={"alertname": "{alertname}", "duration_minutes": 240,
                             "matchers": {"namespace": "{namespace}",
                                          "mountpoint": "/mnt/scratch"},
                             "comment": "known noise"})),
    sections=(Section(heading="Mitigation", text="Silence it."),),
    path="runbooks/scratch-noise.md", content_hash="s")
VOLUME_PAGE = Runbook(
    id="volume-filling", title="Volume filling up", alerts=("KubePersistentVolumeFillingUp",),
    steps=(RunbookStep(tool="list_pvcs", args={"namespace": "{namespace}"}),),
    sections=(Section(heading="Diagnosis", text="Check usage."),),
    path="runbooks/volume-filling.md", content_hash="v")
VOLUME_THREAD = Linking(entities=LinkedEntities(
    namespace="shop", alertname="KubePersistentVolumeFillingUp",
    persistentvolumeclaim="data-0"), source="alert")


def _hits(*books: Runbook) -> list[RetrievalHit]:
    return [RetrievalHit(runbook_id=b.id, title=b.title, score=1.0 - i / 10,
                         section=b.sections[0], path=b.path) for i, b in enumerate(books)]


def _any_read(calls: list[ToolCall]):
    def run(call: ToolCall) -> Observation:
        calls.append(call)
        return Observation(call=call, ok=True, text=f"{call.tool} ok")
    return run


def test_a_runbook_for_another_alert_does_not_win_over_the_alerts_own_page() -> None:
    calls: list[ToolCall] = []
    books = {b.id: b for b in (SCRATCH_NOISE, VOLUME_PAGE)}
    plan = plan_offline(VOLUME_THREAD, _hits(SCRATCH_NOISE, VOLUME_PAGE), books, INVENTORY,
                        _any_read(calls))
    assert plan.followed is not None and plan.followed.id == "volume-filling"
    assert [c.tool for c in calls] == ["list_pvcs"]
    assert plan.candidates == ()


def test_another_alerts_runbook_runs_no_example_query_and_proposes_nothing_uncalled() -> None:
    calls: list[ToolCall] = []
    plan = plan_offline(VOLUME_THREAD, _hits(SCRATCH_NOISE), {"scratch-noise": SCRATCH_NOISE},
                        INVENTORY, _any_read(calls))
    assert [c.tool for c in calls] == ["list_alerts"]
    assert plan.candidates == ()
    assert any('mountpoint="/mnt/scratch"' in note for note in plan.notes)


def test_another_alerts_silence_keeps_none_of_its_literal_scope_or_comment() -> None:
    window = Finding(kind="change-window", subject=Subject(
        alertname="KubePersistentVolumeFillingUp", namespace="shop"),
        summary="fires inside a declared change window", supports=(Remedy.SILENCE,))
    plan = plan_offline(VOLUME_THREAD, _hits(SCRATCH_NOISE), {"scratch-noise": SCRATCH_NOISE},
                        INVENTORY, _any_read([]), "", [window])
    (cand,) = plan.candidates
    assert cand.call.args == {"alertname": "KubePersistentVolumeFillingUp",
                              "matchers": {"namespace": "shop"}}
    assert "scratch" not in cand.why


def test_another_alerts_silence_only_asked_for_is_not_grafted_and_says_why() -> None:
    plan = plan_offline(VOLUME_THREAD, _hits(SCRATCH_NOISE), {"scratch-noise": SCRATCH_NOISE},
                        INVENTORY, _any_read([]), "silence the volume alert for 2h")
    assert plan.candidates == ()
    assert any("written for its own case of NodeFilesystemSpaceFillingUp" in note
               and "not in the live inventory" not in note for note in plan.notes)


def test_a_runbook_for_the_threads_own_alert_still_runs_its_literal_query() -> None:
    calls: list[ToolCall] = []
    own = VOLUME_THREAD.model_copy(update={"entities": VOLUME_THREAD.entities.model_copy(
        update={"alertname": "NodeFilesystemSpaceFillingUp"})})
    plan_offline(own, _hits(SCRATCH_NOISE), {"scratch-noise": SCRATCH_NOISE}, INVENTORY,
                 _any_read(calls))
    assert [c.tool for c in calls] == ["list_alerts", "query_metrics"]


DISK_PAGE = SCRATCH_NOISE.model_copy(update={"steps": (
    RunbookStep(tool="query_metrics",
                args={"query": 'node_filesystem_avail_bytes{mountpoint="{mountpoint}"}',
                      "minutes": 240}),
    *SCRATCH_NOISE.steps[1:])})
DISK_ALERT = {"namespace": "monitoring", "instance": "node-7:9100", "mountpoint": "/"}
DISK_THREAD = Linking(entities=LinkedEntities(
    namespace="monitoring", alertname="NodeFilesystemSpaceFillingUp"), source="alert",
    alert_labels={"instance": "node-7:9100", "mountpoint": "/"})
DISK_FIRING = INVENTORY.model_copy(update={"alerts": (
    AlertInfo(name="NodeFilesystemSpaceFillingUp", labels=DISK_ALERT),)})


def test_a_placeholder_binds_the_threads_alert_label() -> None:
    calls: list[ToolCall] = []
    plan_offline(DISK_THREAD, _hits(DISK_PAGE), {DISK_PAGE.id: DISK_PAGE}, DISK_FIRING,
                 _any_read(calls))
    assert calls[0].args["query"] == 'node_filesystem_avail_bytes{mountpoint="/"}'


def test_a_runbooks_literal_label_the_threads_alert_contradicts_is_not_used() -> None:
    calls: list[ToolCall] = []
    plan = plan_offline(DISK_THREAD, _hits(SCRATCH_NOISE), {SCRATCH_NOISE.id: SCRATCH_NOISE},
                        DISK_FIRING, _any_read(calls))
    assert [c.tool for c in calls] == ["list_alerts"]  # no query of /mnt/scratch
    assert plan.candidates == ()  # nor a silence of it
    assert sum('mountpoint="/mnt/scratch" (the alert has "/")' in n for n in plan.notes) == 2


def test_a_runbooks_literal_label_the_threads_alert_shares_is_used() -> None:
    calls: list[ToolCall] = []
    scratch = DISK_THREAD.model_copy(update={"alert_labels": {"mountpoint": "/mnt/scratch"}})
    firing = INVENTORY.model_copy(update={"alerts": (AlertInfo(
        name="NodeFilesystemSpaceFillingUp",
        labels={"namespace": "monitoring", "mountpoint": "/mnt/scratch"}),)})
    plan = plan_offline(scratch, _hits(SCRATCH_NOISE), {SCRATCH_NOISE.id: SCRATCH_NOISE},
                        firing, _any_read(calls))
    assert [c.tool for c in calls] == ["list_alerts", "query_metrics"]
    assert [c.call.tool for c in plan.candidates] == ["silence_alert"]


def test_an_overview_lists_what_fires_and_what_is_in_trouble_and_proposes_nothing() -> None:
    calls: list[ToolCall] = []
    overview = Linking(entities=LinkedEntities(), source="none", overview=True)
    plan = plan_offline(overview, [HIT], {"crashloop": CRASHLOOP}, DISK_FIRING,
                        fake_runner(calls), "what's on fire?")
    assert plan.ask_back is None and plan.candidates == () and calls == []
    said = " ".join(plan.notes)
    assert "NodeFilesystemSpaceFillingUp (monitoring" in said
    assert "in trouble: shop/checkout" in said


def test_a_steps_reason_written_for_another_symptom_gives_way_to_what_the_pods_show():
    pull = CRASHLOOP.model_copy(update={"id": "pull", "title": "Pods stuck in ImagePullBackOff",
                                        "steps": CRASHLOOP.steps[2:]})
    hit = HIT.model_copy(update={"runbook_id": "pull"})

    def run(call: ToolCall) -> Observation:
        shown = "web-1  0/1  CreateContainerConfigError" if call.tool == "rollout_history" else ""
        return Observation(call=call, ok=True, text=shown, data=DATA[call.tool])

    plan = plan_offline(LINKED, [hit], {"pull": pull}, INVENTORY, run)
    assert [c.why for c in plan.candidates] == [
        "Roll a workload back to an earlier revision; the pods show "
        "CreateContainerConfigError, not the ImagePullBackOff pull is written for"]
    pulling = plan_offline(LINKED, [hit], {"pull": pull}, INVENTORY, lambda call: Observation(
        call=call, ok=True, text="ImagePullBackOff", data=DATA[call.tool]))
    assert [c.why for c in pulling.candidates] == ["Roll back to the last healthy revision"]


NODE_PAGE = Runbook(
    id="node-not-ready", title="Node NotReady", alerts=("KubeNodeNotReady",),
    steps=(RunbookStep(tool="list_nodes", args={}),
           RunbookStep(tool="cordon_node", args={"node": "{node}"},
                       why="Stop new pods landing on the node")),
    sections=(Section(heading="Mitigation", text="Cordon the node."),),
    path="runbooks/node-not-ready.md", content_hash="n")
NODE_THREAD = Linking(entities=LinkedEntities(node="gpu-7", alertname="KubeNodeNotReady"),
                      source="question")
NODE_DOWN = INVENTORY.model_copy(update={"alerts": (
    AlertInfo(name="KubeNodeNotReady", labels={"node": "gpu-7"}),)})


def test_a_node_status_question_reads_the_node_and_proposes_nothing() -> None:
    calls: list[ToolCall] = []
    plan = plan_offline(NODE_THREAD, _hits(NODE_PAGE), {NODE_PAGE.id: NODE_PAGE}, NODE_DOWN,
                        _any_read(calls), "is gpu-7 actually back?")
    assert (calls[0].tool, calls[0].args) == ("describe_node", {"node": "gpu-7"})
    assert plan.candidates == ()
    assert any(n.startswith("gpu-7 is not healthy yet: alert KubeNodeNotReady firing")
               for n in plan.notes)


def test_an_order_about_the_node_still_proposes_its_action() -> None:
    plan = plan_offline(NODE_THREAD, _hits(NODE_PAGE), {NODE_PAGE.id: NODE_PAGE}, NODE_DOWN,
                        _any_read([]), "gpu-7 keeps flapping, cordon gpu-7")
    assert [(c.call.tool, c.call.args) for c in plan.candidates] == [
        ("cordon_node", {"node": "gpu-7"})]


def test_a_node_with_no_runbook_for_it_is_read_instead_of_asked_about() -> None:
    calls: list[ToolCall] = []
    healthy = Linking(entities=LinkedEntities(node="gpu-6"), source="question")
    plan = plan_offline(healthy, [HIT], {"crashloop": CRASHLOOP}, INVENTORY, _any_read(calls),
                        "did gpu-6 come back after the reboot?")
    assert plan.ask_back is None
    assert [c.tool for c in calls] == ["describe_node"]
    assert "gpu-6 looks healthy" in plan.notes[-1]


def test_every_node_a_status_question_names_is_read_and_answered() -> None:
    calls: list[ToolCall] = []
    two = Inventory(environment="prod", deployments=INVENTORY.deployments,
                    nodes=(NodeInfo(name="gpu-7"), NodeInfo(name="gpu-8")),
                    alerts=NODE_DOWN.alerts)
    plan = plan_offline(NODE_THREAD, _hits(NODE_PAGE), {NODE_PAGE.id: NODE_PAGE}, two,
                        _any_read(calls), "are gpu-7 and gpu-8 both back?")
    assert [c.args for c in calls if c.tool == "describe_node"] == [
        {"node": "gpu-7"}, {"node": "gpu-8"}]
    assert plan.candidates == ()
    assert any(n.startswith("gpu-7 is not healthy yet") for n in plan.notes)
    assert any(n.startswith("gpu-8 looks healthy") for n in plan.notes)
