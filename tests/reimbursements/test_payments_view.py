"""Mes paiements: the list, a payment's detail, the year's counters, the chart and the CSV."""

import csv
import html as html_module
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from reimbursements.models import Payment
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post, settlement_reverse
from tests.factories import (
    BeneficiaryFactory,
    CareActFactory,
    CareSheetFactory,
    ProfessionalFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 3, 20)
NBSP = "\u00a0"


def eur(text: str) -> str:
    return text.replace(" €", f"{NBSP}€")


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(date(2026, 3, 20), tick=False):
        yield TODAY


@pytest.fixture
def logged(client, insured):
    client.force_login(insured.user)
    return client


def care(
    insured,
    *,
    day=date(2026, 3, 10),
    charged="30.00",
    kind="doctor",
    act_code="G",
    label="Consultation",
    beneficiary=None,
    medicine_rate=None,
    coefficient=None,
    base=None,
    quantity=1,
    **sheet,
):
    """One act posted for ``insured`` (a GP consultation unless told otherwise)."""
    act = CareActFactory(
        sheet=CareSheetFactory(insured=insured, beneficiary=beneficiary, received_on=day, **sheet),
        care_date=day,
        charged=D(charged),
        kind=kind,
        act_code=act_code,
        label=label,
        medicine_rate=medicine_rate,
        coefficient=coefficient,
        base=base,
        quantity=quantity,
    )
    [settlement] = care_sheet_post(sheet=act.sheet, actor=None)
    return settlement


def paid(insured, *, day, paid_on=None, **kwargs) -> Payment:
    """One act, paid on ``paid_on`` (the day after the care by default)."""
    settlement = care(insured, day=day, **kwargs)
    payments_run(day=paid_on or day + timedelta(days=1))
    settlement.refresh_from_db()
    return settlement.payment


def page_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def csv_body(response) -> str:
    assert response.status_code == 200 and response.streaming
    return b"".join(response.streaming_content).decode("utf-8-sig")


def detail_urls(html: str) -> list[str]:
    return re.findall(r'href="(/remboursements/paiements/[0-9a-f-]{36}/)"', html)


# --- access ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["reimbursements:payments", "reimbursements:payments_csv"])
def test_anonymous_visitors_are_sent_to_the_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/compte/login/" in response["Location"]


def test_staff_without_an_insured_record_get_a_404(client, insured):
    payment = paid(insured, day=date(2026, 3, 10))
    client.force_login(StaffFactory())
    for url in (
        reverse("reimbursements:payments"),
        reverse("reimbursements:payments_csv"),
        reverse("reimbursements:payment_detail", args=[payment.public_id]),
    ):
        assert client.get(url).status_code == 404


def test_another_insured_gets_a_404_and_never_sees_the_payment(client, insured, other_insured):
    payment = paid(insured, day=date(2026, 3, 10), charged="30.00")
    paid(other_insured, day=date(2026, 3, 11), coordinated_path=False)  # 7,00 €
    client.force_login(other_insured.user)
    url = reverse("reimbursements:payment_detail", args=[payment.public_id])
    unknown = reverse("reimbursements:payment_detail", args=["00000000-0000-4000-8000-000000000000"])
    assert client.get(url).status_code == 404
    assert client.get(unknown).status_code == 404  # the same answer: nothing to learn
    html = page_of(client.get(reverse("reimbursements:payments")))
    assert url not in html and len(detail_urls(html)) == 1
    exported = csv_body(client.get(reverse("reimbursements:payments_csv")))
    assert "19,00" not in exported and insured.last_name not in exported


# --- detail ----------------------------------------------------------------------------


