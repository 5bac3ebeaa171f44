"""Someone holding a provisional-code letter checks on the public page that it is genuine:
the QR code's link says "courrier authentique", then "code plus valable" once it has served.
Both answers pass axe-core and the Content-Security-Policy."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.services import letters
from accounts.services.codes import provisional_code_issue, provisional_code_spend
from attestations.content import verification_url
from tests.e2e.conftest import page_checker
from tests.factories import InsuredFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

checked = page_checker("code-letter")


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }


def test_a_letter_is_checked_from_its_qr_code(page, live_server, private_storage):
    insured = InsuredFactory(first_names="Camille", last_name="Durand", city="Lyon")
    letter = provisional_code_issue(insured=insured)
    letters.letter_render(letter_id=letter.pk)
    letter.refresh_from_db()
    # The QR code's link, on the server under test.
    link = verification_url(letter.document.verification_code)
    path = link[link.index(reverse("attestations:verify")) :]

    page.goto(live_server.url + path)
    status = page.get_by_role("status")
    expect(status).to_contain_text("Courrier authentique")
    expect(status).to_contain_text("Courrier : code provisoire de création de compte")
    expect(status).to_contain_text("C.D., né en 1980")
    expect(page.locator("main")).not_to_contain_text("Durand")
    expect(page.locator("main")).not_to_contain_text("Lyon")
    checked(page, "authentique")

    provisional_code_spend(insured=insured)
    page.reload()
    expect(page.get_by_role("status")).to_contain_text("Courrier authentique, code plus valable")
    checked(page, "plus-valable")
