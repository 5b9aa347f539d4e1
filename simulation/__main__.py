"""``python -m simulation run|check|validate FILE`` — see ``simulation.cli``."""
from .cli import entry_point

if __name__ == "__main__":
    entry_point()
