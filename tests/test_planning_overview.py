"""An overview lists what is in trouble as its findings see it, worst first, within the
namespace the question names."""

from assistant.analysis import Finding, Subject
from assistant.models import AlertInfo, DeploymentInfo, Inventory
from assistant.planning.entities import LinkedEntities
from assistant.planning.overview import (
    OVERVIEW_LOOKED_AT,
    others_in_trouble,
    overview_notes,
    overview_subjects,
)


def _dep(namespace: str, name: str, ready: int = 2) -> DeploymentInfo:
    return DeploymentInfo(namespace=namespace, name=name, service=name, replicas=2,
                          ready_replicas=ready)


def _alert(name: str, namespace: str, deployment: str, severity: str) -> AlertInfo:
    return AlertInfo(name=name, labels={"namespace": namespace, "deployment": deployment},
                     severity=severity)


INVENTORY = Inventory(
    environment="prod",
    deployments=(
        _dep("db", "replica-db"), _dep("db", "throttled"), _dep("billing", "invoicer"),
        *(_dep("web", f"front-{i}", ready=1) for i in range(OVERVIEW_LOOKED_AT)),
        _dep("batch", "indexer", ready=0),
    ),
    alerts=(
        _alert("ReplicationLagHigh", "db", "replica-db", "warning"),
        _alert("CPUThrottlingHigh", "db", "throttled", "info"),
        _alert("InvoiceErrors", "billing", "invoicer", "critical"),
    ),
)


def _in_trouble_note(notes: list[str]) -> str:
    return next(n for n in notes if n.startswith("in trouble: "))


def test_a_workload_its_findings_call_healthy_is_not_listed_in_trouble():
    healthy = Finding(kind="healthy", subject=Subject(namespace="db", workload="replica-db"),
                      summary="healthy")
    listed = _in_trouble_note(overview_notes(INVENTORY, [healthy]))
    assert "db/replica-db" not in listed
    assert "db/replica-db" in _in_trouble_note(overview_notes(INVENTORY))


def test_a_workload_whose_only_alert_is_informational_is_not_in_trouble():
    assert "db/throttled" not in _in_trouble_note(overview_notes(INVENTORY))


def test_the_overview_diagnoses_the_worst_first_whatever_the_inventory_order():
    looked_at = [(e.namespace, e.deployment) for e in overview_subjects(INVENTORY)]
    assert looked_at[:2] == [("billing", "invoicer"), ("batch", "indexer")]
    assert len(looked_at) == OVERVIEW_LOOKED_AT


def test_an_overview_scoped_to_a_namespace_lists_only_what_is_there():
    notes = overview_notes(INVENTORY, namespace="billing")
    assert "InvoiceErrors" in notes[0] and "ReplicationLagHigh" not in notes[0]
    assert _in_trouble_note(notes) == "in trouble: billing/invoicer"
    assert [e.deployment for e in overview_subjects(INVENTORY, "billing")] == ["invoicer"]


BILLING = LinkedEntities(namespace="billing", deployment="invoicer")


def test_a_status_read_that_names_its_subject_loosely_lists_the_other_trouble():
    (note,) = others_in_trouble("are invoices and the app ok right now?", True, BILLING,
                                INVENTORY)
    assert note.startswith("also in trouble right now: ")
    assert "batch/indexer" in note and "db/replica-db" in note
    assert "billing/invoicer" not in note


def test_a_subject_named_outright_or_a_question_about_acting_lists_nothing_else():
    assert others_in_trouble("is invoicer ok?", False, BILLING, INVENTORY) == []
    assert others_in_trouble("invoices fail, roll back?", True, BILLING, INVENTORY) == []
