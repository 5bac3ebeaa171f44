"""The welcome letter: the provisional code is mailed by itself when rights open, once."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import CoveragePeriod, Insured, PostalLetter
from accounts.services import rights
from accounts.services.codes import provisional_code_issue, provisional_code_withdraw
from accounts.tasks import welcome_letter_job, welcome_letters_catch_up
from ameli_portal.models import AuditEvent, OutboxJob
from ameli_portal.outbox import enqueue
from tests.accounts.test_register import _insured_form as register_form
from tests.conftest import wait_for
from tests.factories import CoverageFactory, InsuredFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    return tmp_path


def today():
    return timezone.localdate()


def without_rights(**kwargs) -> Insured:
    insured = InsuredFactory(**kwargs)
    insured.coverage_periods.all().delete()
    return insured


def with_closed_rights() -> Insured:
    insured = without_rights()
    CoverageFactory(insured=insured, start=today() - timedelta(days=800), end=today() - timedelta(days=10))
    return insured


def welcome_letters(insured):
    return PostalLetter.objects.filter(insured=insured, kind=PostalLetter.Kind.WELCOME)


def pdf_text(letter) -> str:
    with letter.pdf.open("rb") as f:
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(f.read())).pages)


def _insured_form(caisse, **overrides):
    return register_form(caisse, **{"last_name": "Bienvenu", **overrides})


# --- the service path ---------------------------------------------------------------


def test_opening_rights_mails_one_welcome_letter_that_waits_in_the_mailroom(
    staff, django_capture_on_commit_callbacks
):
    insured = without_rights()

    with django_capture_on_commit_callbacks(execute=True):
        rights.coverage_period_add(insured=insured, regime="general", start=today(), actor=staff)

    letter = welcome_letters(insured).get()
    assert letter.status == PostalLetter.Status.TO_PRINT
    text = pdf_text(letter)
    assert "Objet : bienvenue" in text and "Vos droits à l'assurance maladie sont ouverts" in text
    event = AuditEvent.objects.get(action="code_issued", object_id=str(insured.pk))
    assert event.actor == staff and "Bienvenue" in event.summary

    staff.user_permissions.add(Permission.objects.get(codename="view_postalletter"))
    from django.test import Client

    client = Client()
    client.force_login(staff)
    page = client.get(reverse("admin:accounts_postalletter_changelist")).content.decode()
    assert "Bienvenue (code provisoire)" in page and "À imprimer" in page


def test_the_job_run_twice_makes_one_letter(django_capture_on_commit_callbacks):
    insured = without_rights()
    CoverageFactory(insured=insured, start=today())

    with django_capture_on_commit_callbacks(execute=True):
        welcome_letter_job.apply(kwargs={"insured_id": insured.pk})
        welcome_letter_job.apply(kwargs={"insured_id": insured.pk})

    assert welcome_letters(insured).count() == 1
    assert insured.provisional_codes.count() == 1


def test_reopening_while_a_code_is_live_sends_no_second_letter(django_capture_on_commit_callbacks):
    insured = with_closed_rights()
    asked = provisional_code_issue(insured=insured)  # asked for on the sign-up page, say

    with django_capture_on_commit_callbacks(execute=True):
        rights.coverage_period_add(insured=insured, regime="general", start=today())

    assert not welcome_letters(insured).exists()
    assert PostalLetter.objects.get(insured=insured) == asked


def test_extending_ended_rights_reopens_them_and_mails_the_letter(django_capture_on_commit_callbacks):
    insured = with_closed_rights()
    period = insured.coverage_periods.get()

    with django_capture_on_commit_callbacks(execute=True):
        rights.coverage_period_extend(period=period, end=None)
        # Extending again while the rights are open is no opening.
        rights.coverage_period_extend(period=period, end=today() + timedelta(days=365))

    assert welcome_letters(insured).count() == 1


def test_no_letter_for_a_person_with_an_account_or_closed_rights(django_capture_on_commit_callbacks):
    with_account = UserFactory().insured
    with_account.coverage_periods.all().delete()
    closed = without_rights()

    with django_capture_on_commit_callbacks(execute=True):
        rights.coverage_period_add(insured=with_account, regime="general", start=today())
        # Rights that open next month, or that ended, are not open today.
        rights.coverage_period_add(insured=closed, regime="general", start=today() + timedelta(days=30))
        rights.coverage_period_add(
            insured=closed,
            regime="general",
            start=today() - timedelta(days=90),
            end=today() - timedelta(days=1),
        )

    assert not PostalLetter.objects.exists()


# --- the back office ------------------------------------------------------------------


def test_a_new_insured_saved_with_open_rights_in_the_back_office_gets_one_letter(
    client, admin_user, django_capture_on_commit_callbacks
):
    caisse = InsuredFactory().caisse
    client.force_login(admin_user)
    form = _insured_form(
        caisse,
        **{
            "coverage_periods-TOTAL_FORMS": "1",
            "coverage_periods-0-regime": "general",
            "coverage_periods-0-start": (today() - timedelta(days=3)).isoformat(),
        },
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:accounts_insured_add"), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    insured = Insured.objects.get(last_name="Bienvenu")
    assert welcome_letters(insured).count() == 1
    event = AuditEvent.objects.get(action="code_issued", object_id=str(insured.pk))
    assert event.actor == admin_user

    # Saved again (a phone number corrected): the rights were already open, no second letter.
    url = reverse("admin:accounts_insured_change", args=[insured.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _insured_form(caisse, nir=insured.nir, phone="0102030405"))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert welcome_letters(insured).count() == 1


def test_rights_reopened_from_the_insured_page_inline_mail_the_letter(
    client, staff, django_capture_on_commit_callbacks
):
    insured = with_closed_rights()
    period = insured.coverage_periods.get()
    client.force_login(staff)
    form = _insured_form(
        insured.caisse,
        nir=insured.nir,
        last_name=insured.last_name,
        first_names=insured.first_names,
        birth_date=insured.birth_date.isoformat(),
        **{
            "coverage_periods-TOTAL_FORMS": "1",
            "coverage_periods-INITIAL_FORMS": "1",
            "coverage_periods-0-id": str(period.pk),
            "coverage_periods-0-insured": str(insured.pk),
            "coverage_periods-0-regime": "general",
            "coverage_periods-0-start": period.start.isoformat(),
            "coverage_periods-0-end": "",
        },
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:accounts_insured_change", args=[insured.pk]), form)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert CoveragePeriod.objects.get(pk=period.pk).end is None
    assert welcome_letters(insured).count() == 1


# --- the nightly safety net -------------------------------------------------------------


def test_the_nightly_run_catches_a_person_missed_and_only_once(django_capture_on_commit_callbacks):
    missed = without_rights()
    CoverageFactory(insured=missed, start=today() - timedelta(days=2))  # written around the service
    UserFactory()  # an account: nothing
    with_closed_rights()  # closed rights: nothing
    had_one = InsuredFactory()
    provisional_code_issue(insured=had_one)  # a live code: nothing

    with django_capture_on_commit_callbacks(execute=True):
        assert welcome_letters_catch_up() == 1
        assert welcome_letters_catch_up() == 0

    assert welcome_letters(missed).count() == 1
    assert PostalLetter.objects.count() == 2
    assert "welcome-letters-catch-up" in settings.CELERY_BEAT_SCHEDULE
    assert AuditEvent.objects.get(action="code_issued", object_id=str(missed.pk)).actor is None


def test_the_nightly_run_leaves_a_withdrawn_or_expired_code_to_staff(django_capture_on_commit_callbacks):
    withdrawn = InsuredFactory()
    provisional_code_withdraw(
        letter=provisional_code_issue(insured=withdrawn), actor=None, reason="adresse périmée"
    )
    expired = InsuredFactory()
    provisional_code_issue(insured=expired)
    expired.provisional_codes.update(expires_at=timezone.now() - timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert welcome_letters_catch_up() == 0


def test_a_renewal_is_not_a_new_opening_but_a_reopening_after_a_gap_is():
    from datetime import date

    periods = [
        CoveragePeriod(start=date(2020, 1, 1), end=date(2020, 12, 31)),
        CoveragePeriod(start=date(2021, 1, 1), end=None),
    ]
    assert rights.current_rights_start(periods, date(2026, 1, 1)) == date(2020, 1, 1)
    periods[0].end = date(2020, 6, 30)
    assert rights.current_rights_start(periods, date(2026, 1, 1)) == date(2021, 1, 1)
    assert rights.current_rights_start(periods[:1], date(2026, 1, 1)) is None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_welcome_letter_goes_through_a_real_worker_once(celery_worker):
    insured = without_rights()
    rights.coverage_period_add(insured=insured, regime="general", start=today())

    wait_for(
        lambda: welcome_letters(insured).filter(status=PostalLetter.Status.TO_PRINT).exists(),
        message="courrier de bienvenue prêt à imprimer",
    )
    # The job enqueued once more (a second save, a replay): it finds the live code, does nothing.
    with transaction.atomic():
        enqueue(welcome_letter_job, insured_id=insured.pk)
    wait_for(
        lambda: (
            OutboxJob.objects.filter(task_name="accounts.welcome_letter", done_at__isnull=False).count() == 2
        ),
        message="second passage du job terminé",
    )
    letter = welcome_letters(insured).get()
    assert insured.provisional_codes.count() == 1
    letter.pdf.delete(save=False)
