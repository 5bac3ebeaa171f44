"""« Mes paiements » keeps the year's counters and the chart in the cache, per insured person.

Every write that changes them gives the person's `PaymentFigures` a new version in its own
transaction (aggregates.figures_refresh); these tests fill the cache with a first page view,
write, and check that the next page view shows the new figures.
"""

import html as html_module
import io
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Insured
from reimbursements.models import FiguresMonth, PaymentFigures
from reimbursements.services.importing import import_care_sheets
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post, settlement_reverse
from tests.factories import (
    BeneficiaryFactory,
    CareActFactory,
    CareSheetFactory,
    ProfessionalFactory,
    UserFactory,
)
from tests.reimbursements.test_admin import CARE_PERMS, grant
from tests.reimbursements.test_import import act_row, to_csv

pytestmark = pytest.mark.django_db
D = Decimal
NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(date(2026, 3, 20), tick=False):
        yield date(2026, 3, 20)


@pytest.fixture
def logged(client, insured):
    client.force_login(insured.user)
    return client


def care(insured, *, day=date(2026, 3, 10), beneficiary=None, **sheet):
    """One GP consultation (30 €: 19 € paid, 2 € of participation forfaitaire), posted."""
    act = CareActFactory(
        sheet=CareSheetFactory(insured=insured, beneficiary=beneficiary, received_on=day, **sheet),
        care_date=day,
        charged=D("30.00"),
        kind="doctor",
        act_code="G",
        label="Consultation",
    )
    [settlement] = care_sheet_post(sheet=act.sheet, actor=None)
    return settlement


def view(client, query: str = "") -> str:
    response = client.get(reverse("reimbursements:payments") + query)
    assert response.status_code == 200
    return response.content.decode()


def figures(page: str) -> dict:
    """What the counters and the chart say, in words: {person: (participations, franchises)},
    the year, the chart's total and its table's rows."""
    counters = re.search(
        r'<section class="section" aria-labelledby="plafonds-titre">.*?</section>', page, re.S
    ).group()
    chart = re.search(
        r'<section class="section" aria-labelledby="graphique-titre">.*?</section>', page, re.S
    ).group()
    people = {}
    for person in counters.split("<h3>")[1:]:
        name = person.split("</h3>", 1)[0]
        amounts = re.findall(r"<strong>(.*?) sur ", person)
        people[html_module.unescape(name)] = tuple(a.replace(NBSP, " ") for a in amounts)
    table = re.search(r"<tbody>.*?</tbody>", chart, re.S).group()
    rows = re.findall(r'<th scope="row">(.*?)</th><td class="amount">(.*?)</td>', table)
    return {
        "year": re.search(r"franchises dues en (\d{4})", counters).group(1),
        "people": people,
        "total": re.search(r"<strong>(.*?)</strong> au total", chart).group(1).replace(NBSP, " "),
        "months": [(label, amount.replace(NBSP, " ")) for label, amount in rows],
    }


def me(insured) -> str:
    return f"{insured} (vous)"


def without_csrf(page: str) -> str:
    """The page less the logout form's CSRF token, masked afresh at each request."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


# --- each writer shows on the next page ----------------------------------------------------


def test_posting_a_care_sheet_shows_on_the_next_page(logged, insured):
    care(insured, day=date(2026, 3, 2))
    assert figures(view(logged))["people"] == {me(insured): ("2,00 €", "0,00 €")}
    care(insured, day=date(2026, 3, 9))
    assert figures(view(logged))["people"] == {me(insured): ("4,00 €", "0,00 €")}


def test_a_payment_run_shows_on_the_next_page(logged, insured):
    care(insured, day=date(2026, 3, 2))
    assert figures(view(logged))["total"] == "0,00 €"
    payments_run(day=date(2026, 3, 6))
    shown = figures(view(logged))
    assert shown["total"] == "19,00 €" and ("Mars 2026", "19,00 €") in shown["months"]


def test_a_payment_to_a_professional_shows_on_the_patients_page(logged, insured):
    """Tiers payant: the transfer goes to the pharmacy, the chart is the patient's."""
    pharmacy = ProfessionalFactory(kind="medicine", specialty="")
    act = CareActFactory(
        sheet=CareSheetFactory(
            insured=insured, professional=pharmacy, tiers_payant=True, received_on=date(2026, 3, 2)
        ),
        care_date=date(2026, 3, 2),
        kind="medicine",
        act_code="PH7",
        label="Boîte",
        charged=D("10.00"),
        base=D("10.00"),
        medicine_rate=D("0.65"),
    )
    [settlement] = care_sheet_post(sheet=act.sheet, actor=None)
    assert figures(view(logged))["total"] == "0,00 €"
    [payment] = payments_run(day=date(2026, 3, 6))
    assert payment.professional == pharmacy and payment.insured is None
    assert figures(view(logged))["total"] == f"{settlement.paid:.2f} €".replace(".", ",")


