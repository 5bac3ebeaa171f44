"""The public contact form: questions from people who are not signed in, and their answers.

A request lands in the back office's queue « À traiter ». The person gets an acknowledgment
that never repeats what they wrote (an email can be read by others), and the caisse's
answer by email to the address they gave. Nothing here tells whether a NIR has an account.
"""

import logging
from datetime import date

from django.db import transaction
from django.utils import timezone

from ameli_portal.audit import audit
from ameli_portal.domain import DomainError
from ameli_portal.emails import enqueue_email

from ..models import BODY_MAX, ContactRequest

logger = logging.getLogger(__name__)


class ContactError(DomainError):
    """A write the request does not allow; the message is French, for staff."""


def contact_request_submit(
    *,
    subject: str,
    body: str,
    reply_email: str,
    last_name: str = "",
    first_names: str = "",
    birth_date: date | None = None,
    postal_code: str = "",
    nir: str = "",
) -> ContactRequest:
    with transaction.atomic():
        request = ContactRequest.objects.create(
            subject=subject,
            body=body.strip(),
            reply_email=reply_email,
            last_name=last_name.strip(),
            first_names=first_names.strip(),
            birth_date=birth_date,
            postal_code=postal_code.strip(),
            nir=nir,
        )
        enqueue_email(
            template="contact-ack",
            to=[reply_email],
            context={
                "subject": request.get_subject_display(),
                "reference": request.reference,
            },
        )
    logger.info("contact_request_received id=%s subject=%s", request.pk, subject)
    return request


def contact_request_assign(*, request: ContactRequest, assignee, actor) -> None:
    if assignee is not None and not assignee.is_staff:
        raise ContactError("Une demande ne peut être confiée qu'à un agent de la caisse.")
    with transaction.atomic():
        ContactRequest.objects.filter(pk=request.pk).update(assigned_to=assignee)
        audit(
            actor=actor,
            action="contact_assign",
            obj=request,
            summary=f"confiée à {assignee.get_username()}" if assignee else "plus confiée",
        )
    request.refresh_from_db()


def contact_request_answer(*, request: ContactRequest, staff_user, body: str) -> None:
    """Staff answer by email to the address the person gave; audited, once."""
    if not staff_user.is_staff:
        raise ContactError("Seul un agent de la caisse peut répondre.")
    body = (body or "").strip()
    if not body:
        raise ContactError("La réponse est vide.")
    if len(body) > BODY_MAX:
        raise ContactError(f"La réponse dépasse {BODY_MAX} caractères.")
    with transaction.atomic():
        locked = ContactRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != ContactRequest.Status.NEW:
            raise ContactError("Cette demande a déjà reçu une réponse ou est clôturée.")
        locked.answer, locked.answered_by, locked.answered_at = body, staff_user, timezone.now()
        locked.status = ContactRequest.Status.ANSWERED
        if locked.assigned_to_id is None:
            locked.assigned_to = staff_user
        locked.save(update_fields=["answer", "answered_by", "answered_at", "status", "assigned_to"])
        enqueue_email(
            template="contact-answer",
            to=[locked.reply_email],
            context={
                "subject": locked.get_subject_display(),
                "reference": locked.reference,
                "answer": body,
            },
        )
        audit(actor=staff_user, action="contact_answer", obj=locked, summary="réponse par courriel")
    request.refresh_from_db()


def contact_request_close(*, request: ContactRequest, actor) -> bool:
    with transaction.atomic():
        updated = (
            ContactRequest.objects.filter(pk=request.pk)
            .exclude(status=ContactRequest.Status.CLOSED)
            .update(status=ContactRequest.Status.CLOSED, closed_at=timezone.now())
        )
        if updated:
            audit(actor=actor, action="contact_close", obj=request)
    request.refresh_from_db()
    return bool(updated)
