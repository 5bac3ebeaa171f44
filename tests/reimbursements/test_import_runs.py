"""Uploads of CSV files in the back office: stored privately, imported by a job, followed live."""

import csv
import html
import io

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ameli_portal.models import AuditEvent, OutboxJob
from reimbursements.models import CareSheet, ImportRun, Settlement
from reimbursements.queries import ledger_balance
from reimbursements.services.import_runs import import_run_execute, import_run_job
from tests.factories import StaffFactory
from tests.reimbursements.test_import import sample_rows, to_csv

IMPORT_URL = "admin:reimbursements_caresheet_import"
AGENT_PERMS = ["view_caresheet", "add_caresheet", "change_caresheet", "post_caresheet", "view_importrun"]


def grant(user, codenames):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="reimbursements", codename__in=codenames)
    )
    Authenticator.objects.get_or_create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


@pytest.fixture
def private_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    return tmp_path


@pytest.fixture
def people(db):
    from tests.factories import BeneficiaryFactory, InsuredFactory, ProfessionalFactory

    insured = [InsuredFactory() for _ in range(10)]
    pros = [ProfessionalFactory() for _ in range(3)]
    child = BeneficiaryFactory(insured=insured[0], birth_date="2016-02-03")
    return insured, pros, child


@pytest.fixture
def agent(db):
    return grant(StaffFactory(), AGENT_PERMS)


def upload(rows, name="feuilles.csv"):
    return SimpleUploadedFile(name, to_csv(rows).encode(), content_type="text/csv")


def run_url(run, name="change"):
    return reverse(f"admin:reimbursements_importrun_{name}", args=[run.pk])


@pytest.mark.django_db
def test_an_upload_is_stored_imported_by_the_job_and_reported(
    client, agent, people, private_files, django_capture_on_commit_callbacks
):
    rows, bad = sample_rows(people, sheets=30)
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(IMPORT_URL), {"file": upload(rows), "post": "on"})
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run_url(run)
    # The file is kept in private storage, under a random name, never the uploaded one.
    assert run.file.name == f"imports/{run.public_id}/fichier.csv" and run.file_name == "feuilles.csv"
    assert (private_files / run.file.name).read_text() == to_csv(rows)
    assert (run.status, run.launched_by, run.post) == (ImportRun.Status.DONE, agent, True)
    assert (run.lines_total, run.lines_read, run.lines_imported, run.lines_rejected) == (90, 90, 84, 6)
    assert run.sheets_imported == 28 and Settlement.objects.count() == 84 and ledger_balance() == 0
    assert OutboxJob.objects.get(task_name="reimbursements.import_run").done_at is not None
    assert AuditEvent.objects.filter(action="import", actor=agent, object_id=str(run.pk)).exists()

    page = html.unescape(client.get(run_url(run)).content.decode())
    assert "Avancement" in page and "Terminé" in page and 'value="100"' in page
    assert "js/import-progress.js" in page and "<script>" not in page  # no inline script (CSP)
    assert "Télécharger le rapport des lignes rejetées (CSV)" in page
    progress = client.get(run_url(run, "progress")).json()
    assert progress | {"rejects_url": None, "sheets_url": None} == {
        "status": "done",
        "status_label": "Terminé",
        "finished": True,
        "can_resume": False,
        "percent": 100,
        "lines_total": 90,
        "lines_read": 90,
        "lines_imported": 84,
        "lines_rejected": 6,
        "sheets_imported": 28,
        "error": "",
        "rejects_url": None,
        "sheets_url": None,
    }
    assert progress["rejects_url"] == run_url(run, "rejects")

    response = client.get(run_url(run, "rejects"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    report = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode()), delimiter=";"))
    assert report[0] == ["ligne", "sheet_ref", "motif"] and len(report) == 7
    assert [str(bad[10][0]), "F0010", "NIR inconnu : aucun assuré avec ce numéro"] in report
    assert AuditEvent.objects.filter(action="download", actor=agent, object_id=str(run.pk)).exists()


@pytest.mark.django_db
def test_the_same_file_sent_twice_imports_its_sheets_once(
    client, agent, people, private_files, django_capture_on_commit_callbacks
):
    rows, _ = sample_rows(people, sheets=10)
    client.force_login(agent)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse(IMPORT_URL), {"file": upload(rows), "post": "on"})
    first, second = ImportRun.objects.order_by("pk")
    assert (first.lines_imported, second.lines_imported, second.lines_rejected) == (30, 0, 30)
    assert CareSheet.objects.count() == 10


