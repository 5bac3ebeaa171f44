"""The API's writes, walked from the OpenAPI document: every operation that changes something
for a signed-in person takes an ``Idempotency-Key``, and a retry is the same answer, never a
second effect. A write added tomorrow is checked by the same tests, or they fail until this
module knows how to call it (``WRITES``)."""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import DataExport, TermsAcceptance
from api.v1 import api
from attestations.models import Document
from messaging.models import Message, Thread
from requests_app import services as requests
from requests_app.models import Request
from tests.api.conftest import ApiClient, sign_in
from tests.factories import MessageFactory, StaffFactory, ThreadFactory, UserFactory
from tests.requests_app.helpers import pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)

WRITE_METHODS = {"post", "put", "patch", "delete"}


def _writes():
    """Every write of the document that needs sign-in; a public one (no ``security``, like the
    simulator: no effect) is left out by the document itself."""
    for path, item in api.get_openapi_schema()["paths"].items():
        for method, operation in item.items():
            if method in WRITE_METHODS and operation.get("security"):
                yield method, path, operation


@dataclass
class File:
    """A file of a multipart write, made anew for each sending."""

    name: str
    data: bytes


@dataclass
class Write:
    """How the tests call one write of the document, and how they read its effect.

    ``effect`` reads what the write changes (a count of what it makes, or the values it
    sets); ``repeats``: whether the same body under a new key is a second effect (a POST that
    makes something: a new démarche, a new message) or not (a PATCH that sets values already
    set, a document of the day already asked, a thread already read); ``again``: the status
    the same body under a new key gets, when it is not the first one's (a complement already
    answered: none is asked any more). ``other``: another request (another body, or another
    address) to send with the same key.
    """

    url: str
    body: dict
    other: tuple[str, dict]
    effect: Callable[[], object]
    repeats: bool = True
    multipart: bool = False
    again: int | None = None


def _start_thread(user):
    body = {"topic": "remboursements", "subject": "Ma feuille de soins", "body": "Bonjour, où en est-elle ?"}
    other = {**body, "body": "Bonjour, une autre question."}
    url = "/api/v1/messagerie/fils"
    return Write(url, body, (url, other), Thread.objects.filter(insured=user.insured).count)


def _reply(user):
    thread = ThreadFactory(insured=user.insured)
    url = f"/api/v1/messagerie/fils/{thread.public_id}/messages"
    return Write(url, {"body": "Merci, j'attends."}, (url, {"body": "Autre chose."}), thread.messages.count)


def _mark_read(user):
    thread, another = ThreadFactory(insured=user.insured), ThreadFactory(insured=user.insured)
    for t in (thread, another):
        MessageFactory.create_batch(2, thread=t, author_kind="caisse")

    def unread():
        return thread.messages.filter(author_kind="caisse", read_at__isnull=True).count()

    url = "/api/v1/messagerie/fils/{}/lu"
    return Write(url.format(thread.public_id), {}, (url.format(another.public_id), {}), unread, repeats=False)


def _contact(user):
    insured = user.insured

    def effect():
        insured.refresh_from_db()
        told = [m for m in mail.outbox if user.email in m.to and "coordonnées" in m.subject.lower()]
        return insured.postal_address, insured.phone, len(told)

    body = {"address_line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon"}
    other = {**body, "phone": "06 12 34 56 78"}
    url = "/api/v1/moi/coordonnees"
    return Write(url, body, (url, other), effect, repeats=False)


def _ask_document(user):
    url = "/api/v1/documents"
    count = Document.objects.filter(owner=user.insured).count
    return Write(url, {"kind": "droits"}, (url, {"kind": "vaccination"}), count, repeats=False)


def _retry_document(user):
    failed, another = (
        Document.objects.create(
            owner=user.insured, kind="droits", content_key=str(n), status="failed", failure="Incident"
        )
        for n in range(2)
    )

    def status():
        failed.refresh_from_db()
        return failed.status

    url = "/api/v1/documents/{}/reessayer"
    return Write(url.format(failed.public_id), {}, (url.format(another.public_id), {}), status, repeats=False)


def _file_demarche(user):
    body = {
        "kind": "prestation",
        "equipment": "Fauteuil roulant",
        "amount": "1 250,00",
        "quote": File("devis.pdf", pdf_bytes()),
    }
    url = "/api/v1/demarches"
    other = {**body, "equipment": "Prothèse auditive"}
    return Write(url, body, (url, other), Request.objects.filter(insured=user.insured).count, multipart=True)


def _complement(user):
    filed = _asked_for_a_complement(user)
    url = f"/api/v1/demarches/{filed.public_id}/complement"
    body = {"documents": [File("devis-signe.pdf", pdf_bytes())], "message": "Le voici."}
    other = {**body, "message": "Le voilà."}
    return Write(url, body, (url, other), filed.attachments.count, repeats=False, multipart=True, again=422)


def _asked_for_a_complement(user):
    filed = requests.request_file(
        insured=user.insured,
        kind="prestation",
        data={"equipment": "Fauteuil", "amount": "10.00", "comment": ""},
    )
    staff = StaffFactory()
    requests.request_transition(request=filed, to_status="instruction", actor=staff)
    requests.request_transition(request=filed, to_status="complement", actor=staff, reason="Le devis signé.")
    return filed


