"""The register: constraints the database enforces, and the admin staff use."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from accounts.models import CoveragePeriod, Insured, User
from ameli_portal.models import AuditEvent
from tests.factories import InsuredFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_database_refuses_an_impossible_nir_written_around_the_orm(insured):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_insured SET nir = %s WHERE id = %s", ["0840175123456", insured.pk])


def test_one_account_per_insured_is_enforced_by_the_database(insured):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="autre-identifiant", insured=insured)


def test_nir_is_unique(insured):
    with pytest.raises(IntegrityError), transaction.atomic():
        InsuredFactory(nir=insured.nir)


def test_rights_cannot_end_before_they_open(insured):
    with pytest.raises(IntegrityError), transaction.atomic():
        CoveragePeriod.objects.create(insured=insured, regime="general", start="2024-01-01", end="2023-12-31")


def test_rights_open_on_a_day(insured):
    from datetime import date

    insured.coverage_periods.update(end=date(2025, 6, 30))
    assert insured.rights_open_on(date(2025, 6, 30))
    assert not insured.rights_open_on(date(2025, 7, 1))


def _insured_form(caisse, **overrides):
    data = {
        "caisse": caisse.pk,
        "nir": "1 84 12 75 123 456",
        "last_name": "Essai",
        "first_names": "Dominique",
        "birth_date": "1984-12-01",
        "sex": "1",
        "address_line1": "1 rue A",
        "postal_code": "75001",
        "city": "Paris",
        "beneficiaries-TOTAL_FORMS": "0",
        "beneficiaries-INITIAL_FORMS": "0",
        "coverage_periods-TOTAL_FORMS": "0",
        "coverage_periods-INITIAL_FORMS": "0",
        "exemptions-TOTAL_FORMS": "0",
        "exemptions-INITIAL_FORMS": "0",
        # The change page's read-only history inlines (cards, IBAN, family situation).
        "health_cards-TOTAL_FORMS": "0",
        "health_cards-INITIAL_FORMS": "0",
        "iban_history-TOTAL_FORMS": "0",
        "iban_history-INITIAL_FORMS": "0",
        "family_situation_changes-TOTAL_FORMS": "0",
        "family_situation_changes-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("nir", "message"),
    [
        ("1 84 13 75 123 456", "Le mois de naissance"),
        ("0 84 12 75 123 456", "Le premier chiffre (sexe)"),
        ("1 84 12 75 123", "13 caractères"),
        ("1 84 12 75 123 456 99", "La clé ne correspond pas"),
        ("1 84 12 75 000 456", "commune"),
    ],
)
def test_admin_refuses_an_invalid_nir_with_a_french_message(admin_client, insured, nir, message):
    response = admin_client.post(
        reverse("admin:accounts_insured_add"), _insured_form(insured.caisse, nir=nir)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Insured.objects.filter(last_name="Essai").exists()


def test_admin_accepts_a_nir_typed_with_spaces_and_key(admin_client, insured):
    from accounts.nir import compute_key

    key = compute_key("1841275123456")
    response = admin_client.post(
        reverse("admin:accounts_insured_add"), _insured_form(insured.caisse, nir=f"1 84 12 75 123 456 {key}")
    )
    assert response.status_code == 302
    assert Insured.objects.get(last_name="Essai").nir == "1841275123456"


def test_admin_list_masks_the_nir_and_finds_it_without_putting_it_in_a_url(
    admin_client, insured, other_insured
):
    url = reverse("admin:accounts_insured_changelist")
    page = admin_client.get(url).content.decode()
    assert insured.nir not in page
    assert insured.nir_masked in page
    typed = f"{insured.nir[:1]} {insured.nir[1:]} {insured.nir_key}"
    response = admin_client.post(reverse("admin:accounts_insured_nir"), {"nir": typed})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_insured_change", args=[insured.pk])
    assert insured.nir not in response["Location"]


def test_a_nir_typed_in_the_get_search_is_refused(admin_client, insured):
    url = reverse("admin:accounts_insured_changelist")
    body = admin_client.get(url, {"q": insured.nir}).content.decode()
    assert "Le NIR ne se cherche pas dans la barre de recherche" in body
    assert insured.last_name not in body  # no result listed


def test_nir_lookup_of_an_unknown_or_invalid_nir_says_so(admin_client, insured):
    response = admin_client.post(
        reverse("admin:accounts_insured_nir"), {"nir": "1 84 13 75 123 456"}, follow=True
    )
    assert "Le mois de naissance" in response.content.decode()


def test_staff_viewing_an_insured_is_audited(client, staff, insured):
    client.force_login(staff)
    response = client.get(reverse("admin:accounts_insured_change", args=[insured.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="view")
    assert event.actor == staff and event.object_id == str(insured.pk)


def test_staff_change_is_audited_with_the_fields_and_their_old_and_new_values(client, staff, insured):
    client.force_login(staff)
    url = reverse("admin:accounts_insured_change", args=[insured.pk])
    form = _insured_form(
        insured.caisse,
        postal_code=insured.postal_code,
        email=insured.email,
        address_line1="8 avenue Nouvelle",
        city=insured.city,
    )
    form.update({"coverage_periods-TOTAL_FORMS": "0"})
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="change")
    assert "address_line1" in event.summary and event.actor == staff
    assert event.changes == {"address_line1": ["3 rue des Essais", "8 avenue Nouvelle"]}


def test_conseiller_cannot_delete_an_insured(client, staff, insured):
    client.force_login(staff)
    response = client.post(reverse("admin:accounts_insured_delete", args=[insured.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Insured.objects.filter(pk=insured.pk).exists()


def test_demo_register_is_idempotent():
    # The register's part of seed_demo; the whole command is run in
    # tests/reimbursements/test_demo_and_tasks.py and tests/test_embedded.py.
    from accounts import demo

    lines = demo.seed()
    counts = (Insured.objects.count(), User.objects.count())
    demo.seed()
    assert (Insured.objects.count(), User.objects.count()) == counts
    assert counts[0] >= 20
    assert any(line.startswith("assuré") for line in lines)
    assert any(line.startswith("sans compte") for line in lines)
    situations = set(Insured.objects.values_list("exemptions__kind", flat=True))
    assert {"ald", "css", "maternite", "ame"} <= situations
    assert Insured.objects.filter(beneficiaries__isnull=False).exists()


def test_home_requires_login(client):
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302 and "/compte/login/" in response["Location"]


def test_staff_user_cannot_be_linked_to_an_insured(insured):
    user = UserFactory.build(insured=InsuredFactory(), username="x", is_staff=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        user.save()
