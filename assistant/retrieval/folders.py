"""Which runbook folders an opsbot home indexes, beyond the configured ones.

`opsbot index DIR` records DIR in ``OPSBOT_HOME/runbook-folders.json`` so that every later
command and every running server (which checks the list with the runbooks, see live.py)
answers from it too, until `opsbot index --forget DIR`. Paths are kept absolute: the next
command may run from another directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError

from assistant.errors import InputError

FOLDERS_FILE = "runbook-folders.json"


class _FolderList(BaseModel):
    folders: list[Path]


class IndexedFolders:
    def __init__(self, home: Path) -> None:
        self.path = home / FOLDERS_FILE

    def read(self) -> tuple[Path, ...]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the indexed folder list: {exc}",
                             source=str(self.path)) from None
        try:
            return tuple(_FolderList.model_validate_json(text).folders)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            raise InputError(f"not a folder list ({error['msg']}); fix it or delete it and "
                             "run `opsbot index DIR` again", source=str(self.path),
                             field=".".join(str(p) for p in error["loc"]) or None) from None

    def add(self, folders: Iterable[Path]) -> tuple[Path, ...]:
        known = self.read()
        return self._write(known + tuple(f for f in _absolute(folders) if f not in known))

    def forget(self, folders: Iterable[Path]) -> tuple[Path, ...]:
        known = self.read()
        gone = set(_absolute(folders))
        missing = sorted(str(f) for f in gone if f not in known)
        if missing:
            raise InputError(f"not an indexed folder: {', '.join(missing)}", field="--forget")
        return self._write(tuple(f for f in known if f not in gone))

    def _write(self, folders: tuple[Path, ...]) -> tuple[Path, ...]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"folders": [str(f) for f in folders]}, indent=2),
                             encoding="utf-8")
        os.replace(temporary, self.path)  # a reader sees the old list or the new, whole
        return folders


def _absolute(folders: Iterable[Path]) -> list[Path]:
    return [f.expanduser().resolve() for f in folders]


def runbook_folders(configured: Sequence[Path], home: Path) -> tuple[Path, ...]:
    """The configured folders, then those `opsbot index DIR` added, each once."""
    seen: dict[Path, None] = dict.fromkeys(configured)
    seen.update(dict.fromkeys(IndexedFolders(home).read()))
    return tuple(seen)
