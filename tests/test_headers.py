"""Headers every response carries: no-store for a signed-in person, a Permissions-Policy for all.

The pages are not listed by hand: every URL pattern without a parameter is read from the URL
resolver, so a page added tomorrow is checked too.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import get_resolver
from django.urls.resolvers import URLResolver

from ameli_portal.middleware import PermissionsPolicyMiddleware, PrivateNoStoreMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # One account per test, hundreds of tests: the real hasher's cost is not what is checked.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _paths(patterns, prefix="/"):
    """Every path without a parameter, from the URL resolver."""
    for pattern in patterns:
        if pattern.pattern.regex.groups:  # a converter (<uuid:...>) or a regex group
            continue
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            yield from _paths(pattern.url_patterns, route)
        else:
            yield route


PATHS = sorted(set(_paths(get_resolver().url_patterns)))
DENIED = ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()", "browsing-topics=()")


def test_the_resolver_gives_the_private_pages_the_audit_found_without_no_store():
    for path in (
        "/mon-espace/",
        "/compte/email/",
        "/compte/sessions/",
        "/compte/2fa/",
        "/compte/password/change/",
        "/compte/reauthenticate/",
        "/demarches/nouvelle/",
    ):
        assert path in PATHS


def _no_store(response) -> bool:
    directives = {d.strip().split("=")[0] for d in response.get("Cache-Control", "").split(",")}
    return "no-store" in directives and "public" not in directives


@pytest.mark.parametrize("path", PATHS)
def test_every_page_to_a_signed_in_insured_is_no_store(client, insured, path):
    client.force_login(insured.user)
    response = client.get(path)
    assert response.status_code != 500
    assert _no_store(response), f"{path} ({response.status_code}) : {response.get('Cache-Control')!r}"
    for feature in DENIED:
        assert feature in response["Permissions-Policy"]


@pytest.mark.parametrize("path", PATHS)
def test_every_page_to_a_visitor_has_a_permissions_policy(client, path):
    response = client.get(path)
    assert response.status_code != 500
    for feature in DENIED:
        assert feature in response["Permissions-Policy"], path


def test_static_files_keep_their_cache_and_get_the_policy(settings, insured):
    # WhiteNoise answers before the no-store middleware: a signed-in person's CSS stays cacheable.
    from django.test import Client

    # Without collectstatic, WhiteNoise reads the files where they are (as runserver does).
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()  # a new client loads the middleware, with these settings
    client.force_login(insured.user)
    response = client.get("/static/css/payments.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "camera=()" in response["Permissions-Policy"]


def _through(middleware, response, user):
    request = RequestFactory().get("/")
    request.user = user
    return middleware(lambda _request: response)(request)


@pytest.mark.parametrize(
    "own",
    [
        "public, max-age=3600",
        "private, max-age=600",
        "max-age=0",
        "no-cache",
        "",
    ],
)
def test_a_looser_cache_control_of_a_view_is_replaced_for_a_signed_in_person(insured, own):
    response = HttpResponse("santé")
    if own:
        response["Cache-Control"] = own
    response = _through(PrivateNoStoreMiddleware, response, insured.user)
    assert _no_store(response) and "private" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_a_view_that_already_says_no_store_keeps_its_header(insured):
    response = HttpResponse("PDF")
    response["Cache-Control"] = "no-store"
    assert _through(PrivateNoStoreMiddleware, response, insured.user)["Cache-Control"] == "no-store"


def test_a_visitor_s_public_page_keeps_its_cache_control():
    response = HttpResponse("aide")
    response["Cache-Control"] = "public, max-age=600"
    response = _through(PrivateNoStoreMiddleware, response, AnonymousUser())
    assert response["Cache-Control"] == "public, max-age=600"


def test_the_policy_denies_every_feature_and_a_view_may_set_its_own():
    policy = _through(PermissionsPolicyMiddleware, HttpResponse(), AnonymousUser())["Permissions-Policy"]
    assert all(item.strip().endswith("=()") for item in policy.split(","))
    own = HttpResponse()
    own["Permissions-Policy"] = "camera=(self)"
    own = _through(PermissionsPolicyMiddleware, own, AnonymousUser())
    assert own["Permissions-Policy"] == "camera=(self)"
