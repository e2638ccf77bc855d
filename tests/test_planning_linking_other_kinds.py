"""A word that names another kind of thing (a database, a queue) by a service's name does
not link the workload: "orders database is slow" is not about orders-api."""

import pytest

from assistant.models import DeploymentInfo, Inventory
from assistant.planning.entities import link_entities

ORDERS = Inventory(environment="prod", deployments=(
    DeploymentInfo(namespace="commerce", name="orders-api", service="orders-api", replicas=3,
                   ready_replicas=3),
    DeploymentInfo(namespace="commerce", name="billing-api", service="billing", replicas=2,
                   ready_replicas=2),
    DeploymentInfo(namespace="commerce", name="session-cache", service="session-cache",
                   replicas=2, ready_replicas=2),
))


@pytest.mark.parametrize("question", [
    "orders database is slow",
    "the orders db keeps timing out",
    "orders queue is backing up",
    "billing database is slow",  # the service's name, qualifying a database
    "orders-db is slow",  # written as one word
    "the orders ledger database is slow",  # two words qualifying it
])
def test_a_name_qualifying_another_kind_of_thing_links_no_workload(question: str) -> None:
    linking = link_entities(question, None, ORDERS)
    assert linking.entities.deployment is None


@pytest.mark.parametrize(("question", "workload"), [
    ("orders is slow", "orders-api"),
    ("billing is slow since the deploy", "billing-api"),
    ("session cache is evicting everything", "session-cache"),  # its name says cache
    ("orders-api database calls are slow", "orders-api"),  # named outright
])
def test_a_name_not_qualifying_another_thing_still_links(question: str, workload: str) -> None:
    assert link_entities(question, None, ORDERS).entities.deployment == workload
