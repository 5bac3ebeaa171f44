"""What a document says: the data of each kind, its content key, its PDF and its QR code.

Reads only: the lifecycle (request, render, revoke, the monthly run) is in services.py.
The content key is a hash of what the document would say today, so that the same request
on unchanged data gives the same document back.
"""

import base64
import hashlib
import io
import json
from datetime import date
from decimal import Decimal

import segno
from django.conf import settings
from django.db.models import F, Q
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import Insured
from accounts.nir import Nir
from ameli_portal.formats import euros, french_date
from ameli_portal.pdf import render_pdf
from ameli_portal.site import site_url
from reimbursements import deductions
from reimbursements.models import Settlement
from reimbursements.queries import Filters, export_lines, refunds, taken_back

from . import allowances_vaccinations
from .models import Document

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
            [
                e.kind,
                e.beneficiary.public_id.hex if e.beneficiary else None,
                e.start.isoformat(),
                e.end.isoformat() if e.end else None,
            ]
            for e in exemptions
        ],
        "beneficiaries": [
            [
                b.public_id.hex,
                b.relationship,
                b.last_name,
                b.first_names,
                b.birth_date.isoformat(),
                b.medecin_traitant,
            ]
            for b in insured.beneficiaries.order_by("birth_date", "pk")
        ],
        "medecin_traitant": insured.medecin_traitant,
    }


def statement_lines(insured: Insured, start: date, end: date) -> list[Settlement]:
    """The person's acts paid from ``start`` to ``end``, as "Mes paiements" describes them.

    export_lines() also returns the acts not paid yet, which a relevé leaves out.
    """
    lines = [line for line in export_lines(insured, Filters(start=start, end=end)) if line.payment]
    return sorted(
        lines, key=lambda line: (line.payment.paid_on if line.payment else None, line.care_date, line.pk)
    )


def statement_taken_back(insured: Insured, start: date, end: date) -> list:
    """Acts paid before and cancelled since, taken back by a payment of the period."""
    return sorted(
        taken_back(insured, Filters(start=start, end=end)),
        key=lambda r: (r.payment.paid_on, r.settlement.care_date, r.pk),
    )


def statement_refunds(insured: Insured, start: date, end: date) -> list:
    """Deductions recovered for acts cancelled since, given back by a payment of the period."""
    return sorted(
        (r for r in refunds(insured, Filters(start=start, end=end)) if r.payment),
        key=lambda r: (r.payment.paid_on, r.settlement.care_date, r.pk),
    )


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
    lines = (
        Settlement.objects.filter(
            filters.lines_q(), filters.period_q("payment__paid_on"), insured=insured, payment__isnull=False
        )
        .order_by("payment__paid_on", "care_date", "pk")
        .values_list(
            "pk",
            "paid",
            "participation_withheld",
            "franchise_withheld",
            "debt_recovered",
            "payment_id",
            "payment__amount",
            "reversal__id",
            "reversal__payment_id",
        )
    )
    taken = (
        Settlement.objects.filter(
            filters.lines_q(), filters.period_q("reversal__payment__paid_on"), insured=insured
        )
        .exclude(payment=F("reversal__payment"))
        .order_by("pk")
        .values_list("pk", "reversal__payment_id")
    )
    return {
        "period": [start.isoformat(), end.isoformat()],
        "names": [insured.last_name, insured.first_names],
        "lines": [[str(value) if isinstance(value, Decimal) else value for value in line] for line in lines],
        "taken_back": [list(row) for row in taken],
        "refunds": [[r.pk, r.payment_id] for r in statement_refunds(insured, start, end)],
    }


