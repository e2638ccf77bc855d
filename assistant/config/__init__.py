"""One configuration: the tree of every setting (tree.py), read once at the edge from an
optional opsbot.yaml and the environment (reading.py), and the engine's view of it
(engine.py)."""

from assistant.config.engine import REPO_ROOT, Settings

__all__ = ["REPO_ROOT", "Settings"]
