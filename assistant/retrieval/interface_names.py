"""Linux network interface names in a question, followed by what they are. Pure.

Operators name the interface ("ens3 flapping", "bond0 tx errors"); runbooks say "network
interface". To BM25 an interface name is a term no page has, and the embedding model
reads "ens3" as letters and a digit. udev and the kernel name interfaces by fixed
patterns, so the name alone says it is one.
"""

from __future__ import annotations

import re

# udev's predictable names (eno1, ens3, enp0s31f6, enx..., wlp2s0, wwan0), the classic
# eth0/wlan0, bonds, bridges, virtual pairs, teams and InfiniBand, with an optional VLAN
# suffix (eth0.100); not part of a longer name ("worker-eth0", "/sys/eth0").
_INTERFACE = re.compile(
    r"(?<![\w/.-])(?:eth|en[opsx]|wlan|wl[opx]|ww[a-z]*|bond|br|veth|team|ib)\d[a-z0-9]*"
    r"(?:\.\d+)?(?![\w/-])"
)


def spell_out_interface_names(question: str) -> str:
    """``question`` with each network interface name followed by "(network interface)"."""
    return _INTERFACE.sub(lambda m: f"{m.group()} (network interface)", question)
