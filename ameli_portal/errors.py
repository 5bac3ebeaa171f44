"""The French error pages (400, 403, 404, 405, 500 and the CSRF failure), in the portal's look.

Named in the root urlconf (``handler400`` …) and in ``CSRF_FAILURE_VIEW``; Django uses
them when ``DEBUG`` is off. The 405 needs a middleware: ``require_POST`` and the class-based
views answer ``HttpResponseNotAllowed`` with an empty body, which browsers show as a blank
English « HTTP ERROR 405 »; it is rendered in every mode, the demo's included.

The 400 and 500 pages are rendered without the request: no context processor runs (the
unread-messages counter queries the database, which may be what failed), and a broken
Host header (DisallowedHost, a 400) is never read again.
"""

import logging

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

FALLBACK_500 = (
    '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Erreur technique'
    "</title><h1>Erreur technique</h1><p>Une erreur technique nous empêche d'afficher "
    "cette page. Réessayez dans quelques minutes.</p></html>"
)


def _bare(template: str, status: int) -> HttpResponse:
    context = {"branding": settings.BRANDING, "demo_mode": settings.DEMO_MODE, "status": status}
    return HttpResponse(render_to_string(template, context), status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    return _bare("errors/400.html", 400)


@requires_csrf_token
def permission_denied(request, exception=None):
    return render(request, "errors/403.html", {"status": 403}, status=403)


@requires_csrf_token
def page_not_found(request, exception=None):
    return render(request, "errors/404.html", {"status": 404}, status=404)


@requires_csrf_token
def server_error(request):
    try:
        return _bare("errors/500.html", 500)
    except Exception:  # the page itself must not fail: a plain French line then
        logger.exception("la page d'erreur 500 n'a pas pu être rendue")
        return HttpResponse(FALLBACK_500, status=500)


def csrf_failure(request, reason=""):
    return render(request, "errors/403_csrf.html", {"status": 403}, status=403)


class MethodNotAllowedPageMiddleware:
    """A 405 with no body gets the French page; its ``Allow`` header is kept."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 405 or getattr(response, "streaming", False) or response.content:
            return response
        if request.path_info.startswith("/api/"):
            return response  # an app reads the status and the Allow header, not a page
        page = render(request, "errors/405.html", {"status": 405}, status=405)
        if "Allow" in response:
            page["Allow"] = response["Allow"]
        return page
