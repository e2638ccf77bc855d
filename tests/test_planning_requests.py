from assistant.planning.requests import requested_replicas, requested_tools


def test_verbs_name_the_requested_action():
    assert requested_tools("roll it back now") == {"rollback_deployment"}
    assert requested_tools("rollback checkout pls") == {"rollback_deployment"}
    assert requested_tools("cart OOM again, restart") == {"restart_deployment"}
    assert requested_tools("search needs more capacity") == {"scale_deployment"}
    assert requested_tools("mute that disk alert for 2h") == {"silence_alert"}
    assert requested_tools("why is checkout down?") == frozenset()


def test_explicit_replica_count_is_read_but_not_durations_or_percentages():
    assert requested_replicas("scale search-api to 12") == 12
    assert requested_replicas("give it 6 replicas") == 6
    assert requested_replicas("latency up to 90 percent") is None
    assert requested_replicas("silence it to 30 minutes") is None
    assert requested_replicas("why is it slow") is None
