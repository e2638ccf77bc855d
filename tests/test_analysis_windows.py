"""Change windows are read from annotations in the shapes people write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from assistant.analysis.windows import change_window

START = datetime(2026, 11, 19, 21, 0, tzinfo=UTC)
END = datetime(2026, 11, 19, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize("annotations", [
    {"maintenance_window": "2026-11-19T21:00:00Z/2026-11-19T23:30:00Z"},
    {"maintenance": "CHG-1 reseed, 2026-11-19T21:00:00Z to 2026-11-19T23:30:00Z"},
    {"maintenance": "CHG-1 2026-11-19 21:00 to 23:30 UTC"},
    {"change_window": "Planned maintenance on 2026-11-19 from 21:00 UTC until 23:30 UTC"},
    {"maintenance": "21:00-23:30 UTC 2026-11-19"},
    {"maintenance": "2026-11-19 21:00 - 2026-11-19 23:30 UTC"},
    {"maintenance_start": "2026-11-19T21:00:00Z", "maintenance_end": "2026-11-19T23:30:00Z"},
    {"change_ticket": "CHG-1 2026-11-19T21:00:00Z/2026-11-19T23:30:00Z"},
    {"ops.example.com/change-window": "2026-11-19T21:00:00Z/2026-11-19T23:30:00Z"},
])
def test_a_window_is_read_whatever_its_shape(annotations: dict[str, str]) -> None:
    window = change_window(annotations)
    assert window is not None
    assert window[1:] == (START, END)


def test_an_end_before_its_start_on_the_same_written_date_is_the_next_day() -> None:
    window = change_window({"maintenance": "MNT-7 2026-11-19 23:00 to 01:00 UTC"})
    assert window is not None
    assert window[2] - window[1] == timedelta(hours=2)


def test_an_offset_after_seconds_is_a_zone_but_a_range_is_not() -> None:
    window = change_window({"change": "2026-11-19T22:00:00+01:00 to 2026-11-20T00:30:00+01:00"})
    assert window is not None
    assert window[1] == START.astimezone(timezone(timedelta(hours=1)))


@pytest.mark.parametrize("annotations", [
    {"maintenance": "2026-11-19 21:00 to 23:30"},  # no zone: a guess could be hours off
    {"summary": "latency above 1s between 21:00 and 23:30 UTC on 2026-11-19"},  # not a change
    {"maintenance": "ends 2026-11-19T23:30:00Z"},  # one moment only
])
def test_no_window_is_invented(annotations: dict[str, str]) -> None:
    assert change_window(annotations) is None


@pytest.mark.parametrize("annotations", [
    {"summary": "checkout 5xx above 5% since 2026-11-19 21:00 UTC "
                "(after change CHG-12 deployed at 20:55 UTC)"},
    {"description": "Memory rising since the 2026-11-19 21:00 UTC upgrade; "
                    "projected to reach the limit at 23:30 UTC"},
    {"description": "Errors since the migration at 2026-11-19T21:00:00Z, "
                    "last checked 2026-11-19T23:30:00Z"},
])
def test_two_times_an_alert_mentions_apart_are_not_a_window(
        annotations: dict[str, str]) -> None:
    # An alert that mentions a change and two moments in passing describes a fault; read
    # as a window, it would call a bad change's alert expected and offer to silence it.
    assert change_window(annotations) is None


@pytest.mark.parametrize("key", ["description", "summary", "message", "runbook_url",
                                 "maintenance_note", "impact"])
def test_prose_annotations_define_no_window(key: str) -> None:
    # Descriptions and summaries are templated from label values a scraped target can
    # set: a window written there would let that text mute its own alert.
    text = "Planned maintenance on 2026-11-19 from 21:00 UTC until 23:30 UTC"
    assert change_window({key: text}) is None
