"""Family 2: who gets what on every URL that takes an identifier, and on every admin page.

The URLs come from the resolver; IDENTIFIERS (household.py) says how to find the owner's
object behind each. Owner: the page; another insured person: 404; anonymous: the login;
staff: 404 on the portal (they have no insured record), and in the back office 403 without
the permission, the page with it.
"""

from urllib.parse import urlsplit

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.factories import StaffFactory, UserFactory

from .conftest import make_staff
from .household import IDENTIFIERS
from .urlmap import all_routes, check_resolves

pytestmark = pytest.mark.django_db

ROUTES = {route.name: route for route in all_routes()}
# The API's routes take a session token, not a cookie: tests/api/test_api.py walks its
# OpenAPI document for the same matrix.
WITH_IDENTIFIER = sorted(
    name
    for name, route in ROUTES.items()
    if route.converters and not route.is_admin and not route.is_allauth and not route.is_api
)


def test_every_url_with_an_identifier_says_how_to_reach_its_object():
    missing = set(WITH_IDENTIFIER) - set(IDENTIFIERS)
    assert not missing, (
        f"URL avec identifiant sans entrée dans IDENTIFIERS (tests/security/household.py) : {sorted(missing)}"
    )
    assert set(IDENTIFIERS) <= set(ROUTES), "IDENTIFIERS nomme une URL qui n'existe plus"


def call(client, case, path):
    method = getattr(client, case.method)
    return method(path, case.data or {}) if case.method == "post" else method(path)


def assert_sent_to_login(response, path):
    assert response.status_code == 302, (path, response.status_code)
    assert urlsplit(response["Location"]).path == reverse(settings.LOGIN_URL)


@pytest.mark.parametrize("name", WITH_IDENTIFIER)
def test_access_matrix(name, household, stranger, client, db):
    case = IDENTIFIERS[name]
    route = ROUTES[name]
    path = route.path(**case.kwargs(household))
    check_resolves(route, path)

    if case.demo:
        assert call(client, case, path).status_code == 200, "la boîte de démonstration est publique en démo"
        settings.DEMO_MODE, demo = False, settings.DEMO_MODE
        try:
            assert call(client, case, path).status_code == 404, "hors démo, la boîte n'existe pas"
        finally:
            settings.DEMO_MODE = demo
        return

    if case.public:
        for who in (None, stranger, make_staff(), household.user):
            if who is not None:
                client.force_login(who)
            assert call(client, case, path).status_code == 200, f"{name} est public ({who})"
        return

    assert_sent_to_login(call(client, case, path), path)

    client.force_login(stranger)
    expected = 404 if case.owned else case.owner_status
    assert call(client, case, path).status_code == expected, f"un autre assuré sur {name}"

    staff = make_staff(case.staff_perm) if case.staff_perm else make_staff()
    client.force_login(staff)
    assert call(client, case, path).status_code == 404, f"un agent sur la page assuré {name}"
    if case.staff:
        staff_url = case.staff(household)
        assert client.get(staff_url).status_code == 200, f"un agent habilité sur {staff_url}"
        client.force_login(make_staff())
        assert client.get(staff_url).status_code == 403, f"un agent sans le droit sur {staff_url}"

    client.force_login(household.user)
    response = call(client, case, path)
    assert response.status_code == case.owner_status, f"le titulaire sur {name}"


# --- the back office: every registered ModelAdmin -----------------------------------------

MODEL_ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", [m for m, _ in MODEL_ADMINS], ids=[m._meta.label for m, _ in MODEL_ADMINS])
def test_admin_pages_of_each_model(model, household, bare_staff, db):
    urls = [_admin_url(model, "changelist"), _admin_url(model, "add")]
    anonymous = Client()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert urlsplit(response["Location"]).path in {reverse("admin:login"), reverse(settings.LOGIN_URL)}

    staff = Client()
    staff.force_login(bare_staff)
    for url in urls:
        assert staff.get(url).status_code == 403, f"agent sans droit sur {url}"
    obj = model._default_manager.order_by("pk").first()
    if obj is not None:
        url = _admin_url(model, "change", obj.pk)
        assert staff.get(url).status_code in (302, 403), f"agent sans droit sur {url}"

    # A superuser opens every page without a server error (the pages staff work on).
    superuser = StaffFactory(is_superuser=True)
    Authenticator.objects.create(user=superuser, type=Authenticator.Type.TOTP, data={"secret": "x"})
    boss = Client()
    boss.force_login(superuser)
    assert boss.get(urls[0]).status_code == 200, urls[0]
    assert boss.get(urls[1]).status_code in (200, 403), urls[1]
    if obj is not None:
        assert boss.get(_admin_url(model, "change", obj.pk)).status_code == 200


