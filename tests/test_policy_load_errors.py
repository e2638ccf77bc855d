"""Bad policy files fail to load with an error naming the file, the line and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT
from assistant.errors import InputError
from assistant.policy import load_policy

BASE = """\
environments: [prod, staging]
roles:
  sre:
    grants:
      - id: sre-all
        request: [read-only, remediation]
        approve: [remediation]
users:
  U01ALICE: {roles: [sre]}
approvals:
  - id: one-approver
    ttl: 15m
"""


def _load_with(tmp_path: Path, extra: str, name: str = "extra.yaml") -> InputError:
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / name).write_text(extra)
    with pytest.raises(InputError) as caught:
        load_policy(tmp_path)
    return caught.value


def test_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    error = _load_with(tmp_path, "blast_radius:\n  - id: limits\n    max_pod: 3\n")
    assert error.source == str(tmp_path / "extra.yaml")
    assert error.line == 3
    assert error.field == "blast_radius.0.max_pod"
    assert "extra" in error.message.lower()


def test_unknown_top_level_section_is_an_error(tmp_path: Path) -> None:
    error = _load_with(tmp_path, "\nrate_limit: [{id: x}]\n")
    assert (error.line, error.field) == (2, "rate_limit")


def test_unknown_tool_names_file_and_line(tmp_path: Path) -> None:
    error = _load_with(tmp_path, "rate_limits:\n  - id: rl\n    max_actions: 2\n"
                                 "    window: 10m\n    tools: [scale_deployment, reboot_node]\n")
    assert error.source == str(tmp_path / "extra.yaml")
    assert error.line == 5
    assert error.field == "rate_limits.0.tools.1"
    assert "reboot_node" in error.message


def test_unknown_role_in_a_user_names_file_and_line(tmp_path: Path) -> None:
    error = _load_with(tmp_path, "users:\n  U02BOB: {roles: [responder]}\n")
    assert error.line == 2
    assert error.field == "users.U02BOB.roles.0"
    assert "unknown role 'responder'" in error.message


def test_role_defined_in_another_file_is_known(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "a-users.yaml").write_text("groups:\n  S0ONCALL: {roles: [oncall]}\n")
    (tmp_path / "z-roles.yaml").write_text("roles:\n  oncall:\n    grants: []\n")
    policy = load_policy(tmp_path)
    assert policy.group_roles["S0ONCALL"] == frozenset({"oncall"})


def test_unknown_role_in_approvers_and_break_glass(tmp_path: Path) -> None:
    error = _load_with(tmp_path, "approvals:\n  - id: x\n    ttl: 5m\n"
                                 "    from_roles: [sre, chief]\n")
    assert (error.line, error.field) == (4, "approvals.0.from_roles.1")


def test_bad_timezone_names_file_and_line(tmp_path: Path) -> None:
    error = _load_with(tmp_path, "freeze_windows:\n  - id: f\n    timezone: Mars/Olympus\n"
                                 "    weekly: {from: 'fri 16:00', to: 'mon 08:00'}\n")
    assert error.source == str(tmp_path / "extra.yaml")
    assert error.line == 3
    assert error.field == "freeze_windows.0.timezone"
    assert "Mars/Olympus" in error.message


def test_unknown_environment_names_file_and_line(tmp_path: Path) -> None:
    error = _load_with(tmp_path, "concurrency:\n  - id: lock\n    environments: [prod, qa]\n")
    assert (error.line, error.field) == (3, "concurrency.0.environments.1")


def test_duplicate_rule_id_across_files_names_both_places(tmp_path: Path) -> None:
    error = _load_with(tmp_path, "concurrency:\n  - id: sre-all\n")
    assert error.source == str(tmp_path / "extra.yaml")
    assert error.line == 2
    assert f"{tmp_path / 'base.yaml'}:5" in error.message


def test_duplicate_user_across_files_is_an_error(tmp_path: Path) -> None:
    error = _load_with(tmp_path, "users:\n\n  U01ALICE: {roles: [sre]}\n")
    assert error.line == 3
    assert "already defined" in error.message


def test_engine_rule_ids_are_reserved(tmp_path: Path) -> None:
    error = _load_with(tmp_path, "concurrency:\n  - id: not-granted\n")
    assert error.line == 2
    assert "reserved" in error.message


def test_two_rate_limit_windows_in_one_environment_are_refused(tmp_path: Path) -> None:
    error = _load_with(tmp_path, "rate_limits:\n  - id: a\n    max_actions: 3\n    window: 30m\n"
                                 "  - id: b\n    environments: [prod]\n    max_actions: 1\n"
                                 "    window: 5m\n")
    assert error.line == 5
    assert "one window per environment" in error.message


@pytest.mark.parametrize("text, field", [
    ("approvals:\n  - id: x\n    ttl: soon\n", "approvals.0.ttl"),
    ("freeze_windows:\n  - id: x\n    timezone: UTC\n    from: 2026-01-02 00:00\n"
     "    to: 2026-01-01 00:00\n", "freeze_windows.0"),
    ("freeze_windows:\n  - id: x\n    timezone: UTC\n    weekly: {from: 'fri 25:00', to: 'mon'}\n",
     "freeze_windows.0.weekly.from"),
    ("blast_radius:\n  - id: Bad Id\n", "blast_radius.0.id"),
])
def test_malformed_values_are_located(tmp_path: Path, text: str, field: str) -> None:
    error = _load_with(tmp_path, text)
    assert error.field == field
    assert error.line is not None and error.line >= 2


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    error = _load_with(tmp_path, "users:\n  U02BOB: {roles: [sre]\n")
    assert error.source == str(tmp_path / "extra.yaml")
    assert error.line is not None


def test_directory_without_policy_files_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no policy files"):
        load_policy(tmp_path)


def test_shipped_policy_loads_and_version_tracks_content(tmp_path: Path) -> None:
    shipped = REPO_ROOT / "policies"
    copy = tmp_path / "copy"
    shutil.copytree(shipped, copy)
    assert load_policy(copy).version == load_policy(shipped).version
    (copy / "roles.yaml").write_text((copy / "roles.yaml").read_text() + "\n# edited\n")
    assert load_policy(copy).version != load_policy(shipped).version


def test_a_user_listed_twice_in_one_file_is_refused_not_last_wins(tmp_path: Path) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(REPO_ROOT / "policies", copy, ignore=shutil.ignore_patterns("tests"))
    roles = copy / "roles.yaml"
    text = roles.read_text()
    carol = "  U03CAROL: {name: carol, roles: [viewer]}\n"
    assert carol in text
    roles.write_text(text.replace(carol, carol + "  U03CAROL: {name: carol, roles: [sre]}\n"))
    first = text.splitlines().index(carol.rstrip("\n")) + 1
    with pytest.raises(InputError) as caught:
        load_policy(copy)
    error = caught.value
    assert (error.source, error.line, error.field) == (str(roles), first + 1, "users.U03CAROL")
    assert f"duplicate key 'U03CAROL' (first given on line {first})" in error.message


@pytest.mark.parametrize("text, line, field, message", [
    ("freeze_windows:\n  - id: f\n    timezone: UTC\n    from: 2024-02-30\n    to: 2024-03-02\n",
     4, "freeze_windows.0.from", "'2024-02-30' is not a valid timestamp"),
    ("approvals:\n  - id: a\n    ttl: 99999999999d\n", 3, "approvals.0.ttl", "at most 3650d"),
    ("rate_limits:\n  - id: r\n    max_actions: 1\n    window: 99999999999999999999999\n",
     4, "rate_limits.0.window", "at most 3650d"),
    ("roles:\n  x:\n    description: " + "[" * 5000 + "]" * 5000 + "\n", 3, None, "nesting"),
    ("roles:\n  x:\n    description: " + "[" * 200 + "]" * 200 + "\n", 3,
     "roles.x.description" + ".0" * 61, "deeper than 64 levels"),
    ("freeze_windows:\n  - id: f\n    timezone: " + "Europe" * 1000 + "\n"
     "    weekly: {from: 'fri 16:00', to: 'mon 08:00'}\n", 3, "freeze_windows.0.timezone",
     "unknown time zone"),
], ids=["impossible-date", "overflowing-days", "overflowing-seconds", "nesting-past-libyaml",
        "nesting-past-limit", "overlong-time-zone"])
def test_values_that_used_to_crash_start_up_are_located(
        tmp_path: Path, text: str, line: int, field: str | None, message: str) -> None:
    error = _load_with(tmp_path, text)
    assert (error.source, error.line, error.field) == (str(tmp_path / "extra.yaml"), line, field)
    assert message in error.message
