"""Bad suite files are refused with the file, line and field to fix."""

from __future__ import annotations

import pytest

from assistant.errors import InputError
from assistant.evaluation import load_suite

HEAD = "suite: s\nscenario: checkout-bad-deploy\nas: U02BOB\ncases:\n"

BAD = [
    ("duplicate-id", HEAD + "  - {id: a, question: q}\n  - {id: a, question: r}\n",
     6, "cases.1.id", "duplicate case id"),
    ("unknown-tool", HEAD + "  - id: a\n    question: q\n    expect: {not_proposes: [nuke]}\n",
     7, "cases.0.expect.not_proposes", "unknown tool 'nuke'"),
    ("unknown-key", HEAD + "  - id: a\n    question: q\n    expect: {proposess: []}\n",
     7, "cases.0.expect.proposess", "Extra inputs"),
    ("bad-outcome", HEAD + "  - id: a\n    question: q\n"
     "    expect: {decision: {scale_deployment: maybe}}\n",
     7, "cases.0.expect.decision.scale_deployment", "allow"),
    ("no-actor", "suite: s\nscenario: checkout-bad-deploy\ncases:\n  - {id: a, question: q}\n",
     4, "cases.0.id", "no `as`"),
    ("unknown-scenario", "suite: s\nscenario: atlantis\nas: U\ncases:\n  - {id: a, question: q}\n",
     2, "scenario", "unknown scenario 'atlantis'"),
    ("thread-split", HEAD + "  - {id: a, question: q, thread: t}\n  - {id: b, question: q}\n"
     "  - {id: c, question: q, thread: t}\n", 7, "cases.2.thread", "must be consecutive"),
    ("hold-without-follower", HEAD + "  - {id: a, question: q, thread: t, confirm_as: U01ALICE,"
     " hold_execution: true}\n", 5, "cases.0.hold_execution", "next case of the same world"),
    ("actions-without-scenario", "suite: s\ncases:\n  - id: a\n    question: q\n"
     "    expect: {runbook: x, proposes: []}\n", 5, "cases.0.expect",
     "only expect.runbook can be checked without a scenario"),
    ("duplicate-key", HEAD + "  - {id: a, question: q, as: U01ALICE, as: U02BOB}\n",
     5, "cases.0.as", "duplicate key 'as'"),
    ("min-pass-range", HEAD.replace("cases:", "min_pass: 2\ncases:") + "  - {id: a, question: q}\n",
     4, "min_pass", "less than or equal to 1"),
    ("empty-answer-not-mentions", HEAD + "  - id: a\n    question: q\n"
     "    expect: {answer_not_mentions: [' ']}\n", 7, "cases.0.expect.answer_not_mentions",
     "case 'a': Value error, an empty string is in every answer"),
    ("answer-not-mentions-without-scenario", "suite: s\ncases:\n  - id: a\n    question: q\n"
     "    expect: {runbook: x, answer_not_mentions: [restart]}\n", 5, "cases.0.expect",
     "case 'a': only expect.runbook can be checked without a scenario"),
    ("not-proposes-unknown-tool-with-args", HEAD + "  - id: a\n    question: q\n"
     "    expect:\n      not_proposes:\n        - {tool: nuke, args: {namespace: shop}}\n",
     9, "cases.0.expect.not_proposes.0.tool", "case 'a': Value error, unknown tool 'nuke'"),
    ("not-proposes-args-not-a-mapping", HEAD + "  - id: a\n    question: q\n"
     "    expect:\n      not_proposes:\n        - {tool: scale_deployment, args: [shop]}\n",
     9, "cases.0.expect.not_proposes.0.args", "case 'a': Input should be a valid dictionary"),
    ("not-proposes-cannot-be-contested", HEAD + "  - id: a\n    question: q\n"
     "    expect:\n      not_proposes:\n        - {tool: scale_deployment, contested: true}\n",
     9, "cases.0.expect.not_proposes.0.contested", "case 'a': Extra inputs"),
    ("contested-not-a-bool", HEAD + "  - {id: a, question: q}\n  - id: b\n    question: q\n"
     "    expect:\n      proposes:\n        - {tool: scale_deployment, contested: maybe}\n",
     10, "cases.1.expect.proposes.0.contested", "case 'b': Input should be a valid boolean"),
]


@pytest.mark.parametrize(("text", "line", "field", "message"),
                         [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_suite_names_file_line_and_field(tmp_path, text, line, field, message):
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_suite(path)
    error = caught.value
    assert (error.source, error.line, error.field) == (str(path), line, field)
    assert message in error.message


def test_an_error_inside_a_case_names_the_case_id_and_one_outside_does_not(tmp_path):
    path = tmp_path / "suite.yaml"
    path.write_text(HEAD + "  - {id: fine, question: q}\n"
                    "  - {id: thread-b, question: q, thread: t}\n"
                    "  - {id: between, question: q}\n  - {id: thread-c, question: q, thread: t}\n")
    with pytest.raises(InputError) as caught:
        load_suite(path)
    assert str(caught.value) == (f"{path}:8: cases.3.thread: case 'thread-c': "
                                 "cases of 't' must be consecutive")
    path.write_text(HEAD.replace("cases:", "k: 0\ncases:") + "  - {id: a, question: q}\n")
    with pytest.raises(InputError) as caught:
        load_suite(path)
    assert caught.value.field == "k" and "case" not in caught.value.message


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "suite.yaml"
    path.write_text(HEAD + "  - {id: a, question: [unclosed\n")
    with pytest.raises(InputError) as caught:
        load_suite(path)
    assert caught.value.source == str(path) and caught.value.line == 6


def test_defaults_resolve_runbooks_policies_and_actor(tmp_path):
    path = tmp_path / "suite.yaml"
    path.write_text(HEAD + "  - {id: a, question: q}\n  - {id: b, as: U03CAROL, question: q}\n")
    suite = load_suite(path)
    assert [c.as_ for c in suite.cases] == ["U02BOB", "U03CAROL"]
    assert [p.name for p in suite.runbook_dirs] == ["runbooks"]
    assert suite.policy_dir.name == "policies" and suite.scenario.stem == "checkout-bad-deploy"
