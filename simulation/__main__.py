"""``python -m simulation run|check|validate FILE`` — see ``simulation.cli.main``."""

from simulation.cli.main import entry_point

if __name__ == "__main__":
    entry_point()
