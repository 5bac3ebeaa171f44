"""The French error pages, served with DEBUG off: each code keeps its status and shows the
portal's own page (its header, the caisse's name, a way back), never Django's English one."""

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from ameli_portal import errors
from tests.factories import UserFactory
from tests.security.urlmap import all_routes

HEADINGS = {
    400: "Demande incorrecte",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Cette adresse ne s'ouvre pas directement",
    500: "Erreur technique",
}
ENGLISH = (
    "Not Found",
    "Server Error",
    "Bad Request",
    "Forbidden",
    "CSRF verification failed",
    "The requested resource",
    "Method Not Allowed",
)


def assert_french_page(response, status):
    assert response.status_code == status
    body = response.content.decode()
    assert '<html lang="fr">' in body
    assert settings.BRANDING["caisse_name"].replace("'", "&#x27;") in body, "pas l'en-tête du portail"
    assert f"Code de l'erreur&nbsp;: {status}" in body
    assert reverse("public:home") in body
    for english in ENGLISH:
        assert english not in body, english
    return body


@pytest.mark.django_db
@override_settings(DEBUG=False, ROOT_URLCONF="tests.error_urls")
@pytest.mark.parametrize("status", [400, 403, 500])
def test_a_failing_view_gives_the_french_page_with_its_status(status):
    response = Client(raise_request_exception=False).get(f"/essai/{status}/")
    assert HEADINGS[status] in assert_french_page(response, status)


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_an_unknown_address_gives_the_french_404_signed_in_or_not(client):
    assert HEADINGS[404] in assert_french_page(client.get("/nulle-part/"), 404)
    client.force_login(UserFactory())
    body = assert_french_page(client.get("/nulle-part/"), 404)
    assert reverse("accounts:home") in body and "Se déconnecter" in body


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_staff_without_the_right_get_the_french_403_in_the_back_office(client, settings):
    from tests.security.conftest import make_staff

    client.force_login(make_staff())
    response = client.get(reverse("admin:ameli_portal_outboxjob_changelist"))
    assert HEADINGS[403] in assert_french_page(response, 403)


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_a_form_sent_without_its_csrf_token_gives_the_french_expired_page():
    response = Client(enforce_csrf_checks=True).post(reverse("public:contact"), {"subject": "x"})
    body = assert_french_page(response, 403)
    assert "La page a expiré" in body and "le formulaire n'a pas été envoyé" in body


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_opening_a_post_only_form_address_gives_the_french_405(client):
    response = client.get(reverse("accounts:signup_request_letter"))
    assert HEADINGS[405] in assert_french_page(response, 405)
    assert response["Allow"] == "POST"


@pytest.mark.django_db
def test_every_405_of_the_portal_is_the_french_page_in_demo_mode_too(client):
    """Every pattern of the resolver, opened with GET by a signed-in insured person: each one
    that refuses GET answers the French page (DEBUG on, as in the demo). The API's routes
    keep their own answer: an app reads the status and the Allow header, not a page."""
    client.force_login(UserFactory())
    refused, api = [], []
    for route in all_routes():
        if route.is_admin:
            continue
        response = client.get(route.path())
        if response.status_code == 405:
            if route.is_api:
                api.append(route.name)
                assert "<html" not in response.content.decode() and response["Allow"], route.name
                continue
            refused.append(route.name)
            assert HEADINGS[405] in assert_french_page(response, 405), route.name
    assert len(refused) >= 5, refused  # the POST-only views of accounts, attestations, messaging
    assert api, "aucune route de l'API ne refuse GET ?"  # allauth's login step, for one


def test_the_500_page_needs_no_database_nor_request_context():
    """No ``django_db`` mark: a query would raise. The page still names the caisse."""
    response = errors.server_error(RequestFactory().get("/"))
    assert HEADINGS[500] in assert_french_page(response, 500)


def test_a_405_with_its_own_body_is_left_alone():
    from django.http import HttpResponseNotAllowed

    def view(request):
        return HttpResponseNotAllowed(["POST"], content=b"deja dit")

    middleware = errors.MethodNotAllowedPageMiddleware(view)
    assert middleware(RequestFactory().get("/")).content == b"deja dit"
