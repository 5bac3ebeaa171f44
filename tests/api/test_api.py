"""The API for apps: signing in through allauth's app API, then the person's own data.

The anonymous and access checks walk the OpenAPI document the portal serves: a route added
tomorrow is checked by the same tests, or they fail until its identifiers are known here.
"""

import json
import re
import uuid

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from accounts.data_export import data_export_build, data_export_request
from accounts.models import HealthCardEvent
from accounts.nir import compute_key
from api.v1 import api
from attestations.models import Document
from requests_app.services import request_file
from requests_app.uploads import check_upload
from tests.api.conftest import LOGIN, ApiClient, paid_care, sign_in
from tests.factories import (
    PASSWORD,
    DemarcheFactory,
    HealthCardFactory,
    MessageFactory,
    ThreadFactory,
    UserFactory,
)
from tests.requests_app.helpers import upload

pytestmark = pytest.mark.django_db(transaction=True)


def _operations():
    schema = api.get_openapi_schema()  # what /api/v1/openapi.json serves (checked below)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_the_openapi_document_is_served_and_the_docs_page_loads_without_a_cdn(client):
    def no_duplicate_keys(pairs):
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), f"clé en double : {keys}"  # Swagger UI refuses them
        return dict(pairs)

    schema = json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=no_duplicate_keys)
    assert set(schema["paths"]) == set(api.get_openapi_schema()["paths"])
    assert schema["openapi"].startswith("3.1") and schema["info"]["version"] == "1"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui-bundle.js" in html and "cdn." not in html and "//unpkg" not in html


def test_an_app_signs_in_with_the_nir_and_the_emailed_code_and_reads_its_profile():
    user = UserFactory()
    spaced = f"{user.username[:1]} {user.username[1:3]} {user.username[3:]} {compute_key(user.username)}"
    token = sign_in(user, login=spaced)
    response = ApiClient(token).get("/api/v1/moi/profil")
    assert response.status_code == 200
    body = response.json()
    assert body["last_name"] == user.insured.last_name and body["email"] == user.email
    assert user.username not in response.content.decode()  # the NIR, masked
    assert all(user.username not in m.body for m in mail.outbox)


