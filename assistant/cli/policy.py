"""`opsbot policy check | test | lint`: explain a decision, run policy tests, find mistakes."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant.config import Settings
from assistant.errors import InputError
from assistant.models import (
    Actor,
    BlastRadius,
    Decision,
    ErrorBudget,
    Facts,
    Inventory,
    Outcome,
    ToolCall,
)
from assistant.policy import Policy, decide, load_policy
from assistant.policy.lint import lint
from assistant.policy.tables import run_table, table_files
from tools.catalog import CATALOG


def register(subparsers: argparse._SubParsersAction) -> None:
    policy = subparsers.add_parser("policy", help="check, test and lint the policy files")
    sub = policy.add_subparsers(dest="policy_command", required=True)

    check = sub.add_parser(
        "check", help="explain the decision for one call (exit 1 when denied)",
        description="Decide one tool call and print every reason with its rule, file and "
                    "line. Facts come from the flags; unset facts are unknown or zero.",
    )
    check.add_argument("--as", dest="user", required=True, metavar="USER", help="chat user id")
    check.add_argument("--group", action="append", default=[], help="chat user group (repeat)")
    check.add_argument("--tool", required=True, help="tool name")
    check.add_argument("--args", default="{}", metavar="JSON", help="tool arguments as JSON")
    check.add_argument("--env", default="prod", help="environment (default: prod)")
    check.add_argument("--now", metavar="ISO", help="decision time (default: now; naive = UTC)")
    check.add_argument("--budget", type=float, metavar="FRACTION",
                       help="error budget left, e.g. 0.4 (default: unknown)")
    check.add_argument("--service", help="service of the target (default: args.deployment)")
    check.add_argument("--recent", type=int, default=0, metavar="N",
                       help="mutating actions on the service within the rate window")
    check.add_argument("--locked", action="store_true",
                       help="another mutating action is in flight on the resource")
    check.add_argument("--pods", type=int, default=0, metavar="N", help="pods affected")
    check.add_argument("--service-pods", type=int, default=0, metavar="N",
                       help="pods of the whole service")
    check.add_argument("--replicas-before", type=int, metavar="N")
    check.add_argument("--replicas-after", type=int, metavar="N",
                       help="default: args.replicas")
    check.add_argument("--policies", type=Path, metavar="DIR", help="policy directory")
    check.set_defaults(func=run_check)

    test = sub.add_parser("test", help="run table-driven policy tests (policies/tests/*.yaml)")
    test.add_argument("dir", nargs="?", type=Path,
                      help="test directory (default: <policies>/tests)")
    test.set_defaults(func=run_tests)

    lint_parser = sub.add_parser(
        "lint", help="find unreachable rules, unheld roles, unrequestable tools (exit 1 on errors)")
    lint_parser.add_argument("--policies", type=Path, metavar="DIR", help="policy directory")
    lint_parser.set_defaults(func=run_lint)


def _policy_dir(opts: argparse.Namespace) -> Path:
    given: Path | None = opts.policies
    return given if given is not None else Settings.from_config(opts.opsbot_config.tree).policy_dir


def _parse_now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"not an ISO date-time: {text!r}", source="--now") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_call(tool: str, args_json: str) -> ToolCall:
    """The call from flags, its arguments validated against the tool's args model."""
    spec = CATALOG.get(tool)
    if spec is None:
        raise InputError(f"unknown tool {tool!r}; known: {', '.join(sorted(CATALOG))}",
                         source="--tool")
    try:
        args = json.loads(args_json)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", source="--args") from exc
    if not isinstance(args, dict):
        raise InputError("expected a JSON object", source="--args")
    try:
        spec.validate_args(args)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise InputError(first["msg"], source="--args", field=field) from exc
    return ToolCall(tool=tool, args=args)


def facts_from_flags(opts: argparse.Namespace, call: ToolCall) -> Facts:
    """Every fact the policy sees, from the command line."""
    now = _parse_now(opts.now)
    args: dict[str, Any] = call.args
    namespace = args.get("namespace") or args.get("matchers", {}).get("namespace")
    spec = CATALOG[call.tool]
    # Nothing live is known here, so the estimate fails safe: a silence without a namespace
    # matcher reaches every namespace, as for an alert that is not firing now.
    estimate = spec.blast_radius(spec.validate_args(args), Inventory(environment=opts.env))
    service = opts.service or args.get("deployment")
    budget = None
    if opts.budget is not None and service:
        # The policy reads only what is left of the budget; the SLO target is not a fact here.
        budget = ErrorBudget(service=service, slo_target=0.0, remaining=opts.budget, as_of=now)
    replicas_after = opts.replicas_after if opts.replicas_after is not None else args.get(
        "replicas", opts.replicas_before)
    return Facts(
        environment=opts.env,
        now=now,
        blast_radius=BlastRadius(
            namespaces=estimate.namespaces or ((namespace,) if namespace else ()),
            service=service,
            pods_affected=opts.pods,
            service_pods=opts.service_pods,
            replicas_before=opts.replicas_before,
            replicas_after=replicas_after,
        ),
        error_budget=budget,
        recent_actions=opts.recent,
        resource_locked=opts.locked,
    )


def render_decision(decision: Decision, actor: Actor, call: ToolCall, environment: str) -> str:
    lines = [f"{decision.outcome.value.upper()}: {call.render()} as {actor.user_id} "
             f"in {environment}"]
    for reason in decision.reasons:
        where = f"  ({reason.source}:{reason.line})" if reason.source else ""
        lines.append(f"  {reason.effect.value:<7} [{reason.rule}] {reason.message}{where}")
    if decision.outcome is Outcome.CONFIRM:
        self_approval = "may" if decision.requester_may_approve else "may not"
        lines.append(
            f"approvers: {decision.approvals_required} from "
            f"{', '.join(decision.approver_roles)}; the requester {self_approval} approve; "
            f"expires after {(decision.ttl_seconds or 0) // 60}m"
        )
    if decision.break_glass:
        lines.append("break-glass: yes (flagged in the audit log)")
    lines.append(f"policy version: {decision.policy_version[:12]}")
    return "\n".join(lines)


def run_check(opts: argparse.Namespace) -> int:
    policy = load_policy(_policy_dir(opts))
    actor = Actor(user_id=opts.user, groups=tuple(opts.group))
    call = parse_call(opts.tool, opts.args)
    facts = facts_from_flags(opts, call)
    decision = decide(policy, actor, call, facts)
    print(render_decision(decision, actor, call, facts.environment))
    return 1 if decision.outcome is Outcome.DENY else 0


def run_tests(opts: argparse.Namespace) -> int:
    directory = (opts.dir if opts.dir is not None
                 else Settings.from_config(opts.opsbot_config.tree).policy_dir / "tests")
    load: Any = cache(load_policy)  # one compile per policy directory
    passed = failed = 0
    for path in table_files(directory):
        for result in run_table(path, load):
            if result.passed:
                passed += 1
                print(f"PASS {path.name}::{result.case_id}")
            else:
                failed += 1
                print(f"FAIL {path.name}::{result.case_id}: {'; '.join(result.problems)}")
                print(f"     decision: {result.decision.outcome.value}: "
                      f"{result.decision.explain()}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def run_lint(opts: argparse.Namespace) -> int:
    policy: Policy = load_policy(_policy_dir(opts))
    findings = lint(policy, datetime.now(UTC))
    for finding in findings:
        print(finding.render())
    errors = sum(1 for f in findings if f.severity == "error")
    print(f"{errors} errors, {len(findings) - errors} warnings")
    return 1 if errors else 0
