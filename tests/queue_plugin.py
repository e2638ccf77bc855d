"""acme-queues, a tool plugin distribution the plugin tests install into a PluginSite
(tests/conftest.py): two good tools and several ways for a plugin to be wrong."""

from __future__ import annotations

from typing import Any

QUEUES = '''
from pydantic import BaseModel, ConfigDict

from assistant.models import (BlastRadius, Risk, ToolClass, ToolImplementation, ToolSpec)


class QueueArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    queue: str


class Depth(BaseModel):
    queue: str
    depth: int


class Drained(BaseModel):
    queue: str
    dropped: int

    def render(self) -> str:
        return f"drained {self.queue}: {self.dropped} messages dropped"


DEPTH = {"orders": 1200}


def depth(args, context):
    return Depth(queue=args.queue, depth=DEPTH[args.queue])


def drain(args, context):
    dropped, DEPTH[args.queue] = DEPTH[args.queue], 0
    return Drained(queue=args.queue, dropped=dropped)


def preview(args, context):
    return f"drain {args.queue}: {DEPTH[args.queue]} -> 0 messages ({context.environment})"


def broken(args, context):
    raise RuntimeError("queue API changed")


def untyped(args, context):
    return {"queue": args.queue}


def none(args, inventory):
    return BlastRadius()


TOOLS = [
    ToolSpec(name="queue_depth", description="Messages waiting in a queue.",
             args_model=QueueArgs, output_model=Depth, tool_class=ToolClass.READ,
             risk=Risk.LOW, blast_radius=none,
             implementations={"sandbox": ToolImplementation(run=depth)}),
    ToolSpec(name="drain_queue", description="Drop every message waiting in a queue.",
             args_model=QueueArgs, output_model=Drained, tool_class=ToolClass.CHANGE,
             risk=Risk.HIGH, blast_radius=none,
             implementations={"sandbox": ToolImplementation(run=drain, preview=preview),
                              "kubernetes": ToolImplementation(run=broken, preview=preview)}),
]
BROKEN_RUN = ToolSpec(name="flaky_queue", description="Raises.", args_model=QueueArgs,
                      output_model=Depth, tool_class=ToolClass.READ, risk=Risk.LOW,
                      blast_radius=none,
                      implementations={"sandbox": ToolImplementation(run=broken)})
UNTYPED = ToolSpec(name="untyped_queue", description="Answers a dict missing a field.",
                   args_model=QueueArgs, output_model=Depth, tool_class=ToolClass.READ,
                   risk=Risk.LOW, blast_radius=none,
                   implementations={"sandbox": ToolImplementation(run=untyped)})
NO_PREVIEW = ToolSpec(name="purge_queue", description="No dry run.", args_model=QueueArgs,
                      output_model=Drained, tool_class=ToolClass.CHANGE, risk=Risk.HIGH,
                      blast_radius=none, implementations={"sandbox": ToolImplementation(
                          run=drain)})
SHADOWS = ToolSpec(name="list_pods", description="Shadows a built-in.", args_model=QueueArgs,
                   output_model=Depth, tool_class=ToolClass.READ, risk=Risk.LOW,
                   blast_radius=none, implementations={"sandbox": ToolImplementation(
                       run=depth)})
NOT_A_SPEC = {"name": "drain_queue"}
'''


def install_queues(site: Any, **entry_points: str) -> None:
    site.install("acme-queues", "acme_queues", QUEUES,
                 entry_points or {"queues": "acme_queues:TOOLS"})
