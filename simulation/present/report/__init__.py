"""Decision reports (PDF, standalone HTML, JSON, CSV) built from scenarios and their results.

Django-free so that the CLI and the web app produce the same files. The heavy
renderers (WeasyPrint, matplotlib) are imported only when a report of their
format is rendered, so ``import simulation`` stays light.
"""

from simulation.present.report.model import build_report
from simulation.present.report.option import Option, option_from_results
from simulation.version import REPORT_SCHEMA

__all__ = ["REPORT_SCHEMA", "Option", "build_report", "option_from_results"]
