"""Pages of the reimbursements app."""

import hashlib
import logging
import uuid
from datetime import datetime, time, timedelta

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db.models import OuterRef, Subquery
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache

from accounts.access import get_insured_for_user
from accounts.fields import mask_iban
from accounts.models import Insured

from . import queries
from .access import get_payment_for_user
from .deductions import payment_breakdown
from .forms import PaymentsFilterForm, SimulatorForm
from .models import PaymentFigures
from .payments_csv import rows as payments_csv_rows
from .rules import RulesError
from .simulator import simulate

logger = logging.getLogger(__name__)

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
    form = PaymentsFilterForm(
        request.GET or None, insured=insured, beneficiaries=beneficiaries, today=timezone.localdate()
    )
    return form, beneficiaries


_SAMPLE_ID = uuid.UUID(int=0)
# Each process keys its own renders: a deployed change of the form or its template is never
# served from an older process's cache entries.
_PROCESS_TOKEN = uuid.uuid4().hex[:12]
FILTERS_TEMPLATE = "reimbursements/partials/payments_filters.html"
COUNTERS_TEMPLATE = "reimbursements/partials/yearly_counters.html"
CHART_TEMPLATE = "reimbursements/partials/monthly_chart.html"


def _filters_key(form) -> str:
    """The filter form as it first shows (no query string), rendered once a day per household.

    Rendering its widgets costs more than the rest of the page's queries; unbound, its markup
    depends only on the people it lists (ids and names) and on the day (the dates allowed),
    all of which are in the cache key: a renamed child or a new day gives another key.
    """
    choices = "|".join(f"{value}={label}" for value, label in form.fields["person"].choices)
    digest = hashlib.sha256(f"{form.today}|{choices}".encode()).hexdigest()[:32]
    return f"reimbursements:payments-filters:{_PROCESS_TOKEN}:{digest}"


def _figures_key(insured, beneficiaries, today) -> str:
    """The year's counters and the 12 months' chart, rendered, kept per person until they change.

    They only change when the person's settlements, reversals or payments do, and each of
    those writes gives the person's `PaymentFigures` a new version in its own transaction
    (`aggregates.figures_apply`). The key holds that version (read with the person, at the
    start of the request, before the figures are: figures cached under a version are never
    older than the writes it stands for), the
    person's id (one version may be given to many people at once), the day (the year, the 12
    months), the names shown (theirs, their beneficiaries') and this process's token.
    """
    version = insured.figures_version
    people = "|".join(f"{b.pk}={b}" for b in beneficiaries)
    digest = hashlib.sha256(f"{today}|{insured}|{people}".encode()).hexdigest()[:32]
    return f"reimbursements:payments-figures:{_PROCESS_TOKEN}:{insured.pk}:{version}:{digest}"


def _seconds_left_today() -> int:
    """Both keys hold the day: an entry is of no use after midnight."""
    now = timezone.localtime()
    midnight = datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=now.tzinfo)
    return max(int(midnight.timestamp() - now.timestamp()), 1)  # timestamps: right across DST


def _cached_parts(form, insured, beneficiaries) -> dict:
    """The page's parts kept in the cache (see the two keys above), read in one round trip."""
    keys = {"figures": _figures_key(insured, beneficiaries, form.today)}
    if not form.is_bound:
        keys["filters"] = _filters_key(form)
    try:
        found, cache_ok = cache.get_many(list(keys.values())), True
    except Exception:  # noqa: BLE001 - the cache is a shortcut: without it the page is computed
        logger.warning("cache indisponible : « Mes paiements » calculée sans lui", exc_info=True)
        found, cache_ok = {}, False
    parts, fresh = {name: found.get(key) for name, key in keys.items()}, {}
    if parts["figures"] is None:
        counters, chart = queries.household_figures(insured, beneficiaries, form.today)
        parts["figures"] = fresh[keys["figures"]] = (
            render_to_string(COUNTERS_TEMPLATE, {"counters": counters, "year": form.today.year}),
            render_to_string(CHART_TEMPLATE, {"chart": chart}),
        )
    if "filters" in keys and parts["filters"] is None:
        parts["filters"] = fresh[keys["filters"]] = render_to_string(
            FILTERS_TEMPLATE, {"form": form, "oldest": form.oldest}
        )
    if fresh and cache_ok:
        try:
            cache.set_many(fresh, timeout=_seconds_left_today())
        except Exception:  # noqa: BLE001 - as above
            logger.warning("cache indisponible : rendu de « Mes paiements » non gardé", exc_info=True)
    counters_html, chart_html = parts["figures"]
    # Our own templates' output, rendered above or by an earlier request.
    return {
        "counters_html": mark_safe(counters_html),  # noqa: S308
        "chart_html": mark_safe(chart_html),  # noqa: S308
        "filters_html": mark_safe(parts["filters"]) if "filters" in parts else None,  # noqa: S308
    }


def _insured_with_version(user) -> Insured:
    """The person and the version of their figures (the cache key, `_figures_key`), one query."""
    version = PaymentFigures.objects.filter(insured=OuterRef("pk")).values("version")[:1]
    return get_insured_for_user(user, queryset=Insured.objects.annotate(figures_version=Subquery(version)))


@never_cache
def payments(request):
    """Mes paiements: the transfers, the acts on their way, the year's counters and a chart."""
    insured = _insured_with_version(request.user)
    form, beneficiaries = _payments_form(request, insured)
    filters = form.filters()
    page = queries.payments_page(insured, filters, request.GET.get("page"), per_page=PAYMENTS_PER_PAGE)
    # One reverse() for the page rather than one a row: the same URL, another public id.
    url = reverse("reimbursements:payment_detail", args=[_SAMPLE_ID])
    for payment in page.object_list:
        payment.detail_url = url.replace(str(_SAMPLE_ID), str(payment.public_id))
    pending, pending_total = queries.pending_lines(insured, filters, beneficiaries)
    return render(
        request,
        "reimbursements/payments.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "pending": pending,
            "pending_more": pending_total - len(pending),
            "oldest": form.oldest,
            **_cached_parts(form, insured, beneficiaries),
        },
    )


@never_cache
def payment_detail(request, public_id):
    insured = get_insured_for_user(request.user)
    payment = get_payment_for_user(request.user, public_id)
    lines = queries.payment_lines(insured, payment)
    recoveries = queries.payment_recoveries(insured, payment)
    refunds = queries.payment_refunds(insured, payment)
    return render(
        request,
        "reimbursements/payment_detail.html",
        {
            "payment": payment,
            "lines": lines,
            "recoveries": recoveries,
            "refunds": refunds,
            "breakdown": payment_breakdown(lines, recoveries, refunds),
            "amount": queries.amount_shown(payment, lines, recoveries, refunds),
            "iban_masked": mask_iban(payment.iban),
        },
    )


@never_cache
def payments_csv(request):
    """The filtered lines for a spreadsheet (payments_csv.py), streamed: memory stays flat."""
    insured = get_insured_for_user(request.user)
    form, _ = _payments_form(request, insured)
    response = StreamingHttpResponse(
        payments_csv_rows(insured, form.filters()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="mes-remboursements-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    return response
