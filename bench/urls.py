"""The project's URLs plus a bare authenticated page: the floor any page of the portal pays."""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

BARE = engines["django"].from_string(
    '{% extends "base.html" %}{% block title %}Page nue{% endblock %}'
    "{% block content %}<h1>Page nue</h1><p>Le gabarit commun, sans rien d'autre.</p>{% endblock %}"
)


def bare(request):
    return HttpResponse(BARE.render({}, request))


urlpatterns = [
    path("banc/page-nue/", bare, name="bench_bare"),
    path("", include("ameli_portal.urls")),
]