def _accept_terms(user):
    user.terms_version = "2020-01"  # accepted before the version in force
    user.save(update_fields=["terms_version"])

    def effect():
        user.refresh_from_db()
        return user.terms_version, TermsAcceptance.objects.filter(user=user).count()

    url = "/api/v1/moi/conditions"
    body = {"accept_terms": True, "accept_privacy": True}
    return Write(url, body, (url, {**body, "accept_privacy": False}), effect, repeats=False)


def _ask_data_export(user):
    # The tests' jobs run in-process: each archive is ready at once, so a new ask is a new
    # archive (one still in preparation is given back instead: tests/api/test_account_space.py).
    url = "/api/v1/moi/donnees"
    return Write(url, {}, ("/api/v1/moi/donnees?x=1", {}), DataExport.objects.filter(user=user).count)


# (method, path) -> user -> how to call it (Write)
WRITES = {
    ("post", "/api/v1/messagerie/fils"): _start_thread,
    ("post", "/api/v1/messagerie/fils/{thread_id}/messages"): _reply,
    ("post", "/api/v1/messagerie/fils/{thread_id}/lu"): _mark_read,
    ("patch", "/api/v1/moi/coordonnees"): _contact,
    ("post", "/api/v1/documents"): _ask_document,
    ("post", "/api/v1/documents/{document_id}/reessayer"): _retry_document,
    ("post", "/api/v1/demarches"): _file_demarche,
    ("post", "/api/v1/demarches/{demarche_id}/complement"): _complement,
    ("post", "/api/v1/moi/conditions"): _accept_terms,
    ("post", "/api/v1/moi/donnees"): _ask_data_export,
}


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }


def _setup(method, path, user) -> Write:
    make = WRITES.get((method, path))
    assert make, f"{method} {path} : écriture inconnue des tests (ajoutez-la à WRITES)"
    return make(user)


def _files(value):
    if isinstance(value, File):
        return SimpleUploadedFile(value.name, value.data)
    if isinstance(value, list):
        return [_files(v) for v in value]
    return value


def _send(client, method, url, body, key=None, *, multipart=False):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    if multipart:
        data = {name: _files(value) for name, value in body.items()}
        return getattr(client, method)(url, data, **headers)
    return getattr(client, method)(url, body, content_type="application/json", **headers)


def _write(client, method, write: Write, key=None, *, other=False):
    url, body = write.other if other else (write.url, write.body)
    return _send(client, method, url, body, key, multipart=write.multipart)


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
    write = _setup(method, path, user)
    client = ApiClient(sign_in(user))
    before = write.effect()
    for key in (None, "trop-courte"):
        response = _write(client, method, write, key)
        assert response.status_code == 400, response.content
        assert response["Content-Type"] == "application/problem+json"
        assert "Idempotency-Key" in response.json()["detail"]
        assert response.json()["title"] == "Requête invalide"
    assert write.effect() == before


@writes
def test_every_write_sent_twice_with_its_key_is_one_effect_and_the_same_answer(method, path, operation):
    user = UserFactory()
    write = _setup(method, path, user)
    client = ApiClient(sign_in(user))
    before = write.effect()
    key = str(uuid.uuid4())
    first = _write(client, method, write, key)
    assert 200 <= first.status_code < 300, first.content
    assert "Idempotent-Replayed" not in first
    after = write.effect()
    assert after != before
    if write.repeats:
        assert after == before + 1
    again = _write(client, method, write, key)
    assert again.status_code == first.status_code and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert write.effect() == after
    reused = _write(client, method, write, key, other=True)
    assert reused.status_code == 422 and reused["Content-Type"] == "application/problem+json"
    assert "Idempotency-Key" in reused.json()["detail"]
    assert write.effect() == after
    # A new key is a new write: a second effect for a write that makes something, none for
    # one that sets what is already set.
    assert _write(client, method, write, str(uuid.uuid4())).status_code == (write.again or first.status_code)
    if write.repeats:
        assert write.effect() == before + 2
    else:
        assert write.effect() == after


@pytest.mark.parametrize(
    "method,path,operation",
    [(m, p, o) for m, p, o in _writes() if re.search(r"\{[^}]+\}", p)],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_every_write_to_another_person_s_object_is_a_404_like_a_missing_one(method, path, operation):
    """The object-access matrix of the writes: the object of the path, another person's."""
    owner, other = UserFactory(), UserFactory()
    write = _setup(method, path, owner)
    before = write.effect()
    stranger = ApiClient(sign_in(other))
    theirs = _write(stranger, method, write, str(uuid.uuid4()))
    assert theirs.status_code == 404 and theirs["Content-Type"] == "application/problem+json"
    missing_url = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", str(uuid.uuid4()), write.url)
    missing = _send(stranger, method, missing_url, write.body, str(uuid.uuid4()), multipart=write.multipart)
    assert missing.json() == theirs.json()
    assert write.effect() == before


def test_a_new_thread_is_answered_with_the_thread_as_the_list_shows_it():
    user = UserFactory()
    client = ApiClient(sign_in(user))
    write = _start_thread(user)
    body = write.body
    response = _send(client, "post", write.url, body, str(uuid.uuid4()))
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
