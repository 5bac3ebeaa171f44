"""Commander une carte Vitale sans compte: identity checked like signup, rate limited."""

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import HealthCard
from requests_app.models import Request
from tests.factories import InsuredFactory
from tests.requests_app.helpers import photo, upload

pytestmark = pytest.mark.django_db
URL = reverse("requests_app:public_vitale")


@pytest.fixture
def person(db):
    return InsuredFactory(last_name="Lefèvre-Dupré", birth_date=date(1984, 3, 9), postal_code="75010",
                          address_line1="12 rue Secrète", email="noemie@exemple.test")


def form(person, **overrides):
    data = {"nir": person.nir, "last_name": "lefevre dupre", "birth_date": "09/03/1984",
            "postal_code": "75010", "reason": "loss", "photo": photo(), "id_document": upload(),
            "accept_terms": "on", "accept_privacy": "on"}
    data.update(overrides)
    return data


def test_the_page_is_public(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert "Commander une carte Vitale sans compte" in response.content.decode()


def test_a_matching_identity_files_the_request_and_opposes_the_lost_card(
        client, person, django_capture_on_commit_callbacks):
    card = HealthCard.objects.create(insured=person, kind="vitale", status="valid",
                                     valid_from=date(2020, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, form(person))
    page = response.content.decode()
    assert response.status_code == 200
    assert "adresse postale que connaît votre caisse" in page
    assert "Secrète" not in page and "75010" not in page  # the address is never shown
    filed = Request.objects.get()
    assert (filed.insured, filed.kind, filed.filed_without_account) == (person, "carte_vitale", True)
    assert filed.events.get().actor_kind == "system"
    assert filed.attachments.count() == 2
    card.refresh_from_db()
    assert card.status == "opposed"
    [email] = mail.outbox
    assert email.to == ["noemie@exemple.test"] and "/demarches/" not in email.body


@pytest.mark.parametrize("field,value", [
    ("last_name", "Martin"), ("birth_date", "10/03/1984"), ("postal_code", "75011"),
])
def test_any_mismatch_gives_the_same_message(client, person, field, value):
    response = client.post(URL, form(person, **{field: value}))
    assert response.status_code == 400
    assert "avons pas pu vérifier votre identité" in response.content.decode()
    assert not Request.objects.exists()


def test_an_unknown_nir_gives_the_same_message(client, person):
    other = InsuredFactory.build(nir="1840375999999" if person.nir != "1840375999999" else "1840375999998")
    response = client.post(URL, form(person, nir=other.nir))
    assert "avons pas pu vérifier votre identité" in response.content.decode()


def test_attempts_are_limited(client, person):
    for _ in range(5):
        client.post(URL, form(person, last_name="Martin"))
    response = client.post(URL, form(person))
    assert response.status_code == 429 and "Trop de tentatives" in response.content.decode()
    assert not Request.objects.exists()


def test_the_identity_document_is_required(client, person):
    response = client.post(URL, form(person, id_document=""))
    assert response.status_code == 400
    assert not Request.objects.exists()