def content_key(
    insured: Insured, kind: str, day: date, period: tuple[date, date] | None = None, person: str = ""
) -> str:
    if kind in (Document.Kind.STATEMENT, Document.Kind.DAILY_ALLOWANCES, Document.Kind.TAX):
        if period is None:
            raise TypeError(f"a {kind} document covers a period")
        read = statement_data if kind == Document.Kind.STATEMENT else allowances_vaccinations.allowances_data
        data = read(insured, *period)
    elif kind == Document.Kind.VACCINATION:
        data = allowances_vaccinations.vaccination_data(insured, person)
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
    return format_html(
        '<img class="qr-code" src="data:image/png;base64,{}" alt="{}">', data, "QR code de vérification"
    )


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
            {
                "label": e.get_kind_display(),
                "who": str(e.beneficiary) if e.beneficiary else "",
                "end": french_date(e.end) if e.end else "",
            }
            for e in exemptions
        ],
        "beneficiaries": [
            {
                "name": f"{b.first_names} {b.last_name}",
                "relationship": b.get_relationship_display(),
                "birth_date": french_date(b.birth_date),
            }
            for b in insured.beneficiaries.order_by("birth_date", "pk")
        ],
    }


def _totals(lines, taken: list, given_back: list | tuple = ()) -> dict:
    """The relevé's sums, as every screen makes them (reimbursements/deductions.py)."""
    t = deductions.totals(lines, taken, given_back)
    figures = {
        name: getattr(t, name)
        for name in (
            "charged",
            "base",
            "amo",
            "participation_due",
            "franchise_due",
            "withheld",
            "carried_forward",
            "for_line",
            "recovered",
            "taken_back",
            "refunded",
            "ticket_moderateur",
            "depassement",
            "paid",
            "deductions_due",
            "deductions_taken",
        )
    }
    return {
        "count": t.lines,
        **{name: euros(value) for name, value in figures.items()},
        "minus": {name: euros(-figures[name]) for name in ("recovered", "taken_back")},
    }


def document_period(document: Document) -> tuple[date, date]:
    if document.period_start is None or document.period_end is None:
        raise TypeError(f"document {document.pk} has no period")
    return document.period_start, document.period_end


def _statement_context(document: Document, day: date) -> dict:
    start, end = document_period(document)
    lines = statement_lines(document.owner, start, end)
    taken = statement_taken_back(document.owner, start, end)
    given_back = statement_refunds(document.owner, start, end)
    patients: dict[tuple, tuple[list, list, list]] = {}
    # A line's patient (queries' _describe): the beneficiary, else the insured.
    for line in lines:
        patient = line.beneficiary or line.insured
        patients.setdefault((line.beneficiary_id or 0, str(patient)), ([], [], []))[0].append(line)
    for reversal in taken:
        settled = reversal.settlement
        patient = settled.beneficiary or settled.insured
        patients.setdefault((settled.beneficiary_id or 0, str(patient)), ([], [], []))[1].append(reversal)
    for refund in given_back:
        settled = refund.settlement
        patient = settled.beneficiary or settled.insured
        patients.setdefault((settled.beneficiary_id or 0, str(patient)), ([], [], []))[2].append(refund)
    return {
        **_common_context(document, day),
        "period_start": french_date(start),
        "period_end": french_date(end),
        "lines": lines,
        "taken_back": taken,
        "refunds": given_back,
        "per_patient": [
            {"name": name, **_totals(group, group_taken, group_refunds)}
            for (_, name), (group, group_taken, group_refunds) in sorted(patients.items())
        ],
        "totals": _totals(lines, taken, given_back),
    }


def _health_context(build):
    def context(document: Document, day: date) -> dict:
        return {**_common_context(document, day), **build(document, day)}

    return context


CONTEXTS = {
    Document.Kind.RIGHTS: _rights_context,
    Document.Kind.STATEMENT: _statement_context,
    Document.Kind.DAILY_ALLOWANCES: _health_context(allowances_vaccinations.allowances_context),
    Document.Kind.TAX: _health_context(allowances_vaccinations.tax_context),
    Document.Kind.VACCINATION: _health_context(allowances_vaccinations.vaccination_context),
}
