"""The portal's public address, for the links of emails and PDFs.

During a request it is the address the person used (``request.build_absolute_uri``,
its host checked by ``ALLOWED_HOSTS``): the demo on ``0.0.0.0:8080`` or behind a proxy
links to itself, not to port 8000. Outside a request (a job run by the worker) it is the
``SITE_URL`` setting, which ``./run demo`` derives from its address argument.
"""

from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost

_request_base: ContextVar[str] = ContextVar("portal_request_base", default="")


def site_url() -> str:
    """``https://host[:port]`` without a trailing slash."""
    return (_request_base.get() or settings.SITE_URL).rstrip("/")


def absolute_url(path: str) -> str:
    return site_url() + path


@dataclass(frozen=True)
class PortalSite:
    """What allauth calls the current site (``current_site.name``, ``.domain``)."""

    name: str
    domain: str


def current_site() -> PortalSite:
    return PortalSite(name=settings.BRANDING["portal_name"], domain=urlsplit(site_url()).netloc)


class SiteUrlMiddleware:
    """Remembers the request's own address for the links built while it is served."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            base = request.build_absolute_uri("/")
        except DisallowedHost:
            base = ""
        token = _request_base.set(base)
        try:
            return self.get_response(request)
        finally:
            _request_base.reset(token)
