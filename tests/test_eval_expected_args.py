"""An eval case's expected proposal args match as a subset, recursively (DESIGN.md)."""

from __future__ import annotations

from assistant.evaluation.checks import SeenProposal, matches
from assistant.evaluation.suite import ExpectedProposal


def _seen(args: dict) -> SeenProposal:
    return SeenProposal(tool="silence_alert", args=args, outcome="confirm", rules=(),
                        mutating=True, executed=False)


def test_a_narrower_mapping_satisfies_a_wider_expectation() -> None:
    expected = ExpectedProposal(tool="silence_alert",
                                args={"matchers": {"namespace": "identity"}})
    assert matches(expected, _seen({"alertname": "ReplicationLagHigh", "matchers": {
        "namespace": "identity", "service": "user-directory"}}))


def test_a_missing_or_different_nested_value_does_not_match() -> None:
    expected = ExpectedProposal(tool="silence_alert",
                                args={"matchers": {"namespace": "identity"}})
    assert not matches(expected, _seen({"matchers": {"service": "user-directory"}}))
    assert not matches(expected, _seen({"matchers": {"namespace": "billing"}}))
    assert not matches(expected, _seen({"matchers": "namespace=identity"}))


def test_scalars_still_match_by_equality() -> None:
    expected = ExpectedProposal(tool="silence_alert", args={"duration_minutes": 80})
    assert matches(expected, _seen({"duration_minutes": 80}))
    assert not matches(expected, _seen({"duration_minutes": 240}))
