"""The only code that issues, renders and revokes documents."""

import hashlib
import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Insured
from accounts.services.codes import provisional_code_withdraw
from ameli_portal.audit import audit
from ameli_portal.emails import enqueue_email
from ameli_portal.formats import first_name
from ameli_portal.models import OutboxJob
from ameli_portal.outbox import enqueue
from ameli_portal.site import site_url
from reimbursements.queries import MONTHS_FR

from .content import (
    content_key,
    document_pdf,
    document_period,
    qr_image,
    verification_url,
)
from .models import Document, MonthlyStatement
from .selectors import month_bounds, monthly_statement_owners

logger = logging.getLogger(__name__)


def code_letter_issue(*, letter) -> dict:
    """The verification of a provisional-code letter, for the letter job to print.

    accounts.services.letters calls this (registered in AttestationsConfig.ready) inside the
    transaction that draws the code and files the PDF: if the rendering fails, the row goes
    with it. The document keeps no file and no code, only what the public page shows.
    """
    document, _ = Document.objects.get_or_create(
        letter=letter,
        defaults={
            "owner_id": letter.insured_id,
            "kind": Document.Kind.CODE_LETTER,
            "status": Document.Status.READY,
            "issued_at": timezone.now(),
            "content_key": hashlib.sha256(f"code_letter:{letter.public_id}".encode()).hexdigest(),
        },
    )
    return {
        "verification_code": document.code_display,
        "verify_page": f"{site_url()}{reverse('attestations:verify')}",
        "qr": qr_image(verification_url(document.verification_code)),
    }


def document_request(
    *,
    insured: Insured,
    kind: str,
    period: tuple[date, date] | None = None,
    person: str = "",
    idempotency_key: str = "",
) -> Document:
    """The document for today's data: an existing one if ready or on its way, else a new job.

    ``period`` (first and last payment dates) is for the kinds in Document.PERIOD_KINDS;
    ``person`` narrows an attestation de vaccination (see Document.person).
    ``idempotency_key``: the form's token; the same form sent again is the document it
    asked, even one that failed since or whose data changed in between.
    """
    start, end = period or (None, None)
    with transaction.atomic():
        # Lock the insured so that two clicks at once make one document.
        Insured.objects.select_for_update().filter(pk=insured.pk).first()
        asked = (
            idempotency_key
            and Document.objects.filter(owner=insured, idempotency_key=idempotency_key).first()
        )
        if asked:
            return asked
        key = content_key(insured, kind, timezone.localdate(), period, person)
        existing = (
            Document.objects.filter(
                owner=insured,
                kind=kind,
                content_key=key,
                revoked_at__isnull=True,
                person=person,
                status__in=[Document.Status.READY, Document.Status.PENDING],
            )
            .order_by("-created_at")
            .first()
        )
        if existing is not None:
            if existing.is_stuck:
                _resume_stuck(existing)
            return existing
        document = Document.objects.create(
            owner=insured,
            kind=kind,
            content_key=key,
            period_start=start,
            period_end=end,
            person=person,
            idempotency_key=idempotency_key,
        )
        _enqueue_render(document)
    return document


# The jobs of attestations/tasks.py, enqueued by name: tasks import the services, never
# the other way round.
RENDER_TASK = "attestations.render_document"
MONTHLY_BATCH_TASK = "attestations.monthly_statements_batch"


def _enqueue_render(document: Document) -> None:
    enqueue(RENDER_TASK, document_id=document.pk)


def document_render(*, document_id: int) -> None:
    """Render a pending document and file it; a retry or a redelivery of a done one does nothing."""
    with transaction.atomic():
        document = (
            Document.objects.select_for_update(of=("self",))
            .select_related("owner__caisse")
            .filter(pk=document_id)
            .first()
        )
        if document is None or document.status != Document.Status.PENDING:
            return
        now = timezone.now()
        pdf = document_pdf(document, timezone.localdate(now))
        field = document.file.field
        stale = field.generate_filename(document, "")
        # A file left by an attempt whose transaction rolled back is stale: replace it.
        if field.storage.exists(stale):
            field.storage.delete(stale)
        document.file.save("", ContentFile(pdf), save=False)
        document.status = Document.Status.READY
        document.issued_at = now
        document.failure = ""
        document.save(update_fields=["file", "status", "issued_at", "failure"])
        _notify_monthly(document)


def document_mark_failed(*, document_id: int, error: str = "") -> None:
    updated = Document.objects.filter(pk=document_id, status=Document.Status.PENDING).update(
        status=Document.Status.FAILED, failure=error[:200]
    )
    if updated:
        logger.error("document %s: rendering failed for good (%s)", document_id, error)


