"""The workshop room: a saved session's options side by side in a presenter layout, for members
(``w/<id>/workshop/sessions/<sid>/``) and, read-only and following the facilitator, through a session
share link (``s/<token>/``)."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import simulation
from planner.selectors.access import object_for_user, workspace_for_user
from workshop import budget, prefetch, services, sessions, take
from workshop.charts import room_payload, targets_text
from workshop.controls import controls_for
from workshop.models import ShareLink, WorkshopSession
from workshop.selectors import ShareLinkError, base_document, sharelink_for_token
from workshop.views import BadRequest, _body, _json_errors

FOLLOW_POLL_MS = 1000


def _options_config(session: WorkshopSession) -> list[dict]:
    """Each option: its scenario, name and controls (set to its own values); unloadable ones are left out."""
    out = []
    for scenario in sessions.session_scenarios(session=session):
        try:
            loaded = simulation.load_scenario(base_document(scenario=scenario, targets=session.workspace.targets))
        except simulation.ScenarioError:
            continue
        out.append(
            {
                "scenario_id": scenario.pk,
                "name": scenario.name,
                "controls": [c.as_dict() for c in controls_for(loaded)],
                "targets": targets_text(loaded),
            }
        )
    return out


def _display_controls(options: list[dict]) -> list[dict]:
    """The controls shown once for all options: the first option's, then any only later options have."""
    seen: dict[str, dict] = {}
    for option in options:
        for control in option["controls"]:
            seen.setdefault(control["key"], control)
    return list(seen.values())


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=4, dark="#111111", light="#ffffff", title="QR code of the link")


def _room(request: HttpRequest, session: WorkshopSession, *, urls: dict, can_edit: bool, link: ShareLink | None):
    options = _options_config(session)
    config = {
        "urls": urls,
        "can_edit": can_edit,
        "readonly": link is not None,
        "follow": link is not None,
        "poll_ms": FOLLOW_POLL_MS,
        "options": options,
        "controls": _display_controls(options),
        "state": sessions.session_state(session=session),
        "max_pins": sessions.MAX_PINS,
    }
    context = {
        "session": session,
        "ws": session.workspace,
        "config": config,
        "options": options,
        "controls": config["controls"],
        "targets_text": options[0]["targets"] if options else [],
        "link": link,
        "can_edit": can_edit,
    }
    if link is None:
        all_links = session.share_links.order_by("-created_at")[:10]
        context.update(
            scenarios=session.workspace.scenarios.only("id", "name"),
            links=[
                (item, _qr_svg(request.build_absolute_uri(reverse("shared_workshop", args=[item.token]))))
                for item in all_links
                if item.state == "active"
            ],
        )
    return render(request, "workshop/room.html", context)


def _member_session(request: HttpRequest, workspace_id: int, session_id: int, *, edit: bool = False):
    session = object_for_user(WorkshopSession, request.user, workspace_id, session_id, edit=edit)
    session.workspace.user_can_edit = workspace_for_user(request.user, workspace_id).user_can_edit
    return session


def member_urls(workspace_id: int, session_id: int) -> dict:
    args = [workspace_id, session_id]
    names = ("state", "share", "tornado", "breakeven", "advice", "evaluate_all")
    urls = {name: reverse(f"room_{name}", args=args) for name in names}
    return {**urls, "evaluate": reverse("workshop_evaluate", args=[workspace_id])}


# -- members ---------------------------------------------------------------------------------------
@require_POST
def session_new(request, workspace_id: int):
    """Start a session over the chosen scenarios (editors); back to the workshop page when none is valid."""
    workspace = workspace_for_user(request.user, workspace_id, edit=True)
    chosen = [int(v) for v in request.POST.getlist("options") if v.isdigit()][: sessions.MAX_OPTIONS + 1]
    try:
        session = sessions.session_create(
            workspace=workspace, user=request.user, name=request.POST.get("name", ""), options=chosen
        )
    except sessions.SessionStateError as error:
        messages.error(request, f"No session started: {error}")
        return redirect("workshop", workspace_id)
    return redirect("room", workspace_id, session.pk)