def test_a_wrong_password_gets_the_web_s_french_message_and_no_token():
    user = UserFactory()
    response = Client().post(
        LOGIN, {"username": user.username, "password": "Faux-Mot-2026"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "incorrect" in response.content.decode()
    assert "session_token" not in response.content.decode()


@pytest.mark.parametrize(
    "method,path,operation", list(_operations()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_operation_asks_an_anonymous_caller_to_sign_in(method, path, operation):
    url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
    if not operation.get("security"):
        # Public only as its page of the site is: the document names the page, which must be
        # open to everyone too (login_not_required).
        page = operation.get("x-web-page")
        assert page, f"{method} {path} : sans authentification déclarée ni page publique nommée"
        assert resolve(reverse(page)).func.login_required is False, f"{page} demande une connexion"
        assert getattr(Client(), method)(url, {}, content_type="application/json").status_code != 401
        return
    response = getattr(Client(), method)(url)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["title"] == "Connexion requise"


def _owned(kind, user):
    insured = user.insured
    if kind == "document_id":
        document = Document(
            owner=insured,
            kind=Document.Kind.RIGHTS,
            content_key="k",
            status=Document.Status.READY,
            issued_at=timezone.now(),
        )
        document.file.save("attestation.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
        document.save()
        return document.public_id
    if kind == "demarche_id":
        return DemarcheFactory(insured=insured).public_id
    if kind == "payment_id":
        return paid_care(insured).public_id
    if kind == "thread_id":
        return MessageFactory(thread=ThreadFactory(insured=insured)).thread.public_id
    if kind == "attachment_id":
        filed = request_file(
            insured=insured,
            kind="prestation",
            data={"equipment": "Fauteuil", "amount": "10.00", "comment": ""},
            uploads=[("Devis", check_upload(upload()))],
        )
        return filed.attachments.get().public_id
    if kind == "export_id":
        return data_export_build(export_id=data_export_request(user=user).pk).public_id
    raise AssertionError(f"identifiant inconnu des tests : {kind} (ajoutez-le à _owned)")


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }


def test_another_person_s_objects_are_404_like_missing_ones(private_storage):
    owner, other = UserFactory(), UserFactory()
    owner_api, other_api = ApiClient(sign_in(owner)), ApiClient(sign_in(other))
    checked = 0
    for method, path, _ in _operations():
        names = re.findall(r"\{([^}]+)\}", path)
        if method != "get" or not names:
            continue
        url = path
        for name in names:
            url = url.replace("{" + name + "}", str(_owned(name, owner)))
        assert owner_api.get(url).status_code == 200, url
        response = other_api.get(url)
        assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
        missing = re.sub(r"[0-9a-f-]{36}", str(uuid.uuid4()), url)
        assert other_api.get(missing).json() == response.json()
        checked += 1
    assert checked >= 3


def test_lists_come_newest_first_by_cursor_pages():
    user = UserFactory()
    ids = [_owned("demarche_id", user) for _ in range(23)]
    api = ApiClient(sign_in(user))
    first = api.get("/api/v1/demarches").json()
    assert len(first["results"]) == 20 and first["previous"] is None and first["next"]
    second = api.get(first["next"]).json()
    seen = [d["id"] for d in first["results"] + second["results"]]
    assert sorted(seen) == sorted(str(i) for i in ids) and len(set(seen)) == 23
    assert second["next"] is None


def test_cards_and_threads_are_the_person_s_own():
    user, other = UserFactory(), UserFactory()
    HealthCardFactory(insured=user.insured)
    HealthCardFactory(insured=other.insured)
    ThreadFactory(insured=user.insured)
    ThreadFactory(insured=other.insured)
    api = ApiClient(sign_in(user))
    people = api.get("/api/v1/moi/cartes").json()
    assert people[0]["is_beneficiary"] is False and len(people[0]["cards"]) == 1
    card = people[0]["cards"][0]
    assert card["status_label"] and card["in_service"] is True and card["opposition_reason_label"] == ""
    events = HealthCardEvent.objects.filter(card__insured=user.insured).order_by("-at", "-pk")
    assert [e["note"] for e in card["events"]] == [e.note for e in events]
    threads = api.get("/api/v1/messagerie/fils").json()["results"]
    assert len(threads) == 1 and threads[0]["unread"] >= 0


def test_a_document_not_ready_is_not_downloaded():
    user = UserFactory()
    document = Document.objects.create(
        owner=user.insured, kind=Document.Kind.RIGHTS, content_key="k", status=Document.Status.PENDING
    )
    api = ApiClient(sign_in(user))
    assert api.get(f"/api/v1/documents/{document.public_id}").json()["download_url"] is None
    response = api.get(f"/api/v1/documents/{document.public_id}/pdf")
    assert response.status_code == 409 and response["Content-Type"] == "application/problem+json"


def test_a_staff_account_reads_nothing_of_insured_people(staff):
    from allauth.headless.tokens.strategies.sessions import SessionTokenStrategy  # noqa: F401

    client = Client()
    client.force_login(staff)
    assert client.get("/api/v1/moi/profil").status_code == 401  # a cookie is not a token


def test_the_person_lists_their_app_sessions_and_ends_one():
    user = UserFactory()
    first, second = ApiClient(sign_in(user)), ApiClient(sign_in(user))
    sessions = first.get("/api/auth/app/v1/auth/sessions").json()["data"]
    assert len(sessions) == 2 and sum(s["is_current"] for s in sessions) == 1
    other = next(s["id"] for s in sessions if not s["is_current"])
    response = first.delete(
        "/api/auth/app/v1/auth/sessions", {"sessions": [other]}, content_type="application/json"
    )
    assert response.status_code == 200
    assert second.get("/api/v1/moi/profil").status_code == 401
    assert first.get("/api/v1/moi/profil").status_code == 200


def test_after_five_wrong_passwords_the_right_one_gives_no_token():
    user = UserFactory()
    for _ in range(5):
        Client().post(
            LOGIN, {"username": user.username, "password": "Faux-Mot-2026"}, content_type="application/json"
        )
    response = Client().post(
        LOGIN, {"username": user.username, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code in (400, 429)
    assert "session_token" not in response.content.decode()
