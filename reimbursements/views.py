"""Pages of the reimbursements app."""

import csv
import hashlib
import uuid

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache

from accounts.fields import mask_iban

from . import queries
from .access import get_insured_for_user, get_payment_for_user
from .forms import PaymentsFilterForm, SimulatorForm
from .rules import RulesError
from .simulator import simulate
from .templatetags.money import percent

PAYMENTS_PER_PAGE = 20


@login_not_required
def simulator(request):
    """Public simulator: a GET form, so that an estimate can be bookmarked or shared.

    The query string holds no personal data (an age, never a birth date or a NIR).
    """
    form = SimulatorForm(request.GET if "care" in request.GET else None)
    result = None
    if form.is_valid():
        try:
            result = simulate(form.cleaned_data)
        except RulesError as exc:
            form.add_error(None, str(exc))
    return render(request, "reimbursements/simulator.html", {"form": form, "result": result})


def _payments_form(request, insured):
    beneficiaries = list(insured.beneficiaries.all())
    form = PaymentsFilterForm(request.GET or None, insured=insured, beneficiaries=beneficiaries,
                              today=timezone.localdate())
    return form, beneficiaries


_SAMPLE_ID = uuid.UUID(int=0)
# Each process keys its own renders: a deployed change of the form or its template is never
# served from an older process's cache entries.
_PROCESS_TOKEN = uuid.uuid4().hex[:12]
FILTERS_TEMPLATE = "reimbursements/partials/payments_filters.html"


def _blank_filters_html(form) -> str:
    """The filter form as it first shows (no query string), rendered once a day per household.

    Rendering its widgets costs more than the rest of the page's queries; unbound, its markup
    depends only on the people it lists (ids and names) and on the day (the dates allowed),
    all of which are in the cache key: a renamed child or a new day gives another key.
    """
    choices = "|".join(f"{value}={label}" for value, label in form.fields["person"].choices)
    digest = hashlib.sha256(f"{form.today}|{choices}".encode()).hexdigest()[:32]
    key = f"reimbursements:payments-filters:{_PROCESS_TOKEN}:{digest}"
    html = cache.get(key)
    if html is None:
        html = render_to_string(FILTERS_TEMPLATE, {"form": form, "oldest": form.oldest})
        cache.set(key, html, timeout=24 * 3600)
    return mark_safe(html)  # noqa: S308 (our own template's output)


@never_cache
def payments(request):
    """Mes paiements: the transfers, the acts on their way, the year's counters and a chart."""
    insured = get_insured_for_user(request.user)
    form, beneficiaries = _payments_form(request, insured)
    filters = form.filters()
    today = timezone.localdate()
    page = queries.payments_page(insured, filters, request.GET.get("page"), per_page=PAYMENTS_PER_PAGE)
    # One reverse() for the page rather than one a row: the same URL, another public id.
    url = reverse("reimbursements:payment_detail", args=[_SAMPLE_ID])
    for payment in page.object_list:
        payment.detail_url = url.replace(str(_SAMPLE_ID), str(payment.public_id))
    pending, pending_total = queries.pending_lines(insured, filters, beneficiaries)
    counters, chart = queries.household_figures(insured, beneficiaries, today)
    return render(request, "reimbursements/payments.html", {
        "form": form, "filters": filters, "page": page, "pending": pending,
        "pending_more": pending_total - len(pending),
        "counters": counters, "chart": chart,
        "year": today.year, "oldest": form.oldest,
        "filters_html": None if form.is_bound else _blank_filters_html(form),
    })


@never_cache
def payment_detail(request, public_id):
    insured = get_insured_for_user(request.user)
    payment = get_payment_for_user(request.user, public_id)
    lines = queries.payment_lines(insured, payment)
    recoveries = queries.payment_recoveries(insured, payment)
    return render(request, "reimbursements/payment_detail.html", {
        "payment": payment, "lines": lines, "recoveries": recoveries,
        "amount": queries.amount_shown(payment, lines, recoveries),
        "iban_masked": mask_iban(payment.iban),
    })


@never_cache
def payments_csv(request):
    """The filtered lines for a spreadsheet: ';' and decimal commas, UTF-8 with a BOM for Excel."""
    insured = get_insured_for_user(request.user)
    form, _ = _payments_form(request, insured)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="mes-remboursements-{timezone.localdate():%Y-%m-%d}.csv"')
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(_csv_row(line) for line in queries.export_lines(insured, form.filters()))
    return response


CSV_HEADER = (
    "Date des soins", "Patient", "Professionnel de santé", "Code acte", "Libellé", "Type de soins",
    "Montant facturé", "Base de remboursement", "Taux", "Montant remboursé",
    "Participation forfaitaire", "Franchise", "Ticket modérateur", "Dépassement d'honoraires",
    "Versé à", "Date de paiement", "État",
)


def _text(value: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _amount(value) -> str:
    return f"{value:.2f}".replace(".", ",")


def _csv_row(line) -> list[str]:
    act, payment = line.act, line.payment
    return [
        f"{line.care_date:%d/%m/%Y}", _text(str(line.patient)), _text(act.sheet.professional.name),
        _text(act.act_code), _text(act.label), act.get_kind_display(),
        _amount(act.charged), _amount(line.base), percent(line.rate).replace("\u00a0", " "),
        _amount(line.paid), _amount(line.participation_withheld), _amount(line.franchise_withheld),
        _amount(line.ticket_moderateur), _amount(line.depassement), line.get_payee_display(),
        f"{payment.paid_on:%d/%m/%Y}" if payment else "", line.state_label,
    ]
