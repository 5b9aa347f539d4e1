"""The four report formats: the key figures of the results are in every one, safely escaped."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from simulation.present.report.exporters import (
    EXPORTERS,
    CsvExporter,
    HtmlExporter,
    JsonExporter,
    PdfExporter,
    exporter_for,
    script_json,
    slugify,
)

from report_helpers import expected_money, expected_seconds, pdf_pages, pdf_text, shown

WHEN = datetime(2026, 11, 29, 18, 30, tzinfo=UTC)
NASTY = 'Zürich <script>alert("x")</script> & co'


@pytest.fixture
def rendered_pdf(three_options, decision):
    return PdfExporter(three_options, decision, generated_at=WHEN).render()


@pytest.fixture
def html_text(three_options, decision) -> str:
    return HtmlExporter(three_options, decision, generated_at=WHEN).render()[2].decode("utf-8")


def test_it_names_every_format_behind_one_contract():
    assert set(EXPORTERS) == {"pdf", "html", "json", "csv"}
    for identifier, cls in EXPORTERS.items():
        assert cls.identifier == identifier and cls.verbose_name
    with pytest.raises(ValueError, match="format"):
        exporter_for("docx")


def test_it_makes_ascii_file_names_from_the_title():
    assert slugify("Checkout DB — Q3 'décision'") == "checkout-db-q3-decision"
    assert slugify("«»") == "decision-report"


@pytest.mark.slow
def test_it_puts_each_options_key_figures_and_verdicts_in_the_pdf(rendered_pdf, three_options, tmp_path):
    filename, content_type, pdf = rendered_pdf
    assert filename.endswith(".pdf") and content_type == "application/pdf" and pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    for option in three_options:
        results = option.results
        for incident_type in ("db_primary_failure", "region_outage"):
            assert expected_seconds(results.incident_types[incident_type].rto_s.p95) in text
        costs = results.costs
        assert expected_money(costs.premium_usd_per_month, costs.currency) in text
        for verdict in results.verdicts:
            assert ("✓ Met — " if verdict.met else "✗ Missed — ") + shown(verdict, results) in text


@pytest.mark.slow
def test_it_prints_the_decision_cover_and_page_numbers_in_the_pdf(rendered_pdf, tmp_path):
    text = pdf_text(rendered_pdf[2], tmp_path)
    assert "Checkout DB resilience — Q3 'décision'" in text
    assert "Chosen: Active-passive, which meets every target" in text
    assert "Zoë O'Brien" in text
    assert "Checkout went down for 2 h <b>twice</b>." in text  # shown as written, not as markup
    assert NASTY.replace(" & co", "") in text  # the option's name, verbatim (the PDF may wrap before '& co')
    pages = len(pdf_pages(rendered_pdf[2], tmp_path))
    assert pages >= 5 and f"Page {pages} of {pages}" in text


@pytest.mark.slow
def test_it_lists_assumptions_and_reproducibility_in_the_pdf(rendered_pdf, three_options, tmp_path):
    text = pdf_text(rendered_pdf[2], tmp_path)
    assert "failover.mode manual automated" in text
    assert "costs.chaos_testing_hours_per_month 8 0" in text
    for option in three_options:
        assert option.results.scenario_sha256 in text.replace(" ", "")


def test_it_escapes_names_and_notes_in_the_html(html_text):
    assert "<script>alert(" not in html_text
    assert "Zürich &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in html_text
    assert "Checkout went down for 2 h &lt;b&gt;twice&lt;/b&gt;." in html_text
    assert "Zoë O&#39;Brien" in html_text


def test_it_keeps_the_figures_json_from_closing_its_script_element(html_text):
    figures = html_text[html_text.index('<script id="report-figures"') :]
    figures = figures[figures.index(">") + 1 : figures.index("</script>")]
    assert "<" not in figures
    decoded = json.loads(figures)
    shown_as_typed = NASTY.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # Plotly decodes these
    assert any(shown_as_typed in trace.get("name", "") for fig in decoded.values() for trace in fig["data"])
    assert json.loads(script_json({"a": "</script><!--\u2028"})) == {"a": "</script><!--\u2028"}


def test_it_makes_an_html_file_that_needs_no_other_host(html_text):
    assert '<script id="plotly-js">' in html_text and "Plotly.newPlot" in html_text
    start = html_text.index('<script id="plotly-js">')
    end = html_text.index("</script>", start)
    outside_plotly = html_text[:start] + html_text[end:]
    assert not re.search(r"https?://", outside_plotly)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", outside_plotly)  # nor protocol-relative


def test_it_puts_each_options_key_figures_in_the_html(html_text, three_options):
    for option in three_options:
        rto = option.results.incident_types["db_primary_failure"].rto_s.p95
        assert expected_seconds(rto) in html_text
        for verdict in option.results.verdicts:
            assert shown(verdict, option.results) in html_text


def test_it_exports_decision_scenarios_and_full_results_as_json(three_options, decision):
    filename, content_type, data = JsonExporter(three_options, decision, generated_at=WHEN).render()
    doc = json.loads(data)
    assert filename.endswith(".json") and content_type == "application/json"
    assert doc["report_schema"] == 1 and doc["generated_at"] == "2026-11-29 18:30 UTC"
    assert doc["decision"]["chosen"] == "Active-passive" and doc["decision"]["sign_offs"][0]["name"] == "Zoë O'Brien"
    assert [o["label"] for o in doc["options"]] == [o.label for o in three_options]
    assert [o["chosen"] for o in doc["options"]] == [False, True, False]
    for exported, option in zip(doc["options"], three_options):
        assert exported["scenario"] == option.document
        assert exported["results"] == option.results.to_json()
        assert exported["scenario_sha256"] == option.results.scenario_sha256
    assert doc["targets"]["rto_s"] == 300.0


def test_it_exports_one_csv_row_per_option_with_units_in_the_headers(three_options, decision):
    filename, content_type, data = CsvExporter(three_options, decision).render()
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert filename.endswith(".csv") and content_type.startswith("text/csv")
    assert [r["option"] for r in rows] == [o.label for o in three_options]
    for row, option in zip(rows, three_options):
        results = option.results
        assert float(row["premium [USD/month]"]) == results.costs.premium_usd_per_month
        assert float(row["db_primary_failure.rto_p95 [s]"]) == results.incident_types["db_primary_failure"].rto_s.p95
        assert float(row["annual_downtime_mean [s]"]) == results.annual.downtime_s.mean
        assert row["targets_met"] == str(results.targets_met)
        assert row["verdict.rto.db_primary_failure.met"] == str(results.verdicts[0].met)
    headers = rows[0].keys()
    measured = [
        h for h in headers if re.search(r"(rto|loss|downtime|premium|total|rate)", h) and not h.endswith(".met")
    ]
    assert measured and all(h.endswith("]") for h in measured)
    assert not any(h.startswith("bad_deploy.") for h in headers)  # no option has bad deploys at a rate > 0


def test_it_rejects_reports_without_options_or_with_an_unknown_chosen_option(three_options):
    with pytest.raises(ValueError, match="options"):
        JsonExporter([], None).render()
    with pytest.raises(ValueError, match="chosen"):
        JsonExporter(three_options, {"chosen": "Nope"}).render()


@pytest.mark.slow
def test_it_loads_the_heavy_renderers_only_when_rendering():
    import subprocess
    import sys

    code = (
        "import sys, simulation.present.report.exporters, simulation.cli.report; "
        "print(sorted(m for m in ('weasyprint', 'matplotlib', 'plotly', 'jinja2', 'django') if m in sys.modules))"
    )
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True, cwd=repo
    )
    assert done.stdout.strip() == "[]"
