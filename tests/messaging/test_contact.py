"""The public contact form: what a visitor types, what they get back, and the staff's queue."""

import html
import logging

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from accounts.nir import generate_nir
from ameli_portal.models import AuditEvent
from messaging.models import ContactRequest
from tests.factories import InsuredFactory

pytestmark = pytest.mark.django_db

URL = reverse("public:contact")
CHANGELIST = reverse("admin:messaging_contactrequest_changelist")
MESSAGE = "Bonjour, je n'ai jamais reçu le courrier avec mon code provisoire. Merci."


def text(response) -> str:
    return html.unescape(response.content.decode())


def filled(**overrides) -> dict:
    data = {
        "last_name": "Durand",
        "first_names": "Alice",
        "birth_date": "12/03/1988",
        "postal_code": "75010",
        "nir": "",
        "subject": "code_absent",
        "body": MESSAGE,
        "reply_email": "alice.durand@exemple.test",
    }
    data.update(overrides)
    return data


@pytest.fixture
def contact_agent(agent):
    agent.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="messaging", codename__in=["view_contactrequest", "change_contactrequest"]
        )
    )
    return agent


def test_the_page_offers_the_form_to_a_visitor(client):
    page = text(client.get(URL))
    assert "Poser une question en ligne" in page
    for label in (
        "Je n'ai pas reçu mon code",
        "Mon compte est bloqué",
        "Autre",
        "Votre adresse électronique",
        "Numéro de sécurité sociale",
    ):
        assert label in page


def test_a_signed_in_insured_person_is_sent_to_the_messagerie(client, insured):
    client.force_login(insured.user)
    response = client.get(URL)
    page = text(response)
    assert "écrivez-nous depuis votre messagerie" in page
    assert reverse("messaging:new") in page and "<textarea" not in page
    client.post(URL, filled())
    assert not ContactRequest.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"body": ""}, "Écrivez votre message."),
        ({"subject": ""}, "Choisissez l'objet de votre demande."),
        ({"subject": "urgent"}, "Choisissez un objet dans la liste."),
        ({"reply_email": ""}, "Indiquez l'adresse électronique à laquelle vous répondre."),
        ({"reply_email": "alice@"}, "Saisissez une adresse électronique valide"),
        ({"birth_date": "31/02/1988"}, "Saisissez une date valide au format JJ/MM/AAAA"),
        ({"postal_code": "7501"}, "Le code postal comporte 5 chiffres."),
        ({"nir": "1 84 13 75 123 456"}, "Le mois de naissance"),
    ],
)
def test_bad_input_is_refused_in_french_and_what_was_typed_is_kept(client, overrides, message):
    response = client.post(URL, filled(**overrides))
    page = text(response)
    assert response.status_code == 400
    assert message in page and "Votre demande n'a pas été envoyée" in page
    assert 'value="Durand"' in page and 'value="Alice"' in page
    if overrides.get("body", None) != "":
        assert MESSAGE in page
    assert not ContactRequest.objects.exists()
    assert mail.outbox == []


def test_a_nir_typed_is_never_shown_back_and_never_logged(client, caplog):
    nir = generate_nir(sex=2, year=1988, month=3, department="75", commune="110", order=12).number
    caplog.set_level(logging.DEBUG)
    page = text(client.post(URL, filled(nir=nir, reply_email="pas-une-adresse")))
    assert nir not in page and nir[:7] not in page
    assert nir not in caplog.text


def test_the_page_does_not_say_whether_a_nir_has_an_account(
    client, insured, django_capture_on_commit_callbacks
):
    unknown = generate_nir(sex=1, year=1970, month=1, department="13", commune="055", order=9).number
    pages = []
    for nir in (insured.nir, unknown):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, filled(nir=nir), follow=True)
        pages.append(text(response).replace(nir, ""))
    assert pages[0] == pages[1]
    assert [m.body for m in mail.outbox][0].replace(
        ContactRequest.objects.order_by("pk")[0].reference, ""
    ) == mail.outbox[1].body.replace(ContactRequest.objects.order_by("pk")[1].reference, "")


