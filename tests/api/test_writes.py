"""The API's writes, walked from the OpenAPI document: every operation that changes something
for a signed-in person takes an ``Idempotency-Key``, and a retry is the same answer, never a
second effect. A write added tomorrow is checked by the same tests, or they fail until this
module knows how to call it (``WRITES``)."""

import uuid

import pytest

from api.v1 import api
from messaging.models import Message, Thread
from tests.api.conftest import ApiClient, sign_in
from tests.factories import ThreadFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WRITE_METHODS = {"post", "put", "patch", "delete"}


def _writes():
    """Every write of the document that needs sign-in; a public one (no ``security``, like the
    simulator: no effect) is left out by the document itself."""
    for path, item in api.get_openapi_schema()["paths"].items():
        for method, operation in item.items():
            if method in WRITE_METHODS and operation.get("security"):
                yield method, path, operation


def _start_thread(user):
    body = {"topic": "remboursements", "subject": "Ma feuille de soins", "body": "Bonjour, où en est-elle ?"}
    other = {**body, "body": "Bonjour, une autre question."}
    return "/api/v1/messagerie/fils", body, other, Thread.objects.filter(insured=user.insured).count


def _reply(user):
    thread = ThreadFactory(insured=user.insured)
    url = f"/api/v1/messagerie/fils/{thread.public_id}/messages"
    return url, {"body": "Merci, j'attends."}, {"body": "Autre chose."}, thread.messages.count


# (method, path) -> user -> (url, body, another body, count of what the write makes)
WRITES = {
    ("post", "/api/v1/messagerie/fils"): _start_thread,
    ("post", "/api/v1/messagerie/fils/{thread_id}/messages"): _reply,
}


def _setup(method, path, user):
    make = WRITES.get((method, path))
    assert make, f"{method} {path} : écriture inconnue des tests (ajoutez-la à WRITES)"
    return make(user)


def _send(client, method, url, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return getattr(client, method)(url, body, content_type="application/json", **headers)


writes = pytest.mark.parametrize(
    "method,path,operation", list(_writes()), ids=lambda v: v if isinstance(v, str) else ""
)


def test_the_document_has_writes_and_leaves_out_only_public_ones():
    found = {(method, path) for method, path, _ in _writes()}
    assert set(WRITES) <= found  # and any unknown one fails below
    public = [
        (method, path)
        for path, item in api.get_openapi_schema()["paths"].items()
        for method, operation in item.items()
        if method in WRITE_METHODS and not operation.get("security")
    ]
    assert public == [("post", "/api/v1/simulateur")]


@writes
def test_every_write_declares_the_idempotency_key_as_required(method, path, operation):
    [header] = [
        p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == "Idempotency-Key"
    ]
    assert header["required"] is True
    assert {"400", "409", "422"} <= set(operation["responses"])


@writes
def test_every_write_without_a_key_is_a_400_in_french_and_does_nothing(method, path, operation):
    user = UserFactory()
    url, body, _other, count = _setup(method, path, user)
    client = ApiClient(sign_in(user))
    before = count()
    for key in (None, "trop-courte"):
        response = _send(client, method, url, body, key)
        assert response.status_code == 400, response.content
        assert response["Content-Type"] == "application/problem+json"
        assert "Idempotency-Key" in response.json()["detail"]
        assert response.json()["title"] == "Requête invalide"
    assert count() == before


@writes
def test_every_write_sent_twice_with_its_key_is_one_effect_and_the_same_answer(method, path, operation):
    user = UserFactory()
    url, body, other, count = _setup(method, path, user)
    client = ApiClient(sign_in(user))
    before = count()
    key = str(uuid.uuid4())
    first = _send(client, method, url, body, key)
    assert 200 <= first.status_code < 300, first.content
    assert "Idempotent-Replayed" not in first
    again = _send(client, method, url, body, key)
    assert again.status_code == first.status_code and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert count() == before + 1
    reused = _send(client, method, url, other, key)
    assert reused.status_code == 422 and reused["Content-Type"] == "application/problem+json"
    assert "Idempotency-Key" in reused.json()["detail"]
    assert count() == before + 1
    # A new key is a new write.
    assert _send(client, method, url, body, str(uuid.uuid4())).status_code == first.status_code
    assert count() == before + 2


def test_a_new_thread_is_answered_with_the_thread_as_the_list_shows_it():
    user = UserFactory()
    client = ApiClient(sign_in(user))
    url, body, _other, _count = _start_thread(user)
    response = _send(client, "post", url, body, str(uuid.uuid4()))
    assert response.status_code == 201
    created = response.json()
    assert created["subject"] == "Ma feuille de soins" and created["topic_label"] == "Remboursements"
    assert client.get("/api/v1/messagerie/fils").json()["results"] == [created]
    thread = Thread.objects.get(public_id=created["id"])
    assert thread.messages.get().body == body["body"] and thread.awaiting_answer


def test_a_refused_write_is_a_french_422_and_its_key_stays_good():
    user = UserFactory()
    client = ApiClient(sign_in(user))
    key = str(uuid.uuid4())
    blank = {"topic": "remboursements", "subject": "   ", "body": "Bonjour"}
    response = _send(client, "post", "/api/v1/messagerie/fils", blank, key)
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "L'objet est vide."
    unknown = {**blank, "subject": "Objet", "topic": "loto"}
    assert _send(client, "post", "/api/v1/messagerie/fils", unknown, key).json()["detail"] == (
        "Thème inconnu : loto."
    )
    assert not Thread.objects.filter(insured=user.insured).exists()
    fixed = {**blank, "subject": "Objet"}
    assert _send(client, "post", "/api/v1/messagerie/fils", fixed, key).status_code == 201


def test_no_reply_in_a_closed_thread_nor_in_another_person_s():
    owner, other = UserFactory(), UserFactory()
    closed = ThreadFactory(insured=owner.insured, status="closed")
    client = ApiClient(sign_in(owner))
    response = _send(
        client,
        "post",
        f"/api/v1/messagerie/fils/{closed.public_id}/messages",
        {"body": "Et alors ?"},
        str(uuid.uuid4()),
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "Cette conversation n'accepte plus de réponse."
    theirs = ThreadFactory(insured=other.insured)
    stranger = _send(
        client,
        "post",
        f"/api/v1/messagerie/fils/{theirs.public_id}/messages",
        {"body": "Coucou"},
        str(uuid.uuid4()),
    )
    missing = _send(
        client,
        "post",
        f"/api/v1/messagerie/fils/{uuid.uuid4()}/messages",
        {"body": "Coucou"},
        str(uuid.uuid4()),
    )
    assert stranger.status_code == missing.status_code == 404
    assert stranger.json() == missing.json()
    assert not Message.objects.filter(thread__in=[closed, theirs]).exists()


def test_a_write_to_an_address_of_no_operation_is_a_404_problem_not_the_site_s_csrf_page():
    client = ApiClient(sign_in(UserFactory()))
    client.handler.enforce_csrf_checks = True  # as a WSGI server does; the test client does not
    response = _send(client, "post", "/api/v1/messagerie/fils/0/messages", {"body": "x"}, str(uuid.uuid4()))
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