def test_detail_of_a_gp_consultation_is_right_to_the_cent(logged, insured):
    doctor = ProfessionalFactory(name="Dr Anne Martin")
    payment = paid(insured, day=date(2026, 3, 10), professional=doctor)
    assert payment.amount == D("19.00")
    html = page_of(logged.get(reverse("reimbursements:payment_detail", args=[payment.public_id])))
    row = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    cells = [
        re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]
    # Quantity, charged, BR, rate, AMO share, PF due, franchise due, withheld on the line,
    # carried forward, reimbursed for the line, ticket modérateur, dépassement, paid to.
    assert cells == [
        "10/03/2026",
        f"Consultation (G) {insured.full_name} Dr Anne Martin",
        "1",
        eur("30,00 €"),
        eur("30,00 €"),
        f"70{NBSP}%",
        eur("21,00 €"),
        eur("2,00 €"),
        eur("0,00 €"),
        eur("2,00 €"),
        eur("0,00 €"),
        eur("19,00 €"),
        eur("9,00 €"),
        eur("0,00 €"),
        "Vous, le 11/03/2026",
    ]
    glossary = reverse("public:glossary")
    for slug in (
        "base-de-remboursement",
        "ticket-moderateur",
        "participation-forfaitaire",
        "franchise-medicale",
        "depassement-d-honoraires",
        "tiers-payant",
        "taux-de-remboursement",
    ):
        assert f'href="{glossary}#{slug}"' in html
    assert insured.nir not in html


def test_a_reversed_act_is_shown_as_such_and_its_recovery_on_the_next_payment(logged, insured, staff):
    first = paid(insured, day=date(2026, 3, 2))
    settlement = first.settlements.get()
    settlement_reverse(settlement=settlement, actor=staff, reason="Acte saisi deux fois")
    second = paid(insured, day=date(2026, 3, 10), charged="60.00", act_code="APC", label="Avis")
    html = page_of(logged.get(reverse("reimbursements:payment_detail", args=[first.public_id])))
    assert "Annulé" in html and "Acte saisi deux fois" in html
    assert "repris sur le paiement du 11/03/2026" in html
    html = page_of(logged.get(reverse("reimbursements:payment_detail", args=[second.public_id])))
    assert "Actes annulés, repris sur ce paiement" in html and eur("-19,00 €") in html
    assert eur(f"{second.amount:.2f} €".replace(".", ",")) in html


def test_tiers_payant_lines_show_only_the_insured_share(logged, insured, other_insured):
    pharmacy = ProfessionalFactory(name="Pharmacie du Port", kind="medicine", specialty="")
    mine = care(
        insured,
        professional=pharmacy,
        tiers_payant=True,
        kind="medicine",
        act_code="PH",
        label="Boîte",
        charged="10.00",
        medicine_rate=D("0.65"),
        base=D("10.00"),
    )
    care(
        other_insured,
        professional=pharmacy,
        tiers_payant=True,
        kind="medicine",
        act_code="PH",
        label="Boîte",
        charged="80.00",
        medicine_rate=D("0.65"),
        base=D("80.00"),
    )
    [payment] = payments_run(day=date(2026, 3, 15))
    assert payment.professional == pharmacy and payment.amount > mine.paid
    html = page_of(logged.get(reverse("reimbursements:payments")))
    assert "Pharmacie du Port" in html and eur(f"{mine.paid:.2f} €".replace(".", ",")) in html
    assert eur(f"{payment.amount:.2f} €".replace(".", ",")) not in html
    html = page_of(logged.get(reverse("reimbursements:payment_detail", args=[payment.public_id])))
    lines = html.split('<table class="table table--stack payment-lines">', 1)[1].split("</table>", 1)[0]
    assert html.count('class="payment-lines__reversed"') == 0 and lines.count("<tr>") == 2  # header + mine
    assert other_insured.full_name not in html


# --- list, filters -----------------------------------------------------------------------


def test_list_shows_payments_newest_first_and_acts_on_their_way(logged, insured):
    old = paid(insured, day=date(2026, 1, 5))
    new = paid(insured, day=date(2026, 3, 2))
    care(insured, day=date(2026, 3, 18), label="Consultation récente")
    html = page_of(logged.get(reverse("reimbursements:payments")))
    assert detail_urls(html) == [
        reverse("reimbursements:payment_detail", args=[p.public_id]) for p in (new, old)
    ]
    pending = html.split("En cours de paiement", 1)[1]
    assert "Consultation récente" in pending and eur("19,00 €") in pending


def test_period_filter_by_preset_and_by_dates(logged, insured):
    paid(insured, day=date(2025, 1, 10))  # 14 months back
    paid(insured, day=date(2025, 11, 10))  # 4 months back
    paid(insured, day=date(2026, 3, 1))
    url = reverse("reimbursements:payments")
    assert len(detail_urls(page_of(logged.get(url)))) == 2  # 12 months by default
    assert len(detail_urls(page_of(logged.get(url, {"period": "3"})))) == 1
    assert len(detail_urls(page_of(logged.get(url, {"period": "27"})))) == 3
    html = page_of(logged.get(url, {"start": "2025-01-01", "end": "2025-12-31"}))
    assert len(detail_urls(html)) == 2


