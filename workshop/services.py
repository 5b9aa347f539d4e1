"""Writes and computations of the workshop: quick runs of variants, pinning, cheapest fixes, share links."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

import simulation
from planner.models import Run, Scenario, Workspace
from planner.services.runs import run_create_finished
from simulation.analysis.advise import cheapest_fixes
from simulation.analysis.levers import expand_toggles
from simulation.analysis.run import run_with_outcomes
from simulation.analysis.variants import QUICK, RunFigures, RunSettings, run_figures
from simulation.engine.results import RunResults
from simulation.model.loading import canonical_sha256, dump_document
from simulation.model.overrides import apply_overrides
from simulation.version import ENGINE_VERSION
from workshop.controls import ALLOWED_PATHS
from workshop.models import ShareLink, WorkshopSession
from workshop.pool import quick_figures
from workshop.selectors import SHARE_SALT

MAX_SHARE_DAYS = 90
# The frontier's cheapest-fix search runs inside a web request: fewer replays than a quick run and a
# smaller search than the command line's, so it answers in a few seconds.
ADVICE = RunSettings(trials=200, years=1_000, seed=QUICK.seed)
ADVICE_MAX_EVALUATIONS = 30
ADVICE_LIMIT = 3
ADVICE_WORKERS = 1  # a web request stays in its process
ADVICE_STEPS = 10  # the search's share of a frontier's progress, in steps of one variant's quick run
FIGURES_CACHE_S = 3600  # quick-run figures kept per scenario hash


def overrides_check(*, overrides: Any) -> None:
    """Only the workshop's own settings may be changed; ``ScenarioError`` names any other path."""
    if not isinstance(overrides, dict):
        raise simulation.ScenarioError([simulation.Problem("overrides", "must be a mapping of field paths to values")])
    wrong = [path for path in overrides if path not in ALLOWED_PATHS]
    if wrong:
        raise simulation.ScenarioError(
            [simulation.Problem(str(path)[:200], "not a setting the workshop can change") for path in wrong[:10]]
        )


def variant_scenario(*, document: dict, overrides: dict) -> simulation.Scenario:
    """The validated variant (``ScenarioError`` naming the override that is wrong)."""
    overrides_check(overrides=overrides)
    return apply_overrides(document, expand_toggles(document, overrides))  # a toggle is its whole lever


def variant_run(*, document: dict, overrides: dict, settings: RunSettings | None = None) -> tuple[RunFigures, float]:
    """Simulate a variant synchronously at the quick settings: (the lean figures the page draws — verdicts,
    ECDFs, means, costs — and the elapsed seconds). Fewer replays where the intervals allow: when every
    verdict is decided after the first chunk of each incident type, those figures stand
    (``run_figures_until_decided``). A saved variant runs in full (``variant_pin``).

    Results are cached per scenario hash (the variant's full document, the settings and the engine
    version): the same seed gives the same figures, so a position seen before — the facilitator going
    back, a follower asking what the presenter just computed — answers without simulating again."""
    scenario = variant_scenario(document=document, overrides=overrides)
    started = time.perf_counter()
    settings = settings or QUICK
    full = dump_document(scenario)
    key = "workshop:figures:" + canonical_sha256(
        {"document": full, "settings": asdict(settings), "engine": ENGINE_VERSION}
    )
    results = cache.get(key)
    if results is None:
        results = quick_figures(scenario, full, settings)
        cache.set(key, results, FIGURES_CACHE_S)
    return results, time.perf_counter() - started


def variant_pin(*, workspace: Workspace, scenario: Scenario, document: dict, overrides: dict, label: str, user) -> Run:
    """Save a variant as a finished run of the workspace (snapshot, seed, trials, engine version, results)."""
    if scenario.workspace_id != workspace.pk:
        raise ValueError("scenario: not in this workspace")
    variant = variant_scenario(document=document, overrides=overrides)
    results, outcomes = run_with_outcomes(variant, trials=QUICK.trials, seed=QUICK.seed, years=QUICK.years)
    name = (label.strip() or f"{scenario.name} (workshop variant)")[:200]
    return run_create_finished(scenario=scenario, user=user, name=name, results=results, outcomes=outcomes)


def fixes_for(*, document: dict, overrides: dict) -> dict:
    """Cheapest catalogue changes that make the variant meet its targets (the frontier's candidates)."""
    scenario = variant_scenario(document=document, overrides=overrides)
    return cheapest_fixes(
        scenario, settings=ADVICE, limit=ADVICE_LIMIT, max_evaluations=ADVICE_MAX_EVALUATIONS, workers=ADVICE_WORKERS
    )


def frontier_options(
    *, document: dict, variants: list[tuple[str, dict]], on_progress: Callable[[float], None] | None = None
) -> tuple[list[tuple[str, RunResults | RunFigures]], dict]:
    """The frontier's options: each (label, overrides) variant and the base's cheapest fixes, all simulated
    at the quick settings so their numbers compare; also the search's report. ``on_progress`` hears the share
    done (0–1) after each step (the search counts as ``ADVICE_STEPS`` steps)."""
    steps = len(variants) + ADVICE_STEPS + ADVICE_LIMIT
    done = 0

    def step(weight: int = 1) -> None:
        nonlocal done
        done += weight
        if on_progress is not None:
            on_progress(min(done / steps, 1.0))

    options: list[tuple[str, RunResults | RunFigures]] = []
    for label, overrides in variants:
        options.append((label, variant_run(document=document, overrides=overrides)[0]))
        step()
    advice = fixes_for(document=document, overrides={})
    step(ADVICE_STEPS)
    for fix in advice["fixes"]:
        merged: dict = {}
        for change in fix["changes"]:
            merged.update(change["overrides"])
        results = run_figures(apply_overrides(document, merged), QUICK, ecdf=False)
        options.append((" + ".join(c["label"] for c in fix["changes"]), results))
        step()
    return options, advice


def sharelink_create(
    *,
    workspace: Workspace,
    scenario: Scenario,
    user,
    days: int,
    label: str = "",
    session: WorkshopSession | None = None,
) -> ShareLink:
    """A new read-only link to the scenario's workshop (or to a whole ``session``), valid for ``days`` (1–90)."""
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise ValueError(f"days: must be between 1 and {MAX_SHARE_DAYS}")
    if scenario.workspace_id != workspace.pk:
        raise ValueError("scenario: not in this workspace")
    with transaction.atomic():
        link = ShareLink.objects.create(
            workspace=workspace,
            scenario=scenario,
            session=session,
            label=label[:200],
            expires_at=timezone.now() + timedelta(days=days),
            created_by=user,
        )
        link.token = signing.dumps({"link": link.pk, "nonce": secrets.token_hex(6)}, salt=SHARE_SALT)
        link.save(update_fields=["token"])
    return link


def sharelink_revoke(*, link: ShareLink) -> ShareLink:
    """End a link now; revoking twice keeps the first time."""
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link
