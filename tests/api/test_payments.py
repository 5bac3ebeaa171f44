"""« Mes paiements » and the simulator through the API: the figures a person reads on the site
are the figures an app receives, for every insured person of the demo.

The site's side is read from the HTML it serves (tests/api/pages.py), as a person reads it:
not from the view's context, so that a figure the template would compute differently fails.
"""

import re
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.demo import INSURED_PASSWORD
from accounts.models import User
from api.v1 import api
from reimbursements.templatetags.money import euros, percent
from tests.api import pages
from tests.api.conftest import ApiClient, paid_care, sign_in
from tests.factories import BeneficiaryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WEB = "/remboursements/paiements/"


def _day(value: str) -> str:
    return f"{date.fromisoformat(value):%d/%m/%Y}"


def _api_pages(api_client, url):
    """Every item of a cursor-paginated list, following ``next``."""
    items = []
    while url:
        response = api_client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["results"]
        url = body["next"]
    return items


def _web_pages(web, query=""):
    """Every row of the list on the site, page by page, and the count it announces."""
    first = pages.parse(web.get(f"{WEB}?{query}").content.decode())
    count = int(re.search(r"(\d+) paiements? \.", _scope(first)).group(1))
    rows, number, page = [], 1, first
    while True:
        rows += [
            (row, _detail_link(row_node))
            for row, row_node in zip(
                pages.rows(page, "Paiements, du plus récent"), _row_nodes(page), strict=True
            )
        ]
        if not page.first("nav", "pager") or "Page suivante" not in page.first("nav", "pager").text:
            break
        number += 1
        page = pages.parse(web.get(f"{WEB}?{query}&page={number}").content.decode())
    return count, rows


def _scope(page) -> str:
    return next(p.text for p in page.all("p") if p.attrs.get("id") == "paiements-portee")


def _row_nodes(page):
    table = pages.table(page, "Paiements, du plus récent")
    return list(table.first("tbody").all("tr")) if table else []


def _detail_link(tr) -> str:
    return tr.first("a").attrs["href"]


def _same_list(web, api_client, query=""):
    count, web_rows = _web_pages(web, query)
    api_rows = _api_pages(api_client, f"/api/v1/paiements?{query}")
    assert count == len(api_rows) == len(web_rows), query
    for (row, link), item in zip(web_rows, api_rows, strict=True):
        assert row["Date"] == _day(item["paid_on"])
        who = "Vous" if item["paid_to"] == "insured" else f"{item['professional_name']} tiers payant"
        assert row["Versé à"] == who
        shown = pages.amounts(row["Montant"])
        assert shown[0] == euros(Decimal(item["amount"]))
        notes = [euros(Decimal(item[name])) for name in ("recovered", "refunded") if Decimal(item[name])]
        assert shown[1:] == notes
        assert int(row["Actes"]) == item["act_count"]
        assert link.endswith(f"/{item['id']}/")
    return api_rows


LINE_FIELDS = {  # the detail page's column -> the API's field
    "Facturé": "charged",
    "Base": "base",
    "Part Assurance Maladie": "amo",
    "Part. forfaitaire due": "participation_due",
    "Franchise due": "franchise_due",
    "Retenu sur ce soin": "withheld",
    "Remboursé pour ce soin": "reimbursed",
    "Ticket modérateur": "ticket_moderateur",
    "Dépassement": "depassement",
}


def _same_detail(web, api_client, payment_id):
    page = pages.parse(web.get(f"{WEB}{payment_id}/").content.decode())
    detail = api_client.get(f"/api/v1/paiements/{payment_id}").json()
    assert page.first("dd", "payment-summary__amount").text == euros(Decimal(detail["amount"]))
    web_lines = pages.rows(page, "Actes remboursés par ce paiement")
    assert len(web_lines) == len(detail["lines"]) == detail["act_count"]
    for row, line in zip(web_lines, detail["lines"], strict=True):
        assert row["Date des soins"] == _day(line["care_date"])
        assert line["patient"] in row["Acte"] and line["professional_name"] in row["Acte"]
        assert f"({line['act_code']})" in row["Acte"]
        assert int(row["Quantité"]) == line["quantity"]
        assert row["Taux"] == percent(Decimal(line["rate"])) == line["rate_label"]
        for label, name in LINE_FIELDS.items():
            assert row[label] == euros(Decimal(line[name])), (payment_id, label)
        assert pages.amounts(row["Reporté"])[0] == euros(Decimal(line["carried_forward"]))
        assert ("Annulé" in row["Acte"]) == (line["reversal"] is not None)
    breakdown = {row["th"]: row[""] for row in pages.rows(page, "Du remboursement des actes")}
    figures = detail["breakdown"]
    assert breakdown.pop("Remboursé pour les actes ci-dessus") == euros(Decimal(figures["for_lines"]))
    total = next(key for key in breakdown if key.startswith("Montant du paiement"))
    assert breakdown.pop(total) == euros(Decimal(figures["amount"])) == euros(Decimal(detail["amount"]))
    for key, name in (("Reprise de retenues reportées", "recovered"), ("Actes annulés repris", "taken_back")):
        found = [value for label, value in breakdown.items() if label.startswith(key)]
        assert found == ([f"-{euros(Decimal(figures[name]))}"] if Decimal(figures[name]) else [])
    given_back = [value for label, value in breakdown.items() if label.startswith("Retenues rendues")]
    assert given_back == ([f"+{euros(Decimal(figures['refunded']))}"] if Decimal(figures["refunded"]) else [])
    assert Decimal(figures["refunded"]) == sum((Decimal(r["amount"]) for r in detail["refunds"]), Decimal(0))
    taken = pages.rows(page, "Reprises sur ce paiement")
    assert [row["Effet"] for row in taken] == [
        f"-{euros(Decimal(t['amount']))}" for t in detail["taken_back"]
    ]


