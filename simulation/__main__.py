"""``python -m simulation run|check|validate FILE`` — see ``simulation.cli.main``.

With ``--workers N`` above 1 the pool's fork server starts first (``engine.processes.start_early``):
it imports the engine on another core while this process imports it for itself.
"""

import sys

if __name__ == "__main__":
    from simulation.engine.processes import start_early

    start_early(sys.argv[1:])

from simulation.cli.main import entry_point  # after the fork server has started

if __name__ == "__main__":
    entry_point()