def test_dates_older_than_27_months_are_clamped_and_the_person_told(logged, insured):
    paid(insured, day=date(2023, 10, 2))  # 29 months back: no longer online
    paid(insured, day=date(2024, 1, 10))
    html = page_of(logged.get(reverse("reimbursements:payments"), {"start": "2020-01-01"}))
    assert "consultables sur les 27 derniers mois" in html and "20/12/2023" in html
    assert len(detail_urls(html)) == 1


def test_filters_by_beneficiary_and_by_kind_of_care(logged, insured):
    child = BeneficiaryFactory(insured=insured, first_names="Lou")
    paid(insured, day=date(2026, 3, 2))
    kid_payment = paid(insured, day=date(2026, 3, 5), beneficiary=child)
    nurse = ProfessionalFactory(kind="auxiliary", specialty="")
    nurse_payment = paid(
        insured,
        day=date(2026, 3, 9),
        kind="auxiliary",
        act_code="AMI",
        charged="3.15",
        coefficient=D("1"),
        professional=nurse,
    )
    url = reverse("reimbursements:payments")
    html = page_of(logged.get(url, {"person": str(child.public_id)}))
    assert detail_urls(html) == [reverse("reimbursements:payment_detail", args=[kid_payment.public_id])]
    html = page_of(logged.get(url, {"person": str(insured.public_id), "kind": "auxiliary"}))
    assert detail_urls(html) == [reverse("reimbursements:payment_detail", args=[nurse_payment.public_id])]


def test_the_blank_filter_form_follows_the_household_and_the_day(logged, insured):
    """The form without a query string is rendered once and kept (views._filters_key):
    a new child, a renamed child or a new day must show at once all the same."""
    url = reverse("reimbursements:payments")
    child = BeneficiaryFactory(insured=insured, first_names="Lou")
    html = page_of(logged.get(url))
    assert f'<option value="{child.public_id}">Lou {child.last_name}</option>' in html
    form = re.search(r'<form class="panel payments-filters".*?</form>', html, re.S).group()
    assert form in page_of(logged.get(url))  # the kept form is the same form
    child.first_names = "Louise"
    child.save()
    baby = BeneficiaryFactory(insured=insured, first_names="Noé")
    html = page_of(logged.get(url))
    assert f'<option value="{child.public_id}">Louise {child.last_name}</option>' in html
    assert f'<option value="{baby.public_id}">Noé {baby.last_name}</option>' in html
    assert 'max="2026-03-20"' in html
    with time_machine.travel(date(2026, 3, 21), tick=False):
        logged.force_login(insured.user)  # the session of the day before has run out
        assert 'max="2026-03-21"' in page_of(logged.get(url))


def test_bad_filters_keep_what_was_typed_and_still_list(logged, insured, other_insured):
    paid(insured, day=date(2026, 3, 2))
    stranger = BeneficiaryFactory(insured=other_insured)
    html = page_of(
        logged.get(
            reverse("reimbursements:payments"),
            {"start": "31/02/2026", "person": str(stranger.public_id), "kind": "x"},
        )
    )
    assert "Les filtres contiennent 3 erreurs" in html
    assert "Indiquez une date valide" in html and 'value="31/02/2026"' in html
    assert "Choisissez l&#x27;une des personnes de la liste." in html
    assert len(detail_urls(html)) == 1
    html = page_of(
        logged.get(reverse("reimbursements:payments"), {"start": "2026-03-10", "end": "2026-03-01"})
    )
    assert "La date de fin doit être postérieure à la date de début." in html


