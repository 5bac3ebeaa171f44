"""Code letters: rendered by a job to the address on file, printed and posted from the admin."""

import io
import re
import subprocess
import zipfile

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection, transaction
from django.urls import reverse
from pypdf import PdfReader

from accounts.admin_mailroom import issue_code_admin_action
from accounts.models import Insured, PostalLetter
from accounts.services import letters as mailroom
from accounts.services.codes import ProvisionalCodeResult, provisional_code_issue, provisional_code_verify
from accounts.tasks import render_code_letter_job
from ameli_portal.models import AuditEvent, DemoMessage
from tests.conftest import ROOT, wait_for
from tests.factories import InsuredFactory, StaffFactory

ARTIFACTS = ROOT / "artifacts" / "letters"
CODE_ON_LETTER = re.compile(r"\b([0-9]{4}) ([0-9]{4})\b")


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    settings.DEMO_MODE = True
    return tmp_path


@pytest.fixture
def mailroom_staff(staff):
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="accounts",
            codename__in=["view_postalletter", "change_postalletter"],
        )
    )
    return staff


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def rendered_letter(insured=None) -> PostalLetter:
    letter = provisional_code_issue(insured=insured or InsuredFactory())
    mailroom.letter_render(letter_id=letter.pk)
    letter.refresh_from_db()
    return letter


def code_on(letter: PostalLetter) -> str:
    with letter.pdf.open("rb") as f:
        return "".join(CODE_ON_LETTER.search(pdf_text(f.read())).groups())


# --- Rendering --------------------------------------------------------------


@pytest.mark.django_db
def test_rendering_twice_makes_one_file_and_one_demo_letter(private_storage, insured_without_account):
    letter = provisional_code_issue(insured=insured_without_account)

    mailroom.letter_render(letter_id=letter.pk)
    mailroom.letter_render(letter_id=letter.pk)

    letter.refresh_from_db()
    assert letter.status == PostalLetter.Status.TO_PRINT and letter.ready_at
    assert letter.pdf.name.endswith(f"courrier-{letter.public_id}.pdf")
    assert [p.name for p in private_storage.rglob("*.pdf")] == [f"courrier-{letter.public_id}.pdf"]
    demo = DemoMessage.objects.get(kind=DemoMessage.Kind.LETTER)
    assert demo.subject == "Votre code provisoire"
    assert demo.recipient == " / ".join(insured_without_account.postal_address)
    assert bytes(demo.pdf) == letter.pdf.open("rb").read()
    assert (
        provisional_code_verify(insured=insured_without_account, code=code_on(letter))
        is ProvisionalCodeResult.OK
    )


@pytest.mark.django_db
def test_a_superseded_letter_is_never_rendered(private_storage, insured_without_account):
    first = provisional_code_issue(insured=insured_without_account)
    provisional_code_issue(insured=insured_without_account)

    mailroom.letter_render(letter_id=first.pk)

    first.refresh_from_db()
    assert first.status == PostalLetter.Status.CANCELLED and not first.pdf
    assert not DemoMessage.objects.exists()


@pytest.mark.django_db
def test_a_letter_whose_rendering_fails_for_good_is_marked_failed(
    private_storage, insured_without_account, monkeypatch
):
    def broken_renderer(*args, **kwargs):
        raise ValueError("modèle illisible")

    monkeypatch.setattr(mailroom, "render_pdf", broken_renderer)
    letter = provisional_code_issue(insured=insured_without_account)

    # Not transient, so no retry. (throw=False: as in a worker, where on_failure runs.)
    result = render_code_letter_job.apply(kwargs={"letter_id": letter.pk}, throw=False)

    assert result.failed()
    letter.refresh_from_db()
    assert letter.status == PostalLetter.Status.FAILED
    # The drawn digits were rolled back with the failed attempt: nothing can verify.
    assert (
        provisional_code_verify(insured=insured_without_account, code="12345678")
        is ProvisionalCodeResult.NONE
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_letter_goes_through_a_real_worker_and_the_code_stays_out_of_the_database(celery_worker):
    insured = InsuredFactory(
        address_line1="12 allée des Tilleuls", address_line2="Bâtiment B", postal_code="69003", city="Lyon"
    )
    with transaction.atomic():
        letter = provisional_code_issue(insured=insured)

    wait_for(
        lambda: PostalLetter.objects.get(pk=letter.pk).status == PostalLetter.Status.TO_PRINT,
        message="courrier prêt à imprimer",
    )
    letter.refresh_from_db()
    try:
        with letter.pdf.open("rb") as f:
            data = f.read()
        text = pdf_text(data)
        code = code_on(letter)
        assert f"{code[:4]} {code[4:]}" in text
        assert "12 allée des Tilleuls" in text and "Bâtiment B" in text and "69003 LYON" in text
        assert "Objet : votre code provisoire pour créer votre compte" in text
        # The worker has the documents pipeline's hook too: the letter can be checked.
        assert PostalLetter.objects.get(pk=letter.pk).document.code_display in text
        assert insured.nir not in re.sub(r"\s", "", text)
        assert insured.nir[:5] not in text  # not even the start of a masked NIR

        assert provisional_code_verify(insured=insured, code=code) is ProvisionalCodeResult.OK
        assert letter.provisional_code.code_hash.startswith("pbkdf2_sha256$")
        assert table_rows_containing(insured.nir), "the search below must see the register"
        assert table_rows_containing(code) == {}
        assert DemoMessage.objects.filter(kind=DemoMessage.Kind.LETTER).count() == 1

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pdf_path = ARTIFACTS / "provisional-code.pdf"
        pdf_path.write_bytes(data)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-singlefile",
                str(pdf_path),
                str(ARTIFACTS / "provisional-code"),
            ],
            check=True,
        )
        assert (ARTIFACTS / "provisional-code.png").stat().st_size > 0
    finally:
        letter.pdf.delete(save=False)


