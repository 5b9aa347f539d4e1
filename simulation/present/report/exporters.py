"""One exporter class per report format, behind one small contract.

Each exporter is built from the options compared and an optional decision
record, and ``render()`` returns ``(filename, content_type, bytes)``. The PDF
(WeasyPrint, charts as inline matplotlib SVG) and the standalone HTML (plotly.js
inlined, so it opens offline) render the same Jinja2 body with autoescaping on;
JSON carries the decision, every scenario and every full result
(``report_schema: 1``); CSV has one row per option and one column per metric.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cached_property, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar

from simulation.model.loading import canonical_sha256
from simulation.present import chartdata
from simulation.present.report.model import build_report, held_options
from simulation.present.report.option import Option, OptionTuple
from simulation.version import REPORT_SCHEMA

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

Rendered = tuple[str, str, bytes]
Column = Callable[[Option], Any]  # an option → its value in one CSV column


@lru_cache(maxsize=1)
def _jinja_env() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    folder = resources.files("simulation.present.report") / "templates"
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=True, undefined=StrictUndefined)
    env.filters["keep_parts"] = keep_parts
    return env


def keep_parts(text: str) -> Markup:
    """'9,509 s (2 h 38 min)' → two unbreakable spans: a line may break before '(' but never inside a figure."""
    from markupsafe import Markup, escape

    head, sep, tail = str(text).partition(" (")
    parts = [head] + ([f"({tail}"] if sep else [])
    return Markup(" ").join(Markup('<span class="nw">{}</span>').format(escape(p)) for p in parts)


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle shipped inside the plotly package (read once)."""
    return (resources.files("plotly") / "package_data" / "plotly.min.js").read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element: no '<', '>' or '&' that could close or open a tag."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


def slugify(title: str) -> str:
    """'Checkout DB — Q3' → 'checkout-db-q3' (ASCII, for file names)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:80].strip("-") or "decision-report"


def svg_image(svg: str) -> str:
    """An SVG as an ``<img>`` with a data URI: still vector and inside the file, but kept out of the
    HTML document's CSS cascade, which makes WeasyPrint about twice as quick on charts."""
    from markupsafe import Markup

    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img class="svg-chart" alt="" src="data:image/svg+xml;base64,{}">').format(data)


def render_pdf_html(report: dict[str, Any]) -> str:
    """The PDF's HTML source: the shared body with the charts as embedded SVG images."""
    from simulation.present.report.charts_svg import report_svgs

    charts = {key: svg_image(svg) for key, svg in report_svgs(report).items()}
    return _jinja_env().get_template("report.pdf.html.j2").render(report=report, chart_html=charts)


def render_standalone_html(report: dict[str, Any]) -> str:
    """One self-contained HTML file: the shared body, plotly.js inlined, figures as safe JSON."""
    from markupsafe import Markup

    from simulation.present.report.charts_plotly import report_figures

    figures = report_figures(report)
    charts = {key: Markup(f'<div class="plot" id="chart-{key}"></div>') for key in figures}
    return (
        _jinja_env()
        .get_template("report.html.j2")
        .render(
            report=report, chart_html=charts, plotly_js=Markup(plotly_js()), figures_json=Markup(script_json(figures))
        )
    )


class Exporter:
    """The contract: ``identifier``, ``verbose_name``, ``render() -> (filename, content_type, bytes)``."""

    identifier: ClassVar[str]
    verbose_name: ClassVar[str]
    extension: ClassVar[str]
    content_type: ClassVar[str]

    def __init__(
        self,
        options: Iterable[Option | OptionTuple],
        decision: dict[str, Any] | None = None,
        *,
        generated_at: datetime | None = None,
    ):
        given = [o if isinstance(o, Option) else Option(*o) for o in options]
        self.options = held_options(given, (decision or {}).get("targets"))  # as the report judges them
        self.decision = decision
        self.generated_at = generated_at

    @cached_property
    def report(self) -> dict[str, Any]:
        return build_report(self.options, self.decision, generated_at=self.generated_at)

    @property
    def filename(self) -> str:
        return f"{slugify(self.report['title'])}.{self.extension}"

    def render(self) -> Rendered:
        return self.filename, self.content_type, self.render_bytes()

    def render_bytes(self) -> bytes:  # pragma: no cover - every subclass defines it
        raise NotImplementedError


class PdfExporter(Exporter):
    identifier = "pdf"
    verbose_name = "PDF (A4, for sign-off and archiving)"
    extension = "pdf"
    content_type = "application/pdf"

    def render_bytes(self) -> bytes:
        from weasyprint import HTML

        pdf: bytes = HTML(string=render_pdf_html(self.report)).write_pdf()  # weasyprint has no type hints
        return pdf


class HtmlExporter(Exporter):
    identifier = "html"
    verbose_name = "Standalone HTML (interactive charts, opens offline)"
    extension = "html"
    content_type = "text/html; charset=utf-8"

    def render_bytes(self) -> bytes:
        return render_standalone_html(self.report).encode("utf-8")


