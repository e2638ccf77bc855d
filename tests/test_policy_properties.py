"""Properties of the policy engine that must hold for every input, checked with hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.config import REPO_ROOT
from assistant.models import (
    ALL_NAMESPACES,
    Actor,
    Approval,
    BlastRadius,
    ErrorBudget,
    Facts,
    Outcome,
    Proposal,
    ToolCall,
)
from assistant.policy import check_approval, compile_policy, decide
from tools.catalog import CATALOG

SHIPPED = [(str(p), p.read_text()) for p in sorted((REPO_ROOT / "policies").glob("*.yaml"))]
BASE = compile_policy(SHIPPED)
ROLES = sorted(BASE.definitions.roles)

# A file that only adds permissions: a role that may request and approve everything
# everywhere, the most lenient approval rule (first, so it wins), and a group per role.
GRANTS = "\n".join([
    "roles:",
    "  superuser:",
    "    grants:",
    "      - {id: superuser-all, request: [read-only, remediation, change],",
    "         approve: [remediation, change]}",
    "groups:",
    *(f"  G-{role}: {{roles: [{role}]}}" for role in [*ROLES, "superuser"]),
    "approvals:",
    "  - {id: lenient, approvers: 1, requester_may_approve: true, ttl: 7d}",
])
EXTENDED = compile_policy([("aa-grants.yaml", GRANTS), *SHIPPED])
RECOMPILED = compile_policy(SHIPPED)

GUARD_RULES = frozenset(
    located.origin.rule
    for section in ("blast_radius", "error_budget", "freeze_windows", "rate_limits",
                    "concurrency")
    for located in getattr(BASE.definitions, section)
)
USERS = ["U01ALICE", "U02BOB", "U03CAROL", "U04DAN", "U05ERIN", "U99NOBODY"]
NAMESPACES = ["shop", "kube-system", "payments"]
START = datetime(2026, 12, 1, tzinfo=UTC)  # spans the shipped holiday freeze


def _args(tool: str, draw: Any) -> dict[str, Any]:
    namespace = draw(st.sampled_from(NAMESPACES))
    deployment = draw(st.sampled_from(["checkout", "api"]))
    by_tool: dict[str, dict[str, Any]] = {
        "list_pods": {"namespace": namespace},
        "get_pod_logs": {"namespace": namespace, "pod": f"{deployment}-1"},
        "query_metrics": {"query": "http_requests_total"},
        "list_alerts": {"namespace": namespace},
        "get_error_budget": {"service": deployment},
        "scale_deployment": {"namespace": namespace, "deployment": deployment,
                             "replicas": draw(st.integers(0, 12))},
        "silence_alert": {"alertname": "HighErrorRate", "matchers": {"namespace": namespace}},
    }
    return by_tool.get(tool, {"namespace": namespace, "deployment": deployment})


@st.composite
def calls(draw: Any, tools: list[str] | None = None) -> ToolCall:
    tool = draw(st.sampled_from(tools or [*sorted(CATALOG), "drop_database"]))
    return ToolCall(tool=tool, args=_args(tool, draw))


@st.composite
def actors(draw: Any) -> Actor:
    groups = draw(st.lists(st.sampled_from(["S0SRE", "S9OTHER"]), max_size=2, unique=True))
    return Actor(user_id=draw(st.sampled_from(USERS)), groups=tuple(groups))


@st.composite
def all_facts(draw: Any, environments: tuple[str, ...] = ("prod", "staging", "dev"),
              calm: bool | None = None) -> Facts:
    """Any facts; ``calm`` ones have no recent actions and no lock, so more calls pass."""
    now = START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 45)))
    before = draw(st.one_of(st.none(), st.integers(0, 30)))
    service = draw(st.sampled_from(["checkout", "api", None]))
    blast = BlastRadius(
        namespaces=tuple(draw(st.lists(st.sampled_from([*NAMESPACES, ALL_NAMESPACES]),
                                       max_size=2, unique=True))),
        service=service,
        pods_affected=draw(st.integers(0, 40)),
        service_pods=draw(st.integers(0, 40)),
        replicas_before=before,
        replicas_after=draw(st.one_of(st.none(), st.integers(0, 40))),
    )
    healthy = ErrorBudget(service=service or "checkout", slo_target=0.999, remaining=0.5,
                          as_of=now)
    budget = draw(st.one_of(st.none(), st.just(healthy), st.builds(
        ErrorBudget,
        service=st.sampled_from(["checkout", "api"]),
        slo_target=st.just(0.999),
        remaining=st.one_of(st.none(), st.floats(-1, 1)),
        as_of=st.one_of(st.none(), st.just(now - timedelta(minutes=draw(st.integers(0, 180))))),
    )))
    if calm is None:
        calm = draw(st.booleans())
    return Facts(
        environment=draw(st.sampled_from(environments)),
        now=now,
        blast_radius=blast,
        error_budget=budget,
        recent_actions=0 if calm else draw(st.integers(0, 5)),
        resource_locked=False if calm else draw(st.booleans()),
    )


@st.composite
def facts_in_the_freeze(draw: Any) -> Facts:
    """Prod during the shipped holiday freeze, nothing else in the way: where break-glass
    decisions happen."""
    now = datetime(2026, 12, 23, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 10)))
    blast = BlastRadius(namespaces=("shop",), service="checkout", pods_affected=4, service_pods=4,
                        replicas_before=4, replicas_after=4)
    budget = ErrorBudget(service="checkout", slo_target=0.999, remaining=0.5, as_of=now)
    return Facts(environment="prod", now=now, blast_radius=blast, error_budget=budget)


def _guard_denials(reasons: Any) -> set[str]:
    return {r.rule for r in reasons if r.effect is Outcome.DENY and r.rule in GUARD_RULES}


@settings(max_examples=400, deadline=None)
@given(actors(), calls(), all_facts())
def test_same_inputs_give_the_same_decision(actor: Actor, call: ToolCall, facts: Facts) -> None:
    first = decide(BASE, actor, call, facts)
    assert decide(BASE, actor, call, facts) == first
    assert decide(RECOMPILED, actor, call, facts) == first


@settings(max_examples=400, deadline=None)
@given(calls(), st.one_of(all_facts(), facts_in_the_freeze()))
def test_no_mutating_call_is_ever_allowed(call: ToolCall, facts: Facts) -> None:
    spec = CATALOG.get(call.tool)
    for user in USERS:
        for policy, groups in ((BASE, ()), (BASE, ("S0SRE",)), (EXTENDED, ("G-superuser",)),
                               (EXTENDED, ("G-incident-commander",))):
            decision = decide(policy, Actor(user_id=user, groups=groups), call, facts)
            if spec is None or not spec.read_only:
                assert decision.outcome is not Outcome.ALLOW
            if decision.outcome is Outcome.CONFIRM:
                assert decision.approvals_required >= 1 and decision.approver_roles


@settings(max_examples=400, deadline=None)
@given(actors(), calls(), all_facts())
def test_granting_more_cannot_lift_a_guard_denial(actor: Actor, call: ToolCall,
                                                  facts: Facts) -> None:
    before = decide(BASE, actor, call, facts)
    denials = _guard_denials(before.reasons)
    if not denials:
        return
    superuser = actor.model_copy(update={"groups": (*actor.groups, "G-superuser")})
    after = decide(EXTENDED, superuser, call, facts)
    assert after.outcome is Outcome.DENY
    # Break-glass roles may pass a freeze, and superuser holds none: every denial stays.
    assert denials <= _guard_denials(after.reasons)


@settings(max_examples=300, deadline=None)
@given(actors(), calls([n for n, s in CATALOG.items() if not s.read_only]),
       all_facts(environments=("prod", "staging")))
def test_a_call_reaching_every_namespace_is_denied_by_the_forbidden_namespace(
        actor: Actor, call: ToolCall, facts: Facts) -> None:
    blast = facts.blast_radius.model_copy(update={"namespaces": (ALL_NAMESPACES,)})
    superuser = actor.model_copy(update={"groups": (*actor.groups, "G-superuser")})
    decision = decide(EXTENDED, superuser, call, facts.model_copy(update={"blast_radius": blast}))
    assert decision.outcome is Outcome.DENY
    assert "no-kube-system" in _guard_denials(decision.reasons)


@settings(max_examples=400, deadline=None)
@given(actors(), calls([n for n, s in CATALOG.items() if s.read_only]), all_facts(),
       st.sampled_from([*ROLES, "superuser"]))
def test_granting_a_role_never_turns_a_read_allow_into_deny(
        actor: Actor, call: ToolCall, facts: Facts, role: str) -> None:
    if decide(EXTENDED, actor, call, facts).outcome is not Outcome.ALLOW:
        return
    more = actor.model_copy(update={"groups": (*actor.groups, f"G-{role}")})
    assert decide(EXTENDED, more, call, facts).outcome is Outcome.ALLOW


@settings(max_examples=300, deadline=None)
@given(actors(), calls([n for n, s in CATALOG.items() if not s.read_only]),
       all_facts(environments=("prod",), calm=True), st.lists(st.sampled_from(USERS), max_size=4))
def test_requester_never_counts_as_own_approver_when_forbidden(
        requester: Actor, call: ToolCall, facts: Facts, voters: list[str]) -> None:
    decision = decide(BASE, requester, call, facts)
    if decision.outcome is not Outcome.CONFIRM or decision.requester_may_approve:
        return
    proposal = Proposal(
        id="p", thread_id="t", call=call, rationale="r", requester=requester,
        blast_radius=facts.blast_radius, preview="", args_hash=call.args_hash,
        created_at=facts.now, decision=decision,
    )

    def vote(user: str) -> Approval:
        return Approval(proposal_id="p", approver=Actor(user_id=user), args_hash=call.args_hash,
                        approved=True, at=facts.now)

    others = [vote(u) for u in voters if u != requester.user_id]
    own = check_approval(BASE, requester, proposal, facts, others)
    assert not own.ok
    assert "self-approval" in {r.rule for r in own.reasons}
    for approver in {*USERS} - {requester.user_id}:
        without = check_approval(BASE, Actor(user_id=approver), proposal, facts, others)
        with_own = check_approval(BASE, Actor(user_id=approver), proposal, facts,
                                  [*others, vote(requester.user_id)])
        assert with_own.approvals_needed == without.approvals_needed
        assert with_own.ok == without.ok
