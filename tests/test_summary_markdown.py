from datetime import UTC, datetime

from assistant.models import AuditEvent
from assistant.summary import incident_summary

T0 = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
CALL = {"tool": "rollback_deployment",
        "args": {"namespace": "shop", "deployment": "checkout", "revision": 41}}


def _event(seq: int, kind: str, actor: str | None, payload: dict) -> AuditEvent:
    return AuditEvent(seq=seq, time=T0, kind=kind, actor=actor, thread="t1", payload=payload,
                      prev_hash="x", hash="y")


def test_summary_names_who_requested_approved_and_the_outcome():
    events = [
        _event(1, "question", "U02BOB", {"question": "why is checkout down?",
                                         "alert": {"alertname": "KubePodCrashLooping"}}),
        _event(2, "retrieval", None, {"hits": [{"id": "k8s-crashloop-after-deploy"}]}),
        _event(3, "proposal", "U02BOB", {"id": "p-1", "call": CALL}),
        _event(4, "decision", "U02BOB", {"proposal_id": "p-1", "outcome": "confirm",
                                         "stage": "proposal", "reasons": []}),
        _event(5, "approval", "U01ALICE", {"proposal_id": "p-1"}),
        _event(6, "execution", "host:1", {"proposal_id": "p-1", "status": "succeeded",
                                          "attempts": 1, "output": "rolled back"}),
        _event(7, "verification", "host:1", {"proposal_id": "p-1", "verdict": "improved"}),
    ]
    md = incident_summary("t1", events)
    assert md.startswith("# Incident summary — thread t1")
    assert "alertname=KubePodCrashLooping" in md
    assert "k8s-crashloop-after-deploy" in md
    assert ("`rollback_deployment(deployment='checkout', namespace='shop', revision=41)` "
            "requested by U02BOB; policy confirm; approved by U01ALICE; succeeded "
            "(1 attempt(s)); verification: improved") in md
    assert "## Timeline (UTC)" in md and "14:00:00 — U02BOB asked" in md


def test_unconfirmed_proposal_is_an_open_question():
    events = [
        _event(1, "question", "U02BOB", {"question": "q", "alert": {}}),
        _event(2, "proposal", "U02BOB", {"id": "p-2", "call": CALL}),
        _event(3, "decision", "U02BOB", {"proposal_id": "p-2", "outcome": "confirm",
                                         "stage": "proposal", "reasons": []}),
    ]
    md = incident_summary("t1", events)
    assert "(p-2) is still awaiting confirmation" in md


def test_empty_thread_says_so():
    assert "No events recorded" in incident_summary("nope", [])


def test_an_interruption_by_hand_names_who_and_why_and_a_crash_says_crash():
    events = [
        _event(1, "proposal", "U02BOB", {"id": "p-1", "call": CALL}),
        _event(2, "interrupted", "U01ALICE", {"proposal_id": "p-1", "by_hand": True,
                                              "reason": "replica gone, rollout checked"}),
        _event(3, "interrupted", "host:1", {"proposal_id": "p-2"}),
    ]
    md = incident_summary("t1", events)
    assert ("U01ALICE marked p-1 interrupted (replica gone, rollout checked); "
            "it was not re-run") in md
    assert "p-2 was interrupted by a crash and not re-run" in md
    assert "p-1 was interrupted by a crash" not in md
