"""The only code that issues, renders and revokes documents."""

import base64
import hashlib
import io
import json
import logging
from datetime import date, timedelta
from decimal import Decimal

import segno
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.codes import provisional_code_withdraw
from accounts.models import Insured
from accounts.nir import Nir
from ameli_portal.audit import audit
from ameli_portal.emails import enqueue_email
from ameli_portal.formats import euros, first_name, french_date
from ameli_portal.models import OutboxJob
from ameli_portal.outbox import enqueue
from ameli_portal.pdf import render_pdf
from ameli_portal.site import site_url
from reimbursements import deductions
from reimbursements.models import Settlement
from reimbursements.queries import MONTHS_FR, Filters, export_lines, taken_back

from . import health
from .models import Document, MonthlyStatement

logger = logging.getLogger(__name__)

TEMPLATES = {
    Document.Kind.RIGHTS: "attestations/pdf/rights.html",
    Document.Kind.STATEMENT: "attestations/pdf/statement.html",
    Document.Kind.DAILY_ALLOWANCES: "attestations/pdf/allowances.html",
    Document.Kind.TAX: "attestations/pdf/tax.html",
    Document.Kind.VACCINATION: "attestations/pdf/vaccination.html",
}

# Parsed once per process (ameli_portal.pdf.render_pdf) instead of a <style> in the template.
STYLESHEETS = {
    Document.Kind.RIGHTS: ("css/pdf/rights.css",),
}


def document_pdf(document: Document, day: date) -> bytes:
    """The PDF of ``document`` with the data of ``day``."""
    kind = Document.Kind(document.kind)
    context = CONTEXTS[kind](document, day)
    return render_pdf(TEMPLATES[kind], context, stylesheets=STYLESHEETS.get(kind, ()))


def _active(queryset, day: date):
    return queryset.filter(Q(end__isnull=True) | Q(end__gte=day), start__lte=day)


def rights_data(insured: Insured, day: date) -> dict:
    """What an attestation de droits says on ``day``: the content key is a hash of it."""
    exemptions = _active(insured.exemptions.select_related("beneficiary"), day).order_by("kind", "pk")
    return {
        "day": day.isoformat(),
        "names": [insured.last_name, insured.birth_name, insured.first_names],
        "birth_date": insured.birth_date.isoformat(),
        "coverage": [
            [p.regime, p.start.isoformat(), p.end.isoformat() if p.end else None]
            for p in insured.coverage_periods.order_by("start", "pk")
        ],
        "exemptions": [
            [e.kind, e.beneficiary.public_id.hex if e.beneficiary else None, e.start.isoformat(),
             e.end.isoformat() if e.end else None]
            for e in exemptions
        ],
        "beneficiaries": [
            [b.public_id.hex, b.relationship, b.last_name, b.first_names, b.birth_date.isoformat(),
             b.medecin_traitant]
            for b in insured.beneficiaries.order_by("birth_date", "pk")
        ],
        "medecin_traitant": insured.medecin_traitant,
    }


def statement_lines(insured: Insured, start: date, end: date) -> list[Settlement]:
    """The person's acts paid from ``start`` to ``end``, as "Mes paiements" describes them.

    export_lines() also returns the acts not paid yet, which a relevé leaves out.
    """
    lines = [line for line in export_lines(insured, Filters(start=start, end=end)) if line.payment]
    return sorted(lines, key=lambda line: (line.payment.paid_on if line.payment else None,
                                           line.care_date, line.pk))


def statement_taken_back(insured: Insured, start: date, end: date) -> list:
    """Acts paid before and cancelled since, taken back by a payment of the period."""
    return sorted(taken_back(insured, Filters(start=start, end=end)),
                  key=lambda r: (r.payment.paid_on, r.settlement.care_date, r.pk))


