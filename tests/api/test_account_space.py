"""« Mon espace » through the API: its summary, the terms of use to accept (the site's terms
gate, as a 403), « Mes données », and the relevé of last month."""

import io
import re
import uuid
import zipfile
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.data_export import data_export_request
from accounts.home import home_for
from accounts.models import DataExport, TermsAcceptance
from accounts.terms import PRIVACY_REQUIRED
from api.v1 import api
from attestations import services as attestations
from attestations.forms import last_month
from attestations.models import Document
from messaging.models import Thread
from tests.api.conftest import ApiClient, paid_care, sign_in
from tests.factories import DemarcheFactory, MessageFactory, ThreadFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TERMS = "/api/v1/moi/conditions"


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }


def _key():
    return {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}


def _with_old_terms():
    user = UserFactory()
    user.terms_version = "2020-01"
    user.save(update_fields=["terms_version"])
    return user


def _signed_in_operations():
    for path, item in api.get_openapi_schema()["paths"].items():
        for method, operation in item.items():
            if operation.get("security"):
                yield method, path, operation


def test_with_new_terms_to_accept_the_site_redirects_and_every_other_operation_is_a_403():
    user = _with_old_terms()
    browser = Client()
    browser.force_login(user)
    assert browser.get(reverse("accounts:profile"))["Location"].startswith(reverse("accounts:accept_terms"))
    client = ApiClient(sign_in(user))
    gated = 0
    for method, path, operation in _signed_in_operations():
        if path == TERMS:
            continue
        url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        response = getattr(client, method)(url, {}, content_type="application/json", **_key())
        assert response.status_code == 403, (method, path, response.content)
        assert "403" in operation["responses"]
        problem = response.json()
        assert response["Content-Type"] == "application/problem+json"
        assert "conditions d'utilisation" in problem["detail"] and problem["accept_url"] == TERMS
        gated += 1
    assert gated > 20
    assert not Thread.objects.filter(insured=user.insured).exists()  # nothing was written


def test_the_person_reads_the_new_terms_and_accepts_them_with_the_page_s_two_boxes():
    user = _with_old_terms()
    client = ApiClient(sign_in(user))
    state = client.get(TERMS).json()
    assert state["pending"] is True and state["accepted_version"] == "2020-01"
    assert state["version_in_force"] == settings.TERMS_VERSION
    assert state["terms_url"] == reverse("public:terms")
    refused = client.post(
        TERMS, {"accept_terms": True, "accept_privacy": False}, "application/json", **_key()
    )
    assert refused.status_code == 422 and refused.json()["errors"] == [
        {"champ": "accept_privacy", "message": PRIVACY_REQUIRED}
    ]
    assert client.get("/api/v1/moi/profil").status_code == 403
    accepted = client.post(
        TERMS, {"accept_terms": True, "accept_privacy": True}, "application/json", **_key()
    )
    assert accepted.status_code == 200 and accepted.json()["pending"] is False
    acceptance = TermsAcceptance.objects.get(user=user)
    assert acceptance.version == settings.TERMS_VERSION and acceptance.context == "new_version"
    assert client.get("/api/v1/moi/profil").status_code == 200
    browser = Client()
    browser.force_login(user)
    assert browser.get(reverse("accounts:profile")).status_code == 200  # the site agrees


