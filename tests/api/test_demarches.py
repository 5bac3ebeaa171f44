"""Filing a démarche and answering a complement through the API: the page's forms, the same
checks of each file by its content, the same timeline as the page."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from requests_app import services
from requests_app.models import Request
from requests_app.uploads import MAX_SIZE
from tests.api.conftest import ApiClient, sign_in
from tests.factories import BeneficiaryFactory, StaffFactory, UserFactory
from tests.requests_app.helpers import jpeg_bytes, pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }


def _pdf(name="devis.pdf", data=None):
    return SimpleUploadedFile(name, pdf_bytes() if data is None else data, content_type="application/pdf")


def _file(client, data):
    return client.post("/api/v1/demarches", data, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))


def _prestation(**extra):
    body = {"kind": "prestation", "equipment": "Fauteuil roulant", "amount": "1 250,00", "quote": _pdf()}
    return {**body, **extra}


def _errors(response):
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    return {e["champ"]: e["message"] for e in response.json()["errors"]}


def test_a_demarche_filed_with_its_quote_reads_as_on_its_page_and_the_file_downloads():
    user = UserFactory()
    client = ApiClient(sign_in(user))
    quote = pdf_bytes()
    response = _file(client, _prestation(quote=_pdf(data=quote), documents=[_pdf("ordonnance.pdf")]))
    assert response.status_code == 201, response.content
    filed = response.json()
    assert filed["kind_label"] == "Demande de prestation" and filed["status_label"] == "Déposée"
    assert [(e["status"], e["by"]) for e in filed["events"]] == [("deposee", "vous")]
    assert [a["label"] for a in filed["attachments"]] == ["Devis", "Justificatif"]
    assert client.get(f"/api/v1/demarches/{filed['id']}").json() == filed
    download = client.get(f"/api/v1/demarches/pieces/{filed['attachments'][0]['id']}")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == quote
    stored = Request.objects.get(public_id=filed["id"])
    assert stored.data["amount"] == "1250.00" and filed["reference"] == stored.reference
    web = Client()
    web.force_login(user)
    page = web.get(f"/demarches/{filed['id']}/").content.decode()
    assert stored.reference in page and "Fauteuil roulant" in page


def test_a_file_is_checked_by_its_content_its_size_and_the_scanner_as_on_the_page(settings):
    user = UserFactory()
    client = ApiClient(sign_in(user))
    fake = _errors(_file(client, _prestation(quote=_pdf("faux.pdf", b"ceci n'est pas un PDF"))))
    assert fake == {
        "quote": "« faux.pdf » n'est pas un fichier PDF, JPEG ou PNG valide (le contenu du fichier "
        "est vérifié, pas seulement son nom)."
    }
    big = _pdf("gros.pdf", b"%PDF-1.7\n" + b"0" * MAX_SIZE)
    assert _errors(_file(client, _prestation(quote=big))) == {"quote": "« gros.pdf » dépasse 5 Mo."}
    six = [_pdf(f"piece-{n}.pdf") for n in range(5)]
    assert "au plus 5 fichiers" in _errors(_file(client, _prestation(documents=six)))["documents"]
    settings.ATTACHMENT_SCANNER = "tests.requests_app.test_uploads.refuse_everything"
    refused = _errors(_file(client, _prestation()))
    assert refused == {"quote": "« devis.pdf » a été refusé par l'analyse antivirus."}
    assert not Request.objects.filter(insured=user.insured).exists()


def test_a_kind_and_its_fields_are_the_page_s_with_its_french_messages():
    user = UserFactory()
    client = ApiClient(sign_in(user))
    assert _errors(_file(client, {})) == {"kind": "Ce champ est obligatoire."}
    assert _errors(_file(client, {"kind": "loto"}))["kind"].startswith("Type de démarche inconnu")
    errors = _errors(_file(client, {"kind": "prestation"}))
    assert errors["equipment"] == "Ce champ est obligatoire." and "quote" in errors
    stranger = BeneficiaryFactory()  # someone else's child
    refused = _errors(
        _file(client, {"kind": "ceam", "beneficiary": str(stranger.public_id), "departure_on": "2000-01-01"})
    )
    assert set(refused) == {"beneficiary", "departure_on"}
    assert refused["departure_on"] == "La date de départ est passée."


def test_a_ceam_for_a_beneficiary_named_by_the_id_the_api_shows():
    user = UserFactory()
    child = BeneficiaryFactory(insured=user.insured)
    client = ApiClient(sign_in(user))
    departure = (timezone.localdate() + timezone.timedelta(days=30)).isoformat()
    response = _file(client, {"kind": "ceam", "beneficiary": str(child.public_id), "departure_on": departure})
    assert response.status_code == 201, response.content
    assert Request.objects.get(public_id=response.json()["id"]).beneficiary == child


def _asked_for_a_complement(user):
    filed = services.request_file(
        insured=user.insured, kind="prestation", data={"equipment": "X", "amount": "10.00", "comment": ""}
    )
    staff = StaffFactory()
    services.request_transition(request=filed, to_status="instruction", actor=staff)
    services.request_transition(
        request=filed, to_status="complement", actor=staff, reason="Le devis signé par le fournisseur."
    )
    return filed


def _complement(client, filed, data):
    return client.post(
        f"/api/v1/demarches/{filed.public_id}/complement", data, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )


def test_a_complement_answered_puts_the_demarche_back_in_review_and_reads_in_its_timeline():
    user = UserFactory()
    filed = _asked_for_a_complement(user)
    client = ApiClient(sign_in(user))
    before = client.get(f"/api/v1/demarches/{filed.public_id}").json()
    assert before["status"] == "complement" and before["expected_from_insured"]
    assert before["events"][-1]["reason"] == "Le devis signé par le fournisseur."
    assert before["events"][-1]["by"] == "votre caisse"
    assert _errors(_complement(client, filed, {"message": "Le voici."})) == {
        "documents": "Joignez au moins un document."
    }
    photo = SimpleUploadedFile("devis.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = _complement(client, filed, {"documents": [photo], "message": "Le voici."})
    assert response.status_code == 201, response.content
    after = response.json()
    assert after["status_label"] == "En instruction" and after["expected_from_insured"] == ""
    assert (after["events"][-1]["by"], after["events"][-1]["reason"]) == ("vous", "Le voici.")
    [sent] = after["attachments"]
    assert sent["for_complement"] is True and sent["content_type"] == "image/jpeg"
    again = _complement(client, filed, {"documents": [_pdf()]})
    assert again.status_code == 422
    assert again.json()["detail"] == "Aucun complément n'est demandé pour cette démarche."
    assert filed.attachments.count() == 1
