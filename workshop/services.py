"""Writes and computations of the workshop: quick runs of variants, pinning, cheapest fixes, share links."""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
from collections import OrderedDict
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
from workshop.pool import figures_many
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


def figures_key(full_document: dict, settings: RunSettings, *, ecdf: bool = True) -> str:
    """The cache key of a variant's quick-run figures: its full document, the settings, the engine version
    (and ``lean`` for figures without the ECDFs, ``variants_run``)."""
    lean = {} if ecdf else {"lean": True}
    return "workshop:figures:" + canonical_sha256(
        {"document": full_document, "settings": asdict(settings), "engine": ENGINE_VERSION, **lean}
    )


def asked_key(document: dict, overrides: dict, settings: RunSettings, *, ecdf: bool = True) -> str:
    """The cache key of the figures of a variant as asked (base document and overrides): found without
    building and validating the variant, which costs more than the look-up itself."""
    lean = {} if ecdf else {"lean": True}
    return "workshop:asked:" + canonical_sha256(
        {"document": document, "overrides": overrides, "settings": asdict(settings), "engine": ENGINE_VERSION, **lean}
    )


def _found(keys: dict[int, list[str]]) -> dict[int, Any]:
    """Of each variant's cache keys (the figures it takes, in order of preference), the figures of the first the
    cache holds, in one look-up."""
    held = cache.get_many([key for wanted in keys.values() for key in wanted])
    return {i: next(held[key] for key in wanted if key in held) for i, wanted in keys.items() if held.keys() & wanted}


def _accepted(key: Callable[..., str], ecdf: bool, *arguments: Any) -> list[str]:
    """The cache keys of figures that answer: with the ECDFs only those that have them; without, the lean
    figures or, as good, the full ones."""
    return [key(*arguments, ecdf=True)] if ecdf else [key(*arguments, ecdf=False), key(*arguments, ecdf=True)]


def _asked(variants: list[tuple[dict, dict]], settings: RunSettings, ecdf: bool) -> dict[int, list[str]]:
    return {i: _accepted(asked_key, ecdf, *variant, settings) for i, variant in enumerate(variants)}


def variants_run(
    *,
    variants: list[tuple[dict, dict]],
    settings: RunSettings | None = None,
    background: bool = False,
    check: Callable[[simulation.Scenario], object] | None = None,
    ecdf: bool = True,
) -> list[tuple[RunFigures, float]]:
    """Simulate several variants (each ``(document, overrides)``) at the quick settings, together: their
    chunks share the warm pool (``workshop.pool.figures_many``). Each: (the lean figures the page draws —
    verdicts, ECDFs, means, costs — and the elapsed seconds; without ``ecdf``, as the room draws them: no
    ECDFs, and figures with them answer too). Fewer replays where the intervals allow: an
    incident type stops after its first chunk once more replays could not change its verdicts. A saved
    variant runs in full (``variant_pin``). ``check``: called with each variant that has to be simulated
    (e.g. ``budget.evaluate_check``, which raises when it costs too much).

    Results are cached per scenario hash (the variant's full document, the settings and the engine
    version) and per variant as asked: the same seed gives the same figures, so a position seen before —
    the facilitator going back, a follower asking what the presenter just computed, a position computed
    ahead (``workshop.prefetch``, which passes ``background``) — answers without simulating again."""
    started = time.perf_counter()
    settings = settings or QUICK
    asked = _asked(variants, settings, ecdf)
    answers = _found(asked)
    todo = [i for i in range(len(variants)) if i not in answers]
    built = {i: _built_variant(asked[i][-1], *variants[i]) for i in todo}  # by the key with the ECDFs, either way
    scenarios = {i: scenario for i, (scenario, _) in built.items()}
    fulls = {i: full for i, (_, full) in built.items()}
    keys = {i: _accepted(figures_key, ecdf, full, settings) for i, full in fulls.items()}
    found = _found(keys)
    missing = [i for i in todo if i not in found]
    if check is not None:
        for i in missing:
            check(scenarios[i])
    if missing:
        computed = figures_many([(scenarios[i], fulls[i]) for i in missing], settings, background=background, ecdf=ecdf)
        for i, figures in zip(missing, computed, strict=True):
            # lean figures keep the full document: the room reads its targets
            found[i] = figures if ecdf else dataclasses.replace(figures, scenario=fulls[i])
    if todo:
        answers.update({i: found[i] for i in todo})
        stored = {asked[i][0]: found[i] for i in todo}
        stored.update({keys[i][0]: found[i] for i in missing})
        cache.set_many(stored, FIGURES_CACHE_S)
    elapsed_s = time.perf_counter() - started
    return [(answers[i], elapsed_s) for i in range(len(variants))]


_built: OrderedDict[str, tuple[simulation.Scenario, dict]] = OrderedDict()  # asked key → (variant, full document)
_built_lock = threading.Lock()
BUILT_KEPT = 64  # variants kept built: a live move to a position computed ahead does not build them again


def _built_variant(asked: str, document: dict, overrides: dict) -> tuple[simulation.Scenario, dict]:
    """The validated variant and its full document (``variant_scenario``, ``dump_document``), built once per
    variant as asked: positions computed ahead build what the live move then finds."""
    with _built_lock:
        found = _built.get(asked)
        if found is not None:
            _built.move_to_end(asked)
            return found
    scenario = variant_scenario(document=document, overrides=overrides)
    found = (scenario, dump_document(scenario))
    with _built_lock:
        _built[asked] = found
        while len(_built) > BUILT_KEPT:
            _built.popitem(last=False)
    return found


def variants_cached(
    *, variants: list[tuple[dict, dict]], settings: RunSettings | None = None, ecdf: bool = True
) -> bool:
    """Whether every variant as asked is in the cache already (answering costs no simulation)."""
    return len(_found(_asked(variants, settings or QUICK, ecdf))) == len(variants)


def variant_run(
    *, document: dict, overrides: dict, settings: RunSettings | None = None, ecdf: bool = True
) -> tuple[RunFigures, float]:
    """One variant's quick run (``variants_run``)."""
    return variants_run(variants=[(document, overrides)], settings=settings, ecdf=ecdf)[0]


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
