"""Incident models, one module each. ``MODELS`` maps incident type → ``simulate(scenario, rng, n, keep_replays)``."""
