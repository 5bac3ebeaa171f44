"""Mes informations: identity read only, contact details, links to security pages."""

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)

CONTACT = {
    "phone": "06 12 34 56 78",
    "address_line1": "8 rue Neuve",
    "address_line2": "",
    "postal_code": "69003",
    "city": "Lyon",
}


@pytest.fixture
def logged(client, insured):
    client.force_login(insured.user)
    return client


def test_profile_shows_the_register_without_the_full_nir(logged, insured):
    page = logged.get(reverse("accounts:profile")).content.decode()
    assert insured.nir_masked in page and insured.nir not in page
    assert insured.last_name in page
    for target in ("account_email", "account_change_password", "usersessions_list", "mfa_index"):
        assert reverse(target) in page


def test_contact_change_updates_the_register_and_tells_the_owner(logged, insured):
    response = logged.post(reverse("accounts:profile"), CONTACT)
    assert response.status_code == 302
    insured.refresh_from_db()
    assert (insured.phone, insured.postal_code, insured.city) == ("0612345678", "69003", "Lyon")
    sent = [m for m in mail.outbox if insured.user.email in m.to]
    assert sent and "coordonnées" in sent[-1].subject
    assert insured.nir not in sent[-1].body


def test_bad_contact_input_keeps_what_was_typed_and_changes_nothing(logged, insured):
    before = insured.postal_code
    response = logged.post(reverse("accounts:profile"), {**CONTACT, "postal_code": "6900"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Le code postal comporte 5 chiffres." in page and "8 rue Neuve" in page
    insured.refresh_from_db()
    assert insured.postal_code == before


def test_staff_account_has_no_profile(client, staff):
    client.force_login(staff)
    assert client.get(reverse("accounts:profile")).status_code == 404