def test_reversing_an_act_shows_on_the_next_page(logged, insured, staff):
    care(insured, day=date(2026, 3, 2))
    cancelled = care(insured, day=date(2026, 3, 3))
    payments_run(day=date(2026, 3, 6))
    shown = figures(view(logged))
    assert shown["people"] == {me(insured): ("4,00 €", "0,00 €")} and shown["total"] == "38,00 €"
    settlement_reverse(settlement=cancelled, actor=staff, reason="Acte saisi deux fois")
    shown = figures(view(logged))
    assert shown["people"] == {me(insured): ("2,00 €", "0,00 €")} and shown["total"] == "19,00 €"


def test_an_imported_batch_shows_on_the_page_of_each_of_its_people(client, insured, other_insured, staff):
    doctor = ProfessionalFactory()
    pages = {}
    for person in (insured, other_insured):
        care(person, day=date(2026, 3, 2))
        client.force_login(person.user)
        pages[person.pk] = figures(view(client))["people"]
        assert pages[person.pk] == {me(person): ("2,00 €", "0,00 €")}
    rows = [
        act_row("A", insured.nir, doctor.rpps, care_date="2026-03-09"),
        act_row("B", other_insured.nir, doctor.rpps, care_date="2026-03-10"),
        act_row("C", other_insured.nir, doctor.rpps, care_date="2026-03-11"),
    ]
    report = import_care_sheets(io.StringIO(to_csv(rows)), actor=staff)
    assert report.sheets_posted == 3 and not report.rejected
    client.force_login(insured.user)
    assert figures(view(client))["people"] == {me(insured): ("4,00 €", "0,00 €")}
    client.force_login(other_insured.user)
    assert figures(view(client))["people"] == {me(other_insured): ("6,00 €", "0,00 €")}


def test_the_back_office_buttons_show_on_the_next_page(client, insured, staff):
    """Posting and reversing from the admin (staff with both permissions) go through the services."""
    grant(staff, CARE_PERMS)
    care(insured, day=date(2026, 3, 2))
    sheet = CareActFactory(
        sheet=CareSheetFactory(insured=insured, received_on=date(2026, 3, 9)),
        care_date=date(2026, 3, 9),
        charged=D("30.00"),
        kind="doctor",
        act_code="G",
    ).sheet
    client.force_login(insured.user)
    assert figures(view(client))["people"] == {me(insured): ("2,00 €", "0,00 €")}
    client.force_login(staff)
    response = client.post(reverse("admin:reimbursements_caresheet_post", args=[sheet.pk]))
    assert response.status_code == 302
    client.force_login(insured.user)
    assert figures(view(client))["people"] == {me(insured): ("4,00 €", "0,00 €")}
    client.force_login(staff)
    settlement = sheet.acts.get().settlement
    response = client.post(
        reverse("admin:reimbursements_caresheet_reverse", args=[settlement.pk]),
        {"reason": "Acte saisi deux fois"},
    )
    assert response.status_code == 302
    client.force_login(insured.user)
    assert figures(view(client))["people"] == {me(insured): ("2,00 €", "0,00 €")}


def test_saving_an_insured_read_before_a_write_does_not_bring_old_figures_back(logged, insured):
    """An admin edit saves the whole row of an instance read earlier: not its figures version."""
    care(insured, day=date(2026, 3, 2))
    assert figures(view(logged))["total"] == "0,00 €"
    read_before = Insured.objects.get(pk=insured.pk)
    payments_run(day=date(2026, 3, 6))
    read_before.city = "Brest"
    read_before.save()
    assert figures(view(logged))["total"] == "19,00 €"
    assert Insured.objects.get(pk=insured.pk).city == "Brest"


# --- keys ----------------------------------------------------------------------------------------


