"""Tools a team adds through the opsbot.tools entry points: loaded at start-up into the one
catalog, governed by the policy files, run per backend kind, and a broken plugin is a load
error that names it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from queue_plugin import install_queues

from assistant.models import Actor, Facts, Outcome, ToolCall
from assistant.policy import decide, load_policy
from tools.backend import ToolFailure, preview_call, run_tool
from tools.catalog import CATALOG
from tools.plugins import PluginError, load_plugins
from tools.sandbox import SandboxBackend

POLICY = """
environments: [prod]
roles:
  sre:
    grants:
      - id: sre-queues
        environments: [prod]
        request: [read-only, drain_queue]
        approve: [drain_queue]
  viewer:
    grants:
      - id: viewer-read-only
        request: [read-only]
users:
  U01ALICE: {name: alice, roles: [sre]}
  U03CAROL: {name: carol, roles: [viewer]}
approvals:
  - id: drains-need-an-sre
    environments: [prod]
    tools: [drain_queue]
    approvers: 1
    from_roles: [sre]
    ttl: 15m
"""


def _facts() -> Facts:
    return Facts(environment="prod", now=datetime(2025, 3, 11, 14, 42, tzinfo=UTC))


def test_plugin_tools_join_the_catalog_with_their_origin(plugin_site) -> None:
    install_queues(plugin_site)
    loaded = load_plugins()
    assert [s.name for s in loaded] == ["queue_depth", "drain_queue"]
    assert CATALOG["drain_queue"].origin == "plugin queues (acme_queues:TOOLS, acme-queues 0.1.0)"


def test_policy_files_may_name_plugin_tools_and_only_grants_let_anyone_request_them(
        plugin_site, tmp_path: Path) -> None:
    install_queues(plugin_site)
    (tmp_path / "roles.yaml").write_text(POLICY)
    with pytest.raises(Exception, match="drain_queue"):
        load_policy(tmp_path)  # before loading, the name is an unknown tool
    load_plugins()
    policy = load_policy(tmp_path)
    call = ToolCall(tool="drain_queue", args={"queue": "orders"})
    alice = decide(policy, Actor(user_id="U01ALICE"), call, _facts())
    carol = decide(policy, Actor(user_id="U03CAROL"), call, _facts())
    assert alice.outcome is Outcome.CONFIRM
    assert carol.outcome is Outcome.DENY and "may request drain_queue" in carol.explain()


def test_plugin_tools_run_and_preview_on_the_backend_kinds_they_name(plugin_site) -> None:
    install_queues(plugin_site)
    load_plugins()
    backend = SandboxBackend.load("checkout-bad-deploy")
    call = ToolCall(tool="drain_queue", args={"queue": "orders"})
    assert preview_call(backend, call) == "drain orders: 1200 -> 0 messages (prod)"
    out = run_tool(backend, call, approved_by="U01ALICE")
    assert out.text == "drained orders: 1200 messages dropped"
    assert out.json_data() == {"queue": "orders", "dropped": 1200}
    read = run_tool(backend, ToolCall(tool="queue_depth", args={"queue": "orders"}))
    assert read.json_data() == {"queue": "orders", "depth": 0}


def test_a_backend_kind_the_plugin_does_not_name_reports_it_unsupported(plugin_site) -> None:
    install_queues(plugin_site)
    load_plugins()

    class Monitored(SandboxBackend):
        kind = "monitored-sandbox"

    backend = Monitored.load("checkout-bad-deploy")
    with pytest.raises(ToolFailure, match=r"queue_depth is not supported by the "
                                          r"monitored-sandbox backend .*implemented for: "
                                          r"sandbox"):
        run_tool(backend, ToolCall(tool="queue_depth", args={"queue": "orders"}))


def test_a_plugin_raising_or_answering_off_model_is_a_tool_failure_naming_it(
        plugin_site) -> None:
    install_queues(plugin_site, queues="acme_queues:TOOLS", flaky="acme_queues:BROKEN_RUN",
             untyped="acme_queues:UNTYPED")
    load_plugins()
    backend = SandboxBackend.load("checkout-bad-deploy")
    with pytest.raises(ToolFailure, match=r"plugin tool flaky_queue \(plugin flaky "
                                          r".*\) raised RuntimeError: queue API changed"):
        run_tool(backend, ToolCall(tool="flaky_queue", args={"queue": "orders"}))
    with pytest.raises(ToolFailure, match=r"untyped_queue from plugin untyped .* is not a "
                                          r"Depth"):
        run_tool(backend, ToolCall(tool="untyped_queue", args={"queue": "orders"}))


@pytest.mark.parametrize(("target", "expected"), [
    ("acme_queues:MISSING", r"plugin bad \(acme_queues:MISSING, acme-queues 0.1.0\) could "
                            r"not be loaded: AttributeError"),
    ("acme_queues:NOT_A_SPEC", r"plugin bad .*must name a ToolSpec or a list of them, not "
                               r"dict"),
    ("acme_queues:NO_PREVIEW", r"plugin bad .*tool 'purge_queue': mutating tool without a "
                               r"preview for 'sandbox'"),
    ("acme_queues:SHADOWS", r"plugin bad .*tool 'list_pods' is already defined \(built-in\)"),
])
def test_a_broken_plugin_is_a_load_error_naming_it(plugin_site, target: str,
                                                    expected: str) -> None:
    install_queues(plugin_site, bad=target)
    with pytest.raises(PluginError, match=expected):
        load_plugins()
    assert set(CATALOG) == {s for s in CATALOG if CATALOG[s].origin == "built-in"}
