"""A question's reach (all of it, or a part) and a runbook lead's, from their quantifiers."""

from __future__ import annotations

from assistant.models import Runbook, Section
from assistant.retrieval.scope import reach, runbook_reach


def _runbook(lead: str) -> Runbook:
    return Runbook(id="page", title="Page", sections=(Section(heading="Meaning", text=lead),),
                   path="page.md", content_hash="0")


def test_whole_and_part_quantifiers_say_the_reach() -> None:
    assert reach("no page ever arrived, errors for every alertmanager") == 1
    assert reach("half of the instances are gone") == 1
    assert reach("one replica keeps failing to deliver") == -1
    assert reach("errors sending to a specific alertmanager") == -1


def test_neither_or_both_say_no_reach() -> None:
    assert reach("the network interface keeps flapping") == 0
    assert reach("one of all the replicas") == 0


def test_a_runbook_says_its_reach_in_the_first_sentence_of_its_lead() -> None:
    assert runbook_reach(_runbook("All instances failed to send notification. "
                                  "Check one of them first.")) == 1
    assert runbook_reach(_runbook("At least one instance is unable to send. "
                                  "If all fail, see the cluster page.")) == -1
    assert runbook_reach(Runbook(id="empty", title="Empty", path="e.md", content_hash="0")) == 0