@pytest.mark.django_db
def test_a_redelivered_job_does_not_import_twice(agent, people, private_files):
    rows, _ = sample_rows(people, sheets=5)
    run = ImportRun(file_name="f.csv", file_size=1, launched_by=agent, lines_total=15)
    run.file.save("fichier.csv", io.BytesIO(to_csv(rows).encode()), save=False)
    run.save()
    import_run_execute(run_id=run.pk)  # as the job's first delivery would, once claimed
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.DONE)
    import_run_job.apply(args=[run.pk])  # a second delivery: the run is no longer pending
    assert CareSheet.objects.count() == 5 and ImportRun.objects.get().lines_imported == 15


@pytest.mark.django_db
def test_the_upload_page_refuses_a_png_named_csv_a_wrong_header_and_a_huge_file(client, agent, monkeypatch):
    client.force_login(agent)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    response = client.post(reverse(IMPORT_URL), {"file": SimpleUploadedFile("image.csv", png)})
    assert response.status_code == 200
    assert "n'est pas un fichier texte CSV en UTF-8" in html.unescape(response.content.decode())
    other = SimpleUploadedFile("autre.csv", b"nom,prenom\nDupont,Jean\n")
    response = client.post(reverse(IMPORT_URL), {"file": other})
    assert "n'est pas au format attendu" in html.unescape(response.content.decode())
    monkeypatch.setattr("reimbursements.admin.MAX_UPLOAD_BYTES", 10)
    response = client.post(reverse(IMPORT_URL), {"file": upload([])})
    assert "Fichier trop volumineux : 200 Mo au plus." in html.unescape(response.content.decode())
    assert not ImportRun.objects.exists() and not CareSheet.objects.exists()


@pytest.mark.django_db
def test_an_agent_who_may_not_post_imports_drafts(
    client, people, private_files, django_capture_on_commit_callbacks
):
    editor = grant(StaffFactory(), ["view_caresheet", "add_caresheet", "view_importrun"])
    client.force_login(editor)
    page = html.unescape(client.get(reverse(IMPORT_URL)).content.decode())
    assert "Liquider les feuilles importées" not in page
    assert "Vous n'avez pas la permission de liquider" in page
    rows, _ = sample_rows(people, sheets=3)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse(IMPORT_URL), {"file": upload(rows), "post": "on"})  # a forged "post"
    assert ImportRun.objects.get().post is False
    assert CareSheet.objects.filter(status="draft").count() == 3 and not Settlement.objects.exists()


