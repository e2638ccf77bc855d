"""Short names people type for Kubernetes kinds and interface counters, spelled out. Pure.

On call, people write what kubectl accepts: ``get sts``, ``describe hpa``, ``the pvc``.
Runbooks write the kind ("StatefulSet"), so neither BM25 nor the embedding model links
the two; "rx"/"tx" likewise stand for the receive/transmit counters of ``ip -s link``.
The table is kubectl's own short names (``kubectl api-resources``) less those that are
English words ("no", "limits", "quota", "deploy"), plus those two counters. The short name is kept
and the long one follows it, the way identifiers are spelled out (see spelling.py).
"""

from __future__ import annotations

import re

_LONG_NAMES = {
    "cj": "CronJob",
    "cm": "ConfigMap",
    "crd": "CustomResourceDefinition",
    "csr": "CertificateSigningRequest",
    "ds": "DaemonSet",
    "ep": "Endpoints",
    "hpa": "HorizontalPodAutoscaler",
    "ing": "Ingress",
    "netpol": "NetworkPolicy",
    "ns": "Namespace",
    "pdb": "PodDisruptionBudget",
    "po": "Pod",
    "pv": "PersistentVolume",
    "pvc": "PersistentVolumeClaim",
    "rc": "ReplicationController",
    "rs": "ReplicaSet",
    "sa": "ServiceAccount",
    "sc": "StorageClass",
    "sts": "StatefulSet",
    "svc": "Service",
    "rx": "receive",
    "tx": "transmit",
}
# A plural ("pvcs", "hpas") is the same short name; a word inside a path or a hyphenated
# name ("kube-sts-0", "/var/rx") is not one.
_SHORT_NAME = re.compile(
    r"(?<![\w/.-])(" + "|".join(sorted(_LONG_NAMES, key=len, reverse=True)) + r")s?(?![\w/.-])",
    re.IGNORECASE,
)


def spell_out_short_names(question: str) -> str:
    """``question`` with each short name followed by the name it stands for."""
    return _SHORT_NAME.sub(lambda m: f"{m.group()} ({_LONG_NAMES[m.group(1).lower()]})",
                           question)
