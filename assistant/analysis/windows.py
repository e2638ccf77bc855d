"""A change window as people write it in an alert's annotations. Pure.

Change calendars and rule owners stamp windows in many shapes: an ISO interval
(`2026-11-19T21:00:00Z/2026-11-19T23:30:00Z`), one date with two times
(`2026-11-19 21:00 to 23:30 UTC`, `on 2026-11-19 from 21:00 UTC until 23:30 UTC`), the
date after the times (`21:00-23:30 UTC 2026-11-19`), or a start and an end in annotations
of their own (`maintenance_start`, `maintenance_end`). A time without a date takes the
nearest date written before it (else the first one after); a time without a zone takes the
zone written elsewhere in the same text; text with no zone at all is not read, since a
guessed zone could put "now" inside a window that has not started. An end at or before
its start on an inherited date is on the next day (`23:00 to 01:00`).

Only annotations dedicated to a change define one (``_WINDOW_KEY``): an alert's
`description` and `summary` are often templated from label values that whatever is
scraped can set, so a window written there would let that text mute its own alert.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import NamedTuple

_DATE = re.compile(r"\d{4}-\d\d-\d\d")
# A numeric offset only right after seconds (21:00:00+01:00): "21:00-23:30" is a range.
_ZONE = r"(?:Z|\s?(?:UTC|GMT)\b|(?<=:\d\d:\d\d)[+-]\d\d:?\d\d)"
_TIME = re.compile(rf"(?<![\d:])(\d\d?):(\d\d)(?::(\d\d)(?:\.\d+)?)?(?![\d:])({_ZONE})?",
                   re.I)
_ANY_ZONE = re.compile(rf"(?<=[\d\s]){_ZONE}", re.I)
# What may stand between a window's start and end besides dates and zones: a range.
_RANGE = re.compile(r"(?:to|until|till|through|thru|and|-|\u2013|\u2014|/)", re.I)
_DATE_OR_ZONE = re.compile(rf"{_DATE.pattern}T?|\b(?:UTC|GMT|on)\b", re.I)
# Annotation keys that declare a change (a calendar or the rule's owner stamps them),
# separators and an optional domain prefix aside: maintenance, maintenance_window, change,
# change_window, change_ticket, and the same with _start/_end (or -begin, .until ...).
_WINDOW_KEY = re.compile(
    r"^(?:[\w.-]+/)?(?:maintenance|change)(?:[_.-]?window|[_.-]?ticket)?"
    r"(?:[_.-]?(?:start|starts|begin|begins|from|end|ends|until|stop))?$", re.I)
_START_KEY = re.compile(r"start|begin|from", re.I)
_END_KEY = re.compile(r"end|until|stop", re.I)


def _zone(text: str) -> timezone | None:
    text = text.strip().upper()
    if text in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


class Moment(NamedTuple):
    at: datetime
    inherited: bool  # its date was taken from elsewhere in the text
    start: int  # where the time is written in the text
    end: int


def moments(text: str) -> list[Moment]:
    """Each time of day in ``text`` as an aware moment; empty when a date or a zone is
    missing."""
    dates = [(m.start(), date.fromisoformat(m.group(0))) for m in _DATE.finditer(text)]
    zones = [_zone(m.group(0)) for m in _ANY_ZONE.finditer(text)]
    if not dates or not zones:
        return []
    found = []
    for m in _TIME.finditer(text):
        before = [(at, d) for at, d in dates if at < m.start()]
        own_date = bool(before) and text[before[-1][0] + 10:m.start()].strip() in ("", "T")
        day = before[-1][1] if before else dates[0][1]
        zone = _zone(m.group(4)) if m.group(4) else zones[0]
        clock = time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
        found.append(Moment(datetime.combine(day, clock, tzinfo=zone), not own_date,
                            m.start(), m.end()))
    return found


def _span(text: str) -> tuple[datetime, datetime] | None:
    found = moments(text)
    if len(found) < 2:
        return None
    first, second = found[0], found[1]
    # "21:00 to 23:30 UTC" is a span; "since 21:00 UTC (deployed at 20:55 UTC)" mentions
    # two moments of a fault, and reading them as a window would call its alert expected.
    between = _DATE_OR_ZONE.sub(" ", text[first.end:second.start]).strip()
    if not _RANGE.fullmatch(between):
        return None
    start, end = first.at, second.at
    if end <= start and second.inherited:
        end += timedelta(days=1)
    return (start, end) if start < end else None


def change_window(annotations: Mapping[str, str]) -> tuple[str, datetime, datetime] | None:
    """(the annotation text it was read from, start, end) of a declared change window."""
    ends: dict[str, tuple[str, datetime]] = {}
    for key, value in sorted(annotations.items()):
        if _WINDOW_KEY.match(key.strip()) is None:
            continue
        span = _span(value)
        if span is not None:
            return (f"{key}: {value}", *span)
        single = moments(value)
        if len(single) == 1:
            side = "end" if _END_KEY.search(key) else "start" if _START_KEY.search(key) else ""
            if side:
                ends[side] = (f"{key}: {value}", single[0].at)
    if "start" in ends and "end" in ends and ends["start"][1] < ends["end"][1]:
        return f"{ends['start'][0]}; {ends['end'][0]}", ends["start"][1], ends["end"][1]
    return None