def _same_pending(web, api_client):
    page = pages.parse(web.get(WEB).content.decode())
    pending = api_client.get("/api/v1/paiements/en-cours").json()
    web_rows = pages.rows(page, "Soins remboursés, pas encore payés")
    assert len(web_rows) == len(pending["results"]) == min(pending["count"], 20)
    for row, line in zip(web_rows, pending["results"], strict=True):
        assert row["Date des soins"] == _day(line["care_date"]) and row["Patient"] == line["patient"]
        assert int(row["Quantité"]) == line["quantity"]
        assert pages.amounts(row["Remboursé pour ce soin"])[0] == euros(Decimal(line["reimbursed"]))


def _same_counters_and_months(web, api_client):
    page = pages.parse(web.get(WEB).content.decode())
    counters = api_client.get("/api/v1/paiements/compteurs").json()
    people = list(page.all("li", "counters__person"))
    assert len(people) == len(counters["people"])
    for node, person in zip(people, counters["people"], strict=True):
        assert node.first("h3").text.startswith(person["name"])
        pf, fr = (p.text for p in node.all("p", "counter__text"))
        assert pages.amounts(pf)[0] == euros(Decimal(person["participation"]["amount"]))
        assert pages.amounts(fr)[0] == euros(Decimal(person["franchise"]["amount"]))
        assert ("plafond atteint" in pf) == person["participation"]["reached"]
        for cls, name in (
            ("counter__withheld", "withheld"),
            ("counter__carried", "carried_forward"),
            ("counter__outstanding", "to_recover"),
        ):
            assert node.first("span", cls).text == euros(Decimal(person[name]))
    months = api_client.get("/api/v1/paiements/mois").json()
    web_months = pages.rows(page, "Remboursements par mois de paiement")
    assert [(row["th"].lower(), row[""]) for row in web_months] == [
        (m["label"], euros(Decimal(m["amount"]))) for m in months["months"]
    ]
    chart = pages.table(page, "Remboursements par mois de paiement")
    assert pages.amounts(chart.first("tfoot").text) == [euros(Decimal(months["total"]))]
    return counters


def test_the_api_s_figures_are_the_site_s_for_every_demo_insured(settings):
    settings.DEMO_MODE = True
    call_command("seed_demo", stdout=StringIO())
    users = list(User.objects.filter(insured__isnull=False).select_related("insured"))
    assert len(users) >= 3
    checked_payments = 0
    for user in users:
        web = Client()
        web.force_login(user)
        api_client = ApiClient(sign_in(user, password=INSURED_PASSWORD))
        items = _same_list(web, api_client)
        for item in items:
            _same_detail(web, api_client, item["id"])
        checked_payments += len(items)
        _same_pending(web, api_client)
        counters = _same_counters_and_months(web, api_client)
        # The filters: each person of the household, a kind of care, a shorter period, dates.
        for person in counters["people"]:
            _same_list(web, api_client, f"person={person['person_id']}&period=27")
        _same_list(web, api_client, "kind=medicine&period=27")
        _same_list(web, api_client, "period=3")
        start = timezone.localdate() - timedelta(days=200)
        _same_list(web, api_client, f"start={start}&end={start + timedelta(days=90)}")
        # The spreadsheet: the very same file.
        for query in ("", "kind=doctor&period=6"):
            page_csv = b"".join(web.get(f"{WEB}export.csv?{query}").streaming_content)
            api_csv = b"".join(api_client.get(f"/api/v1/paiements/export.csv?{query}").streaming_content)
            assert api_csv == page_csv and page_csv.count(b"\r\n") > 1
    assert checked_payments > 20  # the demo has history: the comparison compared something


def test_the_list_walks_back_and_forth_by_cursor_without_losing_a_payment():
    user = UserFactory()
    ids = [str(paid_care(user.insured, days_ago=days).public_id) for days in (3, 3, 3, 10, 20, 40, 40)]
    api_client = ApiClient(sign_in(user))
    first = api_client.get("/api/v1/paiements?page_size=3").json()
    second = api_client.get(first["next"]).json()
    third = api_client.get(second["next"]).json()
    seen = [p["id"] for page in (first, second, third) for p in page["results"]]
    assert sorted(seen) == sorted(ids) and third["next"] is None
    dates = [p["paid_on"] for page in (first, second, third) for p in page["results"]]
    assert dates == sorted(dates, reverse=True)
    back = api_client.get(third["previous"]).json()
    assert [p["id"] for p in back["results"]] == [p["id"] for p in second["results"]]


