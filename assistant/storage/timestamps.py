"""One text form for every stored time, so that both databases sort and hash it alike."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def db_time(value: datetime) -> str:
    """UTC with microseconds: fixed width, so text order is time order.

    A naive datetime is taken to be UTC already (sandbox clocks are naive UTC).
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse_db_time(text: str) -> datetime:
    return datetime.fromisoformat(text)
