"""Alertmanager's webhook payloads (version 4) for one alert group: checkout's pod crash
looping in namespace shop, firing or resolved."""

from __future__ import annotations

import copy
from typing import Any

GROUP = '{}/{alertname="KubePodCrashLooping"}:{namespace="shop"}'
CRASHLOOP: dict[str, Any] = {
    "status": "firing",
    "labels": {"alertname": "KubePodCrashLooping", "namespace": "shop",
               "pod": "checkout-6f7c9-x2k4q", "container": "checkout", "severity": "warning"},
    "annotations": {"summary": "Pod is crash looping."},
    "startsAt": "2025-03-11T14:24:00Z", "endsAt": "0001-01-01T00:00:00Z",
    "fingerprint": "a1b2c3d4e5f60718",
}


def webhook(status: str = "firing", alerts: list[dict[str, Any]] | None = None,
            **extra: Any) -> dict[str, Any]:
    alerts = copy.deepcopy(alerts if alerts is not None else [CRASHLOOP])
    if status == "resolved":
        for a in alerts:
            a["status"], a["endsAt"] = "resolved", "2025-03-11T15:02:00Z"
    return {"version": "4", "groupKey": GROUP, "status": status, "receiver": "opsbot",
            "groupLabels": {"alertname": "KubePodCrashLooping", "namespace": "shop"},
            "commonLabels": {"alertname": "KubePodCrashLooping", "namespace": "shop"},
            "commonAnnotations": {"summary": "Pod is crash looping."},
            "externalURL": "http://alertmanager:9093", "alerts": alerts, **extra}
