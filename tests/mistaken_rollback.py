"""An action that makes things worse: a rollback of checkout to a bad revision, a planner
that proposes one given call the way a mistaken model would, and a sandbox in which no
checkout pod becomes ready after a rollback."""

from assistant.models import Inventory, ToolCall, ToolOutput
from assistant.planning.offline import Plan, PlannedCall, PlanRequest, ReadOnlyRunner
from tools.catalog import RollbackDeploymentArgs
from tools.sandbox import SandboxBackend

ROLLBACK_TO_BAD = ToolCall(tool="rollback_deployment", args={
    "namespace": "shop", "deployment": "checkout", "revision": 40})


class ProposesOneCall:
    """A planner that proposes exactly one call (stands in for a mistaken model)."""

    def __init__(self, call: ToolCall) -> None:
        self.call = call

    def plan(self, request: PlanRequest, run_read_only: ReadOnlyRunner) -> Plan:
        return Plan(entities=request.linking.entities,
                    candidates=(PlannedCall(call=self.call, why="try 40", runbook_id=None,
                                            step_index=None),))


class BreaksOnRollback(SandboxBackend):
    """The sandbox, except that after a rollback no checkout pod ever becomes ready."""

    broken = False

    def rollback_deployment(self, args: RollbackDeploymentArgs,
                            approved_by: str | None = None) -> ToolOutput:
        self.broken = True
        return super().rollback_deployment(args, approved_by)

    def inventory(self) -> Inventory:
        inv = super().inventory()
        if not self.broken:
            return inv
        deps = tuple(d.model_copy(update={"ready_replicas": 0}) if d.name == "checkout" else d
                     for d in inv.deployments)
        return inv.model_copy(update={"deployments": deps})