@pytest.mark.django_db
def test_runs_and_their_reports_are_for_staff_allowed_to_see_them(
    client, agent, people, private_files, django_capture_on_commit_callbacks
):
    rows, _ = sample_rows(people, sheets=20)
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse(IMPORT_URL), {"file": upload(rows), "post": "on"})
    run = ImportRun.objects.get()
    outsider = grant(StaffFactory(), ["view_caresheet"])  # staff, no right on imports
    client.force_login(outsider)
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    for name in ("change", "progress", "rejects"):
        assert client.get(run_url(run, name)).status_code == 403, name
    assert client.get(reverse("admin:reimbursements_importrun_changelist")).status_code == 403
    client.logout()
    assert client.get(run_url(run, "progress")).status_code == 302  # to the login page


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_an_uploaded_file(client, agent, people, celery_worker):
    from tests.conftest import wait_for

    rows, _ = sample_rows(people, sheets=200)  # 600 lines, six bad sheets
    client.force_login(agent)
    response = client.post(reverse(IMPORT_URL), {"file": upload(rows), "post": "on"})
    run = ImportRun.objects.get()
    assert response.status_code == 302
    try:
        wait_for(
            lambda: ImportRun.objects.get(pk=run.pk).status in ("done", "failed"),
            timeout=120,
            message="import terminé par le worker",
        )
        run.refresh_from_db()
        assert (run.status, run.lines_read, run.lines_imported, run.lines_rejected) == ("done", 600, 582, 18)
        assert Settlement.objects.count() == 582 and ledger_balance() == 0
        assert client.get(run_url(run, "rejects")).status_code == 200
    finally:
        run.refresh_from_db()
        run.file.delete(save=False)
        if run.rejects:
            run.rejects.delete(save=False)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_file_split_by_insured_over_two_tasks_of_a_real_worker_arrives_once(
    client, agent, people, celery_worker
):
    """The upload job splits the file by insured person over IMPORT_PARTS (2) tasks: every
    line arrives exactly once, each person's sheets in one part only, the ledger balanced,
    and the report of rejections is one, in file order."""
    from collections import defaultdict

    from reimbursements.models import CareAct, ImportRunPart
    from tests.conftest import wait_for

    rows, bad = sample_rows(people, sheets=200)  # 600 lines for 10 people, six bad sheets
    client.force_login(agent)
    client.post(reverse(IMPORT_URL), {"file": upload(rows), "post": "on"})
    run = ImportRun.objects.get()
    try:
        wait_for(
            lambda: ImportRun.objects.get(pk=run.pk).status in ("done", "failed"),
            timeout=120,
            message="import en deux parties terminé par le worker",
        )
        run.refresh_from_db()
        assert (run.status, run.lines_read, run.lines_imported, run.lines_rejected) == ("done", 600, 582, 18)
        good = {f"F{n:04d}" for n in range(200) if n not in bad}  # a bad sheet is refused whole
        acts = list(CareAct.objects.values_list("sheet__external_ref", "care_date"))
        assert len(acts) == len(set(acts)) == 582 and {ref for ref, _ in acts} == good
        assert Settlement.objects.count() == 582 and ledger_balance() == 0
        parts_of = defaultdict(set)  # the batch labels say which part wrote a sheet: <tag>-p<k>-<n>
        for insured_id, label in CareSheet.objects.values_list("insured_id", "import_batch"):
            parts_of[insured_id].add(label.split("-")[1])
        assert set().union(*parts_of.values()) == {"p0", "p1"}
        assert all(len(parts) == 1 for parts in parts_of.values())
        with run.rejects.open("rb") as f:
            report = list(csv.reader(io.StringIO(f.read().decode()), delimiter=";"))
        lines = [int(r[0]) for r in report[1:]]
        assert lines == [n * 3 + 2 + k for n in sorted(bad) for k in range(3)]  # +2: header, one-based
        assert not ImportRunPart.objects.exists()  # the parts' own reports, merged, are gone
    finally:
        run.refresh_from_db()
        run.file.delete(save=False)
        if run.rejects:
            run.rejects.delete(save=False)


def interrupted_run(agent, rows, *, done_sheets, minutes_ago=60):
    """A run whose worker died after importing the first `done_sheets` sheets (3 rows each)."""
    from datetime import timedelta

    from django.utils import timezone

    from reimbursements.services.importing import import_care_sheets

    run = ImportRun(
        file_name="feuilles.csv", file_size=1, launched_by=agent, lines_total=len(rows), post=True
    )
    run.file.save("fichier.csv", io.BytesIO(to_csv(rows).encode()), save=False)
    run.save()
    # What the dead worker had done: the first batches, committed, under the run's tag.
    partial = import_care_sheets(io.StringIO(to_csv(rows[: done_sheets * 3])), actor=agent, batch_size=15)
    last_batch = timezone.now() - timedelta(minutes=minutes_ago)
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.RUNNING,
        started_at=last_batch,
        heartbeat_at=last_batch,
        import_batch=partial.tag,
        lines_read=partial.rows,
        lines_imported=partial.rows_imported,
        sheets_imported=partial.sheets_imported,
    )
    return ImportRun.objects.get(pk=run.pk)


@pytest.mark.django_db
def test_an_interrupted_run_is_shown_and_relaunched_without_importing_twice(
    client, agent, people, private_files, django_capture_on_commit_callbacks
):
    rows, _ = sample_rows(people, sheets=30)
    run = interrupted_run(agent, rows, done_sheets=12)
    assert CareSheet.objects.count() == 11  # sheet F0010 (unknown NIR) was refused
    client.force_login(agent)

    page = html.unescape(client.get(run_url(run)).content.decode())
    assert "Interrompu" in page and "Relancer l'import" in page
    assert "Interrompu" in client.get(reverse("admin:reimbursements_importrun_changelist")).content.decode()
    assert client.get(run_url(run, "progress")).json()["can_resume"] is True
    assert client.get(run_url(run, "resume")).status_code == 405  # a POST only
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(run_url(run, "resume"))

    assert response.status_code == 302
    run.refresh_from_db()
    # The same figures as an uninterrupted import of the file; nothing imported twice.
    assert (run.status, run.lines_read, run.lines_imported, run.lines_rejected) == (
        ImportRun.Status.DONE,
        90,
        84,
        6,
    )
    assert run.sheets_imported == 28 and run.resumed == 1
    assert CareSheet.objects.count() == 28 and Settlement.objects.count() == 84 and ledger_balance() == 0
    with run.rejects.open("rb") as f:
        assert "déjà importée" not in f.read().decode()
    assert AuditEvent.objects.filter(action="import_resume", actor=agent, object_id=str(run.pk)).exists()
    # Done: a second click relaunches nothing.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(run_url(run, "resume"))
    assert ImportRun.objects.get(pk=run.pk).resumed == 1 and CareSheet.objects.count() == 28


