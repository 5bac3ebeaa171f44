"""An insured person looks at their payments, opens one, and downloads the lines as CSV.

The login itself is covered by the account journeys: here the session is made by Django's
test client and its cookie handed to the browser. Every page is checked with axe-core and
against the Content-Security-Policy; screenshots go to artifacts/screenshots/.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post
from tests.e2e.conftest import (
    DESKTOP,
    MOBILE,
    page_checker,
    signed_in_page,
)
from tests.factories import (
    BeneficiaryFactory,
    CareActFactory,
    CareSheetFactory,
    ProfessionalFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


checked = page_checker("payments")


def post(insured, *, day, beneficiary=None, charged="30.00"):
    act = CareActFactory(
        sheet=CareSheetFactory(
            insured=insured,
            beneficiary=beneficiary,
            received_on=day,
            professional=ProfessionalFactory(name="Dr Anne Martin"),
        ),
        care_date=day,
        charged=Decimal(charged),
    )
    care_sheet_post(sheet=act.sheet, actor=None)


@pytest.fixture
def household(db):
    user = UserFactory(insured__first_names="Camille", insured__last_name="Durand")
    insured = user.insured
    child = BeneficiaryFactory(insured=insured, first_names="Lou")
    today = timezone.localdate()
    for months_ago in (7, 4, 1):
        day = today - timedelta(days=30 * months_ago)
        post(insured, day=day)
        post(insured, day=day, beneficiary=child)
        payments_run(day=day + timedelta(days=2))
    post(insured, day=today - timedelta(days=1))  # on its way
    return user


@pytest.fixture
def signed_in(browser, live_server, household):
    with signed_in_page(browser, live_server, household) as page:
        yield page


def test_insured_reads_a_payment_and_downloads_the_lines(signed_in, live_server, household):
    page = signed_in
    page.goto(live_server.url + reverse("accounts:home"))
    with page.expect_navigation():
        page.get_by_role("link", name="Mes paiements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes paiements")
    payments = page.get_by_role("table", name=re.compile("^Paiements"))
    expect(payments.get_by_role("row")).to_have_count(4)  # header + 3 payments
    expect(payments).to_contain_text("40,00\u00a0€")  # 19,00 € for the parent, 21,00 € for the child (no PF)
    expect(page.get_by_role("img", name=re.compile("remboursements par mois"))).to_be_visible()
    counters = page.get_by_role("meter")
    expect(counters).to_have_count(4)  # PF and franchises, for the parent and the child
    expect(counters.first).to_have_accessible_name(
        re.compile(r"Participations forfaitaires dues en \d{4} : \d+,00\u00a0€ sur 50\u00a0€")
    )
    page.get_by_text("Voir le tableau").click()
    checked(page, "liste")

    page.set_viewport_size(MOBILE)
    checked(page, "liste-mobile")
    page.set_viewport_size(DESKTOP)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger ces lignes (CSV pour tableur)").click()
    download = download_info.value
    assert re.fullmatch(r"mes-remboursements-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8") as f:
        body = f.read()
    assert body.startswith("\ufeff") and body.count("\n") == 8  # header, 6 paid lines, 1 on its way
    assert ";19,00;" in body and household.insured.nir not in body
    header = body.splitlines()[0].lstrip("\ufeff")
    assert header.startswith("Date des soins;Patient;") and ";Quantité;" in header

    with page.expect_navigation():
        payments.get_by_role("link", name=re.compile("^Voir le détail")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paiement du")
    lines = page.get_by_role("table", name="Actes remboursés par ce paiement")
    expect(lines.get_by_role("row")).to_have_count(3)
    expect(lines).to_contain_text("19,00\u00a0€")
    expect(lines).to_contain_text("Lou")
    expect(lines.get_by_role("link", name="Ticket modérateur")).to_have_attribute(
        "href", reverse("public:glossary") + "#ticket-moderateur"
    )
    checked(page, "detail")
    page.set_viewport_size(MOBILE)
    checked(page, "detail-mobile")


def test_on_a_phone_the_first_payment_comes_before_the_folded_filters(browser, live_server, household):
    """390 px wide: the first payment is on the first screen; the filters are one line that opens."""
    with signed_in_page(browser, live_server, household) as page:
        page.set_viewport_size(MOBILE)
        page.goto(live_server.url + reverse("reimbursements:payments"))
        checked(page, "liste-telephone")
        first = page.get_by_role("table", name=re.compile("^Paiements")).get_by_role("row").nth(1)
        expect(first).to_be_visible()
        box = first.bounding_box()  # the whole card: date, payee, amount, acts, link to the detail
        assert box["y"] + box["height"] <= MOBILE["height"], (
            f"premier paiement de {box['y']:.0f} à "
            f"{box['y'] + box['height']:.0f} px, l'écran en a {MOBILE['height']}"
        )
        filters = page.locator("details.payments-filters-fold")
        expect(filters).not_to_have_attribute("open", "")
        expect(page.get_by_label("Durée")).to_be_hidden()
        summary = page.locator("details.payments-filters-fold > summary")
        summary.focus()  # a <summary> is reached and opened by keyboard
        page.keyboard.press("Enter")
        expect(page.get_by_label("Durée")).to_be_visible()
        checked(page, "liste-telephone-filtres")
        page.keyboard.press("Enter")  # and folded again
        expect(page.get_by_label("Durée")).to_be_hidden()
