"""IJ attestation, relevé fiscal and attestation de vaccination, on the documents pipeline."""

import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from attestations import services
from attestations.allowances_vaccinations import SELF
from attestations.models import Document
from reimbursements.models import Vaccination
from reimbursements.services.allowances import daily_allowance_pay
from tests.factories import BeneficiaryFactory

pytestmark = pytest.mark.django_db(transaction=True)


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
    """One space between words: table cells wrap where the PDF layout wants."""
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def pdf_text(document) -> str:
    document.refresh_from_db()
    assert document.status == Document.Status.READY
    with document.file.open("rb") as f:
        reader = PdfReader(io.BytesIO(f.read()))
    return flat("\n".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def sick(insured):
    insured.first_names, insured.last_name = "Camille", "Durand"
    insured.save()
    # Last year: 14 days of sickness (580.58 gross), 14 days of a work accident.
    daily_allowance_pay(
        insured=insured,
        kind="maladie",
        period_start=date(2025, 3, 2),
        period_end=date(2025, 3, 15),
        daily_gross=Decimal("41.47"),
        employer="ACME SARL",
        paid_on=date(2025, 3, 20),
    )
    daily_allowance_pay(
        insured=insured,
        kind="at_mp",
        period_start=date(2025, 11, 2),
        period_end=date(2025, 11, 15),
        daily_gross=Decimal("41.47"),
        paid_on=date(2025, 11, 21),
    )
    # This year: 7 days at 43.10 (301.70 gross, CSG 18.71 + CRDS 1.51, net 281.48).
    daily_allowance_pay(
        insured=insured,
        kind="maladie",
        period_start=date(2026, 4, 6),
        period_end=date(2026, 4, 12),
        daily_gross=Decimal("43.10"),
        paid_on=date(2026, 4, 17),
    )
    return insured


def test_ij_attestation_lists_each_payment_with_its_figures(sick):
    document = services.document_request(
        insured=sick, kind=Document.Kind.DAILY_ALLOWANCES, period=(date(2025, 6, 16), date(2026, 6, 15))
    )
    text = pdf_text(document)
    for expected in (
        "Attestation de paiement des indemnités journalières",
        "Camille Durand",
        "du 16 juin 2025 au 15 juin 2026",
        "Accident du travail",
        "du 02/11/2025 au 15/11/2025",
        "41,47 €",
        "580,58 €",
        "38,90 €",
        "541,68 €",
        "21/11/2025",
        "du 06/04/2026 au 12/04/2026",
        "43,10 €",
        "301,70 €",
        "20,22 €",
        "281,48 €",
        "Total de la période",
        "21",  # days
        "882,28 €",
        "59,12 €",
        "823,16 €",  # totals
        document.code_display,
    ):
        assert expected in text, expected
    assert "20/03/2025" not in text  # paid before the period
    assert document.download_name == "attestation-indemnites-journalieres-2025-06-16-2026-06-15.pdf"


def test_tax_statement_gives_the_amount_to_declare(sick):
    document = services.document_request(
        insured=sick, kind=Document.Kind.TAX, period=(date(2025, 1, 1), date(2025, 12, 31))
    )
    text = pdf_text(document)
    # 558.52 (sickness) + 279.26 (work accident, half) = 837.78
    for expected in (
        "Relevé fiscal des indemnités journalières",
        "Revenus de l'année 2025",
        "Montant imposable à déclarer pour 2025 : 837,78 €",
        "558,52 €",
        "279,26 €",
        document.code_display,
    ):
        assert expected in text, expected
    assert "301,70" not in text  # paid in 2026
    assert document.download_name == "releve-fiscal-2025.pdf"


@pytest.fixture
def vaccinated(insured):
    insured.first_names, insured.last_name = "Camille", "Durand"
    insured.save()
    child = BeneficiaryFactory(insured=insured, first_names="Lou", birth_date=date(2018, 9, 30))
    Vaccination.objects.create(
        insured=insured,
        vaccine="Comirnaty",
        disease="COVID-19",
        dose=2,
        vaccinated_on=date(2021, 6, 16),
        batch_number="FE2090",
        vaccinator="Centre de vaccination",
    )
    Vaccination.objects.create(
        insured=insured,
        beneficiary=child,
        vaccine="Priorix",
        disease="Rougeole, oreillons, rubéole (ROR)",
        dose=1,
        vaccinated_on=date(2019, 10, 1),
        batch_number="A71CB",
    )
    return insured, child


def test_vaccination_attestation_for_the_household_and_for_one_person(vaccinated):
    insured, child = vaccinated
    document = services.document_request(insured=insured, kind=Document.Kind.VACCINATION)
    text = pdf_text(document)
    for expected in (
        "Attestation de vaccination",
        "Camille Durand, né le 17 mai 1980",
        "COVID-19",
        "Comirnaty",
        "16/06/2021",
        "FE2090",
        "Lou Durand",
        "30 septembre 2018",
        "Priorix",
        "01/10/2019",
        document.code_display,
    ):
        assert expected in text, expected

    only_lou = services.document_request(
        insured=insured, kind=Document.Kind.VACCINATION, person=child.public_id.hex
    )
    text = pdf_text(only_lou)
    assert "Priorix" in text and "Comirnaty" not in text and "Camille Durand, né" not in text
    only_me = services.document_request(insured=insured, kind=Document.Kind.VACCINATION, person=SELF)
    text = pdf_text(only_me)
    assert "Comirnaty" in text and "Priorix" not in text
    assert len({document.pk, only_lou.pk, only_me.pk}) == 3


def test_a_new_vaccination_makes_a_new_document_and_same_data_reuses_it(vaccinated):
    insured, _ = vaccinated
    first = services.document_request(insured=insured, kind=Document.Kind.VACCINATION)
    assert services.document_request(insured=insured, kind=Document.Kind.VACCINATION).pk == first.pk
    Vaccination.objects.create(
        insured=insured, vaccine="Efluelda", disease="Grippe saisonnière", vaccinated_on=date(2025, 10, 21)
    )
    second = services.document_request(insured=insured, kind=Document.Kind.VACCINATION)
    assert second.pk != first.pk and "Grippe saisonnière" in pdf_text(second)


def test_a_new_ij_payment_makes_a_new_ij_attestation(sick):
    period = (date(2025, 6, 16), date(2026, 6, 15))
    first = services.document_request(insured=sick, kind=Document.Kind.DAILY_ALLOWANCES, period=period)
    assert (
        services.document_request(insured=sick, kind=Document.Kind.DAILY_ALLOWANCES, period=period).pk
        == first.pk
    )
    daily_allowance_pay(
        insured=sick,
        kind="maladie",
        period_start=date(2026, 6, 1),
        period_end=date(2026, 6, 3),
        daily_gross=Decimal("40"),
        paid_on=date(2026, 6, 5),
    )
    assert (
        services.document_request(insured=sick, kind=Document.Kind.DAILY_ALLOWANCES, period=period).pk
        != first.pk
    )


def test_the_page_offers_each_kind_with_its_defaults(sick, client):
    BeneficiaryFactory(insured=sick, first_names="Lou")
    client.force_login(sick.user)
    page = client.get(reverse("attestations:list")).content.decode()
    assert 'id="id_ij_start"' in page and 'value="2025-06-16"' in page and 'value="2026-06-15"' in page
    assert '<option value="2025" selected>2025</option>' in page
    assert "Toute la famille" in page and "Lou " in page


def test_asking_each_kind_from_the_page_and_downloading_it(sick, client):
    client.force_login(sick.user)
    child = BeneficiaryFactory(insured=sick, first_names="Lou")
    assert (
        client.post(
            reverse("attestations:request_allowances"), {"start": "2025-06-16", "end": "2026-06-15"}
        ).status_code
        == 302
    )
    assert client.post(reverse("attestations:request_tax"), {"year": "2025"}).status_code == 302
    assert (
        client.post(reverse("attestations:request_vaccination"), {"person": child.public_id.hex}).status_code
        == 302
    )
    documents = {d.kind: d for d in Document.objects.filter(owner=sick)}
    assert set(documents) == {"ij", "fiscal", "vaccination"}
    assert documents["vaccination"].person == child.public_id.hex
    assert (documents["fiscal"].period_start, documents["fiscal"].period_end) == (
        date(2025, 1, 1),
        date(2025, 12, 31),
    )
    response = client.get(reverse("attestations:download", args=[documents["fiscal"].public_id]))
    assert response["Content-Disposition"] == 'attachment; filename="releve-fiscal-2025.pdf"'
    page = client.get(reverse("attestations:list")).content.decode()
    assert "Relevé fiscal des indemnités journalières de l&#x27;année 2025" in page
    assert f"Attestation de vaccination – Lou {sick.last_name}" in page


def test_bad_parameters_are_refused_with_an_error_summary(sick, other_insured, client):
    client.force_login(sick.user)
    stranger = BeneficiaryFactory(insured=other_insured)
    response = client.post(reverse("attestations:request_vaccination"), {"person": stranger.public_id.hex})
    assert response.status_code == 400 and 'id="erreurs-vaccination"' in response.content.decode()
    response = client.post(reverse("attestations:request_tax"), {"year": "2026"})  # not over yet
    assert response.status_code == 400 and 'id="erreurs-fiscal"' in response.content.decode()
    response = client.post(
        reverse("attestations:request_allowances"), {"start": "2026-06-15", "end": "2026-06-01"}
    )
    assert response.status_code == 400 and 'id="erreurs-ij"' in response.content.decode()
    assert not Document.objects.exists()


def test_another_insured_gets_a_404_for_each_new_kind(sick, other_insured, client):
    documents = [
        services.document_request(
            insured=sick, kind=Document.Kind.DAILY_ALLOWANCES, period=(date(2025, 6, 16), date(2026, 6, 15))
        ),
        services.document_request(
            insured=sick, kind=Document.Kind.TAX, period=(date(2025, 1, 1), date(2025, 12, 31))
        ),
        services.document_request(insured=sick, kind=Document.Kind.VACCINATION),
    ]
    client.force_login(other_insured.user)
    for document in documents:
        for name in ("status", "download"):
            url = reverse(f"attestations:{name}", args=[document.public_id])
            assert client.get(url).status_code == 404


def test_the_verification_page_shows_the_kind_and_period_only(sick, client):
    document = services.document_request(
        insured=sick, kind=Document.Kind.TAX, period=(date(2025, 1, 1), date(2025, 12, 31))
    )
    page = client.get(reverse("attestations:verify"), {"code": document.code_display}).content.decode()
    assert "Document authentique et valable" in page and "Relevé fiscal" in page
    assert "de l&#x27;année 2025" in page and "C.D." in page
    assert "837" not in page and "Durand" not in page


def test_the_documents_say_nee_of_a_woman_and_ne_of_a_man(vaccinated, client):
    """The register knows each person's sex: no « né(e) » on what the caisse issues."""
    insured, child = vaccinated
    insured.sex, insured.birth_name = "2", "Martin"
    insured.save()
    child.sex = "1"
    child.save()
    daily_allowance_pay(
        insured=insured,
        kind="maladie",
        period_start=date(2026, 4, 6),
        period_end=date(2026, 4, 12),
        daily_gross=Decimal("43.10"),
        paid_on=date(2026, 4, 17),
    )
    texts = {
        kind: pdf_text(services.document_request(insured=insured, kind=kind, **extra))
        for kind, extra in [
            (Document.Kind.VACCINATION, {}),
            (Document.Kind.RIGHTS, {}),
            (Document.Kind.DAILY_ALLOWANCES, {"period": (date(2025, 6, 16), date(2026, 6, 15))}),
        ]
    }
    assert "Camille Durand, née le 17 mai 1980" in texts[Document.Kind.VACCINATION]
    assert "Lou Durand, né le 30 septembre 2018" in texts[Document.Kind.VACCINATION]
    assert "(née Martin)" in texts[Document.Kind.RIGHTS]
    assert "Camille Durand, née le 17/05/1980" in texts[Document.Kind.DAILY_ALLOWANCES]
    document = services.document_request(insured=insured, kind=Document.Kind.RIGHTS)
    page = client.get(reverse("attestations:verify"), {"code": document.code_display}).content.decode()
    assert "C.D., née en 1980" in page
    for text in [*texts.values(), page]:
        assert "(e)" not in text and "·e" not in text
