"""The readiness report a health endpoint reads: what its checks found last, with why."""

from __future__ import annotations

import json

from assistant.readiness import Readiness
from assistant.storage import DatabaseUnavailableError


def test_a_failing_check_makes_it_unready_with_the_reason_until_it_passes_again() -> None:
    down = True

    def database() -> None:
        if down:
            raise DatabaseUnavailableError("the database is unavailable: connection refused")

    readiness = Readiness({"database": database, "policy": lambda: None}, 60)
    assert not readiness.report().ready
    assert json.loads(readiness.report().to_json()) == {"status": "starting"}

    readiness.probe()
    assert not readiness.report().ready
    assert json.loads(readiness.report().to_json()) == {
        "status": "unavailable",
        "failing": {"database": "the database is unavailable: connection refused"}}

    down = False
    readiness.probe()
    assert readiness.report().ready
    assert json.loads(readiness.report().to_json()) == {"status": "ok"}


def test_a_failure_reason_is_redacted_before_any_probe_can_read_it() -> None:
    def database() -> None:
        raise DatabaseUnavailableError("cannot connect to postgresql://opsbot:Tr0ub4dor@db/ops")

    readiness = Readiness({"database": database}, 60,
                          redact=lambda text: text.replace("Tr0ub4dor", "[REDACTED]"))
    readiness.probe()
    assert readiness.report().failing == {
        "database": "cannot connect to postgresql://opsbot:[REDACTED]@db/ops"}
