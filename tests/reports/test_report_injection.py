"""Names typed by users cannot become spreadsheet formulas in the CSV, nor links in the report's charts."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from simulation.present.report.exporters import CsvExporter, HtmlExporter, csv_cell

from payloads import FORMULA_NAMES, LINK_NAME, has_live_link
from report_contract import contract_option


def _options(labels):
    return [
        contract_option(
            label,
            {"name": label[:50] or "x", "pattern": "active-passive"},
            seed=i,
            rto_median_s=100,
            premium_usd=10.0 * i,
            met=True,
        )
        for i, label in enumerate(labels)
    ]


@pytest.mark.parametrize("names", [FORMULA_NAMES[:3], FORMULA_NAMES[3:]])
def test_it_neutralises_csv_cells_that_start_like_a_formula(decision, names):
    data = CsvExporter(_options(names), {**decision, "chosen": names[0]}).render()[2]
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    assert [row["option"] for row in rows] == ["'" + name for name in names]
    assert all(row["scenario_name"].startswith("'") for row in rows)


def test_it_keeps_numbers_and_plain_text_in_csv_cells_as_they_are():
    assert [csv_cell(v) for v in (-3.5, 0, None, "Active-passive", True)] == [-3.5, 0, "", "Active-passive", True]


def test_it_escapes_option_names_in_every_chart_of_the_html_report(decision):
    html = HtmlExporter(_options([LINK_NAME, "Plain"]), {**decision, "chosen": "Plain"}).render()[2].decode("utf-8")
    figures = json.loads(
        re.search(r'<script id="report-figures" type="application/json">(.*?)</script>', html, re.S).group(1)
    )
    assert not has_live_link(figures)
    assert any("&lt;a href" in trace.get("name", "") for figure in figures.values() for trace in figure["data"])