def table_rows_containing(needle: str) -> dict[str, int]:
    """Rows of every table whose text form contains ``needle``, by table."""
    found = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT count(*) FROM "{table}" r WHERE r::text LIKE %s', [f"%{needle}%"])
            if count := cursor.fetchone()[0]:
                found[table] = count
    return found


# --- Admin: the mailroom ------------------------------------------------------


@pytest.mark.django_db
def test_staff_downloads_the_selected_letters_as_one_zip(private_storage, client, mailroom_staff):
    letters = [rendered_letter(), rendered_letter()]
    preparing = provisional_code_issue(insured=InsuredFactory())
    client.force_login(mailroom_staff)

    response = client.post(
        reverse("admin:accounts_postalletter_changelist"),
        {
            "action": "download_zip",
            "_selected_action": [x.pk for x in letters] + [preparing.pk],
        },
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == sorted(f"courrier-{x.public_id}.pdf" for x in letters)
    assert all(archive.read(name).startswith(b"%PDF-") for name in archive.namelist())
    assert AuditEvent.objects.filter(action="letter_download", actor=mailroom_staff).count() == 2


@pytest.mark.django_db
def test_staff_marks_printed_letters_as_sent(private_storage, client, mailroom_staff):
    letters = [rendered_letter(), rendered_letter()]
    preparing = provisional_code_issue(insured=InsuredFactory())
    client.force_login(mailroom_staff)

    response = client.post(
        reverse("admin:accounts_postalletter_changelist"),
        {
            "action": "mark_sent",
            "_selected_action": [x.pk for x in letters] + [preparing.pk],
        },
        follow=True,
    )

    assert response.status_code == 200
    for letter in letters:
        letter.refresh_from_db()
        assert letter.status == PostalLetter.Status.SENT
        assert letter.sent_at and letter.sent_by == mailroom_staff
    preparing.refresh_from_db()
    assert preparing.status == PostalLetter.Status.PREPARING
    events = AuditEvent.objects.filter(action="letter_sent", actor=mailroom_staff)
    assert sorted(events.values_list("object_id", flat=True)) == sorted(str(x.pk) for x in letters)
    assert "1 courrier(s) ignoré(s)" in response.content.decode()


@pytest.mark.django_db
def test_the_list_shows_letters_to_print_first_and_no_names(private_storage, client, mailroom_staff):
    printed = rendered_letter()
    waiting = provisional_code_issue(insured=InsuredFactory())  # newer, but still preparing
    client.force_login(mailroom_staff)

    response = client.get(reverse("admin:accounts_postalletter_changelist"))

    assert response.status_code == 200
    assert [x.pk for x in response.context["cl"].result_list] == [printed.pk, waiting.pk]
    page = response.content.decode()
    assert "75010 Paris" in page
    assert printed.insured.last_name not in page and printed.insured.nir not in page
    assert reverse("admin:accounts_postalletter_pdf", args=[printed.pk]) in page
    assert client.get(reverse("admin:accounts_postalletter_add")).status_code == 403
    detail = client.get(reverse("admin:accounts_postalletter_change", args=[printed.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()


@pytest.mark.django_db
def test_one_letter_is_downloaded_only_by_staff_allowed_to_see_it(
    private_storage, client, mailroom_staff, insured
):
    letter = rendered_letter()
    url = reverse("admin:accounts_postalletter_pdf", args=[letter.pk])

    client.force_login(mailroom_staff)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="courrier-{letter.public_id}.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="letter_download", object_id=str(letter.pk)).count() == 1

    client.force_login(StaffFactory())  # staff, but without the mailroom's permissions
    assert client.get(url).status_code == 403
    client.force_login(insured.user)
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_the_admin_action_issues_codes_only_to_insured_without_an_account(rf, staff, insured):
    without = InsuredFactory()
    request = rf.post("/")
    request.user = staff
    request.session = {}
    request._messages = FallbackStorage(request)

    issue_code_admin_action(
        admin.site._registry[Insured], request, Insured.objects.filter(pk__in=[without.pk, insured.pk])
    )

    letter = PostalLetter.objects.get()
    assert letter.insured == without and letter.status == PostalLetter.Status.PREPARING
    assert not insured.letters.exists()
    assert AuditEvent.objects.get(action="code_issued").object_id == str(without.pk)
    texts = [str(m) for m in get_messages(request)]
    assert any("1 courrier(s)" in t for t in texts)
    assert any("1 assuré(s) ignoré(s)" in t for t in texts)


def text_positions(data: bytes) -> dict[str, tuple[float, float]]:
    """Each line of text on page 1 and where its baseline starts, in mm from the sheet's top left."""
    page = PdfReader(io.BytesIO(data)).pages[0]
    height = float(page.mediabox.height)
    found = {}

    def visit(text, cm, tm, font, size):
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if text.strip():
            found.setdefault(text.strip(), (x * 25.4 / 72, (height - y) * 25.4 / 72))

    page.extract_text(visitor_text=visit)
    return found


@pytest.mark.django_db
def test_the_address_on_file_sits_in_the_window_of_a_dl_envelope(private_storage):
    letter = rendered_letter(InsuredFactory(address_line2="Bâtiment B"))
    with letter.pdf.open("rb") as f:
        data = f.read()

    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    positions = text_positions(data)
    for line in letter.insured.postal_address:  # 4 lines, the last one "75010 PARIS"
        left, top = positions[line]
        # A DL window (100 x 45 mm) starts about 110 mm from the left and 45 mm from the top.
        assert 105 <= left <= 125 and 45 <= top <= 85, (line, left, top)
