"""A quiet subject gets a look at the workloads in trouble beside it, never an action on them."""

from assistant.analysis import Finding, Remedy, Subject
from assistant.models import AlertInfo, DeploymentInfo, Inventory
from assistant.planning.diagnosis import neighbours_note, troubled_neighbours
from assistant.planning.entities import LinkedEntities

INVENTORY = Inventory(
    environment="prod",
    deployments=(
        DeploymentInfo(namespace="kiln", name="glaze-api", service="glaze-api", replicas=3,
                       ready_replicas=3),
        DeploymentInfo(namespace="kiln", name="firing-queue", service="firing-queue",
                       replicas=2, ready_replicas=2),
        DeploymentInfo(namespace="kiln", name="ember", service="ember", replicas=2,
                       ready_replicas=0),
        DeploymentInfo(namespace="clay", name="slip-mixer", service="slip-mixer", replicas=2,
                       ready_replicas=1),
    ),
    alerts=(AlertInfo(name="ContainerMemoryNearLimit",
                      labels={"namespace": "kiln", "deployment": "firing-queue"}),),
)
GLAZE = LinkedEntities(namespace="kiln", deployment="glaze-api", service="glaze-api")


def test_a_healthy_subject_gets_the_troubled_workloads_of_its_namespace() -> None:
    found = troubled_neighbours(GLAZE, INVENTORY, ())
    assert [(e.namespace, e.deployment) for e in found] == [
        ("kiln", "firing-queue"), ("kiln", "ember")]


def test_a_subject_with_its_own_diagnosis_gets_no_neighbours() -> None:
    own = Finding(kind="bad-rollout", subject=Subject(namespace="kiln", workload="glaze-api"),
                  summary="trouble began with revision 8", supports=(Remedy.ROLLBACK,))
    assert troubled_neighbours(GLAZE, INVENTORY, (own,)) == []


def test_a_subject_in_trouble_itself_gets_no_neighbours() -> None:
    ember = LinkedEntities(namespace="kiln", deployment="ember", service="ember")
    assert troubled_neighbours(ember, INVENTORY, ()) == []


def test_a_thread_about_no_workload_gets_no_neighbours() -> None:
    alert_only = LinkedEntities(namespace="kiln", alertname="ContainerMemoryNearLimit")
    assert troubled_neighbours(alert_only, INVENTORY, ()) == []


EMBER_OOM = Finding(kind="memory-exhaustion", subject=Subject(namespace="kiln", workload="ember"),
                    summary="containers are OOMKilled", supports=(Remedy.RESTART,))


def test_a_subject_with_a_finding_that_supports_nothing_is_not_called_trouble_free() -> None:
    slow = Finding(kind="latency-step", subject=Subject(namespace="kiln", workload="glaze-api"),
                   summary="latency stepped up at 10:40 with no change here to explain it")
    [note] = neighbours_note(GLAZE, (slow,), (EMBER_OOM,))
    assert "no trouble" not in note
    assert note.startswith("kiln/glaze-api: latency stepped up at 10:40")
    assert "kiln/ember is in trouble" in note


def test_a_subject_found_only_healthy_shows_no_trouble() -> None:
    fine = Finding(kind="healthy", subject=Subject(namespace="kiln", workload="glaze-api"),
                   summary="healthy")
    [note] = neighbours_note(GLAZE, (fine,), (EMBER_OOM,))
    assert note.startswith("kiln/glaze-api shows no trouble, but in the same namespace "
                           "kiln/ember does")


def test_no_troubled_neighbour_needs_no_note() -> None:
    assert neighbours_note(GLAZE, (), ()) == []
