import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect

SESSION_KEY = "_session_started_at"


class AbsoluteSessionLimitMiddleware:
    """End a session 12 hours after it started, however active it has been.

    The idle limit is Django's own (SESSION_COOKIE_AGE renewed at each request).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.setdefault(SESSION_KEY, int(time.time()))
            if time.time() - started > settings.SESSION_ABSOLUTE_AGE:
                logout(request)
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)


class StaffMfaMiddleware:
    """Staff reach the back office only once an authenticator app protects their account."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.urls import reverse

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
