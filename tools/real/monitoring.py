"""The monitoring half of the real backend: Prometheus (metrics, error budgets, rule alerts)
and optionally Alertmanager (alerts with silenced state, silences), answering the catalog's
read-only monitoring tools and silences in the sandbox's shapes.

It is a part of its own so that it can sit beside any source of workloads: the live cluster
in RealBackend, or the sandbox's simulated one when eval suites run against real monitoring.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from assistant.models import ErrorBudget, ToolOutput
from tools import render
from tools.alertmanager.client import AlertmanagerClient, Silence
from tools.backend import ToolFailure
from tools.catalog import GetErrorBudgetArgs, ListAlertsArgs, QueryMetricsArgs, SilenceAlertArgs
from tools.outputs import FromTo, SilenceChange, SilencedAlert, SilenceSpec, changed
from tools.prometheus import series
from tools.prometheus.budget import LOOKBACK, budget_output, fill, read_error_budget
from tools.prometheus.client import PrometheusClient
from tools.real.alerts import AlertRecord, alerts_output, from_alertmanager, from_rules
from tools.real.change import Change
from tools.real.settings import SloQueries


class Monitoring:
    """Prometheus plus an optional Alertmanager, read at the time ``clock`` gives."""

    def __init__(
        self,
        prometheus: PrometheusClient,
        slo: SloQueries,
        alertmanager: AlertmanagerClient | None,
        clock: Callable[[], datetime],
        *,
        silence_author: str = "opsbot",
        namespaces: tuple[str, ...] = (),
    ) -> None:
        self.prometheus = prometheus
        self.alertmanager = alertmanager
        self._slo = slo
        self._clock = clock
        self._silence_author = silence_author
        self._namespaces = namespaces

    def close(self) -> None:
        self.prometheus.close()
        if self.alertmanager is not None:
            self.alertmanager.close()

    def alerts(self) -> list[AlertRecord]:
        if self.alertmanager is not None:
            return [from_alertmanager(a) for a in self.alertmanager.alerts()]
        return from_rules(self.prometheus.alerts())

    def error_budget(self, service: str) -> ErrorBudget | None:
        return read_error_budget(self.prometheus, self._slo, service, self._clock())

    # --- read-only tools -------------------------------------------------------------

    def query_metrics(self, args: QueryMetricsArgs) -> ToolOutput:
        return series.query_metrics(self.prometheus, args, self._clock())

    def list_alerts(self, args: ListAlertsArgs) -> ToolOutput:
        return alerts_output(self.alerts(), args, self._clock())

    def get_error_budget(self, args: GetErrorBudgetArgs) -> ToolOutput:
        budget = self.error_budget(args.service)
        if budget is None:
            raise ToolFailure(
                f"service {args.service!r} has no error-budget data in Prometheus: "
                f"{fill(self._slo.error_budget, args.service)} returned nothing in the last "
                f"{LOOKBACK}")
        return budget_output(budget, self._clock())

    # --- silences --------------------------------------------------------------------

    def preview_silence(self, args: SilenceAlertArgs) -> str:
        """Alertmanager has no dry run, so the silence is matched against the alerts it
        holds now. Nobody has approved yet, so the author is named only as the approver."""
        return self._silence(args, "the approver").render() + (
            "\n  - Alertmanager has no dry run: matched against the alerts it holds now")

    def silence_alert(self, args: SilenceAlertArgs, approved_by: str | None = None) -> ToolOutput:
        """The silence's createdBy is ``approved_by``; without one, the configured author."""
        author = approved_by or self._silence_author
        change = self._silence(args, author)
        silence = change.changed
        assert isinstance(silence, SilenceChange) and silence.silence.after is not None
        matchers = silence.silence.after.matchers
        starts = self._clock()
        silence_id = self._require_alertmanager().create_silence(
            matchers,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=args.duration_minutes),
            created_by=author,
            comment=args.comment,
        )
        return ToolOutput(text=change.render() + f"\n  - silence id: {silence_id}",
                          data=changed(change.changed).plus({"silence_id": silence_id}))

    def silences(self) -> list[Silence]:
        return self._require_alertmanager().silences()

    def expire_silence(self, silence_id: str) -> Silence:
        return self._require_alertmanager().expire_silence(silence_id)

    def _require_alertmanager(self) -> AlertmanagerClient:
        if self.alertmanager is None:
            raise ToolFailure("silences need Alertmanager: set ALERTMANAGER_URL")
        return self.alertmanager

    def _in_scope(self, matchers: dict[str, str]) -> None:
        """With OPSBOT_NAMESPACES set, opsbot acts only there: Kubernetes calls are refused
        elsewhere, and a silence must be pinned to one of those namespaces, because
        Alertmanager would otherwise apply it to every namespace's alerts."""
        if not self._namespaces:
            return
        scope = ", ".join(self._namespaces)
        namespace = matchers.get("namespace")
        if namespace is None:
            raise ToolFailure("a silence without a namespace matcher would reach namespaces "
                              f"outside this opsbot's scope (OPSBOT_NAMESPACES: {scope}): "
                              "add a namespace matcher")
        if namespace not in self._namespaces:
            raise ToolFailure(f"namespace {namespace!r} is outside this opsbot's scope "
                              f"(OPSBOT_NAMESPACES: {scope})")

    def _silence(self, args: SilenceAlertArgs, author: str) -> Change:
        if args.matchers.get("alertname", args.alertname) != args.alertname:
            raise ToolFailure(f"matchers name alertname={args.matchers['alertname']!r} but "
                              f"alertname is {args.alertname!r}")
        self._in_scope(args.matchers)
        self._require_alertmanager()
        matchers = {**args.matchers, "alertname": args.alertname}
        ends = self._clock() + timedelta(minutes=args.duration_minutes)
        hits = [r for r in self.alerts() if r.matches(matchers)]
        rendered = ", ".join(f"{k}={v}" for k, v in sorted(matchers.items()))
        details = [
            f"{r.name}{{{', '.join(f'{k}={v}' for k, v in sorted(r.labels.items()))}}} "
            f"({r.state} -> silenced)"
            for r in hits
        ] or ["matches no current alert"]
        return Change(
            summary=f"silence {rendered} for {args.duration_minutes} min, until "
                    f"{render.clock(ends)}, by {author}",
            details=tuple(details),
            changed=SilenceChange(
                silence=FromTo(before=None, after=SilenceSpec(
                    matchers=matchers, ends_at=ends.isoformat(), comment=args.comment,
                    created_by=author)),
                alerts=[SilencedAlert(name=r.name, labels=r.labels, before=r.state,
                                      after="silenced") for r in hits],
            ),
        )
