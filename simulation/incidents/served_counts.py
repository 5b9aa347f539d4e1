"""The served fraction of a fleet's counts, a whole batch's at once: each count (in rotation, serving, the
users' route) as one integer key, ``FleetShape.served`` worked out once per key met."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation.incidents.fleet_closed import FleetShape, Route

Floats = NDArray[np.float64]


def served_of(shape: FleetShape, routes: list[Route], keys: NDArray[np.int64]) -> Floats:
    """``shape.served`` of each key (route × (m + 1)² + in rotation × (m + 1) + serving, the route's index among
    ``routes``), worked out once per key met: through a table of every key when they all fall in it."""
    return ServedTable(shape, routes).of_keys(keys)


class ServedTable:
    """The served fraction with ``rotation`` instances in rotation, ``serving`` of them working (every instance
    out of rotation deregistered: fail-open routes to the same ones) and the route of index ``route`` among
    ``routes`` taken, from the fleet's own (the key of ``served_of``); a table of every key, filled as keys are
    met."""

    def __init__(self, shape: FleetShape, routes: list[Route]) -> None:
        self.shape, self.routes, m = shape, routes, shape.instances
        self.table, self.known = np.zeros(len(routes) * (m + 1) ** 2), np.zeros(len(routes) * (m + 1) ** 2, bool)

    def __call__(self, rotation: NDArray[np.intp], serving: NDArray[np.intp], route: NDArray[np.int64]) -> Floats:
        m = self.shape.instances
        return self.of_keys(route * (m + 1) ** 2 + rotation * (m + 1) + serving)

    def of_keys(self, keys: NDArray[np.int64]) -> Floats:
        table = self.table
        if not len(keys) or keys.min() < 0 or keys.max() >= len(table):  # outside the table (or none): one by one
            met, where = np.unique(keys, return_inverse=True)
            values = [self._served(k) for k in met.tolist()]
            return np.array(values)[where.reshape(-1)] if len(met) else np.zeros(len(keys))
        new = keys[~self.known[keys]]
        if len(new):  # keys met for the first time, each once (a mask, not ``np.unique``: that imports numpy.ma)
            first = np.zeros(len(table), dtype=bool)
            first[new] = True
            firsts = np.flatnonzero(first).tolist()
            table[firsts] = [self._served(k) for k in firsts]
            self.known[firsts] = True
        served: Floats = table[keys]
        return served

    def _served(self, key: int) -> float:
        m = self.shape.instances
        size = (m + 1) ** 2
        return self.shape.served(key % size // (m + 1), key % (m + 1), self.routes[key // size])
