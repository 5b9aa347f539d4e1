import io
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from simulation.cli.main import main
from simulation.present.format import format_duration

ROOT = Path(__file__).resolve().parents[2]
QUIET_INCIDENTS = {
    name: {"rate_per_year": 0}
    for name in (
        "db_primary_failure",
        "instance_crash",
        "zone_outage",
        "region_outage",
        "data_corruption",
        "network_partition",
    )
}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "simulation", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _write(tmp_path: Path, document: dict, name: str = "scenario.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return str(path)


def _small(targets: dict) -> dict:
    """One cheap incident type (dependency slowdowns), so the command-line runs stay quick."""
    return {
        "name": "cli test",
        "pattern": "active-passive",
        "incidents": QUIET_INCIDENTS,
        "deployment": {"deploys_per_month": 0},
        "targets": targets,
    }


LENIENT = {"rto_s": 3e8, "rpo_s": 3e8, "availability": 0.5, "confidence": 0.5}
STRICT = {"rto_s": 0.001, "rpo_s": 0, "availability": 0.999999, "confidence": 0.999}


def test_it_checks_with_exit_0_when_every_target_is_met(tmp_path):
    out = _cli("check", _write(tmp_path, _small(LENIENT)), "--trials", "100", "--years", "200")
    assert out.returncode == 0, out.stderr
    assert "All targets met." in out.stdout


def test_it_checks_with_exit_1_when_a_target_is_missed(tmp_path):
    out = _cli("check", _write(tmp_path, _small(STRICT)), "--trials", "100", "--years", "200")
    assert out.returncode == 1, out.stderr
    assert "MISSED" in out.stdout and out.stderr == ""


def test_it_prints_the_results_json_of_the_contract(tmp_path):
    out = _cli(
        "run", _write(tmp_path, _small(LENIENT)), "--trials", "100", "--years", "200", "--seed", "4", "--format", "json"
    )
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)
    assert results["seed"] == 4 and results["trials_per_type"] == 100 and results["years"] == 200
    assert list(results["incident_types"]) == ["dependency_slowdown"]
    assert {"annual", "costs", "verdicts", "targets_met", "checklist", "scenario_sha256"} <= set(results)


def test_it_prints_a_table_with_units(tmp_path):
    out = _cli("run", _write(tmp_path, _small(LENIENT)), "--trials", "100", "--years", "200")
    assert out.returncode == 0, out.stderr
    for unit in (" /y", "USD/month", " %", "per year"):
        assert unit in out.stdout
    assert "dependency_slowdown" in out.stdout


