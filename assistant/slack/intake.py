"""What arrives from Slack and Alertmanager, checked before opsbot acknowledges it.

A request is acknowledged before it is handled, so what cannot be handled must be refused
here, where the sender still hears about it: a signed Slack body that is not a JSON object
(or not shaped like one Slack sends) is a 400 naming the problem rather than a crash, and
text that no database can store (NUL, which PostgreSQL text cannot hold, or a lone UTF-16
surrogate, which is not UTF-8 at all) is a 400 naming the field instead of an
acknowledgement followed by a failed write.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from slack_bolt import BoltRequest
from slack_bolt.request.internals import extract_content_type, parse_body

from assistant.errors import InputError

SLACK_SOURCE = "Slack request"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_field(data: Any, path: str = "") -> str | None:
    """The dotted path of the first key or string in ``data`` a database cannot store."""
    if isinstance(data, str):
        return (path or "(body)") if _UNSTORABLE.search(data) else None
    if isinstance(data, Mapping):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _UNSTORABLE.search(key):
                return where
            found = unstorable_field(value, where)
            if found:
                return found
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            found = unstorable_field(value, f"{path}.{i}" if path else str(i))
            if found:
                return found
    return None


def check_storable(data: Any, source: str) -> None:
    field = unstorable_field(data)
    if field is not None:
        raise InputError("contains a NUL character or a lone surrogate, which cannot be "
                         "stored", source=source, field=field)


def slack_request(body: str, query: str, headers: Mapping[str, str]) -> BoltRequest:
    """A signed HTTP request as bolt will route it; InputError when Slack could not have
    sent it."""
    normalized: dict[str, Sequence[str]] = {k.lower(): [v] for k, v in headers.items()}
    try:
        # bolt's own parsing, so that what is checked here is what bolt routes.
        payload = parse_body(body, extract_content_type(normalized))
    except ValueError as exc:
        raise InputError(f"the body is not JSON: {exc}", source=SLACK_SOURCE) from None
    if not isinstance(payload, dict):
        raise InputError("the body is not a JSON object", source=SLACK_SOURCE)
    check_storable(payload, SLACK_SOURCE)
    return _routable(lambda: BoltRequest(body=body, query=query, headers=normalized))


def envelope_request(payload: dict[str, Any],
                     headers: dict[str, str | Sequence[str]] | None) -> BoltRequest:
    """A Socket Mode envelope's payload as bolt will route it; InputError as above."""
    check_storable(payload, SLACK_SOURCE)
    return _routable(lambda: BoltRequest(body=payload, mode="socket_mode", headers=headers))


def _routable(build: Callable[[], BoltRequest]) -> BoltRequest:
    try:
        return build()
    except (AttributeError, TypeError, KeyError, IndexError) as exc:
        # bolt reads the workspace, user and channel out of fields it expects to be
        # objects and lists.
        raise InputError(f"not shaped like a Slack request ({exc})",
                         source=SLACK_SOURCE) from None
