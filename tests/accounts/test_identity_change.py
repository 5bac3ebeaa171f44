"""Identity fields (NIR, names, birth date, sex): a superviseur's change, with a reason,
audited with old and new values, and the insured person told by email and in the messagerie."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.services.register import IdentityChangeRefused, insured_change_identity
from ameli_portal.models import AuditEvent
from messaging.models import Thread
from tests.accounts.test_register import _insured_form

pytestmark = pytest.mark.django_db


def _form(insured, **changes):
    fields = {
        "nir": insured.nir,
        "last_name": insured.last_name,
        "first_names": insured.first_names,
        "birth_date": insured.birth_date.isoformat(),
        "sex": insured.sex,
        "address_line1": insured.address_line1,
        "postal_code": insured.postal_code,
        "city": insured.city,
        "email": insured.email,
    }
    return _insured_form(insured.caisse, **{**fields, **changes})


def _mail(subject_start):
    return next(m for m in mail.outbox if m.subject.startswith(subject_start))


def test_a_conseiller_cannot_change_an_identity_even_by_posting_it(client, staff, insured):
    client.force_login(staff)
    url = reverse("admin:accounts_insured_change", args=[insured.pk])
    page = client.get(url).content.decode()
    assert 'name="last_name"' not in page and 'name="nir"' not in page
    response = client.post(url, _form(insured, last_name="Usurpé", birth_date="1999-01-01"))
    assert response.status_code == 302
    insured.refresh_from_db()
    assert insured.last_name != "Usurpé" and insured.birth_date.year == 1980


def test_a_superviseur_must_give_a_reason(client, superviseur, insured):
    client.force_login(superviseur)
    url = reverse("admin:accounts_insured_change", args=[insured.pk])
    response = client.post(url, _form(insured, last_name="Nouveau-Nom"))
    assert response.status_code == 200
    assert "Indiquez le motif de la modification d&#x27;identité." in response.content.decode()
    insured.refresh_from_db()
    assert insured.last_name != "Nouveau-Nom"


def test_a_superviseur_changes_an_identity_with_a_reason_and_the_insured_is_told(
    client, superviseur, insured, django_capture_on_commit_callbacks
):
    old_name = insured.last_name
    client.force_login(superviseur)
    url = reverse("admin:accounts_insured_change", args=[insured.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            _form(
                insured,
                last_name="Nouveau-Nom",
                sex="2",
                identity_reason="Jugement de changement de nom du 3/11/2026",
            ),
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    insured.refresh_from_db()
    assert insured.last_name == "Nouveau-Nom" and insured.sex == "2"

    event = AuditEvent.objects.get(action="identity_change")
    assert event.actor == superviseur and event.object_id == str(insured.pk)
    assert event.changes == {"last_name": [old_name, "Nouveau-Nom"], "sex": ["1", "2"]}
    assert "Jugement" in event.summary
    # Not recorded a second time by the generic change row.
    assert not AuditEvent.objects.filter(action="change", changes__has_key="last_name").exists()

    sent = _mail("Votre identité a été mise à jour par votre caisse")
    assert insured.user.email in sent.to
    assert "nom, sexe" in sent.body and insured.nir not in sent.body
    notice = Thread.objects.get(insured=insured, kind=Thread.Kind.NOTICE)
    body = notice.messages.get().body
    assert f"nom : {old_name} → Nouveau-Nom" in body and "Jugement" in body


def test_a_nir_change_is_told_without_the_nir_in_the_email(
    superviseur, insured, django_capture_on_commit_callbacks
):
    from accounts.nir import generate_nir

    new_nir = generate_nir(sex=1, year=1980, month=5, department="75", commune="110", order=17).number
    old = insured.nir
    with django_capture_on_commit_callbacks(execute=True):
        insured_change_identity(
            insured=insured, changes={"nir": new_nir}, reason="NIR certifié par l'INSEE", actor=superviseur
        )
    insured.refresh_from_db()
    assert insured.nir == new_nir
    assert AuditEvent.objects.get(action="identity_change").changes == {"nir": [old, new_nir]}
    sent = _mail("Votre identité")
    assert new_nir not in sent.body and old not in sent.body
    assert new_nir not in Thread.objects.get(insured=insured).messages.get().body


def test_the_service_refuses_without_the_right_or_without_a_reason(staff, superviseur, insured):
    with pytest.raises(IdentityChangeRefused):
        insured_change_identity(insured=insured, changes={"last_name": "X"}, reason="motif", actor=staff)
    with pytest.raises(IdentityChangeRefused):
        insured_change_identity(insured=insured, changes={"last_name": "X"}, reason=" ", actor=superviseur)
    with pytest.raises(IdentityChangeRefused):
        insured_change_identity(insured=insured, changes={"iban": "X"}, reason="motif", actor=superviseur)
    insured.refresh_from_db()
    assert insured.last_name != "X"