def statement_data(insured: Insured, start: date, end: date) -> dict:
    """What a relevé says: a new payment, or a line cancelled since, changes its key.

    The lines of `statement_lines` (same conditions), read as plain values: the key is computed
    whenever a relevé is asked for (in the request, and for each person of the monthly run),
    and building the full lines costs several times more. A line's state on the relevé
    ("Payé", "Annulé : repris sur le paiement du ...") follows from its payment, its reversal
    and the reversal's payment, which are all in the key, as are the cancelled acts the
    period's payments took back; payments and reversals are never edited once made.
    """
    filters = Filters(start=start, end=end)
    lines = (Settlement.objects.filter(filters.lines_q(), filters.period_q("payment__paid_on"),
                                       insured=insured, payment__isnull=False)
             .order_by("payment__paid_on", "care_date", "pk")
             .values_list("pk", "paid", "participation_withheld", "franchise_withheld", "debt_recovered",
                          "payment_id", "payment__amount", "reversal__id", "reversal__payment_id"))
    taken = (Settlement.objects.filter(filters.lines_q(), filters.period_q("reversal__payment__paid_on"),
                                       insured=insured)
             .exclude(payment=F("reversal__payment")).order_by("pk")
             .values_list("pk", "reversal__payment_id"))
    return {
        "period": [start.isoformat(), end.isoformat()],
        "names": [insured.last_name, insured.first_names],
        "lines": [[str(value) if isinstance(value, Decimal) else value for value in line] for line in lines],
        "taken_back": [list(row) for row in taken],
    }


def content_key(insured: Insured, kind: str, day: date, period: tuple[date, date] | None = None,
                person: str = "") -> str:
    if kind in (Document.Kind.STATEMENT, Document.Kind.DAILY_ALLOWANCES, Document.Kind.TAX):
        if period is None:
            raise TypeError(f"a {kind} document covers a period")
        read = statement_data if kind == Document.Kind.STATEMENT else health.allowances_data
        data = read(insured, *period)
    elif kind == Document.Kind.VACCINATION:
        data = health.vaccination_data(insured, person)
    else:
        data = rights_data(insured, day)
    data = {"kind": kind, **data}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def verification_url(code: str) -> str:
    return f"{site_url()}{reverse('attestations:verify')}?code={code}"


def qr_image(url: str) -> str:
    """An <img> of the QR code, as a PNG data: URI: one pixel per module, quiet zone of 2.

    The page sizes it and ``image-rendering: pixelated`` in the templates (no interpolation in
    the PDF) keeps its modules square and sharp at any zoom. A 1-bit PNG costs WeasyPrint about
    50 ms less per page than the same code as inline SVG, and one pixel per module (41 x 41
    for our URLs) a few ms less than 8 x 8 pixels per module, in encoding and in the PDF
    (bench.attestations).
    """
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=1, border=2)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return format_html('<img class="qr-code" src="data:image/png;base64,{}" alt="{}">', data,
                       "QR code de vérification")


def code_letter_issue(*, letter) -> dict:
    """The verification of a provisional-code letter, for the letter job to print.

    accounts.mailroom calls this (registered in AttestationsConfig.ready) inside the
    transaction that draws the code and files the PDF: if the rendering fails, the row goes
    with it. The document keeps no file and no code, only what the public page shows.
    """
    document, _ = Document.objects.get_or_create(
        letter=letter,
        defaults={
            "owner_id": letter.insured_id, "kind": Document.Kind.CODE_LETTER,
            "status": Document.Status.READY, "issued_at": timezone.now(),
            "content_key": hashlib.sha256(f"code_letter:{letter.public_id}".encode()).hexdigest(),
        },
    )
    return {
        "verification_code": document.code_display,
        "verify_page": f"{site_url()}{reverse('attestations:verify')}",
        "qr": qr_image(verification_url(document.verification_code)),
    }


def code_letter_is_live(document: Document) -> bool:
    """Whether the code a letter carries can still open an account: not used, not replaced
    by a newer letter, not expired, and the letter not withdrawn from the print run."""
    letter = document.letter
    if letter is None:
        return False
    code = letter.provisional_code
    return (
        code is not None and code.used_at is None and code.voided_at is None
        and code.expires_at > timezone.now()
        and letter.status not in (letter.Status.FAILED, letter.Status.CANCELLED)
    )


