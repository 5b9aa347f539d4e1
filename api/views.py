"""Account → API tokens: list, create (the key is shown once), revoke."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from api.forms import TokenForm
from api.models import ApiToken
from api.services import token_create, token_revoke


@never_cache
@require_http_methods(["GET", "POST"])
def token_list(request):
    """The user's tokens and a form for a new one; a new key is shown on this page once, never again."""
    form = TokenForm(request.POST or None, user=request.user)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_key = token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                permission=form.cleaned_data["permission"],
                workspaces=list(form.cleaned_data["workspaces"]),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Token “{token.name}” created. Copy it now: it is not shown again.")
            form = TokenForm(user=request.user)
    tokens = ApiToken.objects.filter(user=request.user).prefetch_related("workspaces")
    return render(request, "api/token_list.html", {"form": form, "tokens": tokens, "new_key": new_key})


@require_POST
def token_revoke_view(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("token_list")
