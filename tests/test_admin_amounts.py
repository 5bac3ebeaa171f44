"""Every amount a staff member reads on a change form of the back office is written as the
portal writes it (« 1 234,56 € »), not as Django writes a DecimalField (« 1234,56 »).

Generated from the admin registry: a staff member who may only view reads every change page
(so every field of the page and of its inlines is read-only), and each amount of the object
and of each inline row must appear the French way and never Django's way. The change lists
are checked in tests/security/test_audit.py."""

import html
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth.models import Permission
from django.db.models import DecimalField
from django.urls import reverse
from django.utils import formats

from ameli_portal.formats import euros, percent
from reimbursements.models import CareSheet, DailyAllowance, LedgerEntry, Settlement
from reimbursements.services.allowances import daily_allowance_pay
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post
from requests_app.models import Request
from tests.factories import CareActFactory, CareSheetFactory, DemarcheFactory, StaffFactory

pytestmark = pytest.mark.django_db

REGISTERED = [model for model in apps.get_models() if admin.site.is_registered(model)]


def amounts(model):
    """The model's amounts in euros, read from the fields themselves (not from the mixin): a
    DecimalField of two places long enough for thousands. Rates (« taux », 0.70) and
    coefficients are two places too, and short."""
    return [
        f.name
        for f in model._meta.fields
        if isinstance(f, DecimalField) and f.decimal_places == 2 and f.max_digits >= 10
    ]


def forms_with_amounts():
    """(model admin's model, the models whose amounts its change page shows)."""
    for model in REGISTERED:
        model_admin = admin.site.get_model_admin(model)
        shown = [m for m in (model, *(inline.model for inline in model_admin.inlines)) if amounts(m)]
        if shown:
            yield model, shown


@pytest.fixture
def viewer():
    """Staff who may view every page of the back office and change none."""
    user = StaffFactory()
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[f"view_{m._meta.model_name}" for m in REGISTERED],
            content_type__app_label__in={m._meta.app_label for m in REGISTERED},
        )
    )
    Authenticator.objects.get_or_create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


@pytest.fixture
def every_amount(insured, staff):
    """One record of each kind that holds amounts, with amounts in the thousands."""
    insured.iban = "FR7630006000011234567890189"
    insured.save()
    sheet = CareSheetFactory(insured=insured)
    CareActFactory(sheet=sheet, charged=Decimal("1234.50"))
    care_sheet_post(sheet=sheet, actor=staff)
    CareActFactory(sheet=CareSheetFactory(insured=insured), charged=Decimal("2345.60"))  # a draft
    payments_run(day=date(2026, 3, 20))
    daily_allowance_pay(
        insured=insured,
        kind="maladie",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 2, 28),
        daily_gross=Decimal("41.47"),
        employer="ACME",
        paid_on=date(2026, 3, 21),
    )
    DemarcheFactory(
        insured=insured,
        status="acceptee",
        decided_at=datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
        decided_amount=Decimal("1100.00"),
    )


def change_page(client, obj):
    opts = obj._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert response.status_code == 200
    return response, html.unescape(response.content.decode())


def django_way(value: Decimal) -> re.Pattern:
    """Django's « 1234,56 » for this value: the number without its no-break space and sign
    (« 19,00 € » is ours; so is the breadcrumbs' object name, templates/admin/change_form.html)."""
    return re.compile(rf"(?<![\d\u202f]){re.escape(formats.number_format(value, 2))}(?!\u00a0€)")


FORMS = list(forms_with_amounts())


@pytest.mark.parametrize(("model", "shown"), FORMS, ids=[model.__name__ for model, _ in FORMS])
def test_every_amount_of_every_change_form_is_written_the_french_way(
    client, viewer, every_amount, model, shown
):
    client.force_login(viewer)
    objects = model._default_manager.all()
    assert objects.exists(), f"every_amount makes no {model.__name__}: add one"
    checked = set()
    for obj in objects:
        response, page = change_page(client, obj)
        rows = [(obj, response.context["adminform"].fieldsets)]
        for inline in response.context["inline_admin_formsets"]:
            rows += [(form.instance, inline.fieldsets) for form in inline.formset.initial_forms]
        for row, fieldsets in rows:
            on_page = {getattr(name, "__name__", name) for name in flatten_fieldsets(fieldsets)}
            for name in set(amounts(type(row))) & on_page:
                value = getattr(row, name)
                if value is None:
                    continue
                assert euros(value) in page, (model, row, name, value)
                assert not django_way(value).search(page), (model, row, name, value)
                checked.add(type(row))
    assert checked == set(shown), f"no amount read for {set(shown) - checked}: every_amount must make one"


def test_amounts_in_the_thousands_read_with_the_thousands_space(client, viewer, every_amount):
    """What a person checks by eye: the figures on the page, with the thousands space."""
    client.force_login(viewer)
    payment = DailyAllowance.objects.get().payment
    _, page = change_page(client, payment)
    assert payment.amount > 1000
    assert f'<div class="readonly">{euros(payment.amount)}</div>' in page
    assert f"{payment.amount}".replace(".", ",") not in page
    sheet = CareSheet.objects.get(acts__charged=Decimal("1234.50"))
    _, page = change_page(client, sheet)
    assert "1\u202f234,50\u00a0€" in page and "1234,50" not in page  # an act of a posted sheet
    request = Request.objects.get(decided_amount__isnull=False)
    _, page = change_page(client, request)
    assert "1\u202f100,00\u00a0€" in page and "1100,00" not in page


def test_a_rate_on_a_change_form_is_a_percentage_not_euros(client, viewer, every_amount):
    client.force_login(viewer)
    settlement = Settlement.objects.exclude(payment=None).first()
    _, page = change_page(client, settlement.payment)
    assert f"{formats.number_format(settlement.rate, 2)}\u00a0€" not in page
    cell = re.search(r'<td class="field-rate_percent">\s*<p>(.*?)</p>', page)
    assert cell and cell[1] == percent(settlement.rate) == "70\u00a0%"  # as the sheet's preview


def test_a_ledger_line_is_named_with_its_signed_amount_in_euros(every_amount):
    entry = LedgerEntry.objects.filter(amount__gt=0).first()
    assert str(entry).endswith(f" +{euros(entry.amount)}")
    entry = LedgerEntry.objects.filter(amount__lt=0).first()
    assert str(entry).endswith(f" {euros(entry.amount)}") and euros(entry.amount).startswith("-")


def test_the_history_page_names_the_object_with_its_amount_whole(client, viewer, every_amount):
    client.force_login(viewer)
    payment = DailyAllowance.objects.get().payment
    url = reverse("admin:reimbursements_payment_history", args=[payment.pk])
    page = html.unescape(client.get(url).content.decode())
    assert f"Paiement de {euros(payment.amount)} le" in page  # no-break spaces kept