def test_payments_are_paginated_by_20(logged, insured):
    for n in range(22):
        paid(insured, day=date(2025, 6, 1) + timedelta(days=3 * n))
    url = reverse("reimbursements:payments")
    assert len(detail_urls(page_of(logged.get(url)))) == 20
    html = page_of(logged.get(url, {"page": "2"}))
    assert len(detail_urls(html)) == 2 and "Page 2 sur 2" in html
    assert "<strong>22 paiements</strong>" in html  # counted with the page, by the same query
    # Out of range or not a number: the last page, or the first, as before.
    html = page_of(logged.get(url, {"page": "9"}))
    assert len(detail_urls(html)) == 2 and "Page 2 sur 2" in html and "<strong>22 paiements</strong>" in html
    html = page_of(logged.get(url, {"page": "deux"}))
    assert len(detail_urls(html)) == 20 and "Page 1 sur 2" in html


def test_acts_on_their_way_show_the_20_oldest_and_say_how_many_more(logged, insured):
    for n in range(23):
        care(insured, day=date(2026, 2, 1) + timedelta(days=n), label=f"Soin {n:02d}")
    pending = page_of(logged.get(reverse("reimbursements:payments"))).split("En cours de paiement", 1)[1]
    assert "Soin 00" in pending and "Soin 19" in pending and "Soin 20" not in pending
    assert (
        "Et 3 autres soins en cours de paiement, plus récents : tous figurent dans le fichier CSV ci-dessus."
    ) in html_module.unescape(pending)
    csv_text = csv_body(logged.get(reverse("reimbursements:payments_csv")))
    assert csv_text.count("En cours de paiement") == 23


# --- counters and chart ----------------------------------------------------------------


def test_counters_add_up_the_year_for_each_person(logged, insured):
    child = BeneficiaryFactory(insured=insured, first_names="Lou", birth_date=date(2000, 1, 1))
    for day in (date(2026, 1, 5), date(2026, 2, 5), date(2026, 3, 5)):
        care(insured, day=day)
    care(insured, day=date(2025, 12, 5))  # last year: not counted
    care(insured, day=date(2026, 3, 6), beneficiary=child)
    html = page_of(logged.get(reverse("reimbursements:payments")))
    counters = html.split("Participations forfaitaires et franchises dues en 2026", 1)[1]
    mine, theirs = counters.split("<h3>")[1:3]
    assert eur("6,00 € sur 50&nbsp;€") in mine and 'value="6.00"' in mine
    assert eur("2,00 € sur 50&nbsp;€") in theirs and "Lou" in theirs


def test_chart_is_an_image_with_a_name_and_a_table(logged, insured):
    paid(insured, day=date(2026, 1, 5))
    paid(insured, day=date(2026, 1, 20))
    html = page_of(logged.get(reverse("reimbursements:payments")))
    assert 'role="img"' in html and '<title id="graphique-svg-titre">' in html
    assert html.count('class="chart__bar"') == 1
    table = html.split("Voir le tableau", 1)[1]
    assert "Janvier 2026" in table and eur("38,00 €") in table and "Avril 2025" in table


# --- CSV ---------------------------------------------------------------------------------


def test_csv_export_of_the_filtered_lines(logged, insured):
    child = BeneficiaryFactory(insured=insured, first_names="Lou")
    paid(insured, day=date(2026, 3, 2), label="=HYPERLIEN()")
    paid(insured, day=date(2026, 3, 5), beneficiary=child)
    response = logged.get(reverse("reimbursements:payments_csv"), {"person": str(insured.public_id)})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="mes-remboursements-2026-03-20.csv"'
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Date des soins", "Patient", "Professionnel de santé"]
    assert len(rows) == 2
    line = dict(zip(rows[0], rows[1], strict=True))
    assert line["Remboursé"] == "19,00" and line["Participation forfaitaire due"] == "2,00"
    assert line["Part Assurance Maladie"] == "21,00" and line["Retenu sur ce soin"] == "2,00"
    assert line["Quantité"] == "1" and line["Reporté"] == "0,00"
    assert line["Ticket modérateur"] == "9,00" and line["Taux"] == "70 %"
    assert line["Libellé"] == "'=HYPERLIEN()"  # never run as a formula
    assert line["Date de paiement"] == "03/03/2026" and line["État"] == "Payé"
    assert insured.nir not in body and insured.nir[:5] not in body


# --- query counts ------------------------------------------------------------------------


def _payments(insured, count):
    for n in range(count):
        paid(insured, day=date(2025, 4, 1) + timedelta(days=11 * n))
    care(insured, day=date(2026, 3, 19))  # one act on its way


