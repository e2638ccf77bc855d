"""The facts policy decides on: what a call's blast radius takes from the backend."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from assistant.facts import gather_facts
from assistant.models import BlastRadius, Inventory, ToolCall
from tools.catalog import CATALOG
from tools.sandbox import SandboxBackend


class _NoHistory:
    def count_mutations(self, service: str, since: datetime) -> int:
        return 0

    def in_flight(self, resource_key: str) -> bool:
        return False


class _CountingInventory(SandboxBackend):
    taken = 0

    def inventory(self) -> Inventory:
        self.taken += 1
        return super().inventory()


@pytest.fixture
def backend() -> _CountingInventory:
    loaded = _CountingInventory.load("checkout-bad-deploy")
    assert isinstance(loaded, _CountingInventory)
    return loaded


def test_a_read_is_decided_without_taking_the_inventory(backend: _CountingInventory) -> None:
    call = ToolCall(tool="describe_deployment", args={"namespace": "shop",
                                                      "deployment": "checkout"})
    facts = gather_facts(backend, _NoHistory(), timedelta(hours=1), call)
    assert facts.blast_radius == BlastRadius() and facts.error_budget is None
    assert backend.taken == 0


def test_an_action_still_measures_its_blast_radius_on_the_inventory(
        backend: _CountingInventory) -> None:
    call = ToolCall(tool="scale_deployment", args={"namespace": "shop",
                                                   "deployment": "checkout", "replicas": 6})
    facts = gather_facts(backend, _NoHistory(), timedelta(hours=1), call)
    assert facts.blast_radius.service == "checkout" and backend.taken == 1


def test_no_read_in_the_catalog_has_a_blast_radius(backend: _CountingInventory) -> None:
    inventory = backend.inventory()
    for spec in CATALOG.values():
        if spec.read_only:
            assert spec.blast_radius(None, inventory) == BlastRadius(), spec.name
