"""Response headers every page gets, whatever view made it (no app imported here)."""

from django.conf import settings
from django.utils.cache import add_never_cache_headers


def _directives(response) -> set[str]:
    value = response.get("Cache-Control", "")
    return {part.split("=", 1)[0].strip().lower() for part in value.split(",")}


class PrivateNoStoreMiddleware:
    """Nothing shown to a signed-in person is kept by the browser or a shared cache.

    Their pages hold health data: without ``no-store``, the back button after logging out,
    or the next user of a shared computer, would show them from the browser's cache. So
    this is the default for every response to a signed-in person, not a decorator to
    remember on each view. A view's own Cache-Control stays only when it already says
    ``no-store`` (nothing is stricter); anything looser (``public``, ``max-age=3600``) is
    replaced. Static files never reach here: WhiteNoise answers them earlier in MIDDLEWARE,
    keeping their long-lived public caching; this middleware sits after authentication.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        # The API's answers too: an app signs in by a token the middleware does not see.
        private = (user is not None and user.is_authenticated) or request.path_info.startswith("/api/")
        if private and "no-store" not in _directives(response):
            # Django's never_cache: max-age=0, no-cache, no-store, must-revalidate, private
            # (``private`` also drops a ``public`` the view may have set).
            add_never_cache_headers(response)
        return response


class PermissionsPolicyMiddleware:
    """The ``Permissions-Policy`` header: browser features the portal never uses, denied.

    The portal needs no camera, microphone, location, payment or USB device: denying them
    to every page (and to anything injected into one) leaves nothing to ask the person for.
    First in MIDDLEWARE, so that static files (WhiteNoise) and redirects get it too.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allowed)})" for feature, allowed in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
