"""Attachments: checked by content, size and count; stored under server names; never shown inline."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ameli_portal.models import AuditEvent
from requests_app import services
from requests_app.models import Attachment, Request
from requests_app.uploads import MAX_SIZE, check_upload
from tests.requests_app.helpers import jpeg_bytes, pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def file_prestation(client, **files):
    data = {"equipment": "Fauteuil", "amount": "100", "quote": upload(), **files}
    return client.post(reverse("requests_app:create", args=["prestation"]), data)


@pytest.mark.parametrize(
    "maker,content_type",
    [(pdf_bytes, "application/pdf"), (jpeg_bytes, "image/jpeg"), (png_bytes, "image/png")],
)
def test_real_files_are_recognised_by_their_content(maker, content_type):
    # the name says nothing: a PNG called .pdf is a PNG
    checked = check_upload(SimpleUploadedFile("document.pdf", maker(), content_type="application/pdf"))
    assert checked.content_type == content_type


@pytest.mark.parametrize(
    "name,data",
    [
        ("facture.pdf", EXE),  # an .exe renamed .pdf
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 100),  # a JPEG header then garbage
        ("image.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50),  # a PNG header then nothing valid
        ("devis.pdf", b"%PDF-1.7\n" + b"not a pdf at all" * 10),  # a PDF header then nothing valid
        ("page.html", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_a_disguised_file_is_refused(logged, name, data):
    response = file_prestation(logged, documents=[SimpleUploadedFile(name, data, "application/pdf")])
    assert response.status_code == 400
    assert "pas un fichier PDF, JPEG ou PNG valide" in response.content.decode()
    assert not Request.objects.exists()


def test_a_file_over_5_mb_is_refused(logged):
    big = pdf_bytes() + b"%" + b"0" * MAX_SIZE
    response = file_prestation(logged, documents=[SimpleUploadedFile("gros.pdf", big, "application/pdf")])
    assert response.status_code == 400 and "dépasse 5 Mo" in response.content.decode()


def test_a_sixth_file_is_refused(logged):
    response = file_prestation(logged, documents=[upload(f"p{n}.pdf") for n in range(5)])
    assert response.status_code == 400 and "au plus 5 fichiers" in response.content.decode()
    assert file_prestation(logged, documents=[upload(f"p{n}.pdf") for n in range(4)]).status_code == 302
    assert Attachment.objects.count() == 5


def test_a_complement_cannot_pass_five_files_either(logged, insured, agent):
    file_prestation(logged, documents=[upload(f"p{n}.pdf") for n in range(4)])
    filed = Request.objects.get()
    services.request_transition(request=filed, to_status="instruction", actor=agent)
    services.request_transition(request=filed, to_status="complement", actor=agent, reason="Une facture")
    response = logged.post(reverse("requests_app:detail", args=[filed.public_id]), {"documents": [upload()]})
    assert response.status_code == 400 and "au plus 5 fichiers" in response.content.decode()


def test_files_are_stored_under_server_chosen_names(logged, private_storage):
    odd_name = SimpleUploadedFile("../../etc/passwd.pdf", pdf_bytes(), "application/pdf")
    file_prestation(logged, documents=[odd_name])
    filed = Request.objects.get()
    for attachment in filed.attachments.all():
        assert attachment.file.name == f"demarches/{filed.public_id}/{attachment.public_id}.pdf"
        assert (private_storage / attachment.file.name).is_file()
    odd = filed.attachments.get(label="Justificatif")
    assert odd.original_name == "passwd.pdf"
    assert len(odd.sha256) == 64 and odd.size == len(pdf_bytes())


def test_a_pdf_with_javascript_is_kept_but_only_ever_downloaded(logged):
    evil = pdf_bytes(javascript="app.alert('piège');")
    assert b"/JavaScript" in evil
    file_prestation(logged, documents=[SimpleUploadedFile("piege.pdf", evil, "application/pdf")])
    attachment = Attachment.objects.get(label="Justificatif")
    response = logged.get(reverse("requests_app:attachment", args=[attachment.public_id]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == evil
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "piege" not in response["Content-Disposition"]  # the server's name, not the user's


def test_the_virus_scan_hook_refuses_what_it_flags(logged, settings):
    settings.ATTACHMENT_SCANNER = "tests.requests_app.test_uploads.refuse_everything"
    response = file_prestation(logged)
    assert response.status_code == 400 and "analyse antivirus" in response.content.decode()


def refuse_everything(data: bytes, *, name: str) -> bool:
    return False


def test_staff_download_is_audited(client, logged, agent):
    file_prestation(logged)
    attachment = Attachment.objects.get()
    client.force_login(agent)
    url = reverse("admin:requests_app_request_attachment", args=[attachment.request.pk, attachment.public_id])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox"
    event = AuditEvent.objects.get(action="attachment_download")
    assert event.actor == agent and event.object_id == str(attachment.pk)


def test_staff_without_the_right_cannot_download(client, logged, register_clerk):
    file_prestation(logged)
    attachment = Attachment.objects.get()
    client.force_login(register_clerk)
    url = reverse("admin:requests_app_request_attachment", args=[attachment.request.pk, attachment.public_id])
    assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="attachment_download").exists()


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def test_a_filing_that_fails_leaves_no_document_on_disk(insured, private_storage, monkeypatch):
    def broken_email(request):
        raise RuntimeError("file d'attente indisponible")

    monkeypatch.setattr(services, "_notify", broken_email)  # fails after the files are written
    uploads = [("Justificatif", check_upload(upload(f"p{n}.pdf"))) for n in range(3)]
    with pytest.raises(RuntimeError):
        services.request_file(
            insured=insured, kind="prestation", data={"amount": "120.00"}, uploads=uploads, actor=insured.user
        )

    assert not Request.objects.exists() and not Attachment.objects.exists()
    assert stored_files(private_storage) == []


def test_a_complement_answer_that_fails_leaves_no_document_on_disk(
    logged, insured, agent, private_storage, monkeypatch
):
    file_prestation(logged, documents=[upload("devis.pdf")])
    filed = Request.objects.get()
    services.request_transition(request=filed, to_status="instruction", actor=agent)
    services.request_transition(request=filed, to_status="complement", actor=agent, reason="Une facture")
    before = stored_files(private_storage)

    def broken_transition(**kwargs):
        raise RuntimeError("base indisponible")

    monkeypatch.setattr(services, "request_transition", broken_transition)
    with pytest.raises(RuntimeError):
        services.request_answer_complement(
            request=filed, actor=insured.user, uploads=[("Facture", check_upload(upload("facture.pdf")))]
        )

    assert stored_files(private_storage) == before and filed.attachments.count() == len(before)


def test_a_refused_form_says_why_its_files_must_be_chosen_again(logged):
    """The typed fields come back filled; the files cannot (a browser never refills a file
    input, and nothing is stored before a démarche is filed): the summary says so."""
    response = file_prestation(logged, amount="beaucoup")
    assert response.status_code == 400
    page = response.content.decode()
    summary = page[page.index('class="form-errors error-summary"') :]
    summary = summary[: summary.index("</div>")]
    assert "Montant" in summary and "ont pas été gardés" in summary
    assert "Choisissez-les de nouveau" in summary
    assert 'value="Fauteuil"' in page  # what was typed is kept
    assert not Request.objects.exists() and not Attachment.objects.exists()