def test_two_people_never_share_an_entry(client):
    """Same name, no beneficiaries, one version for both (one payment run): each their own figures."""
    first, second = (
        UserFactory(insured__last_name="Martin", insured__first_names="Claude").insured for _ in range(2)
    )
    care(first, day=date(2026, 3, 2))
    for day in (date(2026, 3, 3), date(2026, 3, 4)):
        care(second, day=day)
    payments_run(day=date(2026, 3, 6))
    versions = {f.version for f in PaymentFigures.objects.filter(insured__in=[first, second])}
    assert len(versions) == 1 and str(first) == str(second)
    for person, total in ((first, "19,00 €"), (second, "38,00 €"), (first, "19,00 €"), (second, "38,00 €")):
        client.force_login(person.user)
        assert figures(view(client))["total"] == total


def test_a_new_year_starts_new_counters_without_any_write(client, insured):
    with time_machine.travel(date(2026, 12, 31), tick=False):
        care(insured, day=date(2026, 12, 30))
        payments_run(day=date(2026, 12, 31))
        client.force_login(insured.user)
        shown = figures(view(client))
        assert shown["year"] == "2026" and shown["people"][me(insured)] == ("2,00 €", "0,00 €")
        assert shown["months"][-1] == ("Décembre 2026", "19,00 €")
    with time_machine.travel(date(2027, 1, 1), tick=False):
        client.force_login(insured.user)  # the session of the day before has run out
        shown = figures(view(client))
        assert shown["year"] == "2027" and shown["people"][me(insured)] == ("0,00 €", "0,00 €")
        assert shown["months"][-2:] == [("Décembre 2026", "19,00 €"), ("Janvier 2027", "0,00 €")]


def test_a_new_or_renamed_beneficiary_shows_in_the_counters(logged, insured):
    child = BeneficiaryFactory(insured=insured, first_names="Lou", birth_date=date(2000, 1, 1))
    care(insured, day=date(2026, 3, 2), beneficiary=child)
    assert figures(view(logged))["people"] == {
        me(insured): ("0,00 €", "0,00 €"),
        str(child): ("2,00 €", "0,00 €"),
    }
    child.first_names = "Louise"
    child.save()
    baby = BeneficiaryFactory(insured=insured, first_names="Noé")
    people = figures(view(logged))["people"]
    assert people == {
        me(insured): ("0,00 €", "0,00 €"),
        f"Louise {child.last_name}": ("2,00 €", "0,00 €"),
        str(baby): ("0,00 €", "0,00 €"),
    }


# --- the cache changes nothing but the time ------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?person=&kind=doctor&period=12", "?start=2026-01-01&page=2"])
def test_the_page_is_the_same_from_a_cold_and_a_warm_cache(logged, insured, staff, query):
    child = BeneficiaryFactory(insured=insured, first_names="Lou")
    for n in range(25):
        care(insured, day=date(2026, 1, 5 + n), beneficiary=child if n % 3 else None)
        payments_run(day=date(2026, 1, 6 + n))
    care(insured, day=date(2026, 3, 2))
    settlement_reverse(settlement=care(insured, day=date(2026, 3, 3)), actor=staff, reason="Doublon")
    cold = view(logged, query)
    warm = view(logged, query)
    cache.clear()
    again = view(logged, query)
    assert "Voir le tableau" in cold and "Participations forfaitaires et franchises dues en 2026" in cold
    assert without_csrf(cold) == without_csrf(warm) == without_csrf(again)


def test_a_warm_page_reads_no_figures_and_a_write_makes_it_read_them_again(logged, insured):
    care(insured, day=date(2026, 3, 2))

    def figures_queries():
        with CaptureQueriesContext(connection) as queries:
            view(logged)
        return [q["sql"] for q in queries if FiguresMonth._meta.db_table in q["sql"]]

    assert len(figures_queries()) == 1  # cold
    assert figures_queries() == []  # from the cache
    care(insured, day=date(2026, 3, 9))
    assert len(figures_queries()) == 1
    assert figures_queries() == []
    care(UserFactory().insured, day=date(2026, 3, 9))  # someone else's figures
    assert figures_queries() == []


def test_the_page_is_computed_without_the_cache_when_the_cache_is_down(logged, insured, monkeypatch):
    care(insured, day=date(2026, 3, 2))
    warm = without_csrf(view(logged))

    def down(*args, **kwargs):
        raise ConnectionError("Redis injoignable")

    monkeypatch.setattr(cache, "get_many", down)
    monkeypatch.setattr(cache, "set_many", down)
    care(insured, day=date(2026, 3, 9))
    page = view(logged)
    assert figures(page)["people"] == {me(insured): ("4,00 €", "0,00 €")}
    assert without_csrf(page) != warm