class JsonExporter(Exporter):
    identifier = "json"
    verbose_name = "JSON (decision, scenarios and full results)"
    extension = "json"
    content_type = "application/json"

    def document(self) -> dict[str, Any]:
        """The report as data (docs/reports.md, ``report_schema: 1``)."""
        report = self.report
        chosen = report["decision"]["chosen"]
        decision = {k: v for k, v in report["decision"].items() if k != "targets"}
        return {
            "report_schema": REPORT_SCHEMA,
            "generated_at": report["generated_at"],
            "title": report["title"],
            "decision": decision,
            "targets": report["targets_raw"],
            "options": [
                {
                    "label": o.label,
                    "chosen": o.label == chosen,
                    "scenario": o.document,
                    "scenario_sha256": canonical_sha256(o.document),
                    "results": o.results.to_json(),
                }
                for o in self.options
            ],
        }

    def render_bytes(self) -> bytes:
        return json.dumps(self.document(), ensure_ascii=False, indent=2).encode("utf-8")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet never runs: text that starts like a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class CsvExporter(Exporter):
    identifier = "csv"
    verbose_name = "CSV (one row per option, one column per metric)"
    extension = "csv"
    content_type = "text/csv; charset=utf-8"

    def columns(self) -> list[tuple[str, Column]]:
        """(header with unit, getter(option) → value) for every column."""
        currency = self.options[0].results.costs.currency
        money = f"{currency}/month"
        chosen = self.report["decision"]["chosen"]

        def cost(attribute: str) -> Column:
            return lambda o: getattr(o.results.costs, attribute)

        def annual_stat(block: str, stat: str) -> Column:
            return lambda o: getattr(getattr(o.results.annual, block), stat)

        def type_value(incident_type: str, *keys: str | int) -> Column:
            return lambda o: self._type(o, incident_type, *keys)

        def verdict_value(key: tuple[str, str | None], field: str) -> Column:
            return lambda o: self._verdict(o, key, field)

        cols: list[tuple[str, Column]] = [
            ("option", lambda o: o.label),
            ("chosen", lambda o: o.label == chosen),
            ("scenario_name", lambda o: o.document.get("name", "")),
            ("pattern", lambda o: o.document.get("pattern", "")),
            ("targets_met", lambda o: bool(o.results.targets_met)),
        ]
        for key in ("premium", "infrastructure", "baseline", "expected_outage", "total"):
            cols.append((f"{key} [{money}]", cost(f"{key}_usd_per_month")))
        annual = [
            ("annual_downtime_mean [s]", "downtime_s", "mean"),
            ("annual_downtime_p95 [s]", "downtime_s", "p95"),
            ("availability_mean [ratio]", "availability", "mean"),
            ("lost_tx_mean [tx/year]", "lost_tx", "mean"),
            ("conflicting_tx_mean [tx/year]", "conflicting_tx", "mean"),
            ("incidents_mean [per year]", "incidents", "mean"),
        ]
        for header, block, stat in annual:
            cols.append((header, annual_stat(block, stat)))
        types: list[str] = []
        for o in self.options:
            types += [t for t in chartdata.active_types(o.results) if t not in types]
        for t in types:
            cols.append((f"{t}.rate [per year]", type_value(t, "rate_per_year")))
            for metric, stat in (("rto_s", "p50"), ("rto_s", "p95"), ("rto_s", "p99"), ("data_loss_s", "p95")):
                name = metric[:-2]
                cols.append((f"{t}.{name}_{stat} [s]", type_value(t, metric, stat)))
            cols.append((f"{t}.rto_p95_ci_low [s]", type_value(t, "rto_s", "p95_ci", 0)))
            cols.append((f"{t}.rto_p95_ci_high [s]", type_value(t, "rto_s", "p95_ci", 1)))
        verdict_keys: list[tuple[str, str | None]] = []
        for o in self.options:
            verdict_keys += [
                (v.target, v.incident_type)
                for v in o.results.verdicts
                if (v.target, v.incident_type) not in verdict_keys
            ]
        for target, incident in verdict_keys:
            name = f"verdict.{target}" + (f".{incident}" if incident else "")
            cols.append((f"{name}.probability [ratio]", verdict_value((target, incident), "probability")))
            cols.append((f"{name}.met", verdict_value((target, incident), "met")))
        cols += [
            ("engine_version", lambda o: o.results.engine_version),
            ("seed", lambda o: o.results.seed),
            ("trials_per_type", lambda o: o.results.trials_per_type),
            ("years", lambda o: o.results.years),
            ("scenario_sha256", lambda o: canonical_sha256(o.document)),
        ]
        return cols

    @staticmethod
    def _type(option: Option, incident_type: str, *keys: str | int) -> Any:
        value: Any = option.results.incident_types.get(incident_type)
        if value is None or value.rate_per_year <= 0:
            return None
        for key in keys:
            value = value[key] if isinstance(key, int) else getattr(value, key)
        return value

    @staticmethod
    def _verdict(option: Option, key: tuple[str, str | None], field: str) -> Any:
        verdict = next((v for v in option.results.verdicts if (v.target, v.incident_type) == key), None)
        return None if verdict is None else getattr(verdict, field)

    def render_bytes(self) -> bytes:
        columns = self.columns()
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([header for header, _ in columns])
        for option in self.options:
            writer.writerow([csv_cell(get(option)) for _, get in columns])
        return buf.getvalue().encode("utf-8")


EXPORTERS: dict[str, type[Exporter]] = {
    cls.identifier: cls for cls in (PdfExporter, HtmlExporter, JsonExporter, CsvExporter)
}


def exporter_for(identifier: str) -> type[Exporter]:
    """The exporter class of a format ('pdf', 'html', 'json', 'csv'); ``ValueError`` otherwise."""
    try:
        return EXPORTERS[identifier]
    except KeyError:
        raise ValueError(f"format: must be one of {', '.join(EXPORTERS)}, got {identifier!r}") from None
