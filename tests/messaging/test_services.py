"""The services: who may write what, the queue flag, read marks, audit rows, and the one email."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from ameli_portal.models import AuditEvent
from messaging.models import Message, Thread
from messaging.queries import unread_count
from messaging.services.threads import (
    MessagingError,
    message_reply_by_insured,
    message_reply_by_staff,
    notice_post,
    notice_post_by_staff,
    thread_assign,
    thread_close,
    thread_mark_read,
    thread_start,
)
from tests.factories import MessageFactory, ThreadFactory

pytestmark = pytest.mark.django_db(transaction=False)


def start(insured, **kwargs):
    data = {"topic": "remboursements", "subject": "Ma consultation", "body": "Où en est mon remboursement ?"}
    return thread_start(insured=insured, user=insured.user, **{**data, **kwargs})


def test_an_insured_person_starts_a_conversation_waiting_for_the_caisse(insured):
    thread = start(insured, subject="  Ma consultation  ")
    assert thread.kind == Thread.Kind.CONVERSATION
    assert thread.subject == "Ma consultation"
    assert thread.awaiting_answer is True
    [message] = thread.messages.all()
    assert message.author_kind == Message.AuthorKind.INSURED
    assert message.author == insured.user
    assert thread.last_message_at == message.created_at


def test_nobody_writes_in_another_insured_persons_name(insured, other_insured):
    with pytest.raises(MessagingError):
        thread_start(insured=insured, user=other_insured.user, topic="autre", subject="x", body="y")
    assert not Thread.objects.exists()


@pytest.mark.parametrize(
    "field,value",
    [("subject", "   "), ("body", ""), ("topic", "inconnu"), ("subject", "x" * 121), ("body", "x" * 5001)],
)
def test_empty_or_oversized_text_and_unknown_topics_are_refused(insured, field, value):
    with pytest.raises(MessagingError):
        start(insured, **{field: value})


def test_a_staff_answer_leaves_the_queue_assigns_audits_and_emails_without_the_content(
    insured, agent, django_capture_on_commit_callbacks
):
    thread = start(insured, subject="Mon traitement pour le diabète", body="Ma dose d'insuline change")
    with django_capture_on_commit_callbacks(execute=True):
        message_reply_by_staff(
            thread=thread, staff_user=agent, body="Votre traitement est pris en charge à 100 %."
        )
    thread.refresh_from_db()
    assert thread.awaiting_answer is False
    assert thread.assigned_to == agent
    assert AuditEvent.objects.filter(actor=agent, action="message_reply", object_id=str(thread.pk)).exists()
    [email] = mail.outbox
    assert email.to == [insured.contact_email]
    assert email.subject == "Vous avez un nouveau message"
    html = email.alternatives[0][0]
    for text in (email.body, html, email.subject):
        assert "diabète" not in text and "insuline" not in text and "100 %" not in text
        assert "traitement" not in text
    assert "/messagerie/" in email.body and "/messagerie/" in html


def test_the_insured_persons_reply_puts_the_thread_back_in_the_queue(insured, agent):
    thread = start(insured)
    message_reply_by_staff(thread=thread, staff_user=agent, body="Réponse")
    message_reply_by_insured(thread=thread, user=insured.user, body="Merci, autre question")
    thread.refresh_from_db()
    assert thread.awaiting_answer is True
    assert thread.messages.count() == 3


def test_an_insured_message_sends_no_email(insured, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        thread = start(insured)
        message_reply_by_insured(thread=thread, user=insured.user, body="Encore moi")
    assert mail.outbox == []


def test_a_notice_lands_in_the_box_takes_no_reply_and_sends_one_email(
    insured, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        thread = notice_post(
            insured=insured,
            subject="Décision sur votre demande",
            body="Votre demande d'aide financière est acceptée.",
        )
    assert thread.kind == Thread.Kind.NOTICE and thread.topic == "demarches"
    assert thread.awaiting_answer is False
    assert unread_count(insured.pk) == 1
    [email] = mail.outbox
    assert "aide financière" not in email.body and "Décision" not in email.subject
    with pytest.raises(MessagingError):
        message_reply_by_insured(thread=thread, user=insured.user, body="Merci")
    with pytest.raises(MessagingError):
        message_reply_by_staff(thread=thread, staff_user=agent, body="Précision")


def test_a_long_notice_subject_is_shortened_not_refused(insured):
    thread = notice_post(insured=insured, subject="Votre demande " + "très " * 40, body="Texte")
    assert len(thread.subject) <= 120 and thread.subject.endswith("très…")


def test_a_notice_for_someone_without_any_email_address_is_still_posted(
    insured_without_account, django_capture_on_commit_callbacks
):
    insured_without_account.email = ""
    insured_without_account.save()
    with django_capture_on_commit_callbacks(execute=True):
        notice_post(insured=insured_without_account, subject="Avis", body="Texte")
    assert insured_without_account.threads.count() == 1
    assert mail.outbox == []


def test_a_staff_notice_is_audited(insured, agent):
    thread = notice_post_by_staff(
        insured=insured,
        staff_user=agent,
        subject="Courrier envoyé",
        body="Nous vous avons écrit.",
        topic="compte",
    )
    assert thread.messages.get().author == agent
    assert AuditEvent.objects.filter(actor=agent, action="notice_post", object_id=str(thread.pk)).exists()


def test_marking_read_touches_only_the_other_sides_messages(insured, other_insured, agent):
    thread = start(insured)
    message_reply_by_staff(thread=thread, staff_user=agent, body="Réponse")
    assert unread_count(insured.pk) == 1
    assert thread_mark_read(thread=thread, reader=other_insured.user) == 0
    assert thread_mark_read(thread=thread, reader=insured.user) == 1
    assert unread_count(insured.pk) == 0
    insured_message = thread.messages.get(author_kind="insured")
    assert insured_message.read_at is None
    assert thread_mark_read(thread=thread, reader=agent) == 1
    insured_message.refresh_from_db()
    assert insured_message.read_at is not None


def test_closing_ends_replies_and_the_queue_once(insured, agent):
    thread = start(insured)
    assert thread_close(thread=thread, actor=agent) is True
    assert thread_close(thread=thread, actor=agent) is False
    assert thread.status == Thread.Status.CLOSED and thread.awaiting_answer is False
    assert AuditEvent.objects.filter(action="thread_close").count() == 1
    with pytest.raises(MessagingError):
        message_reply_by_insured(thread=thread, user=insured.user, body="Encore")


def test_threads_are_assigned_to_staff_only(insured, agent):
    thread = start(insured)
    thread_assign(thread=thread, assignee=agent, actor=agent)
    assert thread.assigned_to == agent
    with pytest.raises(MessagingError):
        thread_assign(thread=thread, assignee=insured.user, actor=agent)


def test_only_staff_answer_for_the_caisse(insured):
    thread = start(insured)
    with pytest.raises(MessagingError):
        message_reply_by_staff(thread=thread, staff_user=insured.user, body="Je me réponds")


@pytest.mark.parametrize(
    "make",
    [
        lambda: ThreadFactory(kind="avis", awaiting_answer=True),
        lambda: ThreadFactory(status="closed", awaiting_answer=True),
        lambda: ThreadFactory(topic="astrologie"),
        lambda: ThreadFactory(subject=""),
        lambda: MessageFactory(body=""),
        lambda: MessageFactory(author_kind="robot"),
    ],
)
def test_the_database_refuses_inconsistent_rows(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()
