"""Family 1: an anonymous visitor on every URL pattern the resolver knows.

Every page but the public ones below sends them to the login (the admin's pages to the
admin's login); no page answers a 5xx. A pattern added tomorrow is crawled too: if it does
not ask for the login, this test fails with its name until it is added to PUBLIC.
Then every page of the portal, signed in, with odd numbers in its query string.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from .urlmap import all_routes, check_resolves

pytestmark = pytest.mark.django_db

# The pages anyone may open without an account, and why.
PUBLIC = {
    # the public site
    "public:home",
    "public:help",
    "public:glossary",
    "public:contact",
    "public:contact_sent",
    "public:terms",
    "public:privacy",
    "public:legal",  # conditions, privacy notice, legal notice
    "public:accessibility",  # the accessibility statement (RGAA)
    "healthz",
    "readyz",  # the probes: no personal data in them
    "reimbursements:simulator",  # the public simulator
    "attestations:verify",  # checking the code printed on an attestation
    "requests_app:public_vitale",  # carte Vitale without an account
    "requests_app:public_vitale_confirm",  # its emailed code (same page whatever the identity)
    # creating an account: the identity checks before allauth's sign-up
    "accounts:signup_identity",
    "accounts:signup_proof",
    "accounts:signup_request_letter",
    "accounts:signup_code",
    # allauth's pages for people not signed in
    "account_login",
    "account_signup",
    "account_logout",
    "account_inactive",
    "account_reset_password",
    "account_confirm_password_reset_code",
    "account_complete_password_reset",
    "account_password_reset_completed",
    "account_confirm_login_code",
    "account_email_verification_sent",
    "mfa_authenticate",
    "mfa_trust",
    # the back office's own sign-in (staff only) and its code step (without a password given
    # first, it sends back to the sign-in)
    "admin:login",
    "admin:login_code",
}
# The API for apps: its description, and allauth's sign-in API's steps for people not signed
# in (its configuration, login, the emailed code, the forgotten password...). Every other API
# route answers an anonymous caller with a JSON refusal (see refused_without_token).
PUBLIC_API = {
    "api-v1:openapi-json",
    "api-v1:openapi-view",
    "api-v1:api-root",
    "headless:app:config",
}
# The demo mailbox: public in demo mode only (DEMO_MODE, never in production); elsewhere a 404.
DEMO = {"public:demo_mailbox", "public:demo_message", "public:demo_message_html", "public:demo_letter_pdf"}

ROUTES = all_routes()


def sent_to_login(response, path: str, *, admin: bool) -> bool:
    """A 302 to the login page that brings the visitor back here afterwards.

    The portal's login is allauth's; the admin's pages send to the back office's own
    sign-in (accounts/staff_login.py: rate limits, lockout and MFA apply to staff too).
    """
    if response.status_code != 302:
        return False
    location = urlsplit(response["Location"])
    logins = {reverse(settings.LOGIN_URL)} | ({reverse("admin:login")} if admin else set())
    return location.path in logins and parse_qs(location.query).get("next") == [path]


def refused_without_token(response) -> bool:
    """The API's refusals: sign in first (401), not allowed (403), no such route (404), not
    with this method (405), or a step that needs one before it (400, 409). Never what was
    asked for (2xx), never a page."""
    return response.status_code in (400, 401, 403, 404, 405, 409)


def request(client, method: str, route, path: str):
    try:
        return getattr(client, method)(path)
    except Exception as exc:  # the test client re-raises a view's exception (a 500)
        raise AssertionError(f"{route.name} ({method.upper()} {path}) : erreur serveur {exc!r}") from exc


def test_the_public_lists_name_real_patterns():
    names = {route.name for route in ROUTES}
    assert (PUBLIC | DEMO | PUBLIC_API) - names == set()


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_anonymous_visitor(route):
    client = Client()
    path = route.path()
    check_resolves(route, path)
    public = route.name in PUBLIC or (route.name in DEMO and settings.DEMO_MODE)
    for method in ("get", "post"):
        response = request(client, method, route, path)
        assert response.status_code < 500, f"{route.name} ({method.upper()} {path}) : {response.status_code}"
        if route.is_api:
            assert route.name in PUBLIC_API or refused_without_token(response), (
                f"{route.name} ({method.upper()} {path}) répond sans jeton ({response.status_code}) : "
                f"protégez l'opération, ou ajoutez-la à PUBLIC_API si elle est publique"
            )
        elif public:
            assert not sent_to_login(response, path, admin=route.is_admin), (
                f"{route.name} est dans PUBLIC mais demande de se connecter : retirez-le de la liste"
            )
        else:
            assert sent_to_login(response, path, admin=route.is_admin), (
                f"{route.name} ({method.upper()} {path}) s'ouvre sans connexion "
                f"({response.status_code} {response.get('Location', '')}) : protégez la vue, "
                f"ou ajoutez-la à PUBLIC si elle est publique"
            )


def test_the_demo_mailbox_is_closed_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    client = Client()
    for route in ROUTES:
        if route.name in DEMO:
            assert client.get(route.path()).status_code == 404, route.name


# --- numbers from the query string, as a signed-in insured person ------------------------

PORTAL_ROUTES = [r for r in ROUTES if not r.is_admin and not r.is_allauth and r.name not in DEMO]
AWKWARD_NUMBERS = ["99999999999999999999", "-1", "abc\x00"]


@pytest.mark.parametrize("route", [pytest.param(r, id=r.name) for r in PORTAL_ROUTES])
def test_insured_with_awkward_numbers_in_the_query_string(route, household, db):
    """Each page of the portal, signed in, with ?page= (and its kin) given odd numbers: no 5xx."""
    from .household import IDENTIFIERS

    case = IDENTIFIERS.get(route.name)
    path = route.path(**case.kwargs(household)) if case else route.path()
    client = Client()
    client.force_login(household.user)
    for value in AWKWARD_NUMBERS:
        query = {"page": value, "year": value, "month": value}
        try:
            response = client.get(path, query)
        except Exception as exc:  # the test client re-raises a view's exception (a 500)
            raise AssertionError(f"{route.name} ({path}?page={value!r}) : erreur serveur {exc!r}") from exc
        assert response.status_code < 500, f"{route.name} ({path}?page={value!r}) : {response.status_code}"
