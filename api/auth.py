"""The session token of allauth's API for apps, as the API's one way to sign in."""

from allauth.headless.contrib.ninja.security import XSessionTokenAuth
from django.urls import reverse

from accounts.terms import user_needs_new_terms


class TermsPending(Exception):
    """Signed in, but the terms in force are not accepted yet: as the site's terms gate
    (accounts.middleware.NewTermsMiddleware), nothing but reading and accepting them."""


class SessionToken(XSessionTokenAuth):
    """``X-Session-Token``, from ``POST /api/auth/app/v1/auth/login`` and its code step."""

    # Described in the OpenAPI document as the header it is (allauth's class leaves it out).
    openapi_in = "header"
    openapi_name = "X-Session-Token"
    openapi_description = (
        "Le jeton de session que rend l'API de connexion d'allauth "
        "(/api/auth/app/v1/auth/login, puis le code reçu par courriel)."
    )

    def __call__(self, request):
        user = super().__call__(request)
        # Signed in but not as an insured person (a staff account): nothing here is theirs.
        if user is None or not getattr(user, "is_active", False):
            return None
        if user_needs_new_terms(user) and request.path != reverse("api-v1:terms"):
            raise TermsPending
        return user


session_token = SessionToken()