def test_a_request_lands_in_the_queue_and_the_ack_has_no_message_content(
    client, django_capture_on_commit_callbacks
):
    nir = generate_nir(sex=2, year=1988, month=3, department="75", commune="110", order=12).number
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, filled(nir=nir))
    assert response.status_code == 302
    assert response["Location"] == reverse("public:contact_sent")
    assert nir not in response["Location"]
    request = ContactRequest.objects.get()
    assert request.status == ContactRequest.Status.NEW and request.nir == nir
    assert request.body == MESSAGE
    ack = mail.outbox[0]
    assert ack.to == ["alice.durand@exemple.test"]
    assert request.reference in ack.subject
    for part in (ack.body, ack.alternatives[0][0]):
        assert "jamais reçu le courrier" not in part and nir not in part and "Durand" not in part
        assert "ne reprend pas votre message" in html.unescape(part)
    assert "Votre demande est envoyée" in text(client.get(response["Location"]))


def test_sending_is_rate_limited_per_reply_address(client, settings, django_capture_on_commit_callbacks):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "contact_form": "10/h/ip,2/h/key"}
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert client.post(URL, filled()).status_code == 302
        response = client.post(URL, filled())
    assert response.status_code == 400
    assert "Vous avez envoyé plusieurs demandes en peu de temps" in text(response)
    assert MESSAGE in text(response)  # kept, to send later or copy
    assert ContactRequest.objects.count() == 2
    assert client.post(URL, filled(reply_email="autre@exemple.test")).status_code == 302


def test_staff_work_the_queue_and_answer_by_email(client, contact_agent, django_capture_on_commit_callbacks):
    insured = InsuredFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, filled(nir=insured.nir))
        client.post(URL, filled(subject="autre", body="Une autre question", reply_email="b@exemple.test"))
    first, second = ContactRequest.objects.order_by("pk")
    mail.outbox.clear()
    client.force_login(contact_agent)

    response = client.get(CHANGELIST)
    assert list(response.context["cl"].result_list) == [first, second]  # oldest first
    queue = text(response)
    assert "Alice Durand" in queue and "Une autre question" not in queue  # bodies are not listed
    assert insured.nir not in queue
    page = text(client.get(reverse("admin:messaging_contactrequest_change", args=[first.pk])))
    assert MESSAGE in page and insured.nir_masked in page and str(insured) in page
    assert insured.nir not in page
    assert AuditEvent.objects.filter(action="view", actor=contact_agent, object_id=str(first.pk)).exists()

    url = reverse("admin:messaging_contactrequest_change", args=[first.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"assigned_to": contact_agent.pk, "answer_text": "Un nouveau courrier vous a été envoyé."}
        )
    assert response.status_code == 302, text(response)[:3000]
    first.refresh_from_db()
    assert first.status == ContactRequest.Status.ANSWERED and first.answered_by == contact_agent
    answer = mail.outbox[-1]
    assert answer.to == ["alice.durand@exemple.test"]
    assert "Un nouveau courrier vous a été envoyé." in answer.body
    assert first.reference in answer.subject
    assert AuditEvent.objects.filter(
        action="contact_answer", actor=contact_agent, object_id=str(first.pk)
    ).exists()
    assert AuditEvent.objects.filter(action="contact_assign", object_id=str(first.pk)).exists()

    # The answered one left the queue « À traiter ».
    assert list(client.get(CHANGELIST).context["cl"].result_list) == [second]

    # A second answer to the same request is refused, not sent twice.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"assigned_to": contact_agent.pk, "answer_text": "Encore"})
    assert response.status_code == 200 and "déjà reçu une réponse" in text(response)
    assert len(mail.outbox) == 1

    response = client.post(CHANGELIST, {"action": "close", "_selected_action": [second.pk], "etat": "tout"})
    second.refresh_from_db()
    assert second.status == ContactRequest.Status.CLOSED
    assert AuditEvent.objects.filter(action="contact_close", object_id=str(second.pk)).exists()
