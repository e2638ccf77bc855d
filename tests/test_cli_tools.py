"""`opsbot tools list|show`: the catalog with class, risk, arguments, backends, origin and
schemas, plugin tools included; a plugin that does not load stops the CLI naming it."""

from __future__ import annotations

import pytest
from queue_plugin import install_queues

from assistant.cli import main


def test_a_plugin_that_does_not_import_stops_the_cli_with_its_name(
        plugin_site, capsys: pytest.CaptureFixture[str]) -> None:
    plugin_site.install("acme-broken", "acme_broken", "import not_a_module\n",
                        {"broken": "acme_broken:TOOLS"})
    assert main(["tools", "list"]) == 2
    err = capsys.readouterr().err
    assert "plugin broken (acme_broken:TOOLS, acme-broken 0.1.0) could not be loaded: " \
           "ModuleNotFoundError" in err


def test_tools_list_and_show_print_the_plugin_with_its_backends_and_schemas(
        plugin_site, capsys: pytest.CaptureFixture[str]) -> None:
    install_queues(plugin_site)
    assert main(["tools", "list"]) == 0
    listed = capsys.readouterr().out
    drain = next(line for line in listed.splitlines() if line.startswith("drain_queue"))
    assert drain.split()[:5] == ["drain_queue", "change", "high", "kubernetes,", "sandbox"]
    rollback = next(line for line in listed.splitlines() if line.startswith("rollback_"))
    assert "sandbox, kubernetes, monitored-sandbox" in rollback and "built-in" in rollback
    assert main(["tools", "show", "drain_queue"]) == 0
    shown = capsys.readouterr().out
    assert "class: change, risk: high" in shown
    assert '"queue"' in shown and '"dropped"' in shown  # args and output schemas