@pytest.mark.django_db
def test_a_run_still_working_cannot_be_relaunched(client, agent, people, private_files):
    rows, _ = sample_rows(people, sheets=10)
    run = interrupted_run(agent, rows, done_sheets=5, minutes_ago=1)  # a batch a minute ago: alive
    client.force_login(agent)

    page = html.unescape(client.get(run_url(run)).content.decode())
    assert "En cours" in page and "Interrompu" not in page
    assert 'data-show="can_resume" hidden' in page  # the button is there for the script, hidden
    assert client.get(run_url(run, "progress")).json()["can_resume"] is False
    client.post(run_url(run, "resume"))
    run.refresh_from_db()
    assert (run.status, run.resumed) == (ImportRun.Status.RUNNING, 0)
    assert not OutboxJob.objects.filter(task_name="reimbursements.import_run").exists()


@pytest.mark.django_db
def test_relaunching_needs_the_right_to_post_when_the_run_posts(client, people, private_files, agent):
    rows, _ = sample_rows(people, sheets=5)
    run = interrupted_run(agent, rows, done_sheets=2)
    viewer = grant(StaffFactory(), ["view_caresheet", "add_caresheet", "view_importrun"])
    client.force_login(viewer)
    assert client.post(run_url(run, "resume")).status_code == 403
    assert ImportRun.objects.get(pk=run.pk).status == ImportRun.Status.RUNNING


@pytest.mark.django_db
def test_a_reference_used_twice_in_the_file_is_refused_the_second_time_even_on_a_relaunch(
    client, agent, people, private_files, django_capture_on_commit_callbacks, monkeypatch
):
    rows, _ = sample_rows(people, sheets=30)
    # Sheet F0002 again at the end of the file, with another act: not the same sheet.
    again = [dict(row, care_date="2026-03-20") for row in rows[6:9]]
    run = interrupted_run(agent, rows + again, done_sheets=12)
    monkeypatch.setattr("reimbursements.services.import_runs.BATCH_SIZE", 15)  # F0002's two places apart
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(run_url(run, "resume"))

    run.refresh_from_db()
    with run.rejects.open("rb") as f:
        report = f.read().decode()
    assert (run.lines_read, run.lines_imported, run.lines_rejected) == (93, 84, 9)
    assert report.count("feuille déjà importée (référence « F0002 »)") == 3
    assert CareSheet.objects.count() == 28


@pytest.mark.django_db
def test_without_relaunch_a_reference_used_twice_is_refused_the_second_time(agent, people, private_files):
    from reimbursements.services.importing import import_care_sheets

    rows, _ = sample_rows(people, sheets=30)
    again = [dict(row, care_date="2026-03-20") for row in rows[6:9]]
    report = import_care_sheets(io.StringIO(to_csv(rows + again)), actor=agent, batch_size=15)
    assert (report.rows_imported, report.rows_rejected) == (84, 9)
    assert sum("déjà importée (référence « F0002 »)" in r.reason for r in report.rejected) == 3


@pytest.mark.django_db
def test_a_worker_thought_dead_stops_when_the_relaunch_takes_over(
    agent, people, private_files, django_capture_on_commit_callbacks
):
    from reimbursements.services.import_runs import import_run_resume

    rows, _ = sample_rows(people, sheets=30)
    run = interrupted_run(agent, rows, done_sheets=12)
    assert import_run_resume(run=run, actor=agent)
    # The first attempt's worker was only slow: it reaches its next batch now.
    import_run_execute(run_id=run.pk, attempt=0)

    run.refresh_from_db()
    assert (run.status, run.resumed, run.lines_read) == (ImportRun.Status.PENDING, 1, 36)  # untouched
    assert CareSheet.objects.count() == 11  # it wrote nothing more
    with django_capture_on_commit_callbacks(execute=True):
        import_run_job.apply(args=[run.pk])  # the relaunch's job
    run.refresh_from_db()
    assert (run.status, run.lines_imported, run.lines_rejected) == (ImportRun.Status.DONE, 84, 6)
    assert CareSheet.objects.count() == 28 and ledger_balance() == 0
