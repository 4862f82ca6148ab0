"""Log-in throttling (django-axes) and the password reset views.

Failed log-ins are counted per user name and per client address, each on its own: after
``LOGIN_FAILURE_LIMIT`` failures within ``LOGIN_LOCKOUT_MINUTES`` the name (from anywhere) or
the address (for any name) is refused, with a page that says why and for how long, until the
time passes, an administrator unlocks it, or the user resets their password by email.
"""

from __future__ import annotations

import logging
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy

from helpdesk.accounts.services import login_unlock

logger = logging.getLogger(__name__)


class LoginThrottleBackend(AxesStandaloneBackend):
    """Counts and refuses log-ins made over HTTP; code that authenticates without a request
    (a shell, a management command) is not a log-in attempt from the network."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password=None, **kwargs
    ):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page a locked-out log-in gets (HTTP 429): why, for how long, and what to do."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)


class ResetForm(PasswordResetForm):
    """Django's reset form; a mail server that cannot be reached is logged, never a 500 (and
    the page does not reveal whether the address is known)."""

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().send_mail(*args, **kwargs)
        except OSError as exc:  # smtplib's errors are OSErrors
            logger.error("Password reset mail not sent: %s", exc)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetForm
    success_url = reverse_lazy("password_reset_done")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["mail_configured"] = bool(settings.EMAIL_HOST)
        return context


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        # Whoever proved they own the mailbox is no longer locked out by failed log-ins.
        login_unlock(username=form.user.get_username())
        return response
