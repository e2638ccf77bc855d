"""`opsbot index` and `opsbot search` end to end, on a small folder and the real model."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest

from assistant.cli import search as search_cli
from assistant.config import REPO_ROOT, Settings
from assistant.config.reading import load_config
from assistant.errors import InputError
from assistant.retrieval import load_runbooks
from assistant.runtime import build_index


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="opsbot")
    search_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    args.opsbot_config = load_config(os.environ)
    return int(args.func(args) or 0)


def write_runbooks(folder: Path) -> None:
    folder.mkdir()
    (folder / "TargetDown.md").write_text(
        "---\ntitle: Target Down\n---\n# TargetDown\n\n## Meaning\n\n"
        "Prometheus cannot scrape a target.\n\n## Diagnosis\n\nOpen the /targets page.\n",
        encoding="utf-8",
    )
    (folder / "disk.md").write_text(
        "---\nid: disk-full\ntitle: Disk almost full\n---\n## Mitigation\n\nDelete old logs.\n",
        encoding="utf-8",
    )
    (folder / "broken.md").write_text(
        "---\nsteps:\n  - tool: reboot_everything\n---\n# Broken\n", encoding="utf-8"
    )


def test_index_reports_counts_and_per_file_errors(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_runbooks(home / "rb")
    shipped = len(load_runbooks([REPO_ROOT / "runbooks"]).runbooks)
    assert run(["index", str(home / "rb")]) == 1  # one file is broken
    out, err = capsys.readouterr()
    assert f"indexed {shipped + 2} runbooks" in out
    assert f"added {shipped + 2}, updated 0, removed 0, unchanged 0" in out
    assert "broken.md:3: steps.0.tool: unknown tool 'reboot_everything'" in err

    (home / "rb" / "broken.md").unlink()
    assert run(["index"]) == 0  # the folder added before is still indexed
    assert f"added 0, updated 0, removed 0, unchanged {shipped + 2}" in capsys.readouterr().out

    assert run(["search", "prometheus cannot scrape", "--k", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["runbook"] == "TargetDown"
    assert rows[0]["section"] == "Meaning"
    assert rows[0]["snippet"] == "Prometheus cannot scrape a target."

    assert run(["search", "old logs", "--alert", "TargetDown", "--k", "2"]) == 0
    out = capsys.readouterr().out
    assert out.index("TargetDown") < out.index("disk-full")
    assert "— Mitigation" in out and "Delete old logs." in out


def test_a_folder_indexed_once_serves_later_commands_until_forgotten(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_runbooks(home / "team-wiki")
    (home / "team-wiki" / "broken.md").unlink()
    assert run(["index", str(home / "team-wiki")]) == 0
    assert "indexed folders kept in" in capsys.readouterr().out
    settings = Settings.from_env()
    assert build_index(settings).get("disk-full").title == "Disk almost full"

    assert run(["index", "--forget", str(home / "team-wiki")]) == 0
    assert "removed 2" in capsys.readouterr().out
    with pytest.raises(KeyError):
        build_index(settings).get("disk-full")
    with pytest.raises(InputError, match="not an indexed folder"):
        run(["index", "--forget", str(home / "team-wiki")])


def test_search_builds_a_missing_index_from_the_default_folders(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["search", "roll back a bad deploy", "--k", "2"]) == 0
    out, err = capsys.readouterr()
    assert "indexed" in err
    assert out.startswith("1. ")
    assert (home / "home" / "index" / "runbooks.json").is_file()
