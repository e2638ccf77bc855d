"""The prefilter finds exactly the lines holding a trigger, whichever way it scans."""

from __future__ import annotations

from assistant.redaction.prefilter import Triggers

TEXT = "a plain line\nname: x\nsee \"name\\\" here\nname only\nx: |\n"


def test_escaped_regex_triggers_are_the_literals_they_match() -> None:
    triggers = Triggers([((r'"name\\', r": \|"), ())], {})
    assert triggers.for_block(TEXT) == {21: {0}, 48: {0}}
    assert triggers.for_line('see "name\\" here') == {0}
    assert triggers.for_line("x | y") == set()  # the bar is a literal, not an alternation


def test_an_anchor_owns_no_line_and_triggers_riding_on_it_still_do() -> None:
    with_anchor = Triggers([(("name:",), ()), (("only",), ())], {}, anchors=("name",))
    without = Triggers([(("name:",), ()), (("only",), ())], {})
    assert with_anchor.for_block(TEXT) == without.for_block(TEXT) == {13: {0}, 38: {1}}
    assert with_anchor.for_line("name only") == {1}
