"""Relevé de remboursements: a period of payments, through the same document pipeline."""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from attestations import services
from attestations.models import Document
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post, settlement_reverse
from reimbursements.templatetags.money import euros, percent
from tests.factories import BeneficiaryFactory, CareActFactory, CareSheetFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACT = Path(__file__).resolve().parents[2] / "artifacts" / "documents" / "releve.pdf"
PERIOD = (date(2026, 5, 1), date(2026, 5, 31))


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel("2026-06-15 10:00 +0200", tick=False):
        yield


def flat(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def pdf_text(document) -> str:
    with document.file.open("rb") as f:
        reader = PdfReader(io.BytesIO(f.read()))
    return flat("\n".join(page.extract_text() for page in reader.pages))


def care(insured, *, care_date, charged, paid_on, label, beneficiary=None, professional=None):
    sheet = CareSheetFactory(
        insured=insured,
        beneficiary=beneficiary,
        received_on=care_date,
        professional=professional or ProfessionalFactory(),
    )
    CareActFactory(sheet=sheet, care_date=care_date, charged=Decimal(charged), label=label)
    [settlement] = care_sheet_post(sheet=sheet, actor=None)
    payments_run(day=paid_on)
    settlement.refresh_from_db()
    return settlement


@pytest.fixture
def household(insured):
    insured.first_names, insured.last_name = "Camille", "Durand"
    insured.save()
    return insured


@pytest.fixture
def two_payments(household):
    lou = BeneficiaryFactory(insured=household, first_names="Lou")
    gp = ProfessionalFactory(name="Dr Alice Bernard")
    return [
        care(
            household,
            care_date=date(2026, 5, 4),
            charged="30.00",
            paid_on=date(2026, 5, 7),
            label="Consultation généraliste",
            professional=gp,
        ),
        care(
            household,
            care_date=date(2026, 5, 12),
            charged="50.00",
            paid_on=date(2026, 5, 20),
            label="Consultation pédiatre",
            beneficiary=lou,
            professional=ProfessionalFactory(name="Dr Paul Petit"),
        ),
    ]


def request_statement(insured, period=PERIOD):
    return services.document_request(insured=insured, kind=Document.Kind.STATEMENT, period=period)


def test_the_pdf_lists_each_line_and_the_totals(household, two_payments, other_insured):
    outside = care(
        household,
        care_date=date(2026, 4, 2),
        charged="26.50",
        paid_on=date(2026, 4, 8),
        label="Acte hors période",
    )
    care(
        other_insured,
        care_date=date(2026, 5, 5),
        charged="30.00",
        paid_on=date(2026, 5, 7),
        label="Soin d'un autre assuré",
        professional=ProfessionalFactory(name="Dr Autre Personne"),
    )
    document = request_statement(household)
    document.refresh_from_db()
    assert document.status == Document.Status.READY
    assert (document.period_start, document.period_end) == PERIOD
    text = " ".join(pdf_text(document).split())  # names wrap in the table's narrow columns
    for expected in (
        "Relevé de remboursements",
        household.caisse.name,
        "Camille Durand",
        "1er mai 2026",
        "31 mai 2026",
        "Dr Alice Bernard",
        "Dr Paul Petit",
        "Consultation généraliste",
        "Lou Durand",
        "04/05/2026",
        "07/05/2026",
        "12/05/2026",
        "20/05/2026",
        document.code_display,
        "Totaux par bénéficiaire",
    ):
        assert expected in text, expected
    for line in two_payments:
        for amount in (line.act.charged, line.base, line.paid, line.participation_withheld):
            assert flat(euros(amount)) in text, amount
        assert flat(percent(line.rate)) in text
    paid = sum(line.paid for line in two_payments)
    deductions = sum(line.participation_withheld + line.franchise_withheld for line in two_payments)
    assert deductions > 0
    assert flat(euros(paid)) in text
    assert (
        f"(sur les soins eux-mêmes et reprises, moins les retenues rendues) : {flat(euros(deductions))}"
    ) in text
    assert f"Versé sur la période : {flat(euros(paid))}" in text
    assert "Acte hors période" not in text and flat(euros(outside.act.charged)) not in text
    assert "Soin d'un autre assuré" not in text and "Dr Autre Personne" not in text
    assert household.nir not in text  # a relevé carries no NIR
    assert document.download_name == "releve-remboursements-2026-05-01-2026-05-31.pdf"
    with document.file.open("rb") as f:  # kept to be looked at, like the e2e screenshots
        ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
        ARTIFACT.write_bytes(f.read())


def test_the_same_period_and_data_reuse_the_document(household, two_payments):
    first = request_statement(household)
    assert request_statement(household).pk == first.pk
    other_period = request_statement(household, (date(2026, 5, 1), date(2026, 5, 15)))
    assert other_period.pk != first.pk
    assert Document.objects.count() == 2


def test_a_new_payment_in_the_period_makes_a_new_document(household, two_payments):
    first = request_statement(household)
    care(
        household,
        care_date=date(2026, 5, 25),
        charged="30.00",
        paid_on=date(2026, 5, 28),
        label="Consultation de suivi",
    )
    second = request_statement(household)
    assert second.pk != first.pk
    first.refresh_from_db()
    second.refresh_from_db()
    assert "Consultation de suivi" in pdf_text(second)
    assert "Consultation de suivi" not in pdf_text(first)


def test_a_line_cancelled_then_recovered_makes_a_new_document_each_time(household, two_payments, staff):
    first = request_statement(household)
    settlement_reverse(settlement=two_payments[0], actor=staff, reason="Acte facturé deux fois")
    cancelled = request_statement(household)
    assert cancelled.pk != first.pk
    cancelled.refresh_from_db()
    assert "sera repris sur un prochain paiement" in " ".join(pdf_text(cancelled).split())
    # A later payment takes the money back (the first new act alone only covers the debt, so
    # nothing is paid until the second): the relevé's line says on which payment.
    for day in (date(2026, 6, 4), date(2026, 6, 5)):
        care(household, care_date=day, charged="30.00", paid_on=day, label="Consultation de suivi")
    recovered = request_statement(household)
    assert recovered.pk not in (first.pk, cancelled.pk)
    recovered.refresh_from_db()
    assert "repris sur le paiement du 05/06/2026" in " ".join(pdf_text(recovered).split())
    assert request_statement(household).pk == recovered.pk


def test_the_form_asks_for_last_month(household, two_payments, client):
    client.force_login(household.user)
    page = client.get(reverse("attestations:list")).content.decode()
    assert "Relevé du mois dernier" in page and 'min="2024-03-15"' in page
    response = client.post(reverse("attestations:request_statement"), {"mois": "1"})
    assert response.status_code == 302
    document = Document.objects.get(owner=household, kind=Document.Kind.STATEMENT)
    assert (document.period_start, document.period_end) == PERIOD
    page = client.get(reverse("attestations:list")).content.decode()
    assert "Relevé de remboursements du 01/05/2026 au 31/05/2026" in page


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-06-01", "2026-06-16", "Cette date est dans le futur : choisissez au plus tard le 15/06/2026."),
        (
            "2024-03-14",
            "2024-05-31",
            "Vos paiements sont consultables sur 27 mois : choisissez une date à partir du 15/03/2024.",
        ),
        ("2026-05-31", "2026-05-01", "La date de fin doit être postérieure ou égale à la date de début."),
        ("2026-05-01", "", "Indiquez la date de fin."),
        ("31/02/2026", "2026-05-01", "Saisissez une date valide"),
    ],
)
def test_the_period_is_checked_in_french_and_kept(household, client, start, end, message):
    client.force_login(household.user)
    response = client.post(reverse("attestations:request_statement"), {"start": start, "end": end})
    assert response.status_code == 400
    page = response.content.decode().replace("&#x27;", "'")
    assert message in page
    assert f'value="{start}"' in page or not start
    assert not Document.objects.exists()


def test_the_verification_page_shows_the_kind_and_period(household, two_payments, client):
    document = request_statement(household)
    document.refresh_from_db()
    page = client.get(reverse("attestations:verify"), {"code": document.verification_code}).content.decode()
    assert "Document authentique et valable" in page
    assert "Relevé de remboursements" in page and "du 01/05/2026 au 31/05/2026" in page
    assert household.nir not in page and "Durand" not in page and "Consultation" not in page


def test_another_insured_cannot_download_a_statement(household, two_payments, other_insured, client):
    document = request_statement(household)
    client.force_login(other_insured.user)
    assert client.get(reverse("attestations:download", args=[document.public_id])).status_code == 404


def test_the_database_refuses_a_statement_without_period(household):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Document.objects.create(owner=household, kind=Document.Kind.STATEMENT, content_key="x")