@require_GET
def room(request, workspace_id: int, session_id: int):
    """The presenter layout of a saved session."""
    session = _member_session(request, workspace_id, session_id)
    return _room(
        request,
        session,
        urls=member_urls(workspace_id, session_id),
        can_edit=bool(session.workspace.user_can_edit),
        link=None,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def room_state(request, workspace_id: int, session_id: int):
    """GET: the session's state. POST (editors): save the parts given — a JSON body, or a form field
    ``state`` holding JSON (what ``navigator.sendBeacon`` sends while the page unloads)."""
    if request.method == "GET":
        session = _member_session(request, workspace_id, session_id)
        return JsonResponse(sessions.session_state(session=session))
    session = _member_session(request, workspace_id, session_id, edit=True)
    return _save(request, session)


@_json_errors
def _save(request, session: WorkshopSession):
    if request.content_type == "application/json":
        data = _body(request)
    else:
        import json

        try:
            data = json.loads(request.POST.get("state", "{}"))
        except ValueError:
            raise BadRequest("state: must be JSON.") from None
        if not isinstance(data, dict):
            raise BadRequest("state: must be a JSON object.")
    try:
        session = sessions.session_save(session=session, data=data)
    except sessions.SessionStateError as error:
        return JsonResponse({"errors": [{"field": error.field, "message": error.message}]}, status=422)
    return JsonResponse(sessions.session_state(session=session))


@require_POST
def room_share(request, workspace_id: int, session_id: int):
    """A read-only link to the whole session (editors)."""
    session = _member_session(request, workspace_id, session_id, edit=True)
    try:
        link = sessions.session_link_create(
            session=session,
            user=request.user,
            days=int(request.POST.get("days", "7")) if request.POST.get("days", "7").isdigit() else 0,
            label=request.POST.get("label", ""),
        )
    except ValueError as error:
        messages.error(request, f"No link created: {error}")
    else:
        messages.success(request, f"Session link created, valid until {link.expires_at:%Y-%m-%d %H:%M} UTC.")
    return redirect(reverse("room", args=[workspace_id, session_id]) + "#share")


# -- through a session link (read-only, follows the facilitator) -------------------------------------
def shared_room(request, link: ShareLink):
    token = link.token
    urls = {"state": reverse("shared_state", args=[token]), "evaluate": reverse("shared_evaluate", args=[token])}
    return _room(request, link.session, urls=urls, can_edit=False, link=link)


@login_not_required
@never_cache
@require_GET
def shared_state(request, token: str):
    """The session's state for followers; 404 for a link to one scenario."""
    try:
        link = sharelink_for_token(token=token)
    except ShareLinkError as error:
        return JsonResponse({"errors": [{"field": "", "message": str(error)}]}, status=error.status)
    if link.session is None:
        raise Http404("This link shows one scenario, not a session")
    return JsonResponse(sessions.session_state(session=link.session))


# -- one move: every option at once, and the positions to compute ahead (members) ---------------------
MAX_AHEAD_GROUPS = prefetch.MAX_GROUPS


class _NotCached(Exception):
    """A variant thought cached has to be simulated after all (its entry expired)."""


def _session_variants(
    request, workspace_id: int, session: WorkshopSession, items, field: str, documents: dict[int, dict]
) -> list:
    """``[{"scenario_id", "overrides"}, …]`` of the session's options → ``[(document, overrides), …]``
    (``documents``: each option's base document, read once per request)."""
    from workshop.views import _member_access, _overrides, _scenario_id

    if not isinstance(items, list) or not items or len(items) > sessions.MAX_OPTIONS:
        raise BadRequest(f"{field}: must be a list of 1 to {sessions.MAX_OPTIONS} options.")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise BadRequest(f"{field}: each option must be an object with scenario_id and overrides.")
        chosen = _scenario_id(item)
        if chosen not in session.options:
            raise BadRequest(f"{field}: scenario_id must be one of the session's options.")
        if chosen not in documents:
            documents[chosen] = _member_access(request, workspace_id, chosen).document
        out.append((documents[chosen], _overrides(item)))
    return out


@require_POST
@_json_errors
def room_evaluate_all(request, workspace_id: int, session_id: int):
    """Every option's quick run at its overrides (``options``), in one answer: their chunks share the warm
    pool. An answer the cache holds costs no simulation and counts against no limit. ``ahead``: positions
    the page expects next (each a list like ``options``), computed in the background (``workshop.prefetch``)."""
    with prefetch.foreground():  # from the start: work computed ahead commits no more chunks meanwhile
        return _evaluate_all(request, workspace_id, session_id)


def _evaluate_all(request, workspace_id: int, session_id: int):
    data = _body(request)
    session = _member_session(request, workspace_id, session_id)
    documents: dict[int, dict] = {}
    variants = _session_variants(request, workspace_id, session, data.get("options"), "options", documents)
    ahead = data.get("ahead", [])
    if not isinstance(ahead, list):
        raise BadRequest("ahead: must be a list of positions.")
    groups = [
        _session_variants(request, workspace_id, session, group, "ahead", documents)
        for group in ahead[:MAX_AHEAD_GROUPS]
    ]

    def answer(check=budget.evaluate_check) -> JsonResponse:
        results = services.variants_run(variants=variants, check=check, ecdf=False)
        return JsonResponse({"options": [room_payload(figures, elapsed_s) for figures, elapsed_s in results]})

    def cached_only(_scenario) -> None:  # called only for a variant that has to be simulated
        raise _NotCached

    try:  # an answer the cache holds counts against no limit …
        response = answer(cached_only) if services.variants_cached(variants=variants, ecdf=False) else None
    except _NotCached:  # … and one that left the cache meanwhile is computed like any other
        response = None
    if response is None:
        response = budget.within_limits(budget.actor_key(request, None), answer)
    if response.status_code == 200:
        prefetch.prefetch_later(groups)
    return response


# -- what would it take (members) --------------------------------------------------------------------
def _option_access(request, workspace_id: int, session_id: int, data: dict):
    """The session's option the body names (``scenario_id``), with the workspace's targets."""
    from workshop.views import _member_access, _overrides, _scenario_id

    session = _member_session(request, workspace_id, session_id)
    chosen = _scenario_id(data)
    if chosen not in session.options:
        raise BadRequest("scenario_id: must be one of the session's options.")
    return _member_access(request, workspace_id, chosen).document, _overrides(data)


@require_POST
@_json_errors
def room_tornado(request, workspace_id: int, session_id: int):
    """Without ``parameters``: the plan (parameters, slice size); with them: the bars of that slice."""
    data = _body(request)
    document, overrides = _option_access(request, workspace_id, session_id, data)
    parameters = data.get("parameters")
    if parameters is None:
        return JsonResponse(take.tornado_plan(document=document, overrides=overrides))
    if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
        raise BadRequest("parameters: must be a list of parameter keys.")
    return JsonResponse(take.tornado_slice(document=document, overrides=overrides, parameters=parameters))


@require_POST
@_json_errors
def room_breakeven(request, workspace_id: int, session_id: int):
    """The value of one lever at which one missed target is just met (bisection on common random numbers)."""
    data = _body(request)
    document, overrides = _option_access(request, workspace_id, session_id, data)
    fields = {name: data.get(name) for name in ("parameter", "target", "incident_type")}
    if not isinstance(fields["parameter"], str) or fields["target"] not in ("rto", "rpo", "availability"):
        raise BadRequest("parameter and target (rto, rpo or availability) are required.")
    if fields["incident_type"] is not None and not isinstance(fields["incident_type"], str):
        raise BadRequest("incident_type: must be an incident type or null.")
    return JsonResponse(take.break_even_of(document=document, overrides=overrides, **fields))


@require_POST
@_json_errors
def room_advice(request, workspace_id: int, session_id: int):
    """The cheapest sets of catalogue changes that meet the targets, else the nearest misses by shortfall."""
    data = _body(request)
    document, overrides = _option_access(request, workspace_id, session_id, data)
    return JsonResponse(take.cheapest_changes(document=document, overrides=overrides))
