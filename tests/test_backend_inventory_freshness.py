"""The real backend's workloads snapshot never outlives a change opsbot made: a read that
began before the change and ended after it must not be kept as the fresh snapshot."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from assistant.models import DeploymentInfo, ToolOutput
from tools.catalog import ScaleDeploymentArgs
from tools.real.backend import RealBackend


class _Cluster:
    """Two replicas until scaled; a list call can be held open to overlap a change."""

    def __init__(self) -> None:
        self.replicas = 2
        self.hold_next_list = False
        self.listing = threading.Event()
        self.release = threading.Event()

    def deployment_infos(self) -> list[DeploymentInfo]:
        seen = self.replicas
        if self.hold_next_list:
            self.hold_next_list = False
            self.listing.set()
            self.release.wait(5)
        return [DeploymentInfo(namespace="shop", name="cart", service="cart",
                               replicas=seen, ready_replicas=seen)]

    def scale(self, args: ScaleDeploymentArgs, dry_run: bool) -> _Scaled:
        self.replicas = args.replicas
        return _Scaled()


class _Scaled:
    def output(self) -> ToolOutput:
        return ToolOutput(text="scaled")


class _NoNodes:
    def node_infos(self) -> list[object]:
        return []

    def batch_infos(self) -> tuple[list[object], list[object]]:
        return [], []


class _Monitoring:
    def alerts(self) -> list[object]:
        return []


def test_a_read_overlapping_a_change_does_not_become_the_snapshot() -> None:
    cluster = _Cluster()
    backend = RealBackend("prod", cluster, _Monitoring(),  # type: ignore[arg-type]
                          clock=lambda: datetime(2024, 1, 1, tzinfo=UTC),
                          monotonic=lambda: 100.0, objects=_NoNodes())  # type: ignore[arg-type]
    cluster.hold_next_list = True
    reader = threading.Thread(target=backend.inventory)
    reader.start()
    assert cluster.listing.wait(5)  # the read has the old replica count in hand
    backend.scale_deployment(ScaleDeploymentArgs(namespace="shop", deployment="cart",
                                                 replicas=10))
    cluster.release.set()
    reader.join(5)
    cart = backend.inventory().deployment("shop", "cart")
    assert cart is not None and cart.replicas == 10