def test_the_person_asks_for_their_data_then_downloads_the_archive():
    user = UserFactory()
    client = ApiClient(sign_in(user))
    assert client.get("/api/v1/moi/donnees").json() == []
    asked = client.post("/api/v1/moi/donnees", **_key())
    assert asked.status_code == 201
    [listed] = client.get("/api/v1/moi/donnees").json()
    assert listed["id"] == asked.json()["id"] and listed["status"] == "ready"  # the job ran in-process
    response = client.get(listed["download_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert {"mes-donnees.json", "LISEZMOI.txt"} <= set(archive.namelist())
    assert user.insured.last_name in archive.read("mes-donnees.json").decode()
    stranger = ApiClient(sign_in(UserFactory()))
    assert stranger.get(listed["download_url"]).status_code == 404


def test_an_archive_in_preparation_is_given_back_not_a_second_one():
    user = UserFactory()
    pending = DataExport.objects.create(user=user, expires_at=timezone.now() + timedelta(days=7))
    client = ApiClient(sign_in(user))
    response = client.post("/api/v1/moi/donnees", **_key())
    assert response.status_code == 200 and response.json()["id"] == str(pending.public_id)
    assert response.json()["download_url"] is None
    assert DataExport.objects.filter(user=user).count() == 1


def test_an_expired_archive_is_no_longer_downloaded():
    user = UserFactory()
    export = data_export_request(user=user)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client = ApiClient(sign_in(user))
    [listed] = client.get("/api/v1/moi/donnees").json()
    assert listed["download_url"] is None
    assert client.get(f"/api/v1/moi/donnees/{export.public_id}/zip").status_code == 404


def test_the_home_summary_is_the_page_s():
    user = UserFactory()
    insured = user.insured
    payment = paid_care(insured)
    document = attestations.document_request(insured=insured, kind=Document.Kind.RIGHTS)
    waiting = DemarcheFactory(insured=insured, status="complement")
    thread = ThreadFactory(insured=insured)
    sign_in(user)  # a first visit: the second one knows when it was
    client = ApiClient(sign_in(user))
    MessageFactory(thread=thread, author_kind="caisse")
    body = client.get("/api/v1/moi/accueil").json()
    user.refresh_from_db()
    page = home_for(insured, None)
    assert body["since"] is not None
    assert body["new_messages"] == 1 and body["changes"] == ["1 message"]
    assert body["unread_messages"] == 1
    assert [p["id"] for p in body["payments"]] == [str(p.public_id) for p in page.payments]
    assert body["payments"][0]["id"] == str(payment.public_id)
    assert body["payments"][0]["amount"] == str(page.payments[0].shown_amount)
    assert [d["id"] for d in body["documents"]] == [str(document.public_id)]
    assert [w["id"] for w in body["waiting"]] == [str(waiting.public_id)]
    assert body["cards"]["name"] == insured.full_name


def test_the_relevé_of_last_month_as_the_page_s_button():
    user = UserFactory()
    client = ApiClient(sign_in(user))
    asked = client.post(
        "/api/v1/documents", {"kind": "releve", "last_month": True}, "application/json", **_key()
    )
    assert asked.status_code == 201, asked.content
    start, end = last_month(timezone.localdate())
    assert (asked.json()["period_start"], asked.json()["period_end"]) == (start.isoformat(), end.isoformat())
    both = {"kind": "releve", "last_month": True, "start": start.isoformat(), "end": end.isoformat()}
    refused = client.post("/api/v1/documents", both, "application/json", **_key())
    assert refused.status_code == 422 and refused.json()["errors"][0]["champ"] == "last_month"
    other = client.post("/api/v1/documents", {"kind": "ij", "last_month": True}, "application/json", **_key())
    assert other.status_code == 422


def test_with_new_terms_to_accept_allauth_s_account_operations_wait_too_but_signing_out_does_not():
    user = _with_old_terms()
    client = ApiClient(sign_in(user))
    for url in ("/api/auth/app/v1/account/authenticators", "/api/auth/app/v1/auth/sessions"):
        response = client.get(url)
        assert response.status_code == 403 and response.json()["accept_url"] == TERMS, url
    assert client.get("/api/auth/app/v1/auth/session").status_code == 200
    client.post(TERMS, {"accept_terms": True, "accept_privacy": True}, "application/json", **_key())
    assert client.get("/api/auth/app/v1/account/authenticators").status_code == 200
    assert client.delete("/api/auth/app/v1/auth/session").status_code == 401  # signed out
