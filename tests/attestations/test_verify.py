"""The public check of a printed verification code: says little, and never the NIR."""

import pytest
from django.urls import reverse

from attestations import services
from attestations.models import Document, format_code

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def document(insured):
    insured.first_names = "Camille"
    insured.last_name = "Durand"
    insured.medecin_traitant = "Dr Anne Martin"
    insured.save()
    doc = services.document_request(insured=insured, kind=Document.Kind.RIGHTS)
    doc.refresh_from_db()
    return doc


def check(client, code):
    response = client.get(reverse("attestations:verify"), {"code": code})
    assert response.status_code == 200
    return response.content.decode()


def assert_says_little(page, insured):
    assert insured.nir not in page and insured.nir[:5] not in page
    assert "Durand" not in page and "Dr Anne Martin" not in page


def test_a_valid_code_is_authentic(client, document):
    page = check(client, format_code(document.verification_code).lower())  # as typed
    assert "Document authentique et valable" in page
    assert "Attestation de droits" in page and "C.D." in page and "1980" in page
    assert f"{document.issued_at:%d/%m/%Y}" in page
    assert_says_little(page, document.owner)


def test_a_revoked_code_says_so_with_the_date(client, document, staff):
    services.document_revoke(document=document, actor=staff, reason="erreur")
    document.refresh_from_db()
    page = check(client, document.verification_code)
    assert "Document révoqué" in page and f"{document.revoked_at:%d/%m/%Y}" in page
    assert "authentique et valable" not in page
    assert_says_little(page, document.owner)


def test_an_unknown_code_is_unknown(client, document):
    page = check(client, "ABCD-EFGH-JKMN")
    assert "Code inconnu" in page
    assert_says_little(page, document.owner)


def test_the_form_alone_checks_nothing(client):
    page = check(client, "")
    assert "Code de vérification" in page and "Code inconnu" not in page


def test_many_checks_are_slowed_down(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "verify_document": "2/m/ip"}
    for _ in range(2):
        check(client, "ABCD-EFGH-JKMN")
    response = client.get(reverse("attestations:verify"), {"code": "ABCD-EFGH-JKMN"})
    assert response.status_code == 429
