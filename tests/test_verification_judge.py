from assistant.models import AlertInfo, DeploymentInfo, Inventory, ToolCall, Watch
from assistant.verification import HealthSnapshot, judge
from assistant.verification import snapshot as snapshot_of
from tools.catalog import get_tool

CALL = ToolCall(tool="rollback_deployment", args={"namespace": "shop", "deployment": "checkout"})


def watched(call: ToolCall) -> Watch:
    """What verification watches for ``call``, as its tool says."""
    spec = get_tool(call.tool)
    return spec.watched(spec.validate_args(call.args))


def snapshot(inventory: Inventory, call: ToolCall) -> HealthSnapshot:
    return snapshot_of(inventory, watched(call))


def _inventory(ready: int, alert_state: str) -> Inventory:
    return Inventory(
        environment="prod",
        deployments=(DeploymentInfo(namespace="shop", name="checkout", service="checkout",
                                    replicas=4, ready_replicas=ready),),
        alerts=(
            AlertInfo(name="KubePodCrashLooping", state=alert_state,
                      labels={"namespace": "shop", "pod": "checkout-abc-1"}),
            AlertInfo(name="Other", labels={"namespace": "shop", "pod": "cart-1"}),
        ),
    )


def test_snapshot_counts_only_alerts_about_the_target():
    snap = snapshot(_inventory(1, "firing"), CALL)
    assert snap == HealthSnapshot(ready=1, desired=4, firing_alerts=("KubePodCrashLooping",))


def test_healed_deployment_is_improved():
    before = snapshot(_inventory(1, "firing"), CALL)
    after = snapshot(_inventory(4, "resolved"), CALL)
    assert judge(before, after).verdict == "improved"


def test_fewer_ready_pods_is_worse_even_if_alerts_cleared():
    before = snapshot(_inventory(3, "firing"), CALL)
    after = snapshot(_inventory(1, "resolved"), CALL)
    verdict = judge(before, after)
    assert verdict.verdict == "worse"
    assert "fewer pods ready" in verdict.detail


def test_no_change_is_unchanged():
    snap = snapshot(_inventory(2, "firing"), CALL)
    assert judge(snap, snap).verdict == "unchanged"


def test_silence_targets_alert_by_name_and_matchers():
    call = ToolCall(tool="silence_alert", args={"alertname": "KubePodCrashLooping",
                                                "matchers": {"namespace": "shop"}})
    before = snapshot(_inventory(1, "firing"), call)
    after = snapshot(_inventory(1, "silenced"), call)
    assert before.firing_alerts == ("KubePodCrashLooping",)
    assert judge(before, after).verdict == "improved"


def test_snapshot_counts_an_alert_that_names_a_statefulset_by_its_kind():
    inventory = Inventory(
        environment="prod",
        deployments=(DeploymentInfo(namespace="ledger", name="journal", service="journal-db",
                                    kind="StatefulSet", replicas=3, ready_replicas=2),),
        alerts=(AlertInfo(name="KubeStatefulSetUpdateNotRolledOut",
                          labels={"namespace": "ledger", "statefulset": "journal"}),),
    )
    call = ToolCall(tool="rollback_deployment",
                    args={"namespace": "ledger", "deployment": "journal", "kind": "StatefulSet"})
    assert snapshot(inventory, call).firing_alerts == ("KubeStatefulSetUpdateNotRolledOut",)
