"""One configuration: every setting read once from opsbot.yaml and the environment, bad
names and values refused naming the variable (or file and line), credentials masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.config.docs import MASK, readme_block
from assistant.config.reading import load_config, variables
from assistant.errors import InputError

REPO = Path(__file__).resolve().parent.parent


def _refused(env: dict[str, str], **kwargs: object) -> InputError:
    with pytest.raises(InputError) as failed:
        load_config(env, **kwargs)  # type: ignore[arg-type]
    return failed.value


def test_a_misspelled_variable_is_refused_with_the_name_it_resembles() -> None:
    error = _refused({"OPSBOT_SLACK_WORKER": "8"})
    assert error.field == "OPSBOT_SLACK_WORKER" and error.source == "environment"
    assert "did you mean OPSBOT_SLACK_WORKERS?" in error.message


def test_a_variable_a_plugin_declares_is_not_unknown() -> None:
    env = {"OPSBOT_PAGER_URL": "http://pager.internal"}
    assert _refused(env).field == "OPSBOT_PAGER_URL"
    load_config(env, extra_names={"OPSBOT_PAGER_URL"})


def test_variables_of_other_programs_are_left_alone() -> None:
    load_config({"OPSBOTX": "1", "HOME": "/root", "SLACK_SOMETHING_ELSE": "x"})


@pytest.mark.parametrize(("name", "value", "words"), [
    ("OPSBOT_LOG_LEVEL", "chatty", "'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'"),
    ("OPSBOT_DB_WAIT_SECONDS", "a while", "expected a number, got 'a while'"),
    ("OPSBOT_DB_WAIT_SECONDS", "inf", "finite"),
    ("OPSBOT_BACKEND", "nomad", "'sandbox' or 'kubernetes'"),
    ("OPSBOT_TRUST_CLI_IDENTITY", "perhaps", "valid boolean"),
])
def test_a_bad_value_names_its_variable(name: str, value: str, words: str) -> None:
    error = _refused({name: value})
    assert error.field == name
    assert words in error.message


def test_a_bad_log_level_is_one_line_on_stderr_not_a_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    monkeypatch.setenv("OPSBOT_LOG_LEVEL", "loud")
    assert main(["config", "check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("opsbot: error: environment: OPSBOT_LOG_LEVEL: ")
    assert "Traceback" not in err and err.count("\n") == 1


def test_a_lower_case_log_level_is_accepted() -> None:
    assert load_config({"OPSBOT_LOG_LEVEL": "debug"}).tree.logging.level == "DEBUG"


def test_a_credential_is_read_from_its_file_mount(tmp_path: Path) -> None:
    mounted = tmp_path / "signing-secret"
    mounted.write_text("s3cr3t-from-volume\n")
    tree = load_config({"SLACK_SIGNING_SECRET_FILE": str(mounted)}).tree
    assert tree.slack.secret("signing_secret") == "s3cr3t-from-volume"


def test_a_credential_set_twice_or_unreadable_is_refused(tmp_path: Path) -> None:
    both = _refused({"OPENAI_API_KEY": "sk-a", "OPENAI_API_KEY_FILE": str(tmp_path)})
    assert both.field == "OPENAI_API_KEY_FILE" and "not both" in both.message
    missing = _refused({"PROMETHEUS_PASSWORD_FILE": str(tmp_path / "absent")})
    assert missing.field == "PROMETHEUS_PASSWORD_FILE"
    (tmp_path / "blank").write_text("\n")
    blank = _refused({"OPSBOT_ALERTMANAGER_TOKEN_FILE": str(tmp_path / "blank")})
    assert blank.field == "OPSBOT_ALERTMANAGER_TOKEN_FILE" and "empty" in blank.message


def test_only_credentials_have_a_file_variant() -> None:
    assert _refused({"OPSBOT_HOME_FILE": "/x"}).field == "OPSBOT_HOME_FILE"


def test_no_credential_shows_in_the_settings_repr(tmp_path: Path) -> None:
    secrets = {v.env: f"value-of-{v.env.lower()}" for v in variables() if v.secret}
    settings = Settings.from_env({"OPSBOT_HOME": str(tmp_path), **secrets})
    shown = repr(settings)
    assert len(secrets) >= 9
    for value in secrets.values():
        assert value not in shown


def _yaml(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "opsbot.yaml"
    path.write_text(text)
    return {"OPSBOT_CONFIG": str(path)}


def test_the_yaml_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    token = tmp_path / "bot-token"
    token.write_text("xoxb-from-mount")
    env = _yaml(tmp_path, f"core:\n  verify_seconds: 45\n  runbooks: [{tmp_path}]\n"
                          f"slack:\n  workers: 2\n  bot_token_file: {token}\n")
    loaded = load_config({**env, "OPSBOT_SLACK_WORKERS": "6"})
    assert loaded.tree.core.verify_seconds == 45
    assert loaded.tree.core.runbooks == (tmp_path,)
    assert loaded.tree.slack.workers == 6
    assert loaded.tree.slack.secret("bot_token") == "xoxb-from-mount"
    by_env = {v.env: v for v in variables()}
    assert loaded.origin(by_env["OPSBOT_SLACK_WORKERS"]) == "environment"
    assert loaded.origin(by_env["OPSBOT_VERIFY_SECONDS"]) == f"{env['OPSBOT_CONFIG']}:2"


@pytest.mark.parametrize(("text", "line", "field"), [
    ("core:\n  home: /srv\n  db_wait_seconds: -1\n", 3, "core.db_wait_seconds"),
    ("slack:\n  port: 3000\n  prot: 3001\n", 3, "slack.prot"),
    ("core:\n  home: /srv\nsmtp:\n  host: mail\n", 4, "smtp"),  # its first line
])
def test_a_bad_yaml_entry_names_file_line_and_key(tmp_path: Path, text: str, line: int,
                                                   field: str) -> None:
    env = _yaml(tmp_path, text)
    error = _refused(env)
    assert (error.source, error.line, error.field) == (env["OPSBOT_CONFIG"], line, field)


def test_config_check_masks_credentials_and_says_where_values_came_from(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    from assistant.cli import main

    monkeypatch.setenv("OPSBOT_HOME", str(tmp_path))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-never-printed")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-never-printed")
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert "never-printed" not in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()}
    assert rows["SLACK_BOT_TOKEN"] == [MASK, "environment"]
    assert rows["OPSBOT_HOME"] == [str(tmp_path), "environment"]
    assert rows["OPSBOT_SLACK_PORT"] == ["3000", "default"]
    assert set(rows) == {v.env for v in variables()}


def test_config_check_runs_the_checks_that_span_settings(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    monkeypatch.setenv("OPSBOT_BACKEND", "kubernetes")
    monkeypatch.setenv("PROMETHEUS_URL", "http://prometheus.monitoring:9090")
    assert main(["config", "check"]) == 2
    assert "OPSBOT_ENVIRONMENT" in capsys.readouterr().err


def test_every_setting_has_its_own_variable_and_a_meaning() -> None:
    names = [v.env for v in variables()]
    assert len(names) == len(set(names))
    assert all(v.info.description for v in variables())


def test_the_readme_lists_every_setting_as_the_model_declares_it() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme_block() in readme, "run: opsbot config docs --update README.md"
