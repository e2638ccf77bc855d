"""Kubernetes container waiting reasons in a question, followed by the state they name.

People quote the reason kubectl shows ("stuck in ContainerCreating", "ImagePullBackOff",
"CreateContainerConfigError"); a runbook describes the state ("container in Waiting
state"). Neither BM25 nor the embedding model links the two, so a question quoting a
reason now also says "container waiting". The reasons are the kubelet's own values of
``status.containerStatuses[].state.waiting.reason``. Pure.
"""

from __future__ import annotations

import re

_REASONS = ("ContainerCreating", "PodInitializing", "CrashLoopBackOff", "ErrImagePull",
            "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName",
            "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
            "PreStartHookError", "PostStartHookError")
_REASON = re.compile(r"(?<![\w-])(?:" + "|".join(_REASONS) + r")(?![\w-])", re.IGNORECASE)


def spell_out_waiting_reasons(question: str) -> str:
    """``question`` with each container waiting reason followed by "(container waiting)"."""
    return _REASON.sub(lambda m: f"{m.group()} (container waiting)", question)