def document_request(*, insured: Insured, kind: str, period: tuple[date, date] | None = None,
                     person: str = "", idempotency_key: str = "") -> Document:
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
        asked = idempotency_key and Document.objects.filter(
            owner=insured, idempotency_key=idempotency_key).first()
        if asked:
            return asked
        key = content_key(insured, kind, timezone.localdate(), period, person)
        existing = (
            Document.objects.filter(
                owner=insured, kind=kind, content_key=key, revoked_at__isnull=True, person=person,
                status__in=[Document.Status.READY, Document.Status.PENDING],
            )
            .order_by("-created_at")
            .first()
        )
        if existing is not None:
            if existing.is_stuck:
                _resume_stuck(existing)
            return existing
        document = Document.objects.create(owner=insured, kind=kind, content_key=key,
                                           period_start=start, period_end=end, person=person,
                                           idempotency_key=idempotency_key)
        _enqueue_render(document)
    return document


# The jobs of attestations/tasks.py, enqueued by name: tasks import the services, never
# the other way round.
RENDER_TASK = "attestations.render_document"
MONTHLY_BATCH_TASK = "attestations.monthly_statements_batch"


def _enqueue_render(document: Document) -> None:
    enqueue(RENDER_TASK, document_id=document.pk)


def _common_context(document: Document, day: date) -> dict:
    caisse = document.owner.caisse
    return {
        "document": document,
        "caisse": {
            "name": caisse.name,
            "address_lines": [line.strip() for line in caisse.address.splitlines() if line.strip()],
            "phone": caisse.phone,
        },
        "insured": document.owner,
        "today": french_date(day),
        "code": document.code_display,
        "verify_page": f"{site_url()}{reverse('attestations:verify')}",
        "qr": qr_image(verification_url(document.verification_code)),
        "portal_name": settings.BRANDING["portal_name"],
    }


def _rights_context(document: Document, day: date) -> dict:
    insured = document.owner
    periods = list(_active(insured.coverage_periods.all(), day).order_by("start"))
    current = periods[-1] if periods else None
    exemptions = list(_active(insured.exemptions.select_related("beneficiary"), day))
    return {
        **_common_context(document, day),
        "nir": Nir(insured.nir, insured.nir_key).formatted,
        "birth_date": french_date(insured.birth_date),
        "regime": current.get_regime_display() if current else "",
        "rights_from": french_date(current.start) if current else "",
        "rights_to": french_date(current.end) if current and current.end else "",
        "rights_open": current is not None,
        "exemptions": [
            {"label": e.get_kind_display(), "who": str(e.beneficiary) if e.beneficiary else "",
             "end": french_date(e.end) if e.end else ""}
            for e in exemptions
        ],
        "beneficiaries": [
            {"name": f"{b.first_names} {b.last_name}", "relationship": b.get_relationship_display(),
             "birth_date": french_date(b.birth_date)}
            for b in insured.beneficiaries.order_by("birth_date", "pk")
        ],
    }


def _totals(lines, taken: list) -> dict:
    """The relevé's sums, as every screen makes them (reimbursements/deductions.py)."""
    t = deductions.totals(lines, taken)
    figures = {name: getattr(t, name) for name in (
        "charged", "base", "amo", "participation_due", "franchise_due", "withheld", "carried_forward",
        "for_line", "recovered", "taken_back", "ticket_moderateur", "depassement", "paid",
        "deductions_due", "deductions_taken")}
    return {"count": t.lines, **{name: euros(value) for name, value in figures.items()},
            "minus": {name: euros(-figures[name]) for name in ("recovered", "taken_back")}}


def _period(document: Document) -> tuple[date, date]:
    if document.period_start is None or document.period_end is None:
        raise TypeError(f"document {document.pk} has no period")
    return document.period_start, document.period_end


def _statement_context(document: Document, day: date) -> dict:
    start, end = _period(document)
    lines = statement_lines(document.owner, start, end)
    taken = statement_taken_back(document.owner, start, end)
    patients: dict[tuple, tuple[list, list]] = {}
    # A line's patient (queries' _describe): the beneficiary, else the insured.
    for line in lines:
        patient = line.beneficiary or line.insured
        patients.setdefault((line.beneficiary_id or 0, str(patient)), ([], []))[0].append(line)
    for reversal in taken:
        settled = reversal.settlement
        patient = settled.beneficiary or settled.insured
        patients.setdefault((settled.beneficiary_id or 0, str(patient)), ([], []))[1].append(reversal)
    return {
        **_common_context(document, day),
        "period_start": french_date(start),
        "period_end": french_date(end),
        "lines": lines,
        "taken_back": taken,
        "per_patient": [{"name": name, **_totals(group, group_taken)}
                        for (_, name), (group, group_taken) in sorted(patients.items())],
        "totals": _totals(lines, taken),
    }


