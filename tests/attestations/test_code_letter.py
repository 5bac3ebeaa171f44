"""The provisional-code letter on the documents pipeline: a verification code and QR code
printed on it, checked on the public page, never downloaded from "Mes attestations"."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import PostalLetter
from accounts.services import letters
from accounts.services.codes import (
    ProvisionalCodeResult,
    provisional_code_issue,
    provisional_code_spend,
    provisional_code_verify,
)
from ameli_portal.models import AuditEvent
from attestations import services
from attestations.models import Document
from tests.accounts.test_mailroom import code_on
from tests.factories import InsuredFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    return tmp_path


def rendered(insured) -> PostalLetter:
    letter = provisional_code_issue(insured=insured)
    letters.letter_render(letter_id=letter.pk)
    letter.refresh_from_db()
    return letter


def letter_text(letter: PostalLetter) -> str:
    with letter.pdf.open("rb") as f:
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(f.read())).pages)


def check(client, code: str) -> str:
    response = client.get(reverse("attestations:verify"), {"code": code})
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def holder():
    return InsuredFactory(
        first_names="Camille Anne",
        last_name="Durand",
        address_line1="12 allée des Tilleuls",
        postal_code="69003",
        city="Lyon",
    )


def test_the_letter_carries_a_verification_code_that_is_not_the_provisional_code(private_storage, holder):
    letter = rendered(holder)
    document = letter.document

    assert document.kind == Document.Kind.CODE_LETTER and document.owner == holder
    assert document.status == Document.Status.READY and document.issued_at is not None
    assert not document.file  # the PDF, with the code in it, stays in the mailroom only
    text = letter_text(letter)
    assert document.code_display in text
    assert "Ce courrier vient-il bien de votre caisse ?" in text
    assert "/attestations/verifier/" in text
    assert code_on(letter) not in document.verification_code
    assert len(PdfReader(letter.pdf.open("rb")).pages) == 1


def test_the_public_page_says_authentic_and_says_little(private_storage, client, holder):
    letter = rendered(holder)
    code = code_on(letter)

    page = check(client, letter.document.code_display.lower())  # as typed

    assert "Courrier authentique" in page and "code plus valable" not in page
    assert "Courrier : code provisoire de création de compte" in page
    assert "C.D." in page and "1980" in page
    assert f"{letter.document.issued_at:%d/%m/%Y}" in page
    for secret in (
        code,
        f"{code[:4]} {code[4:]}",
        "Tilleuls",
        "69003",
        "Lyon",
        "LYON",
        "Durand",
        holder.nir,
        holder.nir[:5],
    ):
        assert secret not in page


def test_a_used_code_is_no_longer_valid(private_storage, client, holder):
    letter = rendered(holder)
    provisional_code_spend(insured=holder)

    page = check(client, letter.document.verification_code)

    assert "Courrier authentique, code plus valable" in page
    assert "déjà servi" in page


def test_a_letter_superseded_by_a_newer_one_is_no_longer_valid(private_storage, client, holder):
    first = rendered(holder)
    second = rendered(holder)

    assert "Courrier authentique, code plus valable" in check(client, first.document.verification_code)
    page = check(client, second.document.verification_code)
    assert "Courrier authentique" in page and "code plus valable" not in page
    assert first.document.verification_code != second.document.verification_code


def test_staff_revoke_a_letter_like_any_document(private_storage, client, holder, staff):
    letter = rendered(holder)

    assert services.document_revoke(document=letter.document, actor=staff, reason="courrier perdu")

    page = check(client, letter.document.verification_code)
    assert "Document révoqué" in page and "Courrier authentique" not in page
    # The code it carries can no longer open the account.
    assert provisional_code_verify(insured=holder, code=code_on(letter)) == ProvisionalCodeResult.NONE
    assert AuditEvent.objects.filter(action="code_withdrawn", actor=staff).count() == 1
    letter.refresh_from_db()  # not posted yet: kept out of the print run
    assert letter.status == PostalLetter.Status.CANCELLED


def test_revoking_the_letter_of_a_code_already_used_leaves_the_account_alone(private_storage, holder, staff):
    letter = rendered(holder)
    provisional_code_spend(insured=holder)

    assert services.document_revoke(document=letter.document, actor=staff, reason="doublon")

    letter.provisional_code.refresh_from_db()
    assert letter.provisional_code.used_at is not None and letter.provisional_code.voided_at is None
    assert not AuditEvent.objects.filter(action="code_withdrawn").exists()


def test_revoking_an_old_letter_does_not_cancel_the_newer_code(private_storage, holder, staff):
    first = rendered(holder)
    second = rendered(holder)

    services.document_revoke(document=first.document, actor=staff, reason="ancienne adresse")

    assert provisional_code_verify(insured=holder, code=code_on(second)) == ProvisionalCodeResult.OK


def test_the_letter_is_neither_listed_nor_downloadable_by_anyone(
    private_storage, client, insured, other_insured
):
    letter = rendered(insured)
    document = letter.document
    urls = [
        reverse("attestations:download", args=[document.public_id]),
        reverse("attestations:status", args=[document.public_id]),
    ]

    client.force_login(other_insured.user)
    for url in urls:
        assert client.get(url).status_code == 404
    # Not its owner either: the letter is posted, and the code in it is not for a screen.
    client.force_login(insured.user)
    for url in urls:
        assert client.get(url).status_code == 404
    listing = client.get(reverse("attestations:list")).content.decode()
    assert "Courrier : code provisoire" not in listing


def test_staff_see_the_letter_in_the_admin_but_neither_download_nor_regenerate_it(
    private_storage, client, holder, staff
):
    letter = rendered(holder)
    document = letter.document
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="attestations", codename__in=["view_document", "change_document"]
        )
    )
    client.force_login(staff)

    changelist = client.get(reverse("admin:attestations_document_changelist"))
    assert changelist.status_code == 200
    assert "Courrier : code provisoire de création de compte" in changelist.content.decode()
    assert client.get(reverse("admin:attestations_document_download", args=[document.pk])).status_code == 404

    response = client.post(
        reverse("admin:attestations_document_changelist"),
        {"action": "regenerate", "_selected_action": [document.pk]},
        follow=True,
    )
    assert "émettez un nouveau code depuis la salle du courrier" in response.content.decode()
    assert Document.objects.filter(kind=Document.Kind.CODE_LETTER).count() == 1


def test_a_failed_rendering_leaves_no_verification_behind(private_storage, holder, monkeypatch):
    letter = provisional_code_issue(insured=holder)

    def broken(*args, **kwargs):
        raise RuntimeError("WeasyPrint en panne")

    monkeypatch.setattr(letters, "render_pdf", broken)
    with pytest.raises(RuntimeError):
        letters.letter_render(letter_id=letter.pk)

    assert not Document.objects.filter(letter=letter).exists()
    monkeypatch.undo()
    letters.letter_render(letter_id=letter.pk)
    assert Document.objects.filter(letter=letter, status=Document.Status.READY).count() == 1


def test_the_admin_warns_that_revoking_a_letter_cancels_its_code(private_storage, client, holder, staff):
    letter = rendered(holder)
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="attestations", codename__in=["view_document", "change_document"]
        )
    )
    client.force_login(staff)
    url = reverse("admin:attestations_document_changelist")

    asked = client.post(url, {"action": "revoke", "_selected_action": [letter.document.pk]})
    assert "Le code provisoire de ce courrier sera annulé" in asked.content.decode()
    done = client.post(
        url,
        {
            "action": "revoke",
            "_selected_action": [letter.document.pk],
            "apply": "Révoquer",
            "reason": "Courrier revenu : n'habite pas à l'adresse",
        },
    )

    assert done.status_code == 302
    assert provisional_code_verify(insured=holder, code=code_on(letter)) == ProvisionalCodeResult.NONE
