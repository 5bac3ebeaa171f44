"""Mes démarches: filing each kind, the list, the detail, the complement, and who sees what."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import HealthCard
from requests_app import services
from requests_app.models import Request, Status
from tests.factories import BeneficiaryFactory, DemarcheFactory
from tests.requests_app.helpers import photo, upload

pytestmark = pytest.mark.django_db


def create_url(kind):
    return reverse("requests_app:create", args=[kind])


def file(client, kind, data, capture=None):
    if capture is None:
        return client.post(create_url(kind), data)
    with capture(execute=True):
        return client.post(create_url(kind), data)


def test_the_kind_chooser_lists_every_kind(logged):
    page = logged.get(reverse("requests_app:new")).content.decode()
    for kind, _ in Request.Kind.choices:
        assert create_url(kind) in page


@pytest.mark.parametrize("kind", Request.Kind.values)
def test_every_kind_s_form_renders(logged, kind):
    response = logged.get(create_url(kind))
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_an_unknown_kind_is_404(logged):
    assert logged.get(create_url("inconnue")).status_code == 404


def test_a_lost_card_is_opposed_when_filed(logged, insured, django_capture_on_commit_callbacks):
    card = HealthCard.objects.create(
        insured=insured, kind="vitale", status="valid", valid_from=date(2020, 1, 1)
    )
    response = file(
        logged,
        "carte_vitale",
        {"reason": "loss", "photo": photo(), "id_document": upload()},
        django_capture_on_commit_callbacks,
    )
    filed = Request.objects.get(insured=insured)
    assert response.status_code == 302 and response["Location"] == reverse(
        "requests_app:detail", args=[filed.public_id]
    )
    card.refresh_from_db()
    assert card.status == "opposed"
    assert filed.status == Status.FILED and filed.data == {"reason": "loss"}
    assert [a.label for a in filed.attachments.all()] == ["Photo d'identité", "Pièce d'identité"]
    assert filed.expected_by > timezone.localdate()
    assert mail.outbox[-1].subject == "Votre démarche est déposée"
    page = logged.get(response["Location"]).content.decode()
    assert "mise en opposition" in page and "Déposée" in page


def test_a_first_card_needs_a_photo_and_an_id(logged, insured):
    response = file(logged, "carte_vitale", {"reason": "first"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Joignez une photo" in page and "Joignez une pièce d&#x27;identité" in page
    assert 'id="erreurs"' in page
    assert not Request.objects.exists()


def test_a_faulty_card_needs_no_document(logged, insured):
    assert file(logged, "carte_vitale", {"reason": "malfunction"}).status_code == 302


def test_a_rib_change_keeps_the_iban_until_staff_accept_it(logged, insured):
    insured.iban = "FR7630004000010001234567830"
    insured.save()
    response = file(logged, "rib", {"iban": "FR76 3000 6000 0112 3456 7890 189", "rib": upload()})
    assert response.status_code == 302
    filed = Request.objects.get()
    assert filed.data == {"iban": "FR7630006000011234567890189"}
    insured.refresh_from_db()
    assert insured.iban == "FR7630004000010001234567830"
    page = logged.get(response["Location"]).content.decode()
    assert "FR76 •••• •••• 0189" in page and "FR7630006000011234567890189" not in page


def test_a_bad_rib_key_is_refused(logged):
    response = file(logged, "rib", {"iban": "FR7630006000011234567890188", "rib": upload()})
    assert response.status_code == 400 and "clé RIB" in response.content.decode()


def test_a_child_of_17_needs_a_school_certificate(logged):
    born = timezone.localdate().replace(year=timezone.localdate().year - 17) - timedelta(days=3)
    data = {
        "declaration": "rattachement",
        "last_name": "Nom",
        "first_names": "Lina",
        "birth_date": born.isoformat(),
        "sex": "2",
        "birth_proof": upload(),
    }
    response = file(logged, "enfant", data)
    assert response.status_code == 400 and "certificat de scolarité" in response.content.decode()
    data.update(birth_proof=upload(), school_certificate=upload())
    assert file(logged, "enfant", data).status_code == 302


def test_a_prestation_for_a_beneficiary(logged, insured):
    child = BeneficiaryFactory(insured=insured)
    response = file(
        logged,
        "prestation",
        {"beneficiary": child.pk, "equipment": "Fauteuil roulant", "amount": "1250,50", "quote": upload()},
    )
    assert response.status_code == 302
    filed = Request.objects.get()
    assert filed.beneficiary == child and filed.data["amount"] == "1250.50"


def test_someone_else_s_beneficiary_cannot_be_chosen(logged, other_insured):
    stranger = BeneficiaryFactory(insured=other_insured)
    response = file(
        logged,
        "ceam",
        {"beneficiary": stranger.pk, "departure_on": (timezone.localdate() + timedelta(days=20)).isoformat()},
    )
    assert response.status_code == 400
    assert not Request.objects.exists()


@pytest.mark.parametrize(
    "kind,data",
    [
        ("delai_cotisation", {"contribution": "csm", "months": "3", "reason": "Baisse de revenus."}),
        ("situation_familiale", {"situation": "marie", "since": "2025-06-14"}),
        ("ceam", {"departure_on": "FUTURE"}),
    ],
)
def test_the_other_kinds_are_filed(logged, kind, data):
    data = {
        k: (timezone.localdate() + timedelta(days=20)).isoformat() if v == "FUTURE" else v
        for k, v in data.items()
    }
    if kind == "situation_familiale":
        data["proof"] = upload()
    assert file(logged, kind, data).status_code == 302
    assert Request.objects.get().kind == kind


@pytest.mark.parametrize("count", [1, 6])
def test_the_list_shows_my_requests_only_with_a_fixed_query_count(
    logged, insured, other_insured, count, django_assert_num_queries
):
    mine = [
        DemarcheFactory(insured=insured, beneficiary=BeneficiaryFactory(insured=insured))
        for _ in range(count)
    ]
    DemarcheFactory(insured=other_insured, kind="rib", data={"iban": "FR7630006000011234567890189"})
    logged.get(reverse("requests_app:list"))  # the first page of a session records it (allauth)
    # session; user (nothing written within the renewal interval:
    # tests/accounts/test_session_activity.py); the insured; the requests with their
    # beneficiary; messaging's unread count
    with django_assert_num_queries(5):
        page = logged.get(reverse("requests_app:list")).content.decode()
    for request in mine:
        assert str(request.public_id) in page
    assert "Changement de coordonnées bancaires" not in page


def test_another_insured_s_request_and_attachment_are_404(logged, other_insured, agent):
    theirs = services.request_file(
        insured=other_insured,
        kind="prestation",
        data={"equipment": "X", "amount": "10.00", "comment": ""},
        uploads=[("Devis", _checked())],
    )
    attachment = theirs.attachments.get()
    assert logged.get(reverse("requests_app:detail", args=[theirs.public_id])).status_code == 404
    assert logged.get(reverse("requests_app:attachment", args=[attachment.public_id])).status_code == 404
    services.request_transition(request=theirs, to_status=Status.REVIEW, actor=agent)
    services.request_transition(
        request=theirs, to_status=Status.COMPLEMENT, actor=agent, reason="Devis signé"
    )
    response = logged.post(reverse("requests_app:detail", args=[theirs.public_id]), {"documents": upload()})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.COMPLEMENT and theirs.attachments.count() == 1


def test_staff_accounts_have_no_requests_page(client, staff):
    client.force_login(staff)
    assert client.get(reverse("requests_app:list")).status_code == 404


def _checked():
    from requests_app.uploads import check_upload

    return check_upload(upload())


def test_a_complement_is_answered_with_new_documents(logged, insured, agent):
    filed = services.request_file(
        insured=insured,
        kind="prestation",
        data={"equipment": "X", "amount": "10.00", "comment": ""},
        uploads=[("Devis", _checked())],
    )
    services.request_transition(request=filed, to_status=Status.REVIEW, actor=agent)
    services.request_transition(
        request=filed, to_status=Status.COMPLEMENT, actor=agent, reason="Le devis signé par le fournisseur."
    )
    url = reverse("requests_app:detail", args=[filed.public_id])
    page = logged.get(url).content.decode()
    assert "Le devis signé par le fournisseur." in page and "Envoyer mes documents" in page
    assert logged.post(url, {}).status_code == 400  # no document: nothing sent
    response = logged.post(url, {"documents": [upload("devis-signe.pdf")], "message": "Le voici."})
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.status == Status.REVIEW and filed.expected_from_insured == ""
    new = filed.attachments.get(added_for_complement=True)
    assert new.original_name == "devis-signe.pdf" and new.uploaded_by_kind == "insured"
    last = filed.events.last()
    assert (last.actor, last.actor_kind, last.reason) == (insured.user, "insured", "Le voici.")


def test_a_young_child_has_no_carte_vitale_of_their_own(logged, insured):
    baby = BeneficiaryFactory(insured=insured, birth_date=timezone.localdate() - timedelta(days=800))
    response = file(logged, "carte_vitale", {"beneficiary": baby.pk, "reason": "malfunction"})
    assert response.status_code == 400 and "moins de 12 ans" in response.content.decode()


def test_the_filing_email_says_no_health_detail(logged, insured, django_capture_on_commit_callbacks):
    file(
        logged,
        "prestation",
        {
            "equipment": "Prothèse auditive",
            "amount": "1500",
            "quote": upload(),
            "comment": "Surdité bilatérale",
        },
        django_capture_on_commit_callbacks,
    )
    [email] = mail.outbox
    assert email.to == [insured.user.email] and "Demande de prestation" in email.body
    for text in (email.subject, email.body, email.alternatives[0][0]):
        assert "Prothèse" not in text and "Surdité" not in text and "1500" not in text
