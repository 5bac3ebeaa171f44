"""The terms gate for allauth's API for apps, as the site's ``NewTermsMiddleware`` is for its
account pages: a person whose accepted terms are not the ones in force manages nothing of their
account (addresses, password, double authentication, sessions) before accepting them; signing
in and out stays open, as on the site."""

import re

from . import problems

GATED = re.compile(r"^/api/auth/app/v1/(account/|auth/sessions$|auth/reauthenticate)")


class HeadlessTermsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.headers.get("X-Session-Token") and GATED.match(request.path):
            from .auth import TermsPending, session_token
            from .core import ACCEPT_URL, TERMS_PENDING, api

            try:
                session_token(request)
            except TermsPending:
                return problems.problem(api, request, 403, TERMS_PENDING, accept_url=ACCEPT_URL)
        return self.get_response(request)
