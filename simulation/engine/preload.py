"""What the pool's fork server prepares once for every process it forks (``processes.PRELOAD``): the engine
imported, and the parts of numpy it imports only at their first use (``numpy.random``, ``numpy.ma``: in every
pool process's first chunks otherwise). The scenario a pool process serves comes pickled (``runner``): it
validates nothing, so no validator is built here."""

import numpy.ma
import numpy.random  # noqa: F401 (numpy imports these at their first use)

from simulation.engine import runner  # noqa: F401 (imported for the processes forked from here)