def _health_context(build):
    def context(document: Document, day: date) -> dict:
        return {**_common_context(document, day), **build(document, day)}
    return context


CONTEXTS = {
    Document.Kind.RIGHTS: _rights_context,
    Document.Kind.STATEMENT: _statement_context,
    Document.Kind.DAILY_ALLOWANCES: _health_context(health.allowances_context),
    Document.Kind.TAX: _health_context(health.tax_context),
    Document.Kind.VACCINATION: _health_context(health.vaccination_context),
}


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
    if not OutboxJob.objects.filter(task_name=RENDER_TASK, kwargs__document_id=document.pk,
                                    created_at__gt=recent).exists():
        logger.warning("document %s: pending for too long, its rendering is sent again", document.pk)
        _enqueue_render(document)


def document_regenerate(*, document: Document, actor) -> Document | None:
    """Staff: a fresh document from today's data (the old one stays valid until revoked).

    A letter is not regenerated here (None): the mailroom issues a new code and letter.
    """
    if document.is_letter:
        return None
    with transaction.atomic():
        period = _period(document) if document.has_period else None
        new = Document.objects.create(
            owner=document.owner, kind=document.kind, period_start=document.period_start,
            period_end=document.period_end, person=document.person,
            content_key=content_key(document.owner, document.kind, timezone.localdate(), period,
                                    document.person),
        )
        audit(actor=actor, action="document_regenerate", obj=new,
              summary=f"à partir du document {document.public_id}")
        _enqueue_render(new)
    return new


def document_revoke(*, document: Document, actor, reason: str) -> bool:
    """Make a document fail verification from now on; return whether it was live.

    Revoking a provisional-code letter also cancels the code it carries: a letter staff no
    longer vouch for must not open an account either.
    """
    with transaction.atomic():
        updated = Document.objects.filter(pk=document.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor if actor and actor.pk else None,
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


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def monthly_statement_owners(month: date) -> list[int]:
    """Insured people with an act paid in ``month`` (to them, or to a professional for them)."""
    start, end = month_bounds(month)
    return list(Settlement.objects.filter(payment__paid_on__range=(start, end))
                .order_by("insured_id").values_list("insured_id", flat=True).distinct())


def monthly_statements_plan(*, month: date, batch_size: int = MONTHLY_BATCH_SIZE) -> int:
    """Split the month's insured people into batch jobs; return how many batches."""
    owners = monthly_statement_owners(month)
    # Those already done for this month are left out: a second run plans nothing for them.
    done = set(MonthlyStatement.objects.filter(month=month.replace(day=1))
               .values_list("owner_id", flat=True))
    todo = [pk for pk in owners if pk not in done]
    with transaction.atomic():
        for i in range(0, len(todo), batch_size):
            enqueue(MONTHLY_BATCH_TASK, month=month.replace(day=1).isoformat(),
                    insured_ids=todo[i:i + batch_size])
    return (len(todo) + batch_size - 1) // batch_size


def monthly_statement_prepare(*, insured: Insured, month: date) -> MonthlyStatement | None:
    """The relevé of ``month`` for one insured, once: None if it was already prepared."""
    month = month.replace(day=1)
    with transaction.atomic():
        Insured.objects.select_for_update().filter(pk=insured.pk).first()
        if MonthlyStatement.objects.filter(owner=insured, month=month).exists():
            return None
        document = document_request(insured=insured, kind=Document.Kind.STATEMENT,
                                    period=month_bounds(month))
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
            enqueue_email(template="statement-ready", to=[owner.contact_email], context={
                "first_name": first_name(owner.first_names),
                "month": f"{MONTHS_FR[statement.month.month - 1]} {statement.month.year}",
            })
