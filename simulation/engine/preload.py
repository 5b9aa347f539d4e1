"""What the pool's fork server prepares once for every process it forks (``processes.PRELOAD``): the engine
imported and the scenario's validator built (pydantic builds a model's validator at its first use: in every
pool process otherwise, as each one reads the scenario it serves), and the parts of numpy it imports only at
their first use (``numpy.random``, ``numpy.ma``: in every pool process's first chunks otherwise)."""

import numpy.ma
import numpy.random  # noqa: F401 (numpy imports these at their first use)

from simulation.engine import runner  # noqa: F401 (imported for the processes forked from here)
from simulation.model.scenario import Scenario

Scenario.model_rebuild()
