"""A question that names two troubled workloads gets each one's evidence-backed remedy,
not only the first one's."""

from assistant.models import Actor

ALICE = Actor(user_id="U01ALICE")


def test_two_named_workloads_each_get_their_remedy(open_engine):
    with open_engine("sailing-cache-codec-rollout") as session:
        turn = session.ask("t1", ALICE, "timetables fail and boarding is slow: what do we do "
                                        "about sailing-cache and boarding-api?")
        pending = {(p.call.tool, p.call.args["deployment"]) for p in turn.pending}
        assert pending == {("rollback_deployment", "sailing-cache"),
                           ("scale_deployment", "boarding-api")}


def test_a_named_healthy_workload_gets_nothing(open_engine):
    with open_engine("sailing-cache-codec-rollout") as session:
        turn = session.ask("t1", ALICE, "sailing-cache decode errors, berth-planner is fine, "
                                        "what now?")
        assert {p.call.args["deployment"] for p in turn.pending} == {"sailing-cache"}
