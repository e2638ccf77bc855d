"""Bad input through the CLI: a clear error naming the file, line and field, exit 2."""

import logging
from pathlib import Path

import pytest

from assistant.cli import main

REPO = Path(__file__).resolve().parent.parent
SHIPPED_RUNBOOKS = len(list((REPO / "runbooks").glob("*.md")))


def test_malformed_scenario_names_file_line_and_field(home, capsys):
    bad = home / "broken.yaml"
    good = (REPO / "evals" / "scenarios" / "cart-memory-leak.yaml").read_text()
    bad.write_text(good.replace("replicas: 3", "replicas: lots", 1))
    line = next(i for i, text in enumerate(bad.read_text().splitlines(), 1)
                if "replicas: lots" in text)
    assert main(["ask", "x", "--scenario", str(bad), "--as", "U02BOB"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:{line}:" in err
    assert "replicas" in err and "integer" in err


def test_unknown_scenario_lists_the_known_ones(home, capsys):
    assert main(["ask", "x", "--scenario", "nope", "--as", "U02BOB"]) == 2
    err = capsys.readouterr().err
    assert "unknown scenario 'nope'" in err and "checkout-bad-deploy" in err


def test_bad_policy_file_names_file_line_and_key(home, capsys, monkeypatch):
    policies = home / "policies"
    policies.mkdir()
    for f in (REPO / "policies").glob("*.yaml"):
        (policies / f.name).write_text(f.read_text())
    (policies / "zz-extra.yaml").write_text("roles:\n  oncall:\n    colour: blue\n")
    monkeypatch.setenv("OPSBOT_POLICIES", str(policies))
    assert main(["ask", "x", "--scenario", "checkout-bad-deploy", "--as", "U02BOB"]) == 2
    err = capsys.readouterr().err
    assert f"{policies / 'zz-extra.yaml'}:3:" in err and "colour" in err


def test_bad_alert_flag_names_the_flag(home, capsys):
    assert main(["ask", "x", "--scenario", "checkout-bad-deploy", "--as", "U02BOB",
                 "--alert", "novalue"]) == 2
    assert "--alert: expected KEY=VALUE" in capsys.readouterr().err


def test_runbook_with_unknown_tool_is_reported_and_the_rest_still_index(
    home, capsys, monkeypatch
):
    extra = home / "wiki"
    extra.mkdir()
    (extra / "reboot.md").write_text(
        "---\nid: reboot\ntitle: Reboot\nsteps:\n  - tool: reboot_node\n    args: {}\n---\n"
        "# Reboot\n")
    (extra / "broken.md").write_text("---\nid: b\ntitle: [unclosed\n---\n# B\n")
    monkeypatch.setenv("OPSBOT_RUNBOOKS", str(extra))
    assert main(["index"]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert f"{extra / 'reboot.md'}:5: steps.0.tool: unknown tool 'reboot_node'" in text
    assert f"{extra / 'broken.md'}:4: invalid YAML" in text
    assert f"indexed {SHIPPED_RUNBOOKS} runbooks" in text


def test_a_runbook_with_an_impossible_date_never_stops_index_or_ask(
    home, capsys, monkeypatch, caplog
):
    wiki = home / "wiki"
    wiki.mkdir()
    bad = wiki / "disk.md"
    bad.write_text("---\ntitle: Disk full\ndate: 2024-02-30\n---\n# Disk full\nClean up.\n")
    monkeypatch.setenv("OPSBOT_RUNBOOKS", str(wiki))
    assert main(["index"]) == 1
    out = capsys.readouterr()
    assert f"{bad}:3: date: '2024-02-30' is not a valid timestamp" in out.err
    # every shipped runbook, none of the wiki
    assert f"indexed {SHIPPED_RUNBOOKS} runbooks" in out.out
    with caplog.at_level(logging.WARNING, logger="assistant.runtime"):
        assert main(["ask", "why does checkout keep restarting?", "--scenario",
                     "checkout-bad-deploy", "--as", "U02BOB"]) == 0
    assert any(f"runbook skipped: {bad}:3: date:" in r.getMessage() for r in caplog.records)


CHART_QUESTION = "search-api in the search namespace: latency through the roof, cpu pegged"


@pytest.mark.parametrize("command", [["ask", CHART_QUESTION], ["chat"]])
@pytest.mark.parametrize("thread", ["../../escaped", ".."])
def test_a_thread_id_that_is_not_one_folder_name_is_refused_naming_it(home, capsys, command,
                                                                      thread):
    """Charts go to OPSBOT_HOME/charts/<thread>: a thread id with .. or / wrote them
    anywhere the user can write."""
    assert main([*command, "--scenario", "search-traffic-spike", "--as", "U01ALICE",
                 "--thread", thread]) == 2
    assert f"thread id: {thread!r} cannot name a folder of charts" in capsys.readouterr().err
    assert list(home.rglob("*.png")) == []
