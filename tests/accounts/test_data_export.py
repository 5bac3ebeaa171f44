"""« Télécharger mes données »: what the archive holds, for whom, and for how long."""

import io
import json
import os
import zipfile
from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.data_export import data_export_build, data_exports_purge
from accounts.models import DataExport, TermsAcceptance
from accounts.terms import terms_accept
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post
from requests_app.models import RequestEvent
from tests.factories import (
    BeneficiaryFactory,
    CareActFactory,
    DemarcheFactory,
    HealthCardFactory,
    MessageFactory,
    ThreadFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files"), "base_url": None},
        },
    }
    return tmp_path / "files"


def _household(staff, *, name: str, message: str):
    user = UserFactory(insured__last_name=name, insured__iban="FR7630004000010001234567830")
    insured = user.insured
    BeneficiaryFactory(insured=insured, first_names=f"Enfant{name}")
    act = CareActFactory(sheet__insured=insured, label=f"Consultation {name}")
    care_sheet_post(sheet=act.sheet, actor=staff)
    payments_run(day=date(2026, 3, 20))
    HealthCardFactory(insured=insured)
    thread = ThreadFactory(insured=insured, subject=f"Sujet {name}")
    MessageFactory(thread=thread, author_kind="insured", body=message)
    demarche = DemarcheFactory(insured=insured)
    RequestEvent.objects.create(request=demarche, to_status="deposee", actor_kind="insured")
    terms_accept(insured=insured, user=user, context=TermsAcceptance.Context.SIGNUP)
    return user


def _archive(export: DataExport) -> dict:
    with export.file.open("rb") as f, zipfile.ZipFile(io.BytesIO(f.read())) as archive:
        assert sorted(archive.namelist()) == ["LISEZMOI.txt", "mes-donnees.json"]
        return json.loads(archive.read("mes-donnees.json"))


def test_the_archive_holds_the_person_s_data_and_nothing_of_another(staff, private_storage):
    user = _household(staff, name="Lefèvre", message="Mon message à moi")
    other = _household(staff, name="Martin", message="Le message de quelqu'un d'autre")
    export = DataExport.objects.create(user=user, expires_at=timezone.now() + timedelta(days=7))
    data = _archive(data_export_build(export_id=export.pk))

    insured = user.insured
    assert data["identity"]["nir"] == insured.nir and data["identity"]["last_name"] == "Lefèvre"
    assert data["identity"]["iban"] == insured.iban
    assert data["account"]["email"] == user.email
    assert [b["first_names"] for b in data["beneficiaries"]] == ["EnfantLefèvre"]
    assert data["coverage_periods"] and data["health_cards"]
    assert [a["label"] for a in data["care_acts"]] == ["Consultation Lefèvre"]
    assert len(data["settlements"]) == 1 and data["settlements"][0]["paid"]
    assert len(data["payments"]) == 1
    assert [t["subject"] for t in data["threads"]] == ["Sujet Lefèvre"]
    assert [m["body"] for m in data["messages"]] == ["Mon message à moi"]
    assert len(data["requests"]) == 1 and len(data["request_events"]) == 1
    assert data["terms_acceptances"][0]["version"] == user.terms_version
    for key in ("documents", "exemptions", "daily_allowances", "vaccinations", "postal_letters"):
        assert key in data

    text = json.dumps(data, ensure_ascii=False)
    for foreign in (other.insured.nir, "Martin", "quelqu'un d'autre", other.email):
        assert foreign not in text
    # staff who handled the file are the caisse's business, secrets never leave
    assert "posted_by" not in text and "password" not in text


def test_asking_builds_the_archive_by_a_job_and_only_the_owner_downloads_it(
    client, staff, other_insured, private_storage
):
    user = _household(staff, name="Lefèvre", message="Bonjour")
    client.force_login(user)
    response = client.post(reverse("accounts:my_data_request"))
    assert response["Location"] == reverse("accounts:my_data")
    export = DataExport.objects.get(user=user)
    assert export.status == "ready"  # the job ran after the commit (in-process in tests)
    page = client.get(reverse("accounts:my_data")).content.decode()
    url = reverse("accounts:my_data_download", args=[export.public_id])
    assert url in page

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    assert "attachment" in response["Content-Disposition"]
    assert str(user.insured.nir) not in response["Content-Disposition"]

    client.force_login(other_insured.user)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_an_archive_expires_and_is_purged(client, staff, settings, private_storage):
    settings.DATA_EXPORT_DAYS = 2
    user = _household(staff, name="Lefèvre", message="Bonjour")
    client.force_login(user)
    client.post(reverse("accounts:my_data_request"))
    export = DataExport.objects.get(user=user)
    url = reverse("accounts:my_data_download", args=[export.public_id])
    path = export.file.path
    with time_machine.travel(timezone.now() + timedelta(days=2, minutes=1)):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert data_exports_purge() == 1
    assert not DataExport.objects.exists()
    assert not os.path.exists(path)


@pytest.mark.worker
def test_a_real_worker_builds_the_archive(staff, celery_worker):
    from accounts.data_export import data_export_request
    from tests.conftest import wait_for

    user = _household(staff, name="Lefèvre", message="Bonjour")
    export = data_export_request(user=user)
    wait_for(lambda: DataExport.objects.get(pk=export.pk).status == "ready", message="archive prête")
    export.refresh_from_db()
    try:  # the worker wrote to the default storage, which this process reads too
        assert _archive(export)["identity"]["last_name"] == "Lefèvre"
    finally:
        export.file.delete(save=False)
