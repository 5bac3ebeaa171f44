"""The rows of « Mes paiements »'s two tables are formatted in Python (views.payment_rows_html,
views.pending_rows_html) for speed: they must be what the template gave, byte for byte."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.template import engines

from reimbursements.queries import PaymentRow, PendingLine
from reimbursements.views import payment_rows_html, pending_rows_html

# The loops these functions replace, as payments.html had them.
PAYMENTS_LOOP = """{% load money %}{% for payment in page.object_list %}
            <tr>
              <td data-label="Date">{{ payment.paid_on_text }}</td>
              <td data-label="Versé à">{% if payment.insured_id %}Vous{% else %}{{ payment.professional_name }} <span class="badge">tiers payant</span>{% endif %}</td>
              <td data-label="Montant" class="amount">{{ payment.shown_amount|euros }}</td>
              <td data-label="Actes" class="amount">{{ payment.act_count }}</td>
              <td data-label="Détail"><a href="{{ payment.detail_url }}">Voir le détail<span class="visually-hidden"> du paiement du {{ payment.paid_on_text }}</span></a></td>
            </tr>
          {% endfor %}"""  # noqa: E501
PENDING_LOOP = """{% load money %}{% for line in pending %}
            <tr>
              <td data-label="Date des soins">{{ line.care_date_text }}</td>
              <td data-label="Patient">{{ line.patient }}</td>
              <td data-label="Soin">{{ line.label }} – {{ line.professional_name }}{% if line.reversed %} <span class="badge badge--warning">{{ line.state_label }}</span>{% endif %}</td>
              <td data-label="Remboursé" class="amount">{% if line.reversed %}<del>{{ line.paid|euros }}</del>{% else %}{{ line.paid|euros }}{% endif %}</td>
              <td data-label="Versé à">{% if line.payee == "professional" %}{{ line.professional_name }} (tiers payant){% else %}Vous{% endif %}</td>
            </tr>
          {% endfor %}"""  # noqa: E501

# Names with what HTML must escape, amounts with thousands and negative ones.
NAMES = ["Pharmacie <du> Port & Fils", 'Dr "Anne" O\'Neil', "Kiné du Banc", ""]


def render(source: str, context: dict) -> str:
    return engines["django"].from_string(source).render(context)


def test_payment_rows_are_the_templates():
    rows = [
        PaymentRow(public_id=uuid.uuid4(), paid_on=date(2026, 3, n + 1), insured_id=7 if n % 2 else None,
                   professional_name=NAMES[n % len(NAMES)], shown_amount=amount, act_count=n,
                   detail_url=f"/remboursements/paiements/{uuid.uuid4()}/?a=1&b=<2>")
        for n, amount in enumerate([Decimal("19.00"), Decimal("1234.5"), Decimal("-3.40"), Decimal("0"),
                                    Decimal("12345678.99")])
    ]
    html = payment_rows_html(rows)
    assert html == render(PAYMENTS_LOOP, {"page": {"object_list": rows}})
    assert "&lt;du&gt; Port &amp; Fils" in html and "Vous" in html and "tiers payant" in html
    assert payment_rows_html([]) == "" == render(PAYMENTS_LOOP, {"page": {"object_list": []}})


@pytest.mark.parametrize("reversed_", [False, True])
def test_pending_rows_are_the_templates(reversed_):
    lines = [
        PendingLine(care_date=date(2026, 2, n + 1), patient=f"Lou <{n}>", label=f"Boîte & {n}",
                    professional_name=NAMES[n % len(NAMES)], paid=amount,
                    payee="professional" if n % 2 else "insured", reversed=reversed_ or n == 3)
        for n, amount in enumerate([Decimal("6.50"), Decimal("1000"), Decimal("-0.5"), Decimal("19.00")])
    ]
    html = pending_rows_html(lines)
    assert html == render(PENDING_LOOP, {"pending": lines})
    assert "<del>" in html and "Annulé : ne sera pas versé" in html and "Lou &lt;0&gt;" in html
