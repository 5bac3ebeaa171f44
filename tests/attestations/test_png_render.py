"""Page 1 of every kind of document rendered to PNG (pdftoppm), kept as a test artefact beside
the browser tests' screenshots, so that a reviewer sees each layout without opening a PDF."""

import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from PIL import Image

from attestations import services
from attestations.models import Document
from reimbursements.models import Vaccination
from reimbursements.services.allowances import daily_allowance_pay
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post
from tests.e2e.conftest import SCREENSHOTS
from tests.factories import BeneficiaryFactory, CareActFactory, CareSheetFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) absent"),
]


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files"), "base_url": None},
        },
    }


@pytest.fixture
def household(insured):
    with time_machine.travel("2026-06-15 10:00 +0200", tick=False):
        insured.first_names, insured.last_name = "Camille", "Durand"
        insured.medecin_traitant = "Dr Anne Martin"
        insured.save()
        child = BeneficiaryFactory(insured=insured, first_names="Lou", birth_date=date(2018, 9, 30))
        sheet = CareSheetFactory(insured=insured, received_on=date(2026, 5, 4))
        CareActFactory(sheet=sheet, care_date=date(2026, 5, 4))
        care_sheet_post(sheet=sheet, actor=None)
        payments_run(day=date(2026, 5, 7))
        daily_allowance_pay(
            insured=insured,
            kind="maladie",
            period_start=date(2025, 3, 2),
            period_end=date(2025, 3, 15),
            daily_gross=Decimal("41.47"),
            paid_on=date(2025, 3, 20),
        )
        Vaccination.objects.create(
            insured=insured, vaccine="Comirnaty", disease="COVID-19", vaccinated_on=date(2021, 6, 16)
        )
        Vaccination.objects.create(
            insured=insured,
            beneficiary=child,
            vaccine="Priorix",
            disease="Rougeole, oreillons, rubéole (ROR)",
            vaccinated_on=date(2019, 10, 1),
        )
    return insured


KINDS = {
    Document.Kind.RIGHTS: None,
    Document.Kind.STATEMENT: (date(2026, 5, 1), date(2026, 5, 31)),
    Document.Kind.DAILY_ALLOWANCES: (date(2025, 1, 1), date(2026, 6, 15)),
    Document.Kind.TAX: (date(2025, 1, 1), date(2025, 12, 31)),
    Document.Kind.VACCINATION: None,
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_page_one_renders_to_a_non_blank_png(household, kind, tmp_path):
    with time_machine.travel("2026-06-15 10:00 +0200", tick=False):
        document = services.document_request(insured=household, kind=kind, period=KINDS[kind])
    document.refresh_from_db()
    pdf = tmp_path / "document.pdf"
    with document.file.open("rb") as f:
        pdf.write_bytes(f.read())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"document-{kind}"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "72", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(target)],
        check=True,
        timeout=60,
    )
    png = target.with_suffix(".png")
    assert png.exists()
    with Image.open(png) as image:
        grey = image.convert("L")
        width, height = grey.size
        assert height > width if kind != Document.Kind.STATEMENT else width > height
        dark = sum(grey.histogram()[:128])  # pixels darker than mid-grey: text, rules, QR code
    assert dark > 0.01 * width * height, "page blanche"
