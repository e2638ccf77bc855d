"""Each step of the graph built and run on its own, with only the collaborators it takes:
no graph, no checkpointer, no session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.clicks import ClickHandler
from assistant.config import REPO_ROOT
from assistant.gate import PolicyGate
from assistant.models import Actor, ProposalStatus, ToolCall
from assistant.policy import load_policy
from assistant.policy.source import FixedPolicy
from assistant.redaction import Redactor
from assistant.steps.confirm import after_confirm
from assistant.steps.execute import after_execute
from assistant.steps.intake import Intake, after_intake
from assistant.steps.proposing import Proposer
from assistant.steps.verdict import after_start
from assistant.storage import Store, open_store
from tools.sandbox import SandboxBackend

ASKER = Actor(user_id="U02BOB")
THREAD = "t-steps"


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[dict[str, Any]]:
    backend = SandboxBackend.load("checkout-bad-deploy")
    redactor = Redactor()
    with open_store(f"sqlite:///{tmp_path / 'steps.db'}", redactor.redact_value) as store:
        gate = PolicyGate(FixedPolicy(load_policy([REPO_ROOT / "policies"])), backend,
                          store.proposals)
        yield {"backend": backend, "redactor": redactor, "store": store, "gate": gate}


def _intake(parts: dict[str, Any]) -> Intake:
    store: Store = parts["store"]
    return Intake(parts["gate"], parts["backend"], store.messages, store.audit,
                  parts["redactor"])


def test_intake_turns_away_an_asker_without_a_role_before_linking_anything(
        parts: dict[str, Any]) -> None:
    update = _intake(parts)({"thread_id": THREAD, "question": "restart checkout please",
                             "actor": {"user_id": "U77STRANGER"}, "alert": {}})
    assert update["known_actor"] is False and update["linking"] is None
    assert "I don't know user U77STRANGER" in update["outbox"][0]["text"]
    assert after_intake(update) == "confirm"
    kinds = [e.kind for e in parts["store"].audit.events(thread=THREAD)]
    assert kinds == ["question", "denial"]


def test_intake_links_a_known_askers_question_and_routes_to_retrieval(
        parts: dict[str, Any]) -> None:
    update = _intake(parts)({"thread_id": THREAD, "question": "is shop/checkout healthy?",
                             "actor": ASKER.model_dump(mode="json"), "alert": {}})
    assert update["known_actor"] is True and update["plan"] is None
    assert update["linking"]["entities"]["deployment"] == "checkout"
    assert after_intake(update) == "retrieve"


def test_a_click_on_a_proposal_not_awaiting_confirmation_is_refused_and_recorded_once(
        parts: dict[str, Any]) -> None:
    store: Store = parts["store"]
    proposer = Proposer(parts["gate"], parts["backend"], store.proposals, store.audit,
                        parts["redactor"])
    proposal = proposer.propose(ASKER, THREAD, ToolCall(
        tool="restart_deployment", args={"namespace": "shop", "deployment": "checkout"}),
        "stuck pods", None, None)
    click = ClickHandler(parts["gate"], store.proposals, store.audit, parts["redactor"])
    update = click({"proposal_id": proposal.id, "actor": {"user_id": "U01ALICE"},
                    "approve": True}, pending=[])
    assert update["to_execute"] is None
    assert [m["kind"] for m in update["outbox"]] == ["refusal"]
    refusals = [e for e in store.audit.events(thread=THREAD) if e.kind == "denial"]
    assert [e.payload["refused_click"] for e in refusals] == [True]
    assert store.proposals.get(proposal.id).status is ProposalStatus.PENDING


def test_routing_after_confirm_and_execute_follows_the_state_keys() -> None:
    assert after_confirm({"to_execute": "p-1"}) == "execute"
    assert after_confirm({"to_execute": None, "pending": ["p-2"]}) == "confirm"
    assert after_execute({"to_verify": "p-1"}) == "verify"
    assert after_execute({"to_verify": None}) == "confirm"


def test_a_run_started_to_report_a_verification_skips_the_question_steps() -> None:
    taken = {"proposal_id": "p-1", "thread_id": THREAD, "gave_up": None}
    assert after_start({"to_report": taken}) == "report"
    # A question's input clears a report a cut-short run left behind.
    assert after_start({"question": "why?", "to_report": None}) == "intake"
