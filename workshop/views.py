"""Workshop pages and their JSON endpoints, for members (``w/<id>/workshop/``) and share links (``s/<token>/``).

Members reach the workshop through the planner's access rules (viewers see
and move sliders, editors also pin variants as runs and manage share links).
A share link gives a logged-out browser the same page for one scenario; every
write through it answers 403.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

import simulation
from planner.models import Scenario, Workspace
from planner.selectors.access import object_for_user, workspace_for_user
from planner.selectors.baseline import workspace_rebased
from planner.selectors.runs import run_results
from workshop import budget, jobs, prefetch, services
from workshop.charts import room_payload, targets_text, variant_payload
from workshop.controls import controls_for
from workshop.models import FrontierJob, ShareLink
from workshop.selectors import (
    ShareLinkError,
    base_document,
    shared_run,
    shared_runs,
    sharelink_for_token,
    sharelink_list,
    workshop_scenarios,
)
from workshop.sessions import session_list

MAX_PINS = 8  # variants one page can pin; the frontier takes them all and the base scenario
MAX_JSON_DEPTH = 32  # levels of nested objects/lists a body may have


@dataclass
class Access:
    """Who is in the workshop and what they may do."""

    workspace: Workspace
    scenario: Scenario
    can_edit: bool
    link: ShareLink | None = None
    actor: str = ""  # who computes: user:<id> or link:<token hash> (workshop.budget)

    @property
    def document(self) -> dict:
        return base_document(scenario=self.scenario, targets=self.workspace.targets)


class BadRequest(Exception):
    """A JSON body the endpoints cannot use (400)."""


# -- helpers ---------------------------------------------------------------------------------------
def _depth(data) -> int:
    """How many levels of objects and lists ``data`` nests (iteratively: any depth is safe to measure)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _body(request: HttpRequest) -> dict:
    too_deep = f"The body must not nest objects and lists more than {MAX_JSON_DEPTH} levels deep."
    try:
        data = json.loads(request.body or b"{}")
    except RecursionError:
        raise BadRequest(too_deep) from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The body must be JSON.") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise BadRequest(too_deep)
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    return data


def _overrides(data: dict) -> dict:
    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict):
        raise BadRequest("overrides: must be an object of field paths to values.")
    return overrides


