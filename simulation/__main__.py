"""``python -m simulation run|check|validate FILE`` — see ``simulation.cli.main``.

With ``--workers N`` above 1 the pool's fork server starts first (``engine.processes.start_early``):
it imports the engine on another core while this process imports it for itself. At the end every object
is frozen out of the garbage collector (``gc.freeze``): exiting then frees them without walking them all
(about 0.1 s of CPU after a full run otherwise).
"""

import sys

if __name__ == "__main__":
    from simulation.engine.processes import start_early

    start_early(sys.argv[1:])

from simulation.cli.main import entry_point  # after the fork server has started

if __name__ == "__main__":
    import gc

    try:
        entry_point()
    finally:  # the process ends: its last garbage collections would only walk every object once more
        gc.freeze()
