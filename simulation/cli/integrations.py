"""``terraform`` (a draft scenario from `terraform show -json`) and ``remote check`` (the check, run by a server).

``remote check`` is a CI gate: it runs a scenario of a workspace (``--scenario ID``) or a file (``--file``)
on the planner's server, waits for it, prints the verdicts against the workspace's targets as the local
``check`` does, and exits 0 when every target is met, 1 when one is missed and 2 on bad input or when
the server cannot be reached or refuses the request.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, TextIO

import yaml

from simulation.cli.args import DEFAULT_SEED, Parser, bounded_int
from simulation.engine.results import RunResults
from simulation.limits import MAX_DOCUMENT_BYTES
from simulation.model.loading import Problem, ScenarioError, load_file
from simulation.model.terraform import scenario_from_terraform

EXIT_OK, EXIT_MISSED, EXIT_BAD_INPUT = 0, 1, 2
REQUEST_TIMEOUT_S = 30.0
POLL_INTERVAL_S = 2.0
FINISHED = ("done", "failed", "cancelled")


class RemoteError(Exception):
    """The server refused the request or could not be reached; the message says which and why."""


def add_parsers(commands: Any) -> None:
    sub = commands.add_parser("terraform", help="a draft scenario from `terraform show -json` output")
    sub.add_argument("file", help="JSON printed by `terraform show -json` (a state or a plan)")
    sub.add_argument("--name", default="Imported from Terraform", help="the scenario's name")
    sub.add_argument("--output", "-o", help="write the scenario YAML here (default: standard output)")
    sub.set_defaults(handler=terraform_main)

    remote = commands.add_parser("remote", help="use a planner server").add_subparsers(
        dest="remote_command", required=True, parser_class=Parser
    )
    check = remote.add_parser("check", help="run a scenario on the server; exit 1 when a target is missed")
    check.add_argument("--url", required=True, help="the server, e.g. https://planner.example.com")
    check.add_argument("--token", required=True, help="a personal API token (rp_…) with write access")
    check.add_argument("--workspace", type=bounded_int(1, 2**63 - 1), required=True, help="workspace id")
    what = check.add_mutually_exclusive_group(required=True)
    what.add_argument("--scenario", type=bounded_int(1, 2**63 - 1), help="id of a scenario of the workspace")
    what.add_argument("--file", help="a scenario YAML or JSON file, run as given (not saved)")
    check.add_argument("--trials", type=bounded_int(1, 20_000), default=2000, help="trials per type (default 2000)")
    check.add_argument("--seed", type=bounded_int(0, 2**63 - 1), default=DEFAULT_SEED, help="random seed")
    check.add_argument("--wait", type=bounded_int(1, 24 * 3600), default=1800, help="seconds to wait (default 1800)")
    check.set_defaults(handler=remote_check_main)


def terraform_main(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    try:
        text = Path(args.file).read_bytes()
        if len(text) > 10 * MAX_DOCUMENT_BYTES:
            raise ScenarioError([Problem("", f"larger than {10 * MAX_DOCUMENT_BYTES:,} bytes")])
        imported = scenario_from_terraform(json.loads(text), name=args.name)
        document_yaml = yaml.safe_dump(imported.document, sort_keys=False, allow_unicode=True)
    except OSError as error:
        stderr.write(f"{args.file}: cannot read ({error.strerror})\n")
        return EXIT_BAD_INPUT
    except (ValueError, UnicodeDecodeError) as error:
        problems = error.problems if isinstance(error, ScenarioError) else [f"not JSON ({error})"]
        for problem in problems:
            stderr.write(f"{args.file}: {problem}\n")
        return EXIT_BAD_INPUT
    header = [f"# {args.name}: drafted from {Path(args.file).name} by `python -m simulation terraform`"]
    for title, lines in imported.report().items():
        header += [f"# {title}:"] + [f"#   {line}" for line in lines]
    output = "\n".join(header) + "\n" + document_yaml
    if args.output:
        Path(args.output).write_text(output, encoding="utf-8")
    else:
        stdout.write(output)
    stderr.write(
        f"read {len(imported.read)} fields, defaulted {len(imported.defaulted)}, "
        f"{len(imported.decide)} to decide, {len(imported.unknown)} resources not read\n"
    )
    return EXIT_OK


def _call(url: str, token: str, method: str = "GET", body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        try:
            payload = json.loads(error.read().decode("utf-8"))
        except ValueError:
            payload = {}
        problems = [f"{p.get('path') or 'document'}: {p.get('message')}" for p in payload.get("problems", [])]
        raise RemoteError("\n".join(problems) or f"HTTP {error.code}: {payload.get('detail', error.reason)}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise RemoteError(f"cannot reach {url}: {getattr(error, 'reason', error)}") from None


def remote_check_main(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from simulation.cli.main import format_verdicts

    base = f"{args.url.rstrip('/')}/api/workspaces/{args.workspace}"
    body: dict[str, Any] = {"trials": args.trials, "seed": args.seed}
    try:
        if args.file:
            load_file(args.file)  # bad files fail here, with every problem, before the server is asked
            body["yaml"] = Path(args.file).read_text(encoding="utf-8")
        else:
            body["scenario_id"] = args.scenario
        run = _call(f"{base}/runs", args.token, "POST", body)
        deadline = time.monotonic() + args.wait
        while run["status"] not in FINISHED:
            if time.monotonic() > deadline:
                raise RemoteError(f"run {run['id']} still {run['status']} after {args.wait} s")
            time.sleep(POLL_INTERVAL_S)
            run = _call(f"{base}/runs/{run['id']}", args.token)
            stderr.write(f"run {run['id']}: {run['status']} {run['progress'] * 100:.0f} %\n")
        if run["status"] != "done":
            raise RemoteError(f"run {run['id']} {run['status']}: {run['error'] or 'no reason given'}")
        results = RunResults.from_json(_call(f"{base}/runs/{run['id']}/results", args.token))
    except ScenarioError as error:
        for problem in error.problems:
            stderr.write(f"{args.file}: {problem}\n")
        return EXIT_BAD_INPUT
    except RemoteError as error:
        stderr.write(f"error: {error}\n")
        return EXIT_BAD_INPUT
    stdout.write(f"Run {run['id']} of {results.scenario_name} on {args.url}, judged on the workspace's targets\n")
    stdout.write(format_verdicts(results))
    return EXIT_OK if results.targets_met else EXIT_MISSED
