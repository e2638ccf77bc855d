"""How text names a workload: as a word, hyphenated or written with spaces. Pure."""

from __future__ import annotations

import re

# Words naming another kind of thing than a workload: a word just before one describes
# that thing ("orders database", "payments queue"), not a workload whose name part it is.
OTHER_KINDS = frozenset(
    """
    database databases db dbs datastore queue queues cache caches broker brokers topic topics
    bucket buckets table tables schema redis postgres postgresql mysql mariadb mongo mongodb
    kafka rabbitmq memcached elasticsearch opensearch cassandra
    """.split()
)


def name_pattern(name: str) -> re.Pattern[str]:
    """The name as a word, hyphenated or written with spaces ("checkout worker")."""
    parts = [re.escape(p) for p in name.split("-")]
    return re.compile(rf"(?<![a-z0-9-])(?:{'-'.join(parts)}|{' '.join(parts)})(?![a-z0-9-])")


def mentions(text: str, name: str) -> bool:
    """``text`` names ``name`` as a word, hyphenated or written with spaces."""
    return name_pattern(name).search(text.lower()) is not None
