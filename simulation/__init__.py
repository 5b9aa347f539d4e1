"""Resilience Planner's simulation engine: scenario → Monte Carlo of SimPy incident models → results.

Pure Python (SimPy + NumPy); never imports Django.
"""
from .loading import (Problem, ScenarioError, dump_document, load_file, load_scenario, load_text,
                      parse_text, validate_document)
from .scenario import SCHEMA_VERSION, Scenario

ENGINE_VERSION = "0.1.0"

__all__ = ["ENGINE_VERSION", "SCHEMA_VERSION", "Problem", "Scenario", "ScenarioError", "dump_document",
           "load_file", "load_scenario", "load_text", "parse_text", "validate_document"]
