"""Metric queries a plan ran come back as charts: before the action, and after it with the
action time marked; the terminal saves them as PNG files."""

from assistant.models import Actor
from assistant.terminal import render_turn

QUESTION = "search-api in the search namespace: latency through the roof, cpu pegged"


def test_charts_before_and_after_the_action_with_the_action_marked(open_engine, tmp_path):
    with open_engine("search-traffic-spike") as s:
        asked = s.ask("t1", Actor(user_id="U01ALICE"), QUESTION)
        before = [m for m in asked.messages if m.kind == "chart"]
        assert before and all(m.data["series"] and m.data["action_at"] is None for m in before)
        pid = asked.pending[0].id
        done = s.respond("t1", pid, Actor(user_id="U04DAN"), approve=True)
        after = [m for m in done.messages if m.kind == "chart"]
        assert {m.text for m in after} == {m.text for m in before}
        assert all(m.data["action_at"] and m.proposal_id == pid for m in after)
        text = render_turn(s, done, tmp_path / "charts")
        pngs = sorted((tmp_path / "charts").glob("*.png"))
        assert len(pngs) == len(after)
        assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
        assert "(action marked)" in text