@pytest.mark.parametrize("count", [3, 30])
def test_list_query_count_does_not_grow_with_the_rows(logged, insured, count, django_assert_num_queries):
    _payments(insured, count)
    BeneficiaryFactory(insured=insured)
    url = reverse("reimbursements:payments")
    logged.get(url)  # the first request of a session creates its record (allauth's user sessions)
    # Every page: 1 session, 2 user (nothing written within the renewal interval:
    # tests/accounts/test_session_activity.py). The layout: 7 the unread messages count (messaging's
    # context processor). This page: 3 insured with the version of their figures (the cache
    # key), 4 beneficiaries (the filter's choices, the patients' names and the counters), 5 the
    # page of payments with their total (COUNT(*) OVER ()), acts counted and amounts summed,
    # 6 the first acts on their way with their total. The year's counters and the chart
    # come from the cache, filled by the request above (one query of at most 13 rows a person,
    # after each write: test_payments_figures_cache.py).
    with django_assert_num_queries(7):
        assert logged.get(url).status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_detail_query_count_does_not_grow_with_the_lines(logged, insured, count, django_assert_num_queries):
    for n in range(count):
        care(insured, day=date(2026, 3, 1) + timedelta(days=n % 15))
    [payment] = payments_run(day=date(2026, 3, 19))
    url = reverse("reimbursements:payment_detail", args=[payment.public_id])
    logged.get(url)  # the first request of a session creates its record (allauth's user sessions)
    # Every page: 1 session, 2 user (nothing written within the renewal interval:
    # tests/accounts/test_session_activity.py). The layout: 7 the unread messages count (messaging's
    # context processor). This page: 3 insured, 4 the payment (through its owner), 5 its acts
    # with act, sheet, professional, patient and reversal, 6 the acts it took back, 7 the
    # deductions it gave back (recovered for acts cancelled since).
    with django_assert_num_queries(8):
        assert logged.get(url).status_code == 200


# --- the case reported: a franchise carried from tiers payant, recovered on a consultation --


def test_a_recovered_franchise_is_its_own_line_on_every_screen(logged, insured):
    pharmacy = ProfessionalFactory(name="Pharmacie du Port", kind="medicine", specialty="")
    care(
        insured,
        day=date(2026, 3, 2),
        professional=pharmacy,
        tiers_payant=True,
        kind="medicine",
        act_code="PH7",
        label="Boîte",
        charged="9.30",
        medicine_rate=D("0.65"),
        base=D("3.10"),
        quantity=3,
    )
    payments_run(day=date(2026, 3, 3))  # to the pharmacy: the franchise (3 boxes) is carried forward
    consultation = paid(insured, day=date(2026, 3, 10))
    assert consultation.amount == D("16.00")  # 30 x 70 % - PF 2 = 19, less the 3 carried
    html = page_of(logged.get(reverse("reimbursements:payment_detail", args=[consultation.public_id])))
    breakdown = re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", html.split('id="calcul-titre"', 1)[1]))
    assert eur("Remboursé pour les actes ci-dessus 19,00 €") in breakdown
    assert eur("Reprise de retenues reportées") in breakdown and eur("-3,00 €") in breakdown
    assert eur("Montant du paiement 16,00 €") in breakdown
    listed = page_of(logged.get(reverse("reimbursements:payments")))
    assert eur("16,00 €") in listed and eur("après reprise de 3,00 € de retenues reportées") in listed
    assert eur("Franchises dues en 2026 : <strong>3,00 € sur 50&nbsp;€") in listed
    rows = list(
        csv.DictReader(
            io.StringIO(csv_body(logged.get(reverse("reimbursements:payments_csv")))), delimiter=";"
        )
    )
    boxes = next(r for r in rows if r["Code acte"] == "PH7")
    assert boxes["Quantité"] == "3" and boxes["Franchise due"] == "3,00" and boxes["Reporté"] == "3,00"
    recovery = next(r for r in rows if r["Libellé"].startswith("Reprise de retenues reportées"))
    assert recovery["Remboursé"] == "-3,00" and recovery["Date de paiement"] == "11/03/2026"
    on_the_day = [r for r in rows if r["Date de paiement"] == "11/03/2026"]
    assert sum(D(r["Remboursé"].replace(",", ".")) for r in on_the_day) == consultation.amount
