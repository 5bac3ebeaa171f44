"""The only code that writes threads and messages.

Every message from the caisse (a staff answer or a notice) sends one email that
says only that a message is waiting: never its subject nor its body.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Insured
from ameli_portal.audit import audit
from ameli_portal.domain import DomainError
from ameli_portal.emails import enqueue_email
from ameli_portal.formats import first_name
from ameli_portal.idempotency import first_wins
from ameli_portal.site import site_url

from ..models import BODY_MAX, SUBJECT_MAX, Message, Thread


class MessagingError(DomainError):
    """A write the thread does not allow; the message is French, for the person who tried."""


def _clean(text: str, limit: int, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise MessagingError(f"{what} est vide.")
    if len(text) > limit:
        raise MessagingError(f"{what} dépasse {limit} caractères.")
    return text


def _notify(insured: Insured) -> None:
    """One email per message from the caisse, sent on commit; nothing if no address is known."""
    address = insured.contact_email
    if not address:
        return
    given_name = first_name(insured.first_names)
    enqueue_email(
        template="new-message",
        to=[address],
        context={
            "first_name": given_name,
            "inbox_url": f"{site_url()}{reverse('messaging:inbox')}",
        },
    )


def _locked(thread: Thread) -> Thread:
    return Thread.objects.select_for_update().get(pk=thread.pk)


def _touch(thread: Thread, message: Message) -> None:
    """A new thread's date is its first message's."""
    thread.last_message_at = message.created_at
    Thread.objects.filter(pk=thread.pk).update(last_message_at=message.created_at)


def notice_post(*, insured, subject: str, body: str, topic: str = "demarches", notify: bool = True) -> Thread:
    """An avis from the caisse in the insured person's box (no reply possible), emailed on commit.

    For other apps (a request's decision, a letter sent). Runs inside the caller's transaction
    if there is one. A subject longer than the limit is shortened with an ellipsis; an empty
    subject or body, a body over BODY_MAX characters or an unknown topic raise MessagingError.
    ``notify=False``: no "Vous avez un nouveau message" email, for a caller whose own email
    already points to the notice (one email per event, not two).
    """
    subject = (subject or "").strip()
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1].rstrip() + "…"
    return _notice(insured=insured, subject=subject, body=body, topic=topic, author=None, notify=notify)


def notice_post_by_staff(*, insured, staff_user, subject: str, body: str, topic: str = "demarches") -> Thread:
    """A notice written by a staff member in the back office: audited."""
    with transaction.atomic():
        thread = _notice(insured=insured, subject=subject, body=body, topic=topic, author=staff_user)
        audit(actor=staff_user, action="notice_post", obj=thread, summary=f"avis à {insured}")
    return thread


def _notice(*, insured, subject, body, topic, author, notify: bool = True) -> Thread:
    if topic not in Thread.Topic.values:
        raise MessagingError(f"Thème inconnu : {topic}.")
    subject = _clean(subject, SUBJECT_MAX, "L'objet")
    body = _clean(body, BODY_MAX, "Le message")
    with transaction.atomic():
        thread = Thread.objects.create(
            insured=insured,
            topic=topic,
            subject=subject,
            kind=Thread.Kind.NOTICE,
            last_message_at=timezone.now(),
        )
        message = Message.objects.create(
            thread=thread, author_kind=Message.AuthorKind.CAISSE, author=author, body=body
        )
        _touch(thread, message)
        if notify:
            _notify(insured)
    return thread


def thread_start(*, insured, user, topic: str, subject: str, body: str, idempotency_key: str = "") -> Thread:
    """The insured person writes to the caisse: a new conversation waiting for an answer.

    ``idempotency_key``: the form's token; the same form sent again is the thread it opened.
    """
    if user.insured_id != insured.pk:
        raise MessagingError("Seul l'assuré peut écrire en son nom.")
    if topic not in Thread.Topic.values:
        raise MessagingError(f"Thème inconnu : {topic}.")
    subject = _clean(subject, SUBJECT_MAX, "L'objet")
    body = _clean(body, BODY_MAX, "Le message")

    if (thread := _started_with(insured=insured, key=idempotency_key)) is not None:
        return thread
    with (
        first_wins(
            key=idempotency_key, find=lambda: _started_with(insured=insured, key=idempotency_key)
        ) as race,
        transaction.atomic(),
    ):
        thread = Thread.objects.create(
            insured=insured,
            topic=topic,
            subject=subject,
            awaiting_answer=True,
            last_message_at=timezone.now(),
            idempotency_key=idempotency_key,
        )
        message = Message.objects.create(
            thread=thread, author_kind=Message.AuthorKind.INSURED, author=user, body=body
        )
        _touch(thread, message)
    return race.found or thread


def _started_with(*, insured, key: str) -> Thread | None:
    return Thread.objects.filter(insured=insured, idempotency_key=key).first() if key else None


def message_reply_by_insured(*, thread: Thread, user, body: str, idempotency_key: str = "") -> Message:
    """``idempotency_key``: the reply form's token; the same reply sent again is one message."""
    if user.insured_id != thread.insured_id:
        raise MessagingError("Seul l'assuré peut répondre dans ce fil.")
    body = _clean(body, BODY_MAX, "Le message")
    with transaction.atomic():
        thread = _locked(thread)
        # Under the thread's lock: a second sending of the same form waits, then finds the first.
        sent = idempotency_key and thread.messages.filter(idempotency_key=idempotency_key).first()
        if sent:
            return sent
        if not thread.accepts_replies:
            raise MessagingError("Cette conversation n'accepte plus de réponse.")
        message = Message.objects.create(
            thread=thread,
            author_kind=Message.AuthorKind.INSURED,
            author=user,
            body=body,
            idempotency_key=idempotency_key,
        )
        Thread.objects.filter(pk=thread.pk).update(last_message_at=message.created_at, awaiting_answer=True)
    return message


def message_reply_by_staff(*, thread: Thread, staff_user, body: str) -> Message:
    """The caisse answers: the thread leaves the queue, the insured person gets an email."""
    if not staff_user.is_staff:
        raise MessagingError("Seul un agent de la caisse peut répondre au nom de la caisse.")
    body = _clean(body, BODY_MAX, "La réponse")
    with transaction.atomic():
        thread = _locked(thread)
        if not thread.accepts_replies:
            raise MessagingError(
                "Ce fil est un avis ou une conversation clôturée : il n'accepte pas de réponse."
            )
        message = Message.objects.create(
            thread=thread, author_kind=Message.AuthorKind.CAISSE, author=staff_user, body=body
        )
        changes = {"last_message_at": message.created_at, "awaiting_answer": False}
        if thread.assigned_to_id is None:
            changes["assigned_to"] = staff_user
        Thread.objects.filter(pk=thread.pk).update(**changes)
        audit(actor=staff_user, action="message_reply", obj=thread, summary="réponse de la caisse")
        _notify(thread.insured)
    return message


def thread_mark_read(*, thread: Thread, reader) -> int:
    """Mark as read what the other side wrote; return how many messages that was."""
    if reader.insured_id is not None:
        if reader.insured_id != thread.insured_id:
            return 0
        other = Message.AuthorKind.CAISSE
    elif reader.is_staff:
        other = Message.AuthorKind.INSURED
    else:
        return 0
    return Message.objects.filter(thread=thread, author_kind=other, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def thread_close(*, thread: Thread, actor) -> bool:
    """Close a conversation (no more replies); return whether it was open. Staff only, audited."""
    with transaction.atomic():
        updated = Thread.objects.filter(pk=thread.pk, status=Thread.Status.OPEN).update(
            status=Thread.Status.CLOSED, awaiting_answer=False
        )
        if updated:
            audit(actor=actor, action="thread_close", obj=thread)
    thread.refresh_from_db()
    return bool(updated)


def thread_assign(*, thread: Thread, assignee, actor) -> None:
    """Give a thread to a conseiller (or to nobody with ``assignee=None``); audited."""
    if assignee is not None and not assignee.is_staff:
        raise MessagingError("Un fil ne peut être confié qu'à un agent de la caisse.")
    with transaction.atomic():
        Thread.objects.filter(pk=thread.pk).update(assigned_to=assignee)
        audit(
            actor=actor,
            action="thread_assign",
            obj=thread,
            summary=f"confié à {assignee.get_username()}" if assignee else "plus confié",
        )
    thread.refresh_from_db()
