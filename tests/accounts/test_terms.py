"""The terms of use accepted at sign-up, for a carte Vitale ordered without an account, and
again when their version changes."""

import html

import pytest
from django.urls import reverse

from accounts.models import TermsAcceptance, User
from requests_app.models import Request
from tests.accounts.test_signup import _create_credentials, identity
from tests.factories import InsuredFactory, UserFactory
from tests.requests_app.helpers import photo, upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def person(db):
    return InsuredFactory(iban="FR7630004000010001234567830", first_names="Noémie")


def _proven(client, person):
    client.post(reverse("accounts:signup_identity"), identity(person))
    client.post(reverse("accounts:signup_proof"), {"last_seven": person.iban[-7:]})


def test_the_credentials_page_shows_both_boxes_linking_to_the_pages(client, person):
    _proven(client, person)
    page = html.unescape(client.get(reverse("account_signup")).content.decode())
    assert 'name="accept_terms"' in page and 'name="accept_privacy"' in page
    assert f'href="{reverse("public:terms")}"' in page
    assert f'href="{reverse("public:privacy")}"' in page


@pytest.mark.parametrize(
    "missing,message",
    [
        ("accept_terms", "Acceptez les conditions d'utilisation"),
        ("accept_privacy", "Cochez la case de protection de la vie privée"),
    ],
)
def test_signup_is_refused_without_a_box_and_keeps_the_email(client, person, missing, message):
    _proven(client, person)
    response = _create_credentials(client, "noemie@exemple.test", **{missing: ""})
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert message in page
    assert 'value="noemie@exemple.test"' in page
    assert not User.objects.filter(insured=person).exists()
    assert not TermsAcceptance.objects.exists()


def test_signup_records_the_version_and_the_date_with_the_account(client, person, settings):
    settings.TERMS_VERSION = "2026-12"
    _proven(client, person)
    response = _create_credentials(client, "noemie@exemple.test")
    assert response.status_code == 302
    user = User.objects.get(insured=person)
    acceptance = TermsAcceptance.objects.get()
    assert (acceptance.user, acceptance.insured, acceptance.version, acceptance.context) == (
        user,
        person,
        "2026-12",
        "signup",
    )
    assert acceptance.terms_accepted and acceptance.privacy_acknowledged
    assert user.terms_version == "2026-12"
    assert user.terms_accepted_at == acceptance.accepted_at


def test_a_new_version_sends_a_signed_in_person_to_accept_it(client, settings):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("accounts:profile")).status_code == 200
    settings.TERMS_VERSION = "2027-06"

    response = client.get(reverse("accounts:profile"))
    accept = reverse("accounts:accept_terms")
    assert response.status_code == 302
    assert response["Location"] == accept + "?next=" + reverse("accounts:profile").replace("/", "%2F")
    # public pages stay open, so the new texts can be read
    assert client.get(reverse("public:terms")).status_code == 200
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert "Nouvelles conditions d'utilisation" in page and "2027-06" in page

    refused = client.post(accept, {"accept_terms": "on", "next": reverse("accounts:profile")})
    assert refused.status_code == 400
    assert "Cochez la case de protection de la vie privée" in html.unescape(refused.content.decode())
    assert client.get(reverse("accounts:home")).status_code == 302

    done = client.post(
        accept, {"accept_terms": "on", "accept_privacy": "on", "next": reverse("accounts:profile")}
    )
    assert done["Location"] == reverse("accounts:profile")
    user.refresh_from_db()
    assert user.terms_version == "2027-06"
    assert user.terms_acceptances.get().context == "new_version"
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_the_check_costs_no_query(client, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(UserFactory())
    url = reverse("accounts:home")
    client.get(url)  # the first request of a session creates its record (allauth's user sessions)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    with_check = count()
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("NewTermsMiddleware")]
    assert count() == with_check


def test_the_next_page_after_accepting_cannot_leave_the_site(client, settings):
    client.force_login(UserFactory())
    settings.TERMS_VERSION = "2027-06"
    done = client.post(
        reverse("accounts:accept_terms"),
        {"accept_terms": "on", "accept_privacy": "on", "next": "https://ailleurs.example/"},
    )
    assert done["Location"] == reverse("accounts:home")


def test_staff_are_not_asked(client, staff, settings):
    settings.TERMS_VERSION = "2099-01"
    client.force_login(staff)
    assert client.get(reverse("accounts:home")).status_code == 200


def _vitale(person, **overrides):
    return {
        "nir": person.nir,
        "last_name": person.last_name,
        "birth_date": person.birth_date.strftime("%d/%m/%Y"),
        "postal_code": person.postal_code,
        "reason": "loss",
        "photo": photo(),
        "id_document": upload(),
        "accept_terms": "on",
        "accept_privacy": "on",
    } | overrides


def test_the_public_carte_vitale_form_needs_both_boxes(client, person):
    url = reverse("requests_app:public_vitale")
    response = client.post(url, _vitale(person, accept_terms="", accept_privacy=""))
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "Acceptez les conditions d'utilisation" in page
    assert "Cochez la case de protection de la vie privée" in page
    assert person.last_name in page  # what was typed is kept
    assert not Request.objects.exists()


def test_the_public_carte_vitale_request_records_the_acceptance(client, person, settings):
    settings.TERMS_VERSION = "2026-12"
    response = client.post(reverse("requests_app:public_vitale"), _vitale(person))
    assert response.status_code == 302  # to the page of the emailed code
    filed = Request.objects.get()
    acceptance = TermsAcceptance.objects.get()
    assert (
        acceptance.insured,
        acceptance.user,
        acceptance.version,
        acceptance.context,
        acceptance.reference,
    ) == (person, None, "2026-12", "vitale_public", str(filed.public_id))
