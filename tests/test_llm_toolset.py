"""Which tools the LLM is offered per question, and what that saves in prompt tokens."""

from __future__ import annotations

import pytest
from llm_server import (
    REPO,
    Reply,
    Server,
    crashloop_request,
    sandbox_runner,
    scripted_llm_server,
)
from llm_server import planner_for as planner

from assistant.analysis import Finding
from assistant.analysis.findings import Subject
from assistant.models import Remedy, Runbook, RunbookStep
from assistant.planning.entities import link_entities
from assistant.planning.llm.schemas import tool_definitions
from assistant.planning.llm.tokens import estimate_request_tokens
from assistant.planning.llm.toolset import ASKED, GENERAL, RUNBOOK, choose_tools
from assistant.planning.offline import PlanRequest
from tools.catalog import CATALOG
from tools.sandbox import SandboxBackend

NODE_TOOLS = {"list_nodes", "describe_node", "cordon_node", "uncordon_node"}
GENERAL_READS = {"list_pods", "get_pod_logs", "describe_deployment", "describe_pod",
                 "query_metrics", "list_alerts", "list_events", "get_workload_logs"}


def plain_request(question: str, *, alert: dict[str, str] | None = None,
                  allowed: frozenset[str] | None = None,
                  runbooks: tuple[Runbook, ...] = (),
                  findings: tuple[Finding, ...] = ()) -> PlanRequest:
    """A question on the tile-renderer sandbox, with the alert and runbooks given."""
    inventory = SandboxBackend.load("tile-renderer-saturation",
                                    REPO / "evals" / "scenarios").inventory()
    return PlanRequest(
        question=question, linking=link_entities(question, alert, inventory), hits=(),
        runbooks={book.id: book for book in runbooks}, inventory=inventory,
        allowed_tools=frozenset(CATALOG) if allowed is None else allowed, findings=findings)


def offered(request: PlanRequest) -> set[str]:
    return set(choose_tools(request).names)


def test_a_node_question_offers_the_node_tools():
    names = offered(plain_request("worker ip-10-4-2-19 flipped to NotReady an hour ago, "
                                  "what is the kubelet doing?"))
    assert names >= NODE_TOOLS | GENERAL_READS
    assert not {"list_pvcs", "suspend_cronjob", "delete_failed_job"} & names


def test_a_node_alert_name_is_read_as_words():
    names = offered(plain_request("is this one real?", alert={"alertname": "KubeNodeNotReady"}))
    assert names >= NODE_TOOLS


def test_a_crash_looping_deployment_is_offered_no_node_volume_or_job_tools():
    request, _ = crashloop_request("orders checkout keeps dying right after today's release")
    names = offered(request)
    assert not names & (NODE_TOOLS | {"list_pvcs", "list_cronjobs", "suspend_cronjob",
                                      "describe_job", "delete_failed_job"})
    assert GENERAL_READS | {"rollout_history", "rollback_deployment"} <= names


@pytest.mark.parametrize("hidden", ["cordon_node", "list_nodes", "list_pods"])
def test_a_tool_the_user_cannot_request_is_never_offered_even_when_asked_for(hidden):
    request = plain_request("cordon node ip-10-4-2-19, its disk is failing, then list pods",
                            allowed=frozenset(CATALOG) - {hidden})
    names = offered(request)
    assert hidden not in names
    assert NODE_TOOLS - {hidden} <= names


def test_a_runbook_step_offers_its_tool_whatever_the_question_says():
    book = Runbook(id="claims-check", title="Claims", path="claims-check.md", content_hash="0",
                   steps=(RunbookStep(tool="list_pvcs", args={"namespace": "{namespace}"}),))
    offer = choose_tools(plain_request("tiles render slowly for everyone", runbooks=(book,)))
    (claims,) = [t for t in offer.tools if t.name == "list_pvcs"]
    assert claims.reasons == (RUNBOOK,)


def test_a_finding_that_supports_a_remedy_offers_the_tool_that_applies_it():
    finding = Finding(kind="node-pressure", subject=Subject(), summary="a node is full",
                      supports=(Remedy.CORDON,))
    names = offered(plain_request("tiles render slowly for everyone", findings=(finding,)))
    assert "cordon_node" in names and "uncordon_node" not in names


def test_a_question_about_nothing_in_particular_gets_the_general_reads_only():
    offer = choose_tools(plain_request("anything odd going on right now?"))
    assert set(offer.names) == GENERAL_READS | {"rollout_history"}
    assert {t.name for t in offer.tools if t.reasons == (GENERAL,)} == GENERAL_READS | {
        "rollout_history"}


def test_what_the_asker_orders_gives_way_last_and_an_unasked_change_first():
    offer = choose_tools(plain_request("restart tile-renderer please"))
    assert offer.tools[0].name == "restart_deployment"
    assert ASKED in offer.tools[0].reasons
    smaller, dropped = offer.without_least_relevant()
    # Of the tools offered for one weak reason, a mutating one goes before any read.
    weakest = min(t.relevance for t in offer.tools)
    assert dropped == "rollback_deployment" and offer.tools[-1].relevance == weakest
    assert [t.name for t in smaller.tools] == [t.name for t in offer.tools[:-1]]
    assert choose_tools(plain_request("restart tile-renderer please")) == offer


def test_json_turns_describe_only_the_tools_that_fit():
    with scripted_llm_server(Reply(content="ok"), server=Server("ollama"),
                             model="scripted-model") as llm:
        request, backend = crashloop_request()
        plan = planner(llm, completion_tokens=1024, tool_calling="json").plan(
            request, sandbox_runner(backend, []))
        body = llm.received[0].body
    rules = body["messages"][0]["content"]
    listed = {name for name in CATALOG if f"\n- {name}: " in rules}
    assert "tools" not in body and "list_pods" in listed
    (note,) = [n for n in plan.notes if n.startswith("left out the")]
    assert all(f"\n- {name}: " not in rules for name in note.split(": ", 1)[1].split("; ")[0]
               .split(", "))
    assert listed == set(body["response_format"]["json_schema"]["schema"]["properties"]
                         ["tool_calls"]["items"]["properties"]["name"]["enum"])


QUESTIONS = {
    "crash loop after a deploy": "why does checkout keep restarting since the deploy?",
    "node NotReady": "node ip-10-4-2-19 went NotReady, what now?",
    "restart request": "please restart tile-renderer",
}


def test_offered_schemas_cost_a_fraction_of_the_whole_catalog():
    full = estimate_request_tokens([], tool_definitions(CATALOG))
    print(f"\nschema tokens, whole catalog ({len(CATALOG)} tools): {full}")
    for label, question in QUESTIONS.items():
        request = (crashloop_request(question)[0] if label.startswith("crash")
                   else plain_request(question))
        offer = choose_tools(request)
        chosen = estimate_request_tokens([], tool_definitions(offer.names))
        print(f"  {label}: {len(offer.tools)} tools, {chosen} tokens "
              f"({chosen / full:.0%} of the catalog)")
        assert chosen < full
