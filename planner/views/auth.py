"""Password reset with a rate limit per client address and per e-mail address (the rest is Django's)."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator

from planner.selectors.client import client_address
from planner.services.throttle import attempt_allowed


@method_decorator(login_not_required, name="dispatch")
class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's reset form; over the limit it answers 429 and sends nothing."""

    def form_valid(self, form):
        keys = {"address": client_address(self.request) or "unknown", "email": form.cleaned_data["email"].lower()}
        allowed = [
            attempt_allowed(
                scope=f"password-reset-{kind}",
                key=key,
                limit=settings.PASSWORD_RESET_LIMIT,
                window_s=settings.PASSWORD_RESET_WINDOW_S,
            )
            for kind, key in keys.items()
        ]
        if not all(allowed):
            form.add_error(None, "Too many password reset requests; try again in an hour.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
