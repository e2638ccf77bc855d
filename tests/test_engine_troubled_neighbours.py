"""A question about a healthy workload is answered about it, and the answer shows what is
wrong beside it in the same namespace without proposing anything there. A question that
names nothing and tells no symptom ("what's on fire?") shows every workload in trouble,
proposing nothing either."""

from assistant.models import Actor

BOB = Actor(user_id="U02BOB")


def _answer(open_engine, question: str) -> str:
    """The answer to ``question`` on the invoice-builder-oom world; it proposes nothing."""
    with open_engine("invoice-builder-oom") as session:
        turn = session.ask("t1", BOB, question)
        assert turn.pending == ()
        return next(m.text for m in turn.messages if m.kind == "answer")


def test_a_healthy_suspect_is_cleared_and_the_troubled_neighbour_is_shown(open_engine):
    answer = _answer(open_engine, "is invoice-api what keeps breaking billing? roll it back?")
    assert "billing/invoice-api: healthy" in answer
    assert "billing/invoice-builder: containers are OOMKilled" in answer
    assert "in the same namespace billing/invoice-builder does" in answer


def test_an_overview_shows_the_findings_of_every_workload_in_trouble(open_engine):
    answer = _answer(open_engine, "what's on fire right now?")
    assert "billing/invoice-builder: containers are OOMKilled" in answer
    assert "firing now in" in answer
    assert "nothing called" not in answer
