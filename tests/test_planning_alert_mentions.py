"""An alert named only by what it watches ("the disk alert") links to the one firing
alert that fits, or asks back listing the ones that fit equally."""

from __future__ import annotations

import pytest

from assistant.models import AlertInfo, DeploymentInfo, Inventory
from assistant.planning.alert_linking import alerts_meant, link_alert
from assistant.planning.entities import link_entities

DISK = {"namespace": "monitoring", "instance": "ip-10-20-3-17.eu-west-1.compute.internal:9100",
        "mountpoint": "/mnt/scratch"}
MIXED = Inventory(environment="prod", alerts=(
    AlertInfo(name="NodeFilesystemSpaceFillingUp", labels=DISK),
    AlertInfo(name="NodeFilesystemSpaceFillingUp",
              labels={**DISK, "instance": "ip-10-20-3-18.eu-west-1.compute.internal:9100"},
              state="silenced"),
    AlertInfo(name="PostgresReplicationLagHigh", labels={"namespace": "fleet", "pod": "db-2"}),
    AlertInfo(name="KafkaConsumerGroupLag", labels={"namespace": "streaming"}),
    AlertInfo(name="CertificateExpiringSoon", labels={"namespace": "edge"}),
))


@pytest.mark.parametrize(("question", "alertname"), [
    ("silence the filesystem alert, the storage team is migrating volumes",
     "NodeFilesystemSpaceFillingUp"),
    ("silence that disk alert please", "NodeFilesystemSpaceFillingUp"),
    ("mute the replication lag alert", "PostgresReplicationLagHigh"),
    ("is the cert expiry alert anything to worry about?", "CertificateExpiringSoon"),
    ("the tls alert again?", "CertificateExpiringSoon"),
])
def test_an_alert_named_by_what_it_watches_links_the_one_firing_alert_that_fits(
        question: str, alertname: str) -> None:
    link = link_alert(question, MIXED)
    assert link is not None and link.alertname == alertname


def test_the_more_words_of_a_mention_an_alert_fits_the_better_it_is_meant() -> None:
    """"replication lag" fits both words of one alert, only "lag" of the other."""
    assert alerts_meant("silence the replication lag alert", MIXED) == (
        "PostgresReplicationLagHigh",)


def test_a_mention_fitting_several_alerts_equally_is_answered_with_a_question() -> None:
    linking = link_entities("silence the lag alert", None, MIXED)
    assert not linking.resolved
    assert linking.ambiguous == ("KafkaConsumerGroupLag in streaming",
                                 "PostgresReplicationLagHigh in fleet on db-2")


def test_only_alerts_firing_unsilenced_are_meant_by_a_loose_mention() -> None:
    quiet = Inventory(environment="prod", alerts=(
        AlertInfo(name="NodeFilesystemSpaceFillingUp", labels=DISK, state="silenced"),))
    assert alerts_meant("silence the disk alert", quiet) == ()


def test_words_about_something_else_than_the_alert_name_no_alert() -> None:
    """The words before "alert" say which one; words elsewhere (volumes) do not."""
    assert alerts_meant("the volumes are migrating, any alert?", MIXED) == ()
    assert alerts_meant("mute that alert", MIXED) == ()


QUEUES = Inventory(environment="prod", alerts=(
    AlertInfo(name="QueueBacklogHigh", labels={"namespace": "pharmacy", "queue": "erx-outbound"}),
    AlertInfo(name="QueueBacklogHigh", labels={"namespace": "billing", "queue": "claims-outbound"}),
))


def test_a_word_naming_one_instances_label_value_picks_that_instance() -> None:
    link = link_alert("silence the claims queue alert for 1h", QUEUES)
    assert link is not None and link.namespace == "billing"
    assert link.labels == {"namespace": "billing", "queue": "claims-outbound"}


def test_a_word_every_instance_carries_picks_none() -> None:
    link = link_alert("silence the outbound queue alert", QUEUES)
    assert link is not None and link.namespace is None and link.labels is None


FEEDS = Inventory(environment="prod", alerts=(
    AlertInfo(name="PublisherFeedStale",
              labels={"namespace": "ingest", "deployment": "puller", "feed": "nordic-pub"}),
    AlertInfo(name="PublisherFeedStale",
              labels={"namespace": "ingest", "deployment": "puller", "feed": "harbor-audio"}),
    AlertInfo(name="QueueBacklog", labels={"namespace": "ingest", "queue": "fjord-books"},
              state="silenced"),
))


