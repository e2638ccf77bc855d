"""Chart messages from observations whose tool draws one (a metric query)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.models import Chart, ChartMessage
from assistant.planning.offline import Observation
from assistant.steps.state import message
from tools.catalog import get_tool


def charts_of(obs: Observation) -> Chart | None:
    spec = get_tool(obs.call.tool)
    if not obs.ok or spec.chart is None:
        return None
    return spec.chart(spec.validate_args(obs.call.args), spec.read_output(obs.data))


def chart_messages(observations: Sequence[Observation], action_at: str | None = None,
                   proposal_id: str | None = None) -> list[dict[str, Any]]:
    """One chart per observation whose tool draws one; adapters draw it (PNG file, Slack
    upload)."""
    charts = [chart for chart in map(charts_of, observations) if chart is not None]
    return [message("chart", chart.title, proposal_id,
                    ChartMessage(series=chart.series, action_at=action_at).model_dump(
                        mode="json"))
            for chart in charts]
