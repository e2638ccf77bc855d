"""A question about a healthy workload is answered about it, and the answer shows what is
wrong beside it in the same namespace without proposing anything there."""

from assistant.models import Actor

BOB = Actor(user_id="U02BOB")


def test_a_healthy_suspect_is_cleared_and_the_troubled_neighbour_is_shown(open_engine):
    with open_engine("invoice-builder-oom") as session:
        turn = session.ask("t1", BOB, "is invoice-api what keeps breaking billing? roll it back?")
        answer = next(m.text for m in turn.messages if m.kind == "answer")
        assert "billing/invoice-api: healthy" in answer
        assert "billing/invoice-builder: containers are OOMKilled" in answer
        assert "in the same namespace billing/invoice-builder does" in answer
        assert turn.pending == ()
