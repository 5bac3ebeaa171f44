"""The project's URLs plus the benches' own pages, never part of the portal's URLs.

- a bare authenticated page that only renders ``base.html``: the floor any page of the portal pays;
- « hello » views, anonymous and signed in (``HttpResponse("hello")``): Django's own floor;
- « Mes paiements » as right after a write to the person's payments (cold cache).
"""

from unittest import mock

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

BARE = engines["django"].from_string(
    '{% extends "base.html" %}{% block title %}Page nue{% endblock %}'
    "{% block content %}<h1>Page nue</h1><p>Le gabarit commun, sans rien d'autre.</p>{% endblock %}"
)


def bare(request):
    return HttpResponse(BARE.render({}, request))


def hello(request):
    return HttpResponse("hello")


@login_not_required
def hello_anonymous(request):
    return HttpResponse("hello")


class _AfterAWrite:
    """The cache as « Mes paiements » finds it right after a write to the person's payments:
    its parts are read (one round trip, as always) but every one misses, so the page computes
    and renders its counters and chart, and writes them back, as on the first view after a
    posting, a payment or on a new day. Everything else is the real cache."""

    def __init__(self, real):
        self._real = real

    def get_many(self, keys, *args, **kwargs):
        self._real.get_many(keys, *args, **kwargs)
        return {}

    def __getattr__(self, name):
        return getattr(self._real, name)


def payments_cold(request):
    from reimbursements import views

    # Patched for this request only (gunicorn's sync workers serve one request at a time).
    with mock.patch.object(views, "cache", _AfterAWrite(cache)):
        return views.payments(request)


urlpatterns = [
    path("banc/page-nue/", bare, name="bench_bare"),
    path("banc/bonjour/", hello, name="bench_hello"),
    path("banc/bonjour-anonyme/", hello_anonymous, name="bench_hello_anonymous"),
    path("banc/mes-paiements-a-froid/", payments_cold, name="bench_payments_cold"),
    path("", include("ameli_portal.urls")),
]