ADMIN_ROUTES = [route for route in ROUTES.values() if route.is_admin and route.name != "admin:logout"]


def test_every_admin_page_answers_a_superuser_without_a_server_error(db):
    """Each admin pattern, with identifiers that name nothing (generated per converter), opened
    and posted empty: a 404, a redirect, a form's errors or the page, never a 500. Pages with
    real objects are opened above."""
    superuser = StaffFactory(is_superuser=True)
    Authenticator.objects.create(user=superuser, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client = Client()
    client.force_login(superuser)
    failures = []
    for route in ADMIN_ROUTES:
        path = route.path()
        for method in (client.get, client.post):
            try:
                status = method(path).status_code
            except Exception as exc:  # the test client re-raises a view's exception (a 500)
                status = repr(exc)
            if not isinstance(status, int) or status >= 500:
                failures.append(f"{route.name} {method.__name__.upper()} {path}: {status}")
    assert not failures, "\n".join(failures)


# --- the back office's own pages (not a ModelAdmin's): each with the right it needs ----------

# Django's own pages of the admin site: any member of staff (or anyone: the login); and
# UserAdmin's password page, named after auth.User whatever the user model (its ModelAdmin's).
DJANGO_SITE_PAGES = {
    "admin:index",
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "admin:password_change_done",
    "admin:autocomplete",
    "admin:jsi18n",
    "admin:view_on_site",
    "admin:app_list",
    "admin:auth_user_password_change",
}
# The back office's own sign-in steps: open to everyone (tests/accounts/test_staff_login.py).
SIGN_IN_PAGES = {"admin:login_code"}
# The portal's pages on the admin site -> the permission that opens them.
SITE_PAGES = {
    "admin:email_previews": "ameli_portal.preview_emails",
    "admin:email_preview": "ameli_portal.preview_emails",
    "admin:email_preview_html": "ameli_portal.preview_emails",
}
_MODEL_PREFIXES = tuple(f"admin:{m._meta.app_label}_{m._meta.model_name}_" for m, _ in MODEL_ADMINS)


def test_every_page_of_the_admin_site_itself_says_which_right_opens_it():
    own = {
        name
        for name, route in ROUTES.items()
        if route.is_admin and not name.startswith(_MODEL_PREFIXES) and not name.startswith("admin:<")
    }
    missing = own - DJANGO_SITE_PAGES - SIGN_IN_PAGES - set(SITE_PAGES)
    assert not missing, f"page du back-office sans droit dans SITE_PAGES (test_access_matrix.py) : {missing}"
    assert set(SITE_PAGES) <= set(ROUTES), "SITE_PAGES nomme une URL qui n'existe plus"


@pytest.mark.parametrize("name", sorted(SITE_PAGES))
def test_site_pages_need_their_right(name, db):
    from ameli_portal.email_catalog import email_templates

    route = ROUTES[name]
    kwargs = {"key": email_templates()[0].key} if "key" in route.converters else {}
    path = route.path(**kwargs)
    check_resolves(route, path)
    response = Client().get(path)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path in {reverse("admin:login"), reverse(settings.LOGIN_URL)}
    staff = Client()
    staff.force_login(make_staff())
    assert staff.get(path).status_code == 403, f"agent sans le droit sur {path}"
    staff.force_login(make_staff(SITE_PAGES[name]))
    assert staff.get(path).status_code == 200, f"agent habilité sur {path}"
    insured = Client()
    insured.force_login(UserFactory())
    assert insured.get(path).status_code == 302, "un assuré n'entre pas au back-office"
