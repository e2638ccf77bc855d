"""Execution results kept on local disk until the database has recorded them.

An action that ran must not be forgotten because the database failed between the run and
the write of its result (a SQLite lock held past the wait, PostgreSQL stopped). The
executor writes each result here first, one JSON file per proposal, fsynced and renamed
into place under OPSBOT_HOME, and deletes it once the database holds it. Whatever is left
(the database was down, or the process died before recording) is recorded later by a
heartbeat or by the next start on this home.

The writer holds an flock on its file while it records, so a replay in another thread or
process skips that file instead of recording the same result twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.models import ExecutionResult
from assistant.storage.database import unavailable_reason

log = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


class SpooledResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    thread_id: str
    result: ExecutionResult  # its output is already redacted


class ResultSpool:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, proposal_id: str) -> Path:
        if not _SAFE_NAME.match(proposal_id) or proposal_id.startswith("."):
            raise ValueError(f"proposal id {proposal_id!r} cannot name a spool file")
        return self.folder / f"{proposal_id}.json"

    @contextmanager
    def kept(self, thread_id: str, result: ExecutionResult) -> Iterator[None]:
        """Keep ``result`` on disk while the block records it in the database.

        The file is deleted when the block ends normally and stays for a later replay when
        it raises.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(result.proposal_id)
        tmp = self.folder / f".{result.proposal_id}.{uuid.uuid4().hex}.tmp"
        data = SpooledResult(thread_id=thread_id, result=result).model_dump_json().encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            try:
                os.write(fd, data)
                os.fsync(fd)
                # Locked before it gets its name, so a replay can never find it unlocked.
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            _sync_folder(self.folder)
            yield
            path.unlink()
            _sync_folder(self.folder)
        finally:
            os.close(fd)

    def replay(self, record: Callable[[SpooledResult], None]) -> int:
        """Hand each kept result that nobody is recording now to ``record``; forget those it
        returns from. Stops at the first database outage and re-raises it (the next replay
        tries again); any other failure is logged and its result kept for a person, and the
        others are still recorded. Returns how many were recorded."""
        if not self.folder.is_dir():
            return 0
        done = 0
        for path in sorted(self.folder.glob("*.json")):
            with _locked(path) as fd:
                if fd is None:
                    continue
                try:
                    entry = SpooledResult.model_validate_json(path.read_bytes())
                except (ValidationError, ValueError) as exc:
                    # Kept, never deleted: it may be the only trace of an action that ran.
                    log.error("spooled result %s is unreadable and stays for a person to "
                              "look at: %s", path, exc)
                    continue
                try:
                    record(entry)
                except Exception as exc:
                    if unavailable_reason(exc) is not None:
                        raise
                    log.error("spooled result %s could not be recorded and stays for a "
                              "person to look at: %s", path, exc)
                    continue
                path.unlink()
                _sync_folder(self.folder)
                done += 1
        return done

    def pending(self) -> list[str]:
        """Proposal ids of the results still waiting to be recorded."""
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.json"))


@contextmanager
def _locked(path: Path) -> Iterator[int | None]:
    """The file's descriptor under an exclusive lock; None when another holder records it
    now or has just recorded and deleted it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield None
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield fd if os.fstat(fd).st_nlink > 0 else None
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