def test_it_validates_a_good_file_with_exit_0(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", _write(tmp_path, {"name": "ok", "pattern": "single-region"})], out, err) == 0
    assert "valid" in out.getvalue() and err.getvalue() == ""


BAD_INVOCATIONS = [
    (("validate", "/no/such/file.yaml"), "cannot read"),
    (("run", "/no/such/file.yaml"), "cannot read"),
    (("run", "FILE", "--unknown-flag"), "unrecognized arguments"),
    (("run", "FILE", "--trials", "zero"), "not a whole number"),
    (("run", "FILE", "--trials", "0"), "not between"),
    (("run", "FILE", "--format", "xml"), "invalid choice"),
    (("frobnicate", "FILE"), "invalid choice"),
    ((), "required"),
    (("check", "FILE", "--precision", "-3"), "not a positive number"),
]
BAD_IDS = [
    "validate-missing",
    "run-missing",
    "unknown-flag",
    "bad-number",
    "zero-trials",
    "bad-format",
    "bad-command",
    "no-command",
    "bad-precision",
]


@pytest.mark.parametrize("args, expected", BAD_INVOCATIONS, ids=BAD_IDS)
def test_it_exits_2_with_one_line_on_bad_invocations(tmp_path, args, expected):
    path = _write(tmp_path, _small(LENIENT))
    out, err = io.StringIO(), io.StringIO()
    assert main([path if a == "FILE" else a for a in args], stdout=out, stderr=err) == 2
    assert expected in err.getvalue() and len(err.getvalue().strip().splitlines()) == 1


@pytest.mark.parametrize("args, expected", [BAD_INVOCATIONS[1], BAD_INVOCATIONS[2]], ids=BAD_IDS[1:3])
def test_it_exits_2_without_a_traceback_as_a_process(tmp_path, args, expected):
    path = _write(tmp_path, _small(LENIENT))
    out = _cli(*(path if a == "FILE" else a for a in args))
    assert out.returncode == 2
    assert expected in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_it_lists_every_problem_of_an_invalid_file_by_field_path(tmp_path):
    path = _write(
        tmp_path,
        {
            "pattern": "active-passive",
            "database": {"size_gb": -5, "write_rate_tps": "lots"},
            "targets": {"confidence": 2},
        },
    )
    out = _cli("validate", path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 3
    assert any("database.size_gb" in line for line in lines)
    assert any("database.write_rate_tps" in line for line in lines)
    assert any("targets.confidence" in line for line in lines)


def test_it_reports_bad_yaml_with_its_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\npattern: x\n", encoding="utf-8")
    out = _cli("check", str(path))
    assert out.returncode == 2 and "line" in out.stderr and "Traceback" not in out.stderr


def test_it_writes_durations_in_readable_units_as_every_other_screen_does():
    assert [format_duration(s) for s in (12, 600, 3 * 3600, 3 * 86400)] == ["12 s", "10 min", "3 h", "3 d"]
    out = io.StringIO()
    main(
        ["run", str(ROOT / "examples" / "worked-active-passive.yaml"), "--trials", "100", "--years", "200"], stdout=out
    )
    assert " min" in out.getvalue() or " s" in out.getvalue()


def test_it_stops_early_at_the_requested_precision(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    args = ["run", _write(tmp_path, _small(LENIENT)), "--trials", "2000", "--years", "100", "--format", "json"]
    assert main(args + ["--precision", "100000"], stdout=out, stderr=err) == 0, err.getvalue()
    results = json.loads(out.getvalue())
    assert results["precision_s"] == 100000 and results["incident_types"]["dependency_slowdown"]["trials"] == 500


# the reviewer's repros: each was accepted by validation and then crashed the run with a traceback
NON_FINITE_FILES = [
    ("failover: {dns_ttl_s: .inf}\n", "failover.dns_ttl_s"),
    ("failover: {promotion_s: .inf}\n", "failover.promotion_s"),
    ("failover: {promotion_s: 1.0e+308}\n", "failover.promotion_s"),
    ("failover: {humans: {escalation_s: .inf}}\n", "failover.humans.escalation_s"),
    (
        "incidents: {zone_outage: {rate_per_year: 1, duration_s: {kind: normal, mean: 1.0e+308, sd: 1.0e+308}}}\n",
        "incidents.zone_outage.duration_s.mean",
    ),
]


@pytest.mark.parametrize(
    "text, field",
    NON_FINITE_FILES,
    ids=["ttl-inf", "promotion-inf", "promotion-1e308", "escalation-inf", "normal-1e308"],
)
def test_it_rejects_infinite_and_absurd_numbers_with_exit_2_naming_the_field(tmp_path, text, field):
    path = tmp_path / "absurd.yaml"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", str(path), "--trials", "20", "--years", "20"], stdout=out, stderr=err) == 2
    assert field in err.getvalue() and "Traceback" not in err.getvalue()


def test_it_exits_2_when_a_variant_the_run_derives_is_invalid(tmp_path, monkeypatch):
    from simulation.analysis import run as whole_run  # the CLI imports it when a command simulates
    from simulation.model.loading import Problem, ScenarioError

    def failing_run(*args, **kwargs):
        raise ScenarioError([Problem("app.pool.max_lifetime_s", "must be greater than 0")])

    monkeypatch.setattr(whole_run, "run", failing_run)
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", _write(tmp_path, _small(LENIENT))], stdout=out, stderr=err) == 2
    assert "app.pool.max_lifetime_s: must be greater than 0" in err.getvalue() and out.getvalue() == ""


def test_it_prints_the_incidents_each_type_used_after_an_early_stop(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    args = ["run", _write(tmp_path, _small(LENIENT)), "--trials", "2000", "--years", "100", "--precision", "100000"]
    assert main(args, stdout=out, stderr=err) == 0, err.getvalue()
    assert "500 of up to 2000 incidents per type" in out.getvalue()


def test_it_refuses_a_yaml_alias_bomb_with_exit_2_quickly_and_in_little_memory(tmp_path):
    from payloads import alias_bomb, measured

    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    stderr = io.StringIO()
    with measured() as cost:
        code = main(["validate", str(path)], stdout=io.StringIO(), stderr=stderr)
    assert code == 2 and "aliases" in stderr.getvalue() and "10,000" in stderr.getvalue()
    assert cost.seconds < 1 and cost.peak_bytes < 50_000_000
    assert _cli("validate", str(path)).returncode == 2


def test_it_refuses_a_file_larger_than_the_document_limit_without_reading_it_all(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("name: x\nnotes: " + "x" * 1_100_000 + "\n", encoding="utf-8")
    stderr = io.StringIO()
    assert main(["validate", str(path)], stdout=io.StringIO(), stderr=stderr) == 2
    assert "larger than 1,000,000 bytes" in stderr.getvalue()


def test_validate_and_run_import_neither_the_report_nor_the_workshop_analyses():
    code = (
        "import sys; from simulation.cli.main import main; main(['validate', 'examples/worked-active-passive.yaml']);"
        "print(sorted(m for m in sys.modules if m.startswith(('simulation.present.report',"
        " 'simulation.analysis.advise', 'simulation.analysis.sensitivity', 'simulation.engine'))))"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert done.stdout.strip().endswith("[]"), done.stdout


def test_the_cli_runs_numpy_without_blas_threads():
    """The CLI sets OpenBLAS to one thread before NumPy loads: no thread besides the main one."""
    code = "import os, simulation.__main__, numpy; print(len(os.listdir('/proc/self/task')))"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.strip() == "1", done.stderr


def test_the_cli_freezes_what_its_imports_made_out_of_the_garbage_collector():
    """Collections during a run walk only what the run makes; the collector is on again for it."""
    code = "import gc, simulation.__main__; print(gc.isenabled(), gc.get_freeze_count() > 10_000, gc.get_count()[0])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    enabled, frozen, young = done.stdout.split()
    assert (enabled, frozen) == ("True", "True") and int(young) < 700, done.stderr


FAULTS = """
import resource, sys
if sys.argv[1] == "cli":
    import simulation.__main__
from simulation.engine.plan import plan_exact_run
from simulation.engine.runner import execute
from simulation.model.loading import load_file

pair = load_file("benchmarks/switchover-pair.yaml")
execute(pair, plan_exact_run(pair, trials=1, seed=1, years=1000))
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
execute(pair, plan_exact_run(pair, trials=1, seed=2, years=5000))  # about 22,000 failures, in 3 chunks
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator settings (mallopt)")
def test_the_cli_reuses_the_memory_its_arrays_free():
    """A batch's arrays (hundreds of kB to MB) come from the heap and are reused, instead of fresh pages from the
    kernel (a page fault each) for most of them, as glibc gives by default (4 times as many on this run)."""
    root = Path(__file__).resolve().parents[2]
    faults = {}
    for how in ("plain", "cli"):
        done = subprocess.run([sys.executable, "-c", FAULTS, how], cwd=root, capture_output=True, text=True, timeout=60)
        faults[how] = int(done.stdout or -1)
    assert faults["cli"] > 0 and faults["cli"] * 2 < faults["plain"], faults


def _processes_with(marker: str) -> list[int]:
    """Processes whose environment holds ``marker`` (children inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_a_run_on_two_workers_stopped_by_a_signal_leaves_no_process_computing():
    """The pool's processes end with the command that started them, mid-run too."""
    marker = f"RP_CLI_TEST_MARK={os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    args = ["run", str(ROOT / "examples" / "worked-active-passive.yaml"), "--trials", "200000", "--workers", "2"]
    command = subprocess.Popen(
        [sys.executable, "-m", "simulation", *args], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(_processes_with(marker)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_processes_with(marker)) >= 2  # the command and its pool's process
        command.terminate()  # the command only, as a supervisor or `kill` would
        command.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_with(marker) == []
    finally:
        command.kill()
        command.wait()


def test_a_run_on_two_workers_writes_all_its_output_and_leaves_no_process_behind(tmp_path):
    """The CLI ends without tearing the interpreter down: what it wrote is all there, and the pool is gone."""
    marker = f"RP_CLI_TEST_MARK={os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    args = ["run", _write(tmp_path, _small(LENIENT)), "--trials", "1000", "--years", "200", "--workers", "2"]
    done = subprocess.run(
        [sys.executable, "-m", "simulation", *args, "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["trials_per_type"] == 1000 and done.stderr == ""
    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_with(marker) == []
