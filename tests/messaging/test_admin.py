"""The back office: the queue, reading (audited), answering, assigning, closing, notices."""

import html

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from ameli_portal.models import AuditEvent
from messaging.models import Thread
from messaging.services.threads import message_reply_by_staff, thread_start
from tests.factories import StaffFactory

from .conftest import grant_messaging

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:messaging_thread_changelist")


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def question(insured):
    return thread_start(
        insured=insured,
        user=insured.user,
        topic="carte_vitale",
        subject="Carte Vitale perdue",
        body="J'ai perdu ma carte hier.",
    )


def change_url(thread):
    return reverse("admin:messaging_thread_change", args=[thread.pk])


def test_the_queue_lists_threads_waiting_for_an_answer(agent_client, agent, question, insured):
    answered = thread_start(
        insured=insured, user=insured.user, topic="autre", subject="Déjà répondu", body="?"
    )
    message_reply_by_staff(thread=answered, staff_user=agent, body="Voilà")
    page = text(agent_client.get(CHANGELIST, {"awaiting_answer__exact": "1"}))
    assert "Carte Vitale perdue" in page and "Déjà répondu" not in page
    assert "en attente de réponse" in page
    mine = text(agent_client.get(CHANGELIST, {"conseiller": "moi"}))
    assert "Déjà répondu" in mine and "Carte Vitale perdue" not in mine


def test_reading_a_thread_is_audited_and_marks_the_insured_messages_read(agent_client, agent, question):
    page = text(agent_client.get(change_url(question)))
    assert "J'ai perdu ma carte hier." in page and "Envoyer la réponse" in page
    assert AuditEvent.objects.filter(actor=agent, action="view", object_id=str(question.pk)).exists()
    assert question.messages.get().read_at is not None


def test_answering_from_the_admin_goes_through_the_service(
    agent_client, agent, question, insured, django_capture_on_commit_callbacks
):
    url = reverse("admin:messaging_thread_reply", args=[question.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url, {"body": "Nous vous envoyons une nouvelle carte."})
    assert response.status_code == 302 and response["Location"] == change_url(question)
    question.refresh_from_db()
    assert not question.awaiting_answer and question.assigned_to == agent
    assert question.messages.last().body == "Nous vous envoyons une nouvelle carte."
    assert AuditEvent.objects.filter(action="message_reply", object_id=str(question.pk)).exists()
    [email] = mail.outbox
    assert "nouvelle carte" not in email.body


def test_an_empty_answer_is_refused(agent_client, question):
    url = reverse("admin:messaging_thread_reply", args=[question.pk])
    response = agent_client.post(url, {"body": "  "}, follow=True)
    assert "Réponse non envoyée" in text(response)
    assert question.messages.count() == 1


def test_answering_needs_the_permission_and_a_post(client, agent_client, question):
    url = reverse("admin:messaging_thread_reply", args=[question.pk])
    assert agent_client.get(url).status_code == 405
    viewer = grant_messaging(StaffFactory())
    viewer.user_permissions.remove(
        Permission.objects.get(codename="add_message", content_type__app_label="messaging")
    )
    client.force_login(viewer)
    assert client.post(url, {"body": "Non"}).status_code == 403
    assert "Envoyer la réponse" not in text(client.get(change_url(question)))
    assert question.messages.count() == 1


def test_assigning_a_conseiller_is_audited(agent_client, agent, question):
    colleague = StaffFactory()
    response = agent_client.post(change_url(question), {"assigned_to": colleague.pk})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.assigned_to == colleague
    assert AuditEvent.objects.filter(action="thread_assign", object_id=str(question.pk)).exists()


def test_closing_a_conversation(agent_client, question):
    response = agent_client.post(reverse("admin:messaging_thread_close", args=[question.pk]), follow=True)
    assert "Conversation clôturée" in text(response)
    question.refresh_from_db()
    assert question.status == Thread.Status.CLOSED and not question.awaiting_answer


def test_staff_send_a_notice_to_an_insured_person(
    agent_client, agent, insured, django_capture_on_commit_callbacks
):
    url = reverse("admin:messaging_thread_notice")
    form = text(agent_client.get(url, {"insured": insured.pk}))
    assert "Envoyer l'avis" in form
    assert "/back-office/autocomplete/" in form  # the insured is picked by name, never by NIR
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            url,
            {
                "insured": insured.pk,
                "topic": "compte",
                "subject": "Votre adresse a changé",
                "body": "Nous avons enregistré votre nouvelle adresse.",
            },
        )
    thread = Thread.objects.get(insured=insured)
    assert response.status_code == 302 and response["Location"] == change_url(thread)
    assert thread.kind == Thread.Kind.NOTICE
    assert AuditEvent.objects.filter(actor=agent, action="notice_post").exists()
    assert len(mail.outbox) == 1


def test_the_notice_form_explains_its_errors(agent_client):
    response = agent_client.post(reverse("admin:messaging_thread_notice"), {"topic": "compte"})
    page = text(response)
    assert "Choisissez l'assuré destinataire." in page and "Indiquez l'objet de votre message." in page
    assert not Thread.objects.exists()
