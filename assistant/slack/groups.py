"""Which Slack user groups a user is in, so a policy grant to a group (S0SRE -> sre) works.

The whole directory is read with usergroups.list + usergroups.users.list and kept for a
TTL. When Slack cannot be read, the last good copy is used; with none, a user has no
groups, so policy sees fewer roles and refuses rather than grants (fail closed).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from assistant.slack.egress import SlackOut

log = logging.getLogger(__name__)


class UserGroupDirectory:
    def __init__(self, out: SlackOut, ttl_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._out = out
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._groups_of: Mapping[str, tuple[str, ...]] = {}
        self._loaded_at: float | None = None

    def groups_of(self, user_id: str) -> tuple[str, ...]:
        with self._lock:
            now = self._clock()
            if self._loaded_at is None or now - self._loaded_at >= self._ttl:
                fresh = self._read()
                if fresh is not None:
                    self._groups_of = fresh
                    self._loaded_at = now
            return self._groups_of.get(user_id, ())

    def _read(self) -> dict[str, tuple[str, ...]] | None:
        listing = self._out.read("usergroups_list")
        if listing is None:
            return None
        members: dict[str, list[str]] = {}
        for group in listing.get("usergroups", []):
            users = self._out.read("usergroups_users_list", usergroup=group["id"])
            if users is None:
                return None
            for user in users.get("users", []):
                members.setdefault(user, []).append(group["id"])
        return {user: tuple(sorted(ids)) for user, ids in members.items()}