@pytest.mark.parametrize(("question", "feed"), [
    ("the nordic-pub feed alert is just the cutover, silence it", "nordic-pub"),
    ("silence the harbor audio alert", "harbor-audio"),
    ("mute PublisherFeedStale for harbour-audio", "harbor-audio"),
])
def test_a_label_value_of_one_firing_alert_links_that_instance(question: str,
                                                               feed: str) -> None:
    link = link_alert(question, FEEDS)
    assert link is not None and link.alertname == "PublisherFeedStale"
    assert link.labels is not None and link.labels["feed"] == feed


@pytest.mark.parametrize("question", [
    "silence the puller alert",  # a value both instances carry tells neither apart
    "mute the fjord-books alert",  # only a silenced alert carries it
])
def test_a_value_no_single_firing_alert_carries_alone_links_no_instance(question: str) -> None:
    link = link_alert(question, FEEDS)
    assert link is None or link.labels is None


def test_a_label_value_alone_scopes_the_thread_to_that_instance() -> None:
    feeds = FEEDS.model_copy(update={"deployments": (
        DeploymentInfo(namespace="ingest", name="puller", service="puller", replicas=2,
                       ready_replicas=2),
        DeploymentInfo(namespace="media", name="audio-transcoder", service="audio-transcoder",
                       replicas=3, ready_replicas=3),
    )})
    # "audio" of harbor-audio is only a part of a workload's name; the whole value is the
    # instance's.
    linking = link_entities("what do we actually do about harbor-audio?", None, feeds)
    assert linking.entities.alertname == "PublisherFeedStale"
    assert ("feed", "harbor-audio") in linking.entities.paged_labels


def test_a_follow_up_naming_a_sibling_instance_moves_the_thread_to_it() -> None:
    """"and harbor, same thing?" in a thread paged for nordic-pub's feed alert asks about
    the same alert firing for harbor-audio: its own evidence answers, not nordic-pub's."""
    feeds = FEEDS.model_copy(update={"deployments": (
        DeploymentInfo(namespace="ingest", name="puller", service="puller", replicas=2,
                       ready_replicas=2),)})
    paged = link_entities("feed alert again", {"alertname": "PublisherFeedStale",
                                               "namespace": "ingest", "feed": "nordic-pub"},
                          feeds)
    follow = link_entities("ok and harbor is the same cutover noise I guess?", None, feeds,
                           paged.entities)
    assert ("feed", "harbor-audio") in follow.entities.paged_labels
    again = link_entities("ok, anything else to check?", None, feeds, paged.entities)
    assert ("feed", "harbor-audio") not in again.entities.paged_labels


@pytest.mark.parametrize("question", [
    "ok silence it till the cutover ends. not harbor though, harbor is real",
    "mute it for the cutover; harbor-audio is genuine, leave that one alone",
    "silence it please, except harbor",
])
def test_a_sibling_named_only_to_leave_it_out_keeps_the_thread(question: str) -> None:
    feeds = FEEDS.model_copy(update={"deployments": (
        DeploymentInfo(namespace="ingest", name="puller", service="puller", replicas=2,
                       ready_replicas=2),)})
    paged = link_entities("feed alert again", {"alertname": "PublisherFeedStale",
                                               "namespace": "ingest", "feed": "nordic-pub"},
                          feeds)
    follow = link_entities(question, None, feeds, paged.entities)
    assert ("feed", "nordic-pub") in follow.entities.paged_labels
    assert ("feed", "harbor-audio") not in follow.entities.paged_labels


def test_a_thread_paged_for_an_alert_instance_is_what_a_bare_follow_up_means() -> None:
    stations = Inventory(environment="prod", alerts=(
        AlertInfo(name="StationHeartbeatMissing", labels={"station": "alpweg-top"}),
        AlertInfo(name="StationHeartbeatMissing", labels={"station": "tal-base"}),
    ))
    paged = link_entities("is this the change?", {"alertname": "StationHeartbeatMissing",
                                                  "station": "alpweg-top"}, stations)
    follow = link_entities("ok silence it until the window closes", None, stations,
                           paged.entities)
    assert follow.source == "thread"
    assert ("station", "alpweg-top") in follow.entities.paged_labels


def test_a_piece_of_one_instance_s_label_value_outweighs_a_loosely_named_workload() -> None:
    feeds = FEEDS.model_copy(update={"deployments": (
        DeploymentInfo(namespace="ingest", name="feed-puller", service="feed-puller",
                       replicas=2, ready_replicas=2),)})
    question = "the puller status board flashes red for harbor, is that the cutover?"
    linking = link_entities(question, None, feeds)
    assert linking.entities.alertname == "PublisherFeedStale"
    assert ("feed", "harbor-audio") in linking.entities.paged_labels