def _scenario_id(data: dict) -> int:
    value = data.get("scenario_id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest("scenario_id: must be the id of one of the workspace's scenarios.")
    return value


def _member_access(request: HttpRequest, workspace_id: int, scenario_id: int | None, *, edit: bool = False) -> Access:
    workspace = workspace_for_user(request.user, workspace_id, edit=edit)
    scenarios = Scenario.objects.filter(workspace=workspace)
    scenario = (scenarios.filter(pk=scenario_id) if scenario_id is not None else scenarios).first()
    if scenario is None:
        raise Http404("No such scenario")
    return Access(workspace, scenario, bool(workspace.user_can_edit), actor=budget.actor_key(request, None))


def _link_access(token: str, scenario_id: int | None = None) -> Access:
    """The link's scenario; for a session link, the option ``scenario_id`` names (any other: 404)."""
    link = sharelink_for_token(token=token)
    if link.session is None or scenario_id is None or scenario_id == link.scenario_id:
        return Access(link.workspace, link.scenario, False, link, actor=budget.actor_key(None, token))
    if scenario_id not in link.session.options:
        raise Http404("No such option in this session")
    scenario = Scenario.objects.filter(workspace=link.workspace, pk=scenario_id).first()
    if scenario is None:
        raise Http404("No such scenario")
    return Access(link.workspace, scenario, False, link, actor=budget.actor_key(None, token))


def _json_errors(view):
    """Malformed bodies → 400, invalid overrides → 422 naming each field, an unusable link → its status."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadRequest as error:
            return JsonResponse({"errors": [{"field": "", "message": str(error)}]}, status=400)
        except simulation.ScenarioError as error:
            return JsonResponse(
                {"errors": [{"field": p.path, "message": p.message} for p in error.problems]}, status=422
            )
        except ShareLinkError as error:
            return JsonResponse({"errors": [{"field": "", "message": str(error)}]}, status=error.status)

    return wrapped


def _page(request: HttpRequest, access: Access, urls: dict, status: int = 200):
    try:
        scenario = simulation.load_scenario(access.document)
    except simulation.ScenarioError as error:  # a document stored by an older engine, say
        return render(
            request,
            "workshop/empty.html",
            {
                "workspace": None if access.link else access.workspace,
                "ws": access.workspace,
                "problems": error.problems,
            },
            status=409,
        )
    config = {
        "urls": urls,
        "scenario_id": access.scenario.pk,
        "can_edit": access.can_edit,
        "shared": access.link is not None,
        "controls": [c.as_dict() for c in controls_for(scenario)],
        "decision_url": None if access.link else reverse("decision_create", args=[access.workspace.pk]),
        "max_pins": MAX_PINS,
        "targets": dict(scenario.targets.model_dump()),
    }
    context = {
        "ws": access.workspace,
        "scenario": access.scenario,
        "access": access,
        "config": config,
        "controls": controls_for(scenario),
        "targets_text": targets_text(scenario),
    }
    if access.link is None:
        context.update(
            workspace=access.workspace,
            scenarios=workshop_scenarios(workspace=access.workspace),
            links=sharelink_list(workspace=access.workspace) if access.can_edit else [],
        )
        context["sessions"] = session_list(workspace=access.workspace)
    else:
        context.update(shared_runs=shared_runs(link=access.link), token=access.link.token)
    return render(request, "workshop/workshop.html", context, status=status)


def _member_urls(workspace_id: int) -> dict:
    return {name: reverse(f"workshop_{name}", args=[workspace_id]) for name in ("evaluate", "frontier", "pin")}


def _evaluate(access: Access, data: dict) -> JsonResponse:
    """``room``: what the room draws of an option (``room_payload``: verdict cards, key figures), no ECDFs."""
    overrides = _overrides(data)
    room = data.get("room") is True
    with prefetch.foreground():  # checked against the budget only when it has to be simulated
        results, elapsed_s = services.variants_run(
            variants=[(access.document, overrides)], check=budget.evaluate_check, ecdf=not room
        )[0]
    results = workspace_rebased(results, workspace=access.workspace)
    return JsonResponse(room_payload(results, elapsed_s) if room else variant_payload(results, elapsed_s))


def _frontier(access: Access, data: dict) -> JsonResponse:
    variants = data.get("variants", [])
    if not isinstance(variants, list):
        raise BadRequest("variants: must be a list of objects.")
    if len(variants) > MAX_PINS + 1:
        raise BadRequest(
            f"variants: at most {MAX_PINS} pinned variants and the base scenario "
            f"({MAX_PINS + 1} in all), not {len(variants)}."
        )
    labelled = []
    for i, variant in enumerate(variants):
        if not isinstance(variant, dict) or not isinstance(variant.get("label", ""), str):
            raise BadRequest(f"variants[{i}]: must be an object with a label and overrides.")
        labelled.append((variant.get("label") or f"Variant {i + 1}", _overrides(variant)))
    document = access.document
    estimate = budget.frontier_estimate(
        simulation.load_scenario(document),
        [services.variant_scenario(document=document, overrides=overrides) for _, overrides in labelled],
    )
    if budget.frontier_placement(estimate) == "worker":
        job = jobs.job_create(
            workspace=access.workspace,
            scenario=access.scenario,
            link=access.link,
            actor=access.actor,
            variants=labelled,
            estimate_s=estimate.seconds,
        )
        return JsonResponse({**jobs.job_status(job), "status_url": _job_url(access, job.pk)}, status=202)
    options, advice = services.frontier_options(document=document, variants=labelled)
    return JsonResponse(jobs.frontier_payload(options, advice, workspace=access.workspace))


def _job_url(access: Access, job_id: int) -> str:
    if access.link is not None:
        return reverse("shared_frontier_job", args=[access.link.token, job_id])
    return reverse("workshop_frontier_job", args=[access.workspace.pk, job_id])


# -- members ---------------------------------------------------------------------------------------
@require_GET
def workshop(request, workspace_id: int):
    """The workshop for one of the workspace's scenarios (``?scenario=<id>``, else the first)."""
    workspace = workspace_for_user(request.user, workspace_id)
    chosen = request.GET.get("scenario")
    if not Scenario.objects.filter(workspace=workspace).exists():
        return render(request, "workshop/empty.html", {"workspace": workspace, "ws": workspace})
    access = _member_access(request, workspace_id, int(chosen) if (chosen or "").isdigit() else None)
    return _page(request, access, _member_urls(workspace_id))


@require_POST
@_json_errors
@budget.limited
def workshop_evaluate(request, workspace_id: int):
    """Quick run of the base scenario with the posted overrides (any member)."""
    data = _body(request)
    return _evaluate(_member_access(request, workspace_id, _scenario_id(data)), data)


@require_POST
@_json_errors
@budget.limited
def workshop_frontier(request, workspace_id: int):
    """Cost frontier over the posted variants and the cheapest fixes of the current one (any member)."""
    data = _body(request)
    return _frontier(_member_access(request, workspace_id, _scenario_id(data)), data)


@require_POST
@_json_errors
def workshop_pin(request, workspace_id: int):
    """Save the variant as a finished run of the workspace (editors)."""
    data = _body(request)
    access = _member_access(request, workspace_id, _scenario_id(data), edit=True)
    label = data.get("label", "")
    if not isinstance(label, str):
        raise BadRequest("label: must be text.")
    run = services.variant_pin(
        workspace=access.workspace,
        scenario=access.scenario,
        document=access.document,
        overrides=_overrides(data),
        label=label,
        user=request.user,
    )
    return JsonResponse(
        {
            "run_id": run.pk,
            "run_url": reverse("run_results", args=[workspace_id, run.pk]),
            "label": run.scenario_name,
            **variant_payload(workspace_rebased(run_results(run=run), workspace=access.workspace), 0.0),
        },
        status=201,
    )


@require_POST
def sharelink_new(request, workspace_id: int):
    """Create a read-only link to a scenario's workshop (editors)."""
    chosen = request.POST.get("scenario_id", "")
    access = _member_access(request, workspace_id, int(chosen) if chosen.isdigit() else None, edit=True)
    try:
        days = int(request.POST.get("days", "7"))
        link = services.sharelink_create(
            workspace=access.workspace,
            scenario=access.scenario,
            user=request.user,
            days=days,
            label=request.POST.get("label", ""),
        )
    except ValueError as error:
        messages.error(request, f"No link created: {error}")
    else:
        messages.success(request, f"Share link created, valid until {link.expires_at:%Y-%m-%d %H:%M} UTC.")
    return redirect(f"{reverse('workshop', args=[workspace_id])}?scenario={access.scenario.pk}#share")


@require_POST
def sharelink_revoke(request, workspace_id: int, link_id: int):
    """End a share link now (editors)."""
    link = object_for_user(ShareLink, request.user, workspace_id, link_id, edit=True)
    services.sharelink_revoke(link=link)
    messages.success(request, "Share link revoked.")
    return redirect(f"{reverse('workshop', args=[workspace_id])}?scenario={link.scenario_id}#share")


# -- share links (no account) ----------------------------------------------------------------------
@login_not_required
@require_GET
def shared_workshop(request, token: str):
    """The workshop through a share link: view and move sliders, nothing is saved."""
    try:
        access = _link_access(token)
    except ShareLinkError as error:
        return render(request, "workshop/share_invalid.html", {"message": str(error)}, status=error.status)
    if access.link is not None and access.link.session is not None:
        from workshop.room_views import shared_room

        return shared_room(request, access.link)
    urls = {name: reverse(f"shared_{name}", args=[token]) for name in ("evaluate", "frontier")}
    return _page(request, access, {**urls, "pin": None})


@login_not_required
@require_POST
@_json_errors
@budget.limited
def shared_evaluate(request, token: str):
    data = _body(request)
    chosen = data.get("scenario_id")
    return _evaluate(_link_access(token, chosen if isinstance(chosen, int) else None), data)


@login_not_required
@require_POST
@_json_errors
@budget.limited
def shared_frontier(request, token: str):
    return _frontier(_link_access(token), _body(request))


@require_GET
def workshop_frontier_job(request, workspace_id: int, job_id: int):
    """Progress, then the result, of a frontier the worker computes for this member."""
    workspace = workspace_for_user(request.user, workspace_id)
    job = FrontierJob.objects.filter(pk=job_id, workspace=workspace, actor=budget.actor_key(request, None)).first()
    if job is None:
        raise Http404("No such frontier job")
    return JsonResponse(jobs.job_status(job))


@login_not_required
@require_GET
@_json_errors
def shared_frontier_job(request, token: str, job_id: int):
    """Progress, then the result, of a frontier the worker computes for this share link."""
    link = sharelink_for_token(token=token)
    job = FrontierJob.objects.filter(pk=job_id, link=link).first()
    if job is None:
        raise Http404("No such frontier job")
    return JsonResponse(jobs.job_status(job))


@login_not_required
@require_GET
def shared_results(request, token: str, run_id: int):
    """A saved run of the link's scenario, read-only (the planner's results page)."""
    from planner.charts import PLOT_CONFIG
    from planner.selectors.compare import run_judged
    from planner.selectors.results import results_page

    try:
        link = sharelink_for_token(token=token)
    except ShareLinkError as error:
        return render(request, "workshop/share_invalid.html", {"message": str(error)}, status=error.status)
    run = shared_run(link=link, run_id=run_id)
    if run is None:
        raise Http404("No such run")
    results = run_judged(run=run, targets=link.workspace.targets)
    # no "workspace": a visitor through a link sees no workspace navigation, only this run
    context = {
        "workspace": None,
        "targets_of": link.workspace.name,
        "run": run,
        "plot_config": PLOT_CONFIG,
        **results_page(results),
    }
    return render(request, "planner/results.html", context)


@login_not_required
def shared_write(request, token: str, action: str = ""):
    """Anything that would save through a share link (pin as run, edit, share): always refused."""
    raise PermissionDenied("A share link is read-only: nothing can be saved through it.")


@login_not_required
def shared_pin(request, token: str):
    """Pinning a variant as a run through a share link: refused like every other write."""
    return shared_write(request, token, action="pin")
