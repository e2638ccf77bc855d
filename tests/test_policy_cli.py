"""`opsbot policy check | test | lint`, and the shipped table tests run through them."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from assistant.cli import policy as policy_cli
from assistant.config import REPO_ROOT
from assistant.errors import InputError
from assistant.policy import load_policy
from assistant.policy.tables import TableFile, run_table
from assistant.yamlfile import load_yaml_file

SHIPPED = REPO_ROOT / "policies"
ROLLBACK = '{"namespace": "shop", "deployment": "checkout"}'


def opsbot_policy(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="opsbot")
    policy_cli.register(parser.add_subparsers(dest="command", required=True))
    opts = parser.parse_args(["policy", *argv])
    return int(opts.func(opts))


def test_shipped_table_tests_all_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert opsbot_policy("test", str(SHIPPED / "tests")) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert out.count("PASS ") >= 20


def test_denial_table_covers_every_rule_kind_with_its_rule_id() -> None:
    table = load_yaml_file(TableFile, SHIPPED / "tests" / "denials.yaml")
    denied_by = {rule for case in table.cases if case.expect.outcome.value == "deny"
                 for rule in case.expect.reasons}
    assert {"no-role", "not-granted", "no-kube-system", "prod-scale-limits",
            "budget-exhausted-freeze", "holiday-freeze-2026", "three-actions-per-service",
            "one-action-per-resource"} <= denied_by
    results = run_table(SHIPPED / "tests" / "denials.yaml", load_policy)
    assert results and all(r.passed for r in results)


def test_a_wrong_expectation_fails_and_says_why(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "wrong.yaml").write_text(
        f"policies: {SHIPPED}\n"
        "cases:\n"
        "  - id: carol-cannot-roll-back\n"
        "    as: U03CAROL\n"
        f"    call: {{tool: rollback_deployment, args: {ROLLBACK}}}\n"
        "    facts: {environment: prod, now: 2026-11-27T10:00:00Z}\n"
        "    expect: {outcome: confirm, reasons: [viewer-read-only]}\n"
    )
    assert opsbot_policy("test", str(tests)) == 1
    out = capsys.readouterr().out
    assert "FAIL wrong.yaml::carol-cannot-roll-back" in out
    assert "outcome deny, expected confirm" in out
    assert "missing reasons ['viewer-read-only']" in out
    assert "0 passed, 1 failed" in out


def test_table_with_invalid_args_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        f"policies: {SHIPPED}\n"
        "cases:\n"
        "  - id: c\n"
        "    as: U01ALICE\n"
        "    call: {tool: scale_deployment, args: {namespace: shop, deployment: x, replicas: -1}}\n"
        "    facts: {environment: prod, now: 2026-11-27T10:00:00Z}\n"
        "    expect: {outcome: deny}\n"
    )
    with pytest.raises(InputError) as caught:
        run_table(path, load_policy)
    assert (caught.value.source, caught.value.line) == (str(path), 5)
    assert "args.replicas" in caught.value.message


def test_check_explains_a_confirm_with_rule_file_and_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = opsbot_policy("check", "--as", "U02BOB", "--tool", "rollback_deployment",
                         "--args", ROLLBACK, "--now", "2026-11-27T10:00:00Z",
                         "--policies", str(SHIPPED))
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("CONFIRM: rollback_deployment(")
    assert "[prod-one-approver] needs 1 approval from incident-commander, sre" in out
    line = next(n for n, text in enumerate(
        (SHIPPED / "approvals.yaml").read_text().splitlines(), start=1)
        if text.strip() == "- id: prod-one-approver")
    assert f"({SHIPPED / 'approvals.yaml'}:{line})" in out
    assert "the requester may not approve; expires after 15m" in out


def test_check_takes_facts_from_flags_and_exits_one_on_deny(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = opsbot_policy("check", "--as", "U01ALICE", "--tool", "scale_deployment",
                         "--args", '{"namespace": "shop", "deployment": "checkout", '
                                   '"replicas": 3}',
                         "--replicas-before", "12", "--budget", "0.5", "--recent", "3",
                         "--locked", "--now", "2026-12-24T09:00", "--policies", str(SHIPPED))
    out = capsys.readouterr().out
    assert code == 1
    for rule in ("prod-scale-limits", "holiday-freeze-2026", "three-actions-per-service",
                 "one-action-per-resource"):
        assert f"deny    [{rule}]" in out
    assert "budget-exhausted-freeze" not in out


def test_check_break_glass_is_shown(capsys: pytest.CaptureFixture[str]) -> None:
    code = opsbot_policy("check", "--as", "U05ERIN", "--tool", "scale_deployment",
                         "--args", '{"namespace": "shop", "deployment": "checkout", '
                                   '"replicas": 6}',
                         "--replicas-before", "4", "--budget", "0.5",
                         "--now", "2026-12-24T09:00", "--policies", str(SHIPPED))
    assert code == 0
    assert "break-glass: yes" in capsys.readouterr().out


@pytest.mark.parametrize("flags, source, field", [
    (["--tool", "scale_deployment", "--args", '{"namespace": "shop", "deployment": "c", '
                                              '"replicas": "many"}'], "--args", "replicas"),
    (["--tool", "scale_deployment", "--args", '{"namespace": "shop"}'], "--args", "deployment"),
    (["--tool", "list_pods", "--args", "{not json"], "--args", None),
    (["--tool", "reboot_node"], "--tool", None),
    (["--tool", "list_pods", "--args", '{"namespace": "shop"}', "--now", "yesterday"],
     "--now", None),
])
def test_check_rejects_bad_flags_naming_them(flags: list[str], source: str,
                                             field: str | None) -> None:
    with pytest.raises(InputError) as caught:
        opsbot_policy("check", "--as", "U01ALICE", *flags, "--policies", str(SHIPPED))
    assert caught.value.source == source
    assert caught.value.field == field


def test_lint_passes_the_shipped_policy(capsys: pytest.CaptureFixture[str]) -> None:
    assert opsbot_policy("lint", "--policies", str(SHIPPED)) == 0
    assert "0 errors" in capsys.readouterr().out


def test_lint_finds_dead_rules_unheld_roles_and_unapprovable_requests(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(SHIPPED, policies, ignore=shutil.ignore_patterns("tests"))
    (policies / "zz-extra.yaml").write_text(
        "roles:\n"
        "  auditor:\n"
        "    grants: [{id: auditor-read, request: [read-only]}]\n"
        "  scaler:\n"
        "    grants: [{id: scaler-change, environments: [staging], request: [change]}]\n"
        "groups:\n"
        "  S0SCALERS: {roles: [scaler]}\n"
        "approvals:\n"
        "  - {id: shadowed, environments: [prod], tools: [rollback_deployment], ttl: 5m}\n"
        "blast_radius:\n"
        "  - {id: toothless, environments: [prod]}\n"
    )
    (policies / "approvals.yaml").write_text(
        (policies / "approvals.yaml").read_text().replace("tools: [remediation, change]\n"
                                                          "    approvers: 1\n"
                                                          "    requester_may_approve: true",
                                                          "tools: [remediation]\n"
                                                          "    approvers: 1\n"
                                                          "    requester_may_approve: true"))
    assert opsbot_policy("lint", "--policies", str(policies)) == 1
    out = capsys.readouterr().out
    assert "warning: [role-unheld] role auditor is held by no user or group" in out
    assert f"{policies / 'zz-extra.yaml'}:9: error: [rule-unreachable] shadowed" in out
    assert f"{policies / 'zz-extra.yaml'}:11: error: [rule-ineffective] toothless sets no limit" \
        in out
    assert "error: [no-approval-rule] scale_deployment in staging" in out
