"""Read policy files from disk; everything after reading is pure (see compiled.py)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from assistant.errors import InputError
from assistant.policy.compiled import Policy, compile_policy


def policy_files(paths: Path | Iterable[Path]) -> list[Path]:
    """The `*.yaml` files directly in each directory (by name), and each file given."""
    given = [paths] if isinstance(paths, Path) else list(paths)
    files: list[Path] = []
    for path in given:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir()
                                if p.suffix in (".yaml", ".yml") and p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise InputError("no such policy file or directory", source=str(path))
    if not files:
        raise InputError("no policy files (*.yaml) found",
                         source=", ".join(str(p) for p in given))
    return files


def load_policy(paths: Path | Iterable[Path]) -> Policy:
    """Load and compile the policy from directories of `*.yaml` files and/or files."""
    documents = []
    for path in policy_files(paths):
        try:
            documents.append((str(path), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read file: {exc}", source=str(path)) from exc
    return compile_policy(documents)
