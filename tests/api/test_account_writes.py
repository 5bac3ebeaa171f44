"""What a person does through the API's writes, checked as they would check it: on the
site's pages, in their mailbox, in the PDF they download. Each write goes through the page's
form and service, so the same input gets the same answer and the same French message."""

import uuid

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from attestations.models import Document
from tests.api.conftest import ApiClient, sign_in
from tests.api.pages import parse
from tests.conftest import wait_for
from tests.factories import MessageFactory, ThreadFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ENGLISH = ("Field required", "Input should", "String should", "value is not", "Extra inputs")


def _key():
    return str(uuid.uuid4())


def _patch(client, body, key=None):
    return client.patch(
        "/api/v1/moi/coordonnees", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key or _key()
    )


def test_a_new_address_reads_on_the_profile_page_and_a_mail_confirms_it():
    user = UserFactory(insured__phone="0102030405")
    client = ApiClient(sign_in(user))
    response = _patch(client, {"address_line1": "3 rue des Lilas", "postal_code": " 69003 ", "city": "Lyon"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["address_line1"] == "3 rue des Lilas" and body["postal_code"] == "69003"
    assert body["phone"] == "0102030405"  # not sent: kept
    assert client.get("/api/v1/moi/coordonnees").json() == body
    assert client.get("/api/v1/moi/profil").json()["postal_address"][-1] == "69003 LYON"
    web = Client()
    web.force_login(user)
    page = web.get("/mon-espace/informations/").content.decode()
    assert 'value="3 rue des Lilas"' in page and 'value="69003"' in page
    [told] = [m for m in mail.outbox if m.subject == "Vos coordonnées ont été modifiées"]
    assert told.to == [user.email]


def test_a_coordinate_the_page_refuses_is_a_french_422_naming_the_field_and_nothing_changes():
    user = UserFactory()
    client = ApiClient(sign_in(user))
    before = client.get("/api/v1/moi/coordonnees").json()
    response = _patch(client, {"postal_code": "6900", "phone": "12"})
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    errors = {e["champ"]: e["message"] for e in response.json()["errors"]}
    assert errors == {
        "postal_code": "Le code postal comporte 5 chiffres.",
        "phone": "Saisissez un numéro de téléphone français, par exemple 06 12 34 56 78.",
    }
    assert "postal_code : Le code postal comporte 5 chiffres." in response.json()["detail"]
    assert _patch(client, {"city": ""}).json()["errors"] == [
        {"champ": "city", "message": "Ce champ est obligatoire."}
    ]
    assert client.get("/api/v1/moi/coordonnees").json() == before


def test_the_email_is_not_changed_by_the_patch_but_by_allauth_s_flow_with_its_code():
    user = UserFactory()
    client = ApiClient(sign_in(user))
    response = _patch(client, {"email": "nouvelle@example.org"})
    assert response.status_code == 422
    assert "/api/auth/app/v1/account/email" in response.json()["errors"][0]["message"]
    # The same confirmation as the web: the new address gets a code, and is the account's
    # only once it is confirmed.
    asked = client.post(
        "/api/auth/app/v1/account/email", {"email": "nouvelle@example.org"}, content_type="application/json"
    )
    assert asked.status_code == 200, asked.content
    assert any("nouvelle@example.org" in m.to for m in mail.outbox)
    user.refresh_from_db()
    assert user.email != "nouvelle@example.org"


def test_reading_a_thread_does_not_mark_it_read_marking_it_does():
    user = UserFactory()
    thread = ThreadFactory(insured=user.insured)
    MessageFactory(thread=thread, author_kind="insured", body="Ma question")
    MessageFactory(thread=thread, body="Notre réponse")
    client = ApiClient(sign_in(user))
    detail = client.get(f"/api/v1/messagerie/fils/{thread.public_id}").json()
    assert [m["body"] for m in detail["messages"]] == ["Ma question", "Notre réponse"]
    assert detail["unread"] == 1
    read = client.post(f"/api/v1/messagerie/fils/{thread.public_id}/lu", HTTP_IDEMPOTENCY_KEY=_key())
    assert read.status_code == 200 and read.json()["unread"] == 0
    assert client.get("/api/v1/messagerie/fils").json()["results"][0]["unread"] == 0
    web = Client()
    web.force_login(user)
    inbox = parse(web.get("/messagerie/").content.decode())
    [item] = inbox.all("li", "inbox__item")
    assert "inbox__item--unread" not in item.classes


def _ask(client, body):
    headers = {"HTTP_IDEMPOTENCY_KEY": _key()}
    return client.post("/api/v1/documents", body, content_type="application/json", **headers)


@pytest.fixture
def signed_in():
    """A person signed in (before the worker takes the jobs: the code is mailed in-process).
    The storage is the worker's too: the PDF it writes is the one downloaded."""
    user = UserFactory()
    return user, ApiClient(sign_in(user))


@pytest.mark.worker
def test_an_attestation_asked_is_prepared_by_the_worker_then_downloaded(signed_in, celery_worker):
    user, client = signed_in
    response = _ask(client, {"kind": "droits"})
    assert response.status_code == 201, response.content
    asked = response.json()
    assert asked["kind_label"] == "Attestation de droits" and asked["download_url"] is None
    url = f"/api/v1/documents/{asked['id']}"
    ready = wait_for(
        lambda: (d := client.get(url).json())["status"] == "ready" and d, message="attestation prête"
    )
    pdf = client.get(ready["download_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert Document.objects.filter(owner=user.insured).count() == 1


def test_a_document_the_page_refuses_is_a_french_422_and_none_is_made():
    user = UserFactory()
    client = ApiClient(sign_in(user))
    today = timezone.localdate()
    response = _ask(client, {"kind": "releve", "start": today.isoformat(), "end": "2000-01-01"})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["champ"] == "end" and error["message"].startswith("Vos paiements sont consultables sur")
    assert _ask(client, {"kind": "releve"}).json()["errors"] == [
        {"champ": "start", "message": "Indiquez la date de début."},
        {"champ": "end", "message": "Indiquez la date de fin."},
    ]
    unknown = _ask(client, {"kind": "loto"}).json()["errors"]
    assert unknown[0]["champ"] == "kind" and unknown[0]["message"].startswith("Valeur inconnue : choisissez")
    person = _ask(client, {"kind": "vaccination", "person": "quelqu-un"}).json()["errors"]
    assert person[0]["champ"] == "person" and "choix valide" in person[0]["message"]
    assert not Document.objects.filter(owner=user.insured).exists()


def test_invalid_input_is_told_in_french_naming_the_field_for_every_kind_of_error():
    client = ApiClient(sign_in(UserFactory()))
    post = "/api/v1/messagerie/fils"
    cases = [
        ({"topic": "remboursements", "body": "x"}, "subject", "Ce champ est obligatoire."),
        ({"topic": "remboursements", "subject": "x" * 500, "body": "x"}, "subject", "Au plus"),
        ({"topic": "remboursements", "subject": 12, "body": "x"}, "subject", "Une chaîne"),
    ]
    for body, field, message in cases:
        response = client.post(post, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=_key())
        assert response.status_code == 422, response.content
        problem = response.json()
        assert problem["title"] == "Données invalides"
        [error] = problem["errors"]
        assert error["champ"] == field and error["message"].startswith(message), error
        assert f"{field} : " in problem["detail"]
    broken = client.post(post, "{", content_type="application/json", HTTP_IDEMPOTENCY_KEY=_key())
    assert broken.status_code in (400, 422)
    assert "JSON" in broken.json()["detail"]
    page = client.get("/api/v1/paiements?page_size=beaucoup")
    assert page.status_code == 422
    assert page.json()["errors"] == [{"champ": "query.page_size", "message": "Un nombre entier est attendu."}]
    for response in (page, broken):
        assert not any(word in response.content.decode() for word in ENGLISH)


def test_the_schema_s_operations_answer_bad_input_in_french():
    """Walked from the document: every operation with a query or a JSON body, sent values of
    the wrong type, answers 422 with no English word of pydantic's."""
    from api.v1 import api

    user = UserFactory()
    client = ApiClient(sign_in(user))
    checked = 0
    for path, item in api.get_openapi_schema()["paths"].items():
        if "{" in path:
            continue
        for method, operation in item.items():
            query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
            json_body = "application/json" in operation.get("requestBody", {}).get("content", {})
            if not query and not json_body:
                continue
            url = path + "?" + "&".join(f"{p['name']}=%00%FF" for p in query) if query else path
            headers = {"HTTP_IDEMPOTENCY_KEY": _key()}
            if json_body:
                response = getattr(client, method)(url, [1, 2], content_type="application/json", **headers)
            else:
                response = getattr(client, method)(url, **headers)
            if response.status_code == 400:  # a cursor that is no cursor: its own French message
                assert not any(word in response.content.decode() for word in ENGLISH)
                continue
            assert response.status_code == 422, (method, path, response.content)
            assert not any(word in response.content.decode() for word in ENGLISH), response.content
            assert all(e["message"] for e in response.json()["errors"])
            checked += 1
    assert checked >= 5