def test_a_filter_the_page_refuses_is_a_422_with_its_message():
    user = UserFactory()
    api_client = ApiClient(sign_in(user))
    today = timezone.localdate()
    response = api_client.get(f"/api/v1/paiements?start={today}&end={today - timedelta(days=5)}")
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"champ": "query.end", "message": "La date de fin doit être postérieure à la date de début."}
    ]
    stranger = BeneficiaryFactory()  # someone else's child: not a person of this household
    response = api_client.get(f"/api/v1/paiements?person={stranger.public_id}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "Choisissez l'une des personnes de la liste."


def test_a_payment_s_lines_add_up_to_its_amount():
    user = UserFactory(insured__iban="FR7630006000011234567890189")
    payment = paid_care(user.insured)
    detail = ApiClient(sign_in(user)).get(f"/api/v1/paiements/{payment.public_id}").json()
    [line] = detail["lines"]
    assert (line["base"], line["rate_label"], line["amo"]) == ("30.00", "70\u00a0%", "21.00")
    assert line["participation_due"] == line["withheld"] == "2.00"
    assert line["reimbursed"] == detail["amount"] == detail["breakdown"]["amount"] == "19.00"
    assert detail["iban_masked"] == "FR76 •••• •••• 0189" and payment.iban not in str(detail)


SIMULATION = {"care": "gp", "price": "30.00", "age": 40, "cover": "none"}


def test_the_simulator_answers_anyone_the_site_s_worked_example_and_writes_nothing():
    question = {**SIMULATION, "care_date": str(timezone.localdate())}
    with CaptureQueriesContext(connection) as queries:
        response = Client().post("/api/v1/simulateur", question, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["paid"], body["participation"], body["ticket_moderateur"]) == ("19.00", "2.00", "9.00")
    assert body["remaining"] == "11.00" and body["advance"] == "30.00"
    assert not [
        q
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    # The site's page, same question, same figures.
    page = Client().get(
        reverse("reimbursements:simulator"),
        {**question, "sector": "1", "coordinated_path": "yes", "tiers_payant": "none"},
    )
    assert "19,00\u00a0€" in page.content.decode()


def test_the_simulator_refuses_as_the_page_does_in_french():
    later = str(timezone.localdate() + timedelta(days=3))
    response = Client().post(
        "/api/v1/simulateur",
        {**SIMULATION, "care": "medicine", "care_date": later},
        content_type="application/json",
    )
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    errors = {e["champ"]: e["message"] for e in response.json()["errors"]}
    assert errors["care_date"] == "La date des soins ne peut pas être dans le futur."
    assert errors["medicine_rate"] == "Choisissez le taux de remboursement du médicament."
    response = Client().post("/api/v1/simulateur", "{pas du json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "Le corps de la requête n'est pas un JSON lisible."


def test_every_operation_said_to_have_no_effect_writes_nothing():
    """A POST the document marks x-no-side-effects, called with the document's own example."""
    schema = api.get_openapi_schema()
    marked = [
        (path, op)
        for path, item in schema["paths"].items()
        for op in item.values()
        if op.get("x-no-side-effects")
    ]
    assert marked
    for path, operation in marked:
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        example = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["examples"][0]
        with CaptureQueriesContext(connection) as queries:
            response = Client().post(path, example, content_type="application/json")
        assert response.status_code == 200, (path, response.content)
        assert not [
            q
            for q in queries.captured_queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        ], path


def test_a_payment_that_gives_deductions_back_reads_as_on_its_page():
    """A recovery made for an act cancelled since, given back on the next payment (« Retenues
    rendues »): the API's detail, its breakdown and its list say what the page says."""
    from reimbursements.services.payments import payments_run
    from reimbursements.services.posting import settlement_reverse
    from tests.factories import StaffFactory
    from tests.reimbursements.test_ledger import carry_franchises, post_gp

    user, agent = UserFactory(), StaffFactory()
    boxes = carry_franchises(user.insured, agent)
    post_gp(user.insured, agent)
    payments_run(day=date(2026, 3, 11))
    settlement_reverse(settlement=boxes, actor=agent, reason="Boîtes non délivrées")
    [refund_payment] = payments_run(day=date(2026, 3, 12))
    web = Client()
    web.force_login(user)
    api_client = ApiClient(sign_in(user))
    detail = api_client.get(f"/api/v1/paiements/{refund_payment.public_id}").json()
    assert detail["breakdown"]["refunded"] == detail["amount"] == "3.00"
    assert [r["amount"] for r in detail["refunds"]] == ["3.00"]
    assert detail["refunds"][0]["care_date"] == "2026-03-02"
    _same_detail(web, api_client, refund_payment.public_id)
    listed = {p["id"]: p for p in _same_list(web, api_client, "period=27")}
    assert listed[str(refund_payment.public_id)]["refunded"] == "3.00"
