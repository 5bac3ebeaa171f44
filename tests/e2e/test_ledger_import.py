"""Back office, in a browser: a CSV file of care sheets uploaded, imported by the job, its
progress followed live (static JS polling a JSON endpoint), its rejected rows downloaded.

Jobs run in-process here (CELERY_TASK_ALWAYS_EAGER): the upload's job has finished when the
run's page opens. The live update is shown on a run the test moves on by itself.
"""

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Permission
from django.urls import reverse
from playwright.sync_api import expect

from reimbursements.models import ImportRun, Settlement
from tests.e2e.conftest import assert_no_axe_violations, assert_no_csp_violations, screenshot, signed_in_page
from tests.factories import BeneficiaryFactory, InsuredFactory, ProfessionalFactory, StaffFactory
from tests.reimbursements.test_import import sample_rows, to_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }


@pytest.fixture
def conseiller(db):
    user = StaffFactory(first_name="Alex", last_name="Conseil")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="reimbursements",
            codename__in=[
                "view_caresheet",
                "add_caresheet",
                "change_caresheet",
                "post_caresheet",
                "view_importrun",
            ],
        )
    )
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


def test_a_conseiller_uploads_a_file_and_reads_the_report(browser, live_server, conseiller):
    insured = [InsuredFactory() for _ in range(10)]
    people = (
        insured,
        [ProfessionalFactory() for _ in range(3)],
        BeneficiaryFactory(insured=insured[0], birth_date="2016-02-03"),
    )
    rows, _ = sample_rows(people, sheets=30)
    with signed_in_page(browser, live_server, conseiller) as page:
        page.goto(live_server.url + reverse("admin:reimbursements_caresheet_changelist"))
        page.get_by_role("link", name="Importer un fichier CSV").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Importer des feuilles de soins")
        page.get_by_label("Fichier CSV").set_input_files(
            {"name": "feuilles-mars.csv", "mimeType": "text/csv", "buffer": to_csv(rows).encode()}
        )
        page.get_by_role("button", name="Importer").click()
        expect(page.locator(".messagelist")).to_contain_text("l'import se poursuit en arrière-plan")
        progress = page.locator("#import-progress")
        expect(progress).to_contain_text("Terminé")
        expect(progress).to_contain_text("Lignes importées : 84")
        expect(progress).to_contain_text("Lignes rejetées : 6")
        screenshot(page, "import-csv-rapport")
        assert_no_csp_violations(page)
        assert_no_axe_violations(page)
        with page.expect_download() as download:
            page.get_by_role("link", name="Télécharger le rapport des lignes rejetées (CSV)").click()
        report = download.value.path().read_text(encoding="utf-8")
        assert report.startswith("ligne;sheet_ref;motif") and "NIR inconnu" in report
    assert Settlement.objects.count() == 84


def test_the_run_page_follows_a_running_import(browser, live_server, conseiller):
    run = ImportRun.objects.create(
        file="imports/x/fichier.csv",
        file_name="gros-fichier.csv",
        file_size=150_000_000,
        status=ImportRun.Status.RUNNING,
        lines_total=1000,
        lines_read=200,
        lines_imported=190,
        lines_rejected=10,
        launched_by=conseiller,
    )
    with signed_in_page(browser, live_server, conseiller) as page:
        page.goto(live_server.url + reverse("admin:reimbursements_importrun_change", args=[run.pk]))
        progress = page.locator("#import-progress")
        expect(progress).to_contain_text("En cours")
        expect(page.locator("#import-bar")).to_have_attribute("value", "20")
        screenshot(page, "import-csv-en-cours")
        ImportRun.objects.filter(pk=run.pk).update(lines_read=600, lines_imported=580, lines_rejected=20)
        expect(progress).to_contain_text("Lignes lues : 600", timeout=10_000)
        expect(page.locator("#import-bar")).to_have_attribute("value", "60")
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.DONE,
            lines_read=1000,
            lines_imported=975,
            lines_rejected=25,
            sheets_imported=400,
        )
        expect(progress).to_contain_text("Terminé", timeout=10_000)
        expect(progress).to_contain_text("Lignes importées : 975 (400 feuille(s))")
        assert_no_csp_violations(page)
        assert_no_axe_violations(page)  # last: axe itself may touch the page's styles


def test_an_interrupted_import_is_shown_and_relaunched_from_its_page(browser, live_server, conseiller):
    from datetime import timedelta

    from django.utils import timezone

    from reimbursements.models import CareSheet
    from tests.reimbursements.test_import_runs import interrupted_run

    insured = [InsuredFactory() for _ in range(10)]
    people = (
        insured,
        [ProfessionalFactory() for _ in range(3)],
        BeneficiaryFactory(insured=insured[0], birth_date="2016-02-03"),
    )
    rows, _ = sample_rows(people, sheets=30)
    run = interrupted_run(conseiller, rows, done_sheets=12, minutes_ago=1)  # its last batch: a minute ago
    relaunch = "Relancer l'import"
    with signed_in_page(browser, live_server, conseiller) as page:
        page.goto(live_server.url + reverse("admin:reimbursements_importrun_change", args=[run.pk]))
        progress = page.locator("#import-progress")
        expect(progress).to_contain_text("En cours")
        expect(page.get_by_role("button", name=relaunch)).to_be_hidden()
        # Its worker is gone: no batch for an hour. The page says so by itself.
        an_hour_ago = timezone.now() - timedelta(hours=1)
        ImportRun.objects.filter(pk=run.pk).update(started_at=an_hour_ago, heartbeat_at=an_hour_ago)
        expect(progress).to_contain_text("Interrompu", timeout=10_000)
        expect(page.get_by_role("button", name=relaunch)).to_be_visible()
        expect(page.locator("#import-progress .errornote")).to_be_hidden()  # no error: no empty box
        screenshot(page, "import-csv-interrompu")
        assert_no_csp_violations(page)
        assert_no_axe_violations(page)
        page.get_by_role("button", name=relaunch).click()
        expect(page.locator(".messagelist")).to_contain_text("Import relancé")
        expect(progress).to_contain_text("Terminé")
        expect(progress).to_contain_text("Lignes importées : 84 (28 feuille(s))")
        expect(progress).to_contain_text("Lignes rejetées : 6")
    assert CareSheet.objects.count() == 28 and Settlement.objects.count() == 84
