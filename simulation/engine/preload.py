"""What the pool's fork server prepares once for every process it forks (``processes.PRELOAD``): the engine
imported and the scenario's validator built (pydantic builds a model's validator at its first use: in every
pool process otherwise, as each one reads the scenario it serves)."""

from simulation.engine import runner  # noqa: F401 (imported for the processes forked from here)
from simulation.model.scenario import Scenario

Scenario.model_rebuild()
