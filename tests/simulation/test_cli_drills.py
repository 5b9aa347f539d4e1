"""``python -m simulation drill import|show|calibrate``: output, files and exit codes."""

import io
from datetime import date

import pytest
import yaml

from simulation.analysis.drill_compare import drills_from_model
from simulation.cli.main import main
from simulation.model.drills import drills_template, drills_to_csv
from simulation.model.loading import load_file

EXAMPLE = "examples/tier-rpo-5min.yaml"


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


def test_import_lists_the_drills_and_writes_them(tmp_path):
    source = tmp_path / "drills.csv"
    source.write_text(drills_template())
    code, out, _ = _run("drill", "import", EXAMPLE, str(source), "--out", str(tmp_path / "normal.json"))
    assert code == 0 and "2 valid drill(s)" in out
    assert (tmp_path / "normal.json").exists()


def test_bad_rows_exit_2_naming_row_and_field(tmp_path):
    source = tmp_path / "drills.csv"
    source.write_text("drill_type,date,detected_at,restored_at\ndatabase-failover,2026-01-01,40 s,20 s\n")
    code, out, err = _run("drill", "show", EXAMPLE, str(source))
    assert code == 2 and out == ""
    assert err == f"{source}: row 1, restored_at: must not be before detected_at (times must be in order)\n"
    assert _run("drill", "show", EXAMPLE, str(tmp_path / "missing.csv"))[0] == 2


@pytest.mark.slow
def test_show_and_calibrate_slow_drills(tmp_path):
    scenario = load_file(EXAMPLE)
    records = drills_from_model(scenario, "database-failover", 8, seed=2, first_date=date(2026, 3, 2), slowdown=1.7)
    source = tmp_path / "drills.csv"
    source.write_text(drills_to_csv(records))
    code, out, _ = _run("drill", "show", EXAMPLE, str(source))
    assert code == 0 and "optimistic" in out and "percentile" in out
    target = tmp_path / "calibrated.yaml"
    code, out, _ = _run("drill", "calibrate", EXAMPLE, str(source), "--out", str(target))
    assert code == 0 and "calibrated by 8 drills, last on 2026-04-20" in out and "+++ calibrated.yaml" in out
    text = target.read_text()
    assert text.startswith("# calibrated by 8 drills, last on 2026-04-20\n")
    assert yaml.safe_load(text)["failover"]["promotion_s"]["kind"] == "lognormal"
