import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse

SESSION_KEY = "_session_started_at"


class PortalLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's: every page asks for a sign-in unless marked otherwise; the back office's
    pages send to the back office's own sign-in, the others to the insured one."""

    def handle_no_permission(self, request, view_func):
        if request.path.startswith(reverse("admin:index")):
            return redirect_to_login(
                request.get_full_path(), reverse("admin:login"), self.get_redirect_field_name(view_func)
            )
        return super().handle_no_permission(request, view_func)


class AbsoluteSessionLimitMiddleware:
    """End a session 12 hours after it started, however active it has been.

    The idle limit is SessionActivityMiddleware's (SESSION_COOKIE_AGE from the last renewal).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.setdefault(SESSION_KEY, int(time.time()))
            if time.time() - started > settings.SESSION_ABSOLUTE_AGE:
                logout(request)
                in_back_office = request.path.startswith(reverse("admin:index"))
                return redirect("admin:login" if in_back_office else settings.LOGIN_URL)
        return self.get_response(request)


ACTIVITY_KEY = "_activity_at"


class SessionActivityMiddleware:
    """Renew the session and the sessions list at most once every SESSION_ACTIVITY_REFRESH seconds.

    Instead of SESSION_SAVE_EVERY_REQUEST and allauth's UserSessionsMiddleware, which wrote
    the session row and the user session row (reading the user again) on every request:
    a request writes only when its session's last renewal is older than the refresh
    interval. The renewal marks the session modified, so SessionMiddleware saves it with
    a new expiry (SESSION_COOKIE_AGE from now) and a new cookie; a signed-in session's
    entry in « Mes sessions » gets its last seen time, IP and browser through allauth's
    own ``UserSession.objects.create_from_request`` (what its login signal calls).
    A session therefore ends between SESSION_COOKIE_AGE - refresh and SESSION_COOKIE_AGE
    after the last request, never later; its last seen time is at most refresh old.
    Requests without a session (no cookie) read and write nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if session.session_key is not None:
            now = int(time.time())
            if now - session.get(ACTIVITY_KEY, 0) >= settings.SESSION_ACTIVITY_REFRESH and not (
                session.is_empty()
            ):
                session[ACTIVITY_KEY] = now
                if request.user.is_authenticated:
                    from allauth.usersessions.models import UserSession

                    UserSession.objects.create_from_request(request)
        return self.get_response(request)


class StaffMfaMiddleware:
    """Staff reach the back office only once an authenticator app protects their account."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.STAFF_MFA_REQUIRED
            and user.is_authenticated
            and user.is_staff
            and request.path.startswith(reverse("admin:index"))
        ):
            from allauth.mfa.models import Authenticator
            from django.contrib import messages

            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                messages.warning(request, "Activez la double authentification pour accéder au back-office.")
                return redirect("mfa_activate_totp")
        return self.get_response(request)


class NewTermsMiddleware:
    """A signed-in insured person whose accepted terms are not the ones in force is asked to
    accept the new version before going on. Public pages, the acceptance page itself and
    logging out stay open; the check reads the user row, no extra query."""

    ALLOWED = {"accounts:accept_terms", "account_logout"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from .terms import user_needs_new_terms

        if not user_needs_new_terms(request.user):
            return None
        match = request.resolver_match
        if getattr(view_func, "login_required", True) is False or (match and match.view_name in self.ALLOWED):
            return None
        from django.utils.http import url_has_allowed_host_and_scheme, urlencode

        target = reverse("accounts:accept_terms")
        nxt = request.get_full_path()
        if request.method == "GET" and url_has_allowed_host_and_scheme(nxt, allowed_hosts=None):
            target += "?" + urlencode({"next": nxt})
        return redirect(target)
