"""The sandbox backend: a simulated environment served from `evals/scenarios/*.yaml`."""

from tools.sandbox.backend import SandboxBackend
from tools.sandbox.scenario import Scenario, load_scenario

__all__ = ["SandboxBackend", "Scenario", "load_scenario"]
