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
