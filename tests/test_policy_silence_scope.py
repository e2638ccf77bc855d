"""A silence without a namespace matcher reaches every namespace, so no-kube-system denies it,
unless the alert is evidently cluster-scoped; cards say "all namespaces"."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.answer import describe_proposal
from assistant.cli import policy as policy_cli
from assistant.config import REPO_ROOT
from assistant.errors import InputError
from assistant.models import (
    ALL_NAMESPACES,
    Actor,
    AlertInfo,
    BlastRadius,
    Decision,
    ErrorBudget,
    Facts,
    Inventory,
    Outcome,
    Proposal,
    ProposalStatus,
    ToolCall,
)
from assistant.policy import decide, load_policy
from assistant.slack.cards import Approvers, card_blocks
from assistant.storage import StoredProposal
from tools.catalog import CATALOG

POLICY = load_policy(REPO_ROOT / "policies")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ALICE = Actor(user_id="U01ALICE")  # sre: may request silences in prod
SILENCE = CATALOG["silence_alert"]
UNSCOPED_REASON = ("silence has no namespace matcher, so it would also silence alerts in "
                   "kube-system (off limits): add a namespace matcher")

CRASHLOOP_IN_SHOP = AlertInfo(name="KubePodCrashLooping",
                              labels={"namespace": "shop", "pod": "checkout-1"})
NODE_NOT_READY = AlertInfo(name="KubeNodeNotReady", labels={"node": "ip-10-0-0-1"})


def inventory(*alerts: AlertInfo) -> Inventory:
    return Inventory(environment="prod", alerts=alerts)


def silence(alertname: str, **matchers: str) -> ToolCall:
    return ToolCall(tool="silence_alert", args={"alertname": alertname, "matchers": matchers})


def estimate(call: ToolCall, live: Inventory) -> BlastRadius:
    return SILENCE.blast_radius(SILENCE.validate_args(call.args), live)


def decide_live(call: ToolCall, live: Inventory) -> Decision:
    facts = Facts(environment="prod", now=NOW, blast_radius=estimate(call, live),
                  error_budget=ErrorBudget(service="checkout", slo_target=0.999, remaining=0.6,
                                           as_of=NOW))
    return decide(POLICY, ALICE, call, facts)


def kube_system_denial(decision: Decision) -> str | None:
    return next((r.message for r in decision.reasons
                 if r.rule == "no-kube-system" and r.effect is Outcome.DENY), None)


def test_unscoped_silence_of_a_namespaced_alert_is_denied_with_the_reason() -> None:
    call = silence("KubePodCrashLooping")
    assert estimate(call, inventory(CRASHLOOP_IN_SHOP)).namespaces == (ALL_NAMESPACES,)
    decision = decide_live(call, inventory(CRASHLOOP_IN_SHOP))
    assert decision.outcome is Outcome.DENY
    assert kube_system_denial(decision) == UNSCOPED_REASON


def test_namespace_scoped_silence_is_confirmed_as_before() -> None:
    call = silence("KubePodCrashLooping", namespace="shop")
    assert estimate(call, inventory(CRASHLOOP_IN_SHOP)).namespaces == ("shop",)
    decision = decide_live(call, inventory(CRASHLOOP_IN_SHOP))
    assert decision.outcome is Outcome.CONFIRM
    assert kube_system_denial(decision) is None


def test_scoped_silence_in_kube_system_is_still_denied_by_name() -> None:
    decision = decide_live(silence("KubePodCrashLooping", namespace="kube-system"),
                           inventory(CRASHLOOP_IN_SHOP))
    assert kube_system_denial(decision) == "namespace kube-system is off limits"


def test_silence_pinned_to_a_cluster_scoped_alert_touches_no_namespace() -> None:
    call = silence("KubeNodeNotReady", node="ip-10-0-0-1")
    assert estimate(call, inventory(NODE_NOT_READY, CRASHLOOP_IN_SHOP)).namespaces == ()
    decision = decide_live(call, inventory(NODE_NOT_READY, CRASHLOOP_IN_SHOP))
    assert decision.outcome is Outcome.CONFIRM


def test_a_bare_alert_name_reaches_every_namespace_even_if_it_fires_cluster_wide_now() -> None:
    # It would also mute KubeNodeNotReady if it later fired with namespace=kube-system.
    call = silence("KubeNodeNotReady")
    assert estimate(call, inventory(NODE_NOT_READY)).namespaces == ("*",)
    assert decide_live(call, inventory(NODE_NOT_READY)).outcome is Outcome.DENY


def test_unscoped_silence_of_an_alert_not_present_fails_safe() -> None:
    call = silence("KubePodCrashLooping")
    assert estimate(call, inventory(NODE_NOT_READY)).namespaces == (ALL_NAMESPACES,)
    assert kube_system_denial(decide_live(call, inventory())) == UNSCOPED_REASON


def test_one_namespaced_instance_makes_an_alert_namespaced() -> None:
    without = AlertInfo(name="KubePodCrashLooping", labels={"pod": "x"})
    call = silence("KubePodCrashLooping")
    assert estimate(call, inventory(without, CRASHLOOP_IN_SHOP)).every_namespace


def test_other_matchers_do_not_scope_a_silence_to_a_namespace() -> None:
    call = silence("KubePodCrashLooping", pod="checkout-1")
    assert estimate(call, inventory(CRASHLOOP_IN_SHOP)).every_namespace
    assert kube_system_denial(decide_live(call, inventory(CRASHLOOP_IN_SHOP))) == UNSCOPED_REASON


def test_any_call_whose_blast_radius_reaches_every_namespace_is_denied_in_general_words() -> None:
    call = ToolCall(tool="restart_deployment", args={"namespace": "shop", "deployment": "x"})
    facts = Facts(environment="staging", now=NOW,
                  blast_radius=BlastRadius(namespaces=(ALL_NAMESPACES,)))
    assert kube_system_denial(decide(POLICY, ALICE, call, facts)) == (
        "blast radius reaches every namespace, so also kube-system (off limits)")


def test_star_is_no_namespace_name_in_a_policy(tmp_path: Path) -> None:
    (tmp_path / "guard.yaml").write_text(
        "blast_radius:\n  - id: keep-out\n    forbidden_namespaces: [kube-system, '*']\n")
    with pytest.raises(InputError) as caught:
        load_policy([REPO_ROOT / "policies", tmp_path / "guard.yaml"])
    error = caught.value
    assert (error.source, error.line) == (str(tmp_path / "guard.yaml"), 3)
    assert error.field == "blast_radius.0.forbidden_namespaces.1"
    assert "'*' is not a Kubernetes namespace name" in error.message


@settings(max_examples=300, deadline=None)
@given(
    alerts=st.lists(st.builds(
        AlertInfo,
        name=st.sampled_from(["A", "B"]),
        labels=st.dictionaries(st.sampled_from(["namespace", "pod"]),
                               st.sampled_from(["shop", "kube-system", "p1"]), max_size=2),
    ), max_size=5),
    alertname=st.sampled_from(["A", "B", "C"]),
    matchers=st.dictionaries(st.sampled_from(["namespace", "pod"]),
                             st.sampled_from(["shop", "kube-system", "p1"]), max_size=2),
)
def test_estimate_covers_every_namespace_the_silence_mutes_now(
        alerts: list[AlertInfo], alertname: str, matchers: dict[str, str]) -> None:
    blast = estimate(ToolCall(tool="silence_alert",
                              args={"alertname": alertname, "matchers": matchers}),
                     inventory(*alerts))
    muted = {a.labels["namespace"] for a in alerts if a.name == alertname
             and "namespace" in a.labels
             and all(a.labels.get(k) == v for k, v in matchers.items())}
    assert blast.every_namespace or muted <= set(blast.namespaces)
    if "namespace" not in matchers and not any(a.name == alertname for a in alerts):
        assert blast.every_namespace


def _proposal(call: ToolCall, blast: BlastRadius) -> Proposal:
    decision = Decision(outcome=Outcome.CONFIRM, reasons=(), policy_version="v1",
                        approver_roles=("sre",), approvals_required=1)
    return Proposal(id="p-1", thread_id="t", call=call, rationale="noise",
                    requester=ALICE, blast_radius=blast, preview="silence", created_at=NOW,
                    args_hash=call.args_hash, decision=decision)


def _card_text(proposal: Proposal) -> str:
    stored = StoredProposal(proposal=proposal, status=ProposalStatus.PENDING, service=None,
                            resource_key=None, approvals=(), result=None, claimed_by=None,
                            claimed_at=None, finished_at=None)
    fields: list[dict[str, Any]] = next(b["fields"] for b in card_blocks(stored, None,
                                                                          Approvers())
                                        if "fields" in b)
    return next(f["text"] for f in fields if f["text"].startswith("*Blast radius*"))


def test_cards_say_all_namespaces_instead_of_the_wildcard() -> None:
    everywhere = _proposal(silence("KubePodCrashLooping"),
                           BlastRadius(namespaces=(ALL_NAMESPACES,)))
    assert _card_text(everywhere) == "*Blast radius*\n0 pod(s); all namespaces"
    assert "   blast radius: 0 pod(s); all namespaces" in describe_proposal(everywhere, 1)
    scoped = _proposal(silence("KubePodCrashLooping", namespace="shop"),
                       BlastRadius(namespaces=("shop",)))
    assert _card_text(scoped) == "*Blast radius*\n0 pod(s); namespaces: shop"
    assert "   blast radius: 0 pod(s); namespaces: shop" in describe_proposal(scoped, 1)


def _policy_check(capsys: pytest.CaptureFixture[str], args: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="opsbot")
    policy_cli.register(parser.add_subparsers(dest="command", required=True))
    opts = parser.parse_args(["policy", "check", "--as", "U01ALICE", "--tool", "silence_alert",
                              "--args", args, "--now", "2026-11-27T10:00:00",
                              "--policies", str(REPO_ROOT / "policies")])
    code = int(opts.func(opts))
    return code, capsys.readouterr().out


def test_policy_check_fails_safe_for_an_unscoped_silence(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _policy_check(capsys, '{"alertname": "KubePodCrashLooping"}')
    assert code == 1 and UNSCOPED_REASON in out
    code, out = _policy_check(
        capsys, '{"alertname": "KubePodCrashLooping", "matchers": {"namespace": "shop"}}')
    assert code == 0 and out.startswith("CONFIRM")
