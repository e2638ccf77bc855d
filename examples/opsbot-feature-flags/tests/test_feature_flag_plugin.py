"""The example plugin end to end: pip installs it, `opsbot tools list` shows it, its eval
suite has a runbook step propose it, policy confirm or deny it, and a confirmed call turn
the flag off in a real flag service on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flag_standin import FlagStandin, serve

PLUGIN = Path(__file__).resolve().parents[1]
REPO = PLUGIN.parents[1]
FLAG = "checkout-new-pricing"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin pip-installed into a directory of its own, offline, as a team would
    install it into opsbot's environment."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--target", str(target), str(PLUGIN)],
        check=True, capture_output=True, timeout=300)
    return target


@pytest.fixture
def flags() -> Iterator[FlagStandin]:
    standin, server = serve({FLAG: {"enabled": True, "service": "checkout"}})
    yield standin
    server.shutdown()
    server.server_close()


def _opsbot(installed: Path, tmp_path: Path, *args: str,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {}),
                   "PYTHONPATH": os.pathsep.join([str(installed), str(REPO)]),
                   "OPSBOT_HOME": str(tmp_path / "home")}
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=REPO,
                          env=environment, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_the_installed_plugin_is_in_the_tool_catalog(installed: Path, tmp_path: Path) -> None:
    listed = _opsbot(installed, tmp_path, "tools", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [tool] = [t for t in json.loads(listed.stdout) if t["name"] == "set_feature_flag"]
    assert tool["class"] == "remediation" and tool["risk"] == "medium"
    assert tool["backends"] == ["kubernetes", "sandbox"]
    assert tool["origin"] == ("plugin feature_flags (opsbot_feature_flags.tools:TOOLS, "
                              "opsbot-feature-flags 0.1.0)")
    shown = _opsbot(installed, tmp_path, "tools", "show", "set_feature_flag")
    assert "sandbox: the flag service at $OPSBOT_SANDBOX_FLAGS_URL (HTTP)" in shown.stdout
    assert "kubernetes: the flag service at $OPSBOT_FLAGS_URL (HTTP)" in shown.stdout


@pytest.mark.slow
def test_the_eval_suite_proposes_decides_and_turns_the_flag_off(
        installed: Path, tmp_path: Path, flags: FlagStandin) -> None:
    report = tmp_path / "report.json"
    ran = _opsbot(installed, tmp_path, "eval", str(PLUGIN / "evals" / "pricing-flag.yaml"),
                  "--json", str(report), env={"OPSBOT_SANDBOX_FLAGS_URL": flags.url})
    assert ran.returncode == 0, ran.stdout + ran.stderr
    cases = {c["id"]: c for s in json.loads(report.read_text())["suites"] for c in s["cases"]}
    assert set(cases) == {"flag-turned-off-after-confirmation", "viewer-may-not-flip-flags"}
    assert all(c["passed"] for c in cases.values())
    # Only the confirmed case changed the flag, and the approver is its author.
    assert flags.changes == [{"key": FLAG, "enabled": False, "changed_by": "U04DAN"}]
    assert flags.flags[FLAG]["enabled"] is False


def test_without_its_flag_service_the_sandbox_says_so_instead_of_faking_it(
        installed: Path, tmp_path: Path) -> None:
    sys.path.insert(0, str(installed))
    try:
        from opsbot_feature_flags.tools import SET_FEATURE_FLAG, SetFeatureFlagArgs

        from assistant.models import ToolContext
        from tools.backend import ToolFailure

        run = SET_FEATURE_FLAG.implementations["sandbox"].run  # type: ignore[index]
        context = ToolContext(environment="prod", backend_kind="sandbox",
                              now="2025-03-11T14:40:00Z")
        env = os.environ.pop("OPSBOT_SANDBOX_FLAGS_URL", None)
        try:
            with pytest.raises(ToolFailure, match="needs the flag service's URL in "
                                                  "OPSBOT_SANDBOX_FLAGS_URL"):
                run(SetFeatureFlagArgs(flag=FLAG, enabled=False, service="checkout"), context)
        finally:
            if env is not None:
                os.environ["OPSBOT_SANDBOX_FLAGS_URL"] = env
    finally:
        sys.path.remove(str(installed))