def document_retry(*, document: Document) -> Document:
    """Send a failed document, or one stuck in preparation, back to the job; anything else
    is left as it is."""
    with transaction.atomic():
        updated = Document.objects.filter(pk=document.pk, status=Document.Status.FAILED).update(
            status=Document.Status.PENDING, failure=""
        )
        if updated:
            _enqueue_render(document)
        elif document.is_stuck:
            _resume_stuck(document)
    document.refresh_from_db()
    return document


def document_reopen(*, document_id: int) -> None:
    """A failed document's job is relaunched by staff: the owner sees it in preparation again."""
    Document.objects.filter(pk=document_id, status=Document.Status.FAILED).update(
        status=Document.Status.PENDING, failure=""
    )


def _resume_stuck(document: Document) -> None:
    """A new render job for a document pending longer than a job's lease (its job was lost,
    or failed before it could say so), unless one was sent within the lease: clicking
    « Réessayer » ten times sends one job. A render that comes late does nothing twice:
    document_render locks the document and renders only a pending one."""
    recent = timezone.now() - timedelta(seconds=settings.JOB_LEASE_SECONDS)
    if not OutboxJob.objects.filter(
        task_name=RENDER_TASK, kwargs__document_id=document.pk, created_at__gt=recent
    ).exists():
        logger.warning("document %s: pending for too long, its rendering is sent again", document.pk)
        _enqueue_render(document)


def document_regenerate(*, document: Document, actor) -> Document | None:
    """Staff: a fresh document from today's data (the old one stays valid until revoked).

    A letter is not regenerated here (None): the mailroom issues a new code and letter.
    """
    if document.is_letter:
        return None
    with transaction.atomic():
        period = document_period(document) if document.has_period else None
        new = Document.objects.create(
            owner=document.owner,
            kind=document.kind,
            period_start=document.period_start,
            period_end=document.period_end,
            person=document.person,
            content_key=content_key(
                document.owner, document.kind, timezone.localdate(), period, document.person
            ),
        )
        audit(
            actor=actor,
            action="document_regenerate",
            obj=new,
            summary=f"à partir du document {document.public_id}",
        )
        _enqueue_render(new)
    return new


def document_revoke(*, document: Document, actor, reason: str) -> bool:
    """Make a document fail verification from now on; return whether it was live.

    Revoking a provisional-code letter also cancels the code it carries: a letter staff no
    longer vouch for must not open an account either.
    """
    with transaction.atomic():
        updated = Document.objects.filter(pk=document.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(),
            revoked_by=actor if actor and actor.pk else None,
            revoke_reason=reason[:200],
        )
        if updated:
            audit(actor=actor, action="document_revoke", obj=document, summary=reason)
            if document.letter is not None:
                provisional_code_withdraw(letter=document.letter, actor=actor, reason=reason)
    document.refresh_from_db()
    return bool(updated)


# Monthly statements ------------------------------------------------------------------------

MONTHLY_BATCH_SIZE = 200


def monthly_statements_plan(*, month: date, batch_size: int = MONTHLY_BATCH_SIZE) -> int:
    """Split the month's insured people into batch jobs; return how many batches."""
    owners = monthly_statement_owners(month)
    # Those already done for this month are left out: a second run plans nothing for them.
    done = set(MonthlyStatement.objects.filter(month=month.replace(day=1)).values_list("owner_id", flat=True))
    todo = [pk for pk in owners if pk not in done]
    with transaction.atomic():
        for i in range(0, len(todo), batch_size):
            enqueue(
                MONTHLY_BATCH_TASK,
                month=month.replace(day=1).isoformat(),
                insured_ids=todo[i : i + batch_size],
            )
    return (len(todo) + batch_size - 1) // batch_size


def monthly_statement_prepare(*, insured: Insured, month: date) -> MonthlyStatement | None:
    """The relevé of ``month`` for one insured, once: None if it was already prepared."""
    month = month.replace(day=1)
    with transaction.atomic():
        Insured.objects.select_for_update().filter(pk=insured.pk).first()
        if MonthlyStatement.objects.filter(owner=insured, month=month).exists():
            return None
        document = document_request(insured=insured, kind=Document.Kind.STATEMENT, period=month_bounds(month))
        statement = MonthlyStatement.objects.create(owner=insured, month=month, document=document)
        if document.status == Document.Status.READY:  # reused: already rendered
            _notify_monthly(document)
    return statement


def _notify_monthly(document: Document) -> None:
    """Tell the owner their monthly relevé is ready: once, and with no amount nor care."""
    statements = MonthlyStatement.objects.filter(document=document, notified_at__isnull=True)
    for statement in statements.select_related("owner"):
        MonthlyStatement.objects.filter(pk=statement.pk).update(notified_at=timezone.now())
        owner = statement.owner
        if owner.contact_email:
            enqueue_email(
                template="statement-ready",
                to=[owner.contact_email],
                context={
                    "first_name": first_name(owner.first_names),
                    "month": f"{MONTHS_FR[statement.month.month - 1]} {statement.month.year}",
                },
            )
