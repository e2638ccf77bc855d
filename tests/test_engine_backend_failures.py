"""When the environment itself fails, the thread is told plainly and nothing is lost."""

import pytest

from assistant.cli import main
from assistant.models import Actor
from assistant.runtime import open_runtime
from assistant.session import Session
from tools.backend import ToolFailure
from tools.sandbox import SandboxBackend


class UnreachableCluster(SandboxBackend):
    def inventory(self):  # type: ignore[override]
        raise ToolFailure("Kubernetes API unreachable: connection refused", transient=True)


def test_unreachable_environment_becomes_a_failure_message_and_an_audit_event(
    engine_settings, runbook_index
):
    base = SandboxBackend.load("checkout-bad-deploy", engine_settings.scenario_dir)
    broken = UnreachableCluster.from_state(base.state())
    with open_runtime(engine_settings, "checkout-bad-deploy", backend=broken,
                      index=runbook_index) as rt:
        turn = Session(rt).ask("t1", Actor(user_id="U02BOB"), "why is checkout down?")
        assert [m.kind for m in turn.messages] == ["failure"]
        assert "connection refused" in turn.messages[0].text
        kinds = [e.kind for e in rt.store.audit.events(thread="t1")]
        assert kinds[-1] == "error"


def test_kubernetes_backend_without_prometheus_names_the_missing_variable(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("OPSBOT_HOME", str(tmp_path))
    monkeypatch.setenv("OPSBOT_BACKEND", "kubernetes")
    monkeypatch.setenv("OPSBOT_ENVIRONMENT", "prod")
    monkeypatch.delenv("PROMETHEUS_URL", raising=False)
    assert main(["ask", "x", "--as", "U02BOB"]) == 2
    assert "PROMETHEUS_URL" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["docker", "Kubernetes"])
def test_unknown_backend_name_is_an_error_naming_the_variable(
    tmp_path, monkeypatch, capsys, value
):
    monkeypatch.setenv("OPSBOT_HOME", str(tmp_path))
    monkeypatch.setenv("OPSBOT_BACKEND", value)
    assert main(["ask", "x", "--scenario", "checkout-bad-deploy", "--as", "U02BOB"]) == 2
    assert "OPSBOT_BACKEND" in capsys.readouterr().err


def test_cli_approvals_against_a_real_environment_need_a_trusted_shell(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("OPSBOT_HOME", str(tmp_path))
    monkeypatch.setenv("OPSBOT_BACKEND", "kubernetes")
    assert main(["confirm", "p-123", "--as", "U01ALICE"]) == 2
    err = capsys.readouterr().err
    assert "--as" in err and "OPSBOT_TRUST_CLI_IDENTITY" in err
