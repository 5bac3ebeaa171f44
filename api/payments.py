"""« Mes paiements » for apps: the list with the page's filters, a payment with every line,
what is on its way, the year's counters, the months' totals and the CSV.

Each operation reads through the page's own functions (reimbursements/queries.py, its
deductions.py, its filter form, its CSV): the same person's figures are the same figures,
and no rule is written twice. A payment is reached through `get_payment_for_user`: someone
else's is a 404, like one that does not exist.
"""

from dataclasses import replace
from datetime import date

from django.utils import timezone
from ninja import Query, Router
from ninja.errors import ValidationError
from ninja.pagination import paginate

from accounts.access import get_insured_for_user
from accounts.fields import mask_iban
from reimbursements import queries
from reimbursements.access import get_payment_for_user
from reimbursements.deductions import payment_breakdown
from reimbursements.forms import PaymentsFilterForm
from reimbursements.views import payments_csv as page_csv

from . import payments_schemas as schemas
from .pagination import Cursor
from .schemas import Problem

router = Router(tags=["Mes paiements"])

SIGNED_IN = {401: Problem}
MANY = {**SIGNED_IN, 422: Problem}
ONE = {**MANY, 404: Problem}


def _form(insured, data: dict) -> PaymentsFilterForm:
    return PaymentsFilterForm(
        data, insured=insured, beneficiaries=list(insured.beneficiaries.all()), today=timezone.localdate()
    )


def _filters(insured, given: schemas.PaymentFilters) -> queries.Filters:
    """The page's form decides, with its French messages; where the page shows an error and
    falls back to a default, the API refuses (422): an app must not be shown other figures
    than it asked for."""
    data = {name: str(value) for name, value in given.dict(exclude_none=True).items()}
    form = _form(insured, data)
    if not form.is_valid():
        raise ValidationError(
            [
                {"loc": ("query", name), "msg": message}
                for name, messages in form.errors.items()
                for message in messages
            ]
        )
    return form.filters()


class _Rows:
    """The person's payments as ninja's cursor reads a queryset (ordered, narrowed to a
    position on ``paid_on``, sliced), over the page's own query (`queries.payment_rows`)."""

    def __init__(self, insured, filters: queries.Filters, *, oldest_first: bool = False):
        self.insured, self.filters, self.oldest_first = insured, filters, oldest_first

    def order_by(self, *fields):
        return _Rows(self.insured, self.filters, oldest_first=not fields[0].startswith("-"))

    def filter(self, **conditions):
        filters = self.filters
        for condition, value in conditions.items():
            try:
                day = date.fromisoformat(str(value))
            except ValueError:
                raise ValidationError([{"loc": ("query", "cursor"), "msg": "Curseur invalide."}]) from None
            if condition == "paid_on__lte":
                filters = replace(filters, end=day if filters.end is None else min(filters.end, day))
            elif condition == "paid_on__gte":
                filters = replace(filters, start=max(filters.start, day))
            else:
                raise ValueError(condition)  # ninja's cursor narrows on its ordering field only
        return _Rows(self.insured, filters, oldest_first=self.oldest_first)

    def __getitem__(self, window: slice):
        return queries.payment_rows(
            self.insured,
            self.filters,
            limit=window.stop - window.start,
            offset=window.start,
            oldest_first=self.oldest_first,
        )


@router.get(
    "",
    response={200: list[schemas.PaymentItem], **MANY},
    summary="Mes paiements, les plus récents d'abord",
    description="Les filtres de la page « Mes paiements » (12 derniers mois par défaut). "
    "Un filtre refusé par la page est ici une 422, avec son message.",
)
@paginate(Cursor, ordering=("-paid_on", "-id"), page_size=20)
def payment_list(request, filters: Query[schemas.PaymentFilters]):
    insured = get_insured_for_user(request.user)
    return _Rows(insured, _filters(insured, filters))


@router.get(
    "/en-cours",
    response={200: schemas.Pending, **MANY},
    summary="Mes soins en cours de paiement",
    description="Les soins remboursés que le prochain paiement versera, avec les mêmes "
    "filtres que la liste (la période est sans effet : ils ne sont pas "
    "encore payés).",
)
def pending(request, filters: Query[schemas.PaymentFilters]):
    insured = get_insured_for_user(request.user)
    lines, count = queries.pending_lines(
        insured, _filters(insured, filters), list(insured.beneficiaries.all())
    )
    return {"count": count, "results": lines}


def _figures(request):
    insured = get_insured_for_user(request.user)
    return queries.household_figures(insured, list(insured.beneficiaries.all()), timezone.localdate())


@router.get(
    "/compteurs",
    response={200: schemas.Counters, **SIGNED_IN},
    summary="Participations forfaitaires et franchises de l'année, par personne",
    description="Dues sur les soins de l'année civile (actes annulés exclus), contre leurs "
    "plafonds ; dont retenu, reporté, et ce qui reste à reprendre.",
)
def counters(request):
    people, _ = _figures(request)
    return {"year": timezone.localdate().year, "people": people}


@router.get(
    "/mois",
    response={200: schemas.Months, **SIGNED_IN},
    summary="Mes remboursements des 12 derniers mois, par mois de paiement",
)
def months(request):
    _, chart = _figures(request)
    return chart


@router.get(
    "/export.csv",
    response={200: None, **MANY},
    summary="Télécharger les lignes (CSV pour tableur)",
    description="Le fichier de la page : un acte par ligne avec les filtres choisis, "
    "point-virgule, UTF-8 avec BOM, montants à virgule.",
    openapi_extra={
        "responses": {
            "200": {"description": "Le fichier CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
        }
    },
)
def payments_csv(request, filters: Query[schemas.PaymentFilters]):
    _filters(get_insured_for_user(request.user), filters)  # refused here rather than defaulted
    return page_csv(request)  # the page's own file, from the same query string


@router.get(
    "/{uuid:payment_id}",
    response={200: schemas.PaymentDetail, **ONE},
    summary="Un paiement et chacun de ses actes",
)
def payment_detail(request, payment_id):
    insured = get_insured_for_user(request.user)
    payment = get_payment_for_user(request.user, payment_id)
    lines = queries.payment_lines(insured, payment)
    recoveries = queries.payment_recoveries(insured, payment)
    refunds = queries.payment_refunds(insured, payment)
    breakdown = payment_breakdown(lines, recoveries, refunds)
    to_insured = payment.insured_id is not None
    return {
        "id": payment.public_id,
        "paid_on": payment.paid_on,
        "paid_to": "insured" if to_insured else "professional",
        "professional_name": "" if to_insured else payment.professional.name,
        "iban_masked": mask_iban(payment.iban) if to_insured else "",
        "amount": queries.amount_shown(payment, lines, recoveries, refunds),
        "act_count": len(lines),
        "lines": lines,
        "taken_back": recoveries,
        "refunds": refunds,
        "breakdown": {
            "for_lines": breakdown.for_lines,
            "recovered": breakdown.recovered,
            "taken_back": breakdown.taken_back,
            "refunded": breakdown.refunded,
            "amount": breakdown.amount,
        },
    }
