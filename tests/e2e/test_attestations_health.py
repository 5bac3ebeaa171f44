"""An insured person with sick-leave payments and vaccinations on record asks for the IJ
attestation, the relevé fiscal and the attestation de vaccination, downloads each one, reads
it, and a third party checks one of them on the public verification page."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import (
    DESKTOP,
    page_checker,
    signed_in_page,
)
from tests.factories import BeneficiaryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = re.compile(r"\b([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})\b")


checked = page_checker("attestations-sante")


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }


@pytest.fixture
def person(db, private_storage):
    from reimbursements.models import Vaccination
    from reimbursements.services.allowances import daily_allowance_pay

    user = UserFactory(insured__first_names="Camille", insured__last_name="Durand")
    insured = user.insured
    lou = BeneficiaryFactory(insured=insured, first_names="Lou", birth_date=date(2018, 9, 30))
    today = timezone.localdate()
    last_year = today.year - 1
    daily_allowance_pay(
        insured=insured,
        kind="maladie",
        period_start=date(last_year, 3, 2),
        period_end=date(last_year, 3, 15),
        daily_gross=Decimal("41.47"),
        paid_on=date(last_year, 3, 20),
    )
    start = today - timedelta(days=40)
    daily_allowance_pay(
        insured=insured,
        kind="maladie",
        period_start=start,
        period_end=start + timedelta(days=6),
        daily_gross=Decimal("43.10"),
        paid_on=start + timedelta(days=10),
    )
    Vaccination.objects.create(
        insured=insured, vaccine="Comirnaty", disease="COVID-19", vaccinated_on=date(2021, 6, 16)
    )
    Vaccination.objects.create(
        insured=insured,
        beneficiary=lou,
        vaccine="Priorix",
        disease="Rougeole, oreillons, rubéole (ROR)",
        vaccinated_on=date(2019, 10, 1),
    )
    return user


@pytest.fixture
def signed_in(browser, live_server, person):
    with signed_in_page(browser, live_server, person) as page:
        yield page


def download_latest(page) -> tuple[str, str]:
    row = page.locator(".document").first
    link = row.get_by_role("link", name=re.compile("^Télécharger"))
    expect(link).to_be_visible(timeout=15_000)
    with page.expect_download() as info:
        link.click()
    download = info.value
    with open(download.path(), "rb") as f:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(f.read())).pages)
    return download.suggested_filename, " ".join(text.replace("\u202f", " ").split())


def test_ask_each_new_kind_download_it_and_verify_one(signed_in, live_server, person):
    page = signed_in
    page.goto(live_server.url + reverse("attestations:list"))
    checked(page, "formulaires")

    # IJ attestation: the period defaults to the last twelve months.
    page.get_by_role("button", name="Obtenir l'attestation d'indemnités journalières").click()
    page.wait_for_load_state()
    expect(page.locator(".document").first).to_contain_text("indemnités journalières")
    expect(page.locator(".document").first).to_contain_text("Prêt")
    name, text = download_latest(page)
    assert name.startswith("attestation-indemnites-journalieres-")
    assert "43,10 €" in text and "301,70 €" in text

    # Relevé fiscal: last year by default.
    last_year = timezone.localdate().year - 1
    expect(page.get_by_label("Année des revenus")).to_have_value(str(last_year))
    page.get_by_role("button", name="Obtenir le relevé fiscal").click()
    page.wait_for_load_state()
    name, text = download_latest(page)
    assert name == f"releve-fiscal-{last_year}.pdf"
    from reimbursements.models import DailyAllowance
    from reimbursements.templatetags.money import euros

    taxable = sum(a.taxable for a in DailyAllowance.objects.filter(paid_on__year=last_year))
    expected = euros(taxable).replace("\u202f", " ").replace("\xa0", " ")
    assert f"Montant imposable à déclarer pour {last_year} : {expected}" in text

    # Attestation de vaccination, for the child only.
    page.locator("#id_vaccination_person").select_option(label="Lou Durand")
    page.get_by_role("button", name="Obtenir l'attestation de vaccination").click()
    page.wait_for_load_state()
    expect(page.locator(".document").first).to_contain_text("Attestation de vaccination")
    checked(page, "trois-documents")
    name, text = download_latest(page)
    assert name.startswith("attestation-vaccination-")
    assert "Priorix" in text and "Comirnaty" not in text
    code = CODE.search(text).group(1)

    visitor = page.context.browser.new_context(locale="fr-FR", viewport=DESKTOP)
    public = visitor.new_page()
    public.csp_violations = []
    public.on(
        "console",
        lambda m: (
            public.csp_violations.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    public.goto(live_server.url + reverse("attestations:verify") + f"?code={code}")
    expect(public.get_by_role("status")).to_contain_text("Document authentique et valable")
    expect(public.get_by_role("status")).to_contain_text("Attestation de vaccination")
    expect(public.locator("main")).not_to_contain_text("Priorix")
    checked(public, "verification")
    visitor.close()


def test_a_wrong_choice_shows_an_error_summary(signed_in, live_server):
    page = signed_in
    page.goto(live_server.url + reverse("attestations:list"))
    page.locator("#id_ij_start").fill("2020-01-01")  # before the 27 months kept online
    page.get_by_role("button", name="Obtenir l'attestation d'indemnités journalières").click()
    page.wait_for_load_state()
    summary = page.locator("#erreurs-ij")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Du")
    checked(page, "erreur-periode")
