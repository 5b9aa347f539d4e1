"""Hostile inputs shared by the engine's and the web app's tests, and a meter for what they cost."""

from __future__ import annotations

import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass


def alias_bomb(key: str = "schema", levels: int = 9) -> str:
    """A few hundred bytes of YAML whose aliases expand to 9**levels strings under ``key``."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]")
    lines.append(f"{key}: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def deeply_nested_json(depth: int = 100_000) -> bytes:
    """A JSON object nested far deeper than Python's recursion limit."""
    return ('{"overrides": ' + "[" * depth + "]" * depth + "}").encode()


@dataclass
class Cost:
    seconds: float = 0.0
    peak_bytes: int = 0


@contextmanager
def measured():
    """Wall time and peak traced memory of the block: ``with measured() as cost: ...``."""
    cost = Cost()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield cost
    finally:
        cost.seconds = time.perf_counter() - started
        cost.peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


LINK_NAME = '<a href="https://evil.example/">click me</a>'
FORMULA_NAMES = ('=HYPERLINK("https://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rReturn")


def texts_of(node):
    """Every string anywhere in a (JSON-like) figure, templates included."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from texts_of(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from texts_of(value)


def has_live_link(figures) -> bool:
    """True when a figure carries markup Plotly would render as a link."""
    return any("<a " in text or "<a>" in text for text in texts_of(figures))
