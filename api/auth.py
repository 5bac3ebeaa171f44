"""The session token of allauth's API for apps, as the API's one way to sign in."""

from allauth.headless.contrib.ninja.security import XSessionTokenAuth


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
        return user if user is not None and getattr(user, "is_active", False) else None


session_token = SessionToken()
