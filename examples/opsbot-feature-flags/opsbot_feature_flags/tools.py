"""set_feature_flag: one ToolSpec, with an implementation per backend kind.

Both implementations talk to a real flag service over HTTP, each to its own: the sandbox
backend to ``OPSBOT_SANDBOX_FLAGS_URL`` (a local or staging flag service), the Kubernetes
backend to ``OPSBOT_FLAGS_URL``. A sandbox run can never flip a production flag, and a
backend kind not listed here (e.g. monitored-sandbox) reports the tool as unsupported.
"""

from __future__ import annotations

import os
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from assistant.models import (
    BlastRadius,
    Inventory,
    Risk,
    ToolCall,
    ToolClass,
    ToolContext,
    ToolImplementation,
    ToolSpec,
)
from opsbot_feature_flags.client import Flag, FlagService
from tools.backend import ToolFailure
from tools.catalog import K8sName
from tools.outputs import FromTo, Output

FlagKey = Annotated[str, Field(min_length=1, max_length=200,
                               pattern=r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$")]


class SetFeatureFlagArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    flag: FlagKey = Field(description="Flag key in the flag service")
    enabled: bool = Field(description="true turns the flag on, false turns it off")
    service: K8sName = Field(description="The service whose behaviour the flag gates")


class FlagChange(Output):
    flag: str
    service: str
    enabled: FromTo[bool]
    changed_by: str


class FeatureFlagSet(Output):
    changed: FlagChange

    def render(self) -> str:
        c = self.changed
        return (f"flag {c.flag} ({c.service}): enabled {_word(c.enabled.before)} -> "
                f"{_word(c.enabled.after)}, by {c.changed_by}")


def _word(enabled: bool) -> str:
    return "on" if enabled else "off"


def _service_for(env_var: str) -> FlagService:
    url = os.environ.get(env_var)
    if not url:
        raise ToolFailure(f"set_feature_flag needs the flag service's URL in {env_var}")
    return FlagService(url)


def _current(service: FlagService, args: SetFeatureFlagArgs) -> Flag:
    flag = service.get(args.flag)
    if flag.service is not None and flag.service != args.service:
        raise ToolFailure(f"flag {args.flag} gates service {flag.service}, not {args.service}")
    return flag


def _implementation(env_var: str) -> ToolImplementation:
    def run(args: SetFeatureFlagArgs, context: ToolContext) -> FeatureFlagSet:
        service = _service_for(env_var)
        before = _current(service, args)
        author = context.approved_by or "opsbot"
        after = service.set(args.flag, args.enabled, author)
        return FeatureFlagSet(changed=FlagChange(
            flag=args.flag, service=args.service, changed_by=author,
            enabled=FromTo(before=before.enabled, after=after.enabled)))

    def preview(args: SetFeatureFlagArgs, context: ToolContext) -> str:
        before = _current(_service_for(env_var), args)
        if before.enabled == args.enabled:
            return f"flag {args.flag} ({args.service}) is already {_word(args.enabled)}: " \
                   "no change"
        return (f"flag {args.flag} ({args.service}): enabled {_word(before.enabled)} -> "
                f"{_word(args.enabled)}\n  - every pod of {args.service} reads it on its "
                "next flag refresh; no restart")

    return ToolImplementation(run=run, preview=preview,
                              describe=f"the flag service at ${env_var} (HTTP)",
                              settings=(env_var,))


def _blast_radius(args: SetFeatureFlagArgs, inventory: Inventory) -> BlastRadius:
    """A flag changes the behaviour of every pod of the service it gates."""
    deployments = [d for d in inventory.deployments if d.service == args.service]
    pods = sum(d.replicas for d in deployments)
    return BlastRadius(namespaces=tuple(sorted({d.namespace for d in deployments})),
                       service=args.service, pods_affected=pods, service_pods=pods)


def _undo(args: SetFeatureFlagArgs, output: FeatureFlagSet) -> ToolCall | None:
    enabled = output.changed.enabled
    if enabled.before == enabled.after:
        return None
    return ToolCall(tool="set_feature_flag", args={
        "flag": args.flag, "enabled": enabled.before, "service": args.service})


SET_FEATURE_FLAG = ToolSpec(
    name="set_feature_flag",
    description="Turn a feature flag on or off in the flag service (takes effect without "
                "a deploy).",
    args_model=SetFeatureFlagArgs,
    output_model=FeatureFlagSet,
    tool_class=ToolClass.REMEDIATION,
    risk=Risk.MEDIUM,
    blast_radius=_blast_radius,
    resource=lambda args: f"flag/{args.flag}",
    inverse=_undo,
    asked_by=re.compile(r"\b(?:turn|switch|flip|toggle|disable|enable)\b[^.?!]*\bflag\b"
                        r"|\bkill[- ]?switch\b"),
    implementations={
        "sandbox": _implementation("OPSBOT_SANDBOX_FLAGS_URL"),
        "kubernetes": _implementation("OPSBOT_FLAGS_URL"),
    },
)

TOOLS = [SET_FEATURE_FLAG]
