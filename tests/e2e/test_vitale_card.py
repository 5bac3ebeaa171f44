"""An insured person goes from "Mon espace" to "Ma carte Vitale" and reads where each card stands.

Checked with axe-core and against the Content-Security-Policy, on desktop and mobile.
"""

from datetime import date

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.services.cards import health_card_deliver, vitale_card_oppose, vitale_card_order
from tests.e2e.conftest import (
    DESKTOP,
    MOBILE,
    page_checker,
    signed_in_page,
)
from tests.factories import BeneficiaryFactory, HealthCardFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


checked = page_checker("carte-vitale")


@pytest.fixture
def person(db):
    user = UserFactory(insured__first_names="Camille", insured__last_name="Durand")
    insured = user.insured
    teen = BeneficiaryFactory(insured=insured, first_names="Maël", birth_date=date(2008, 1, 11))
    BeneficiaryFactory(insured=insured, first_names="Lou", birth_date=date(2018, 9, 30))
    HealthCardFactory(insured=insured)
    vitale_card_oppose(insured=insured, reason="theft")
    health_card_deliver(card=vitale_card_order(insured=insured, reason="theft"))
    HealthCardFactory(insured=insured, beneficiary=teen)
    vitale_card_order(insured=insured, beneficiary=teen, reason="malfunction")
    return user


def test_insured_reads_the_state_and_history_of_the_households_cards(browser, live_server, person):
    with signed_in_page(browser, live_server, person) as page:
        page.goto(live_server.url + reverse("accounts:home"))
        page.get_by_role("link", name="Ma carte Vitale").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Ma carte Vitale")

        mine = page.get_by_role("region", name="Votre carte (Camille Durand)")
        expect(mine).to_contain_text("Carte Vitale valide")
        history = mine.get_by_role("list", name="Historique de vos cartes")
        expect(history).to_contain_text("en opposition")
        expect(history).to_contain_text("Mise en opposition (vol)")

        teen = page.get_by_role("region", name="Maël Durand")
        expect(teen).to_contain_text("Une nouvelle carte Vitale a été commandée")
        expect(teen).to_contain_text("la carte actuelle reste valide")
        expect(page.get_by_role("region", name="Lou Durand")).to_contain_text(
            "figure sur la carte Vitale de ses parents"
        )
        assert person.insured.nir not in page.content()
        checked(page, "foyer")

        page.set_viewport_size(MOBILE)
        checked(page, "foyer-mobile")
        page.set_viewport_size(DESKTOP)

        page.get_by_role("link", name="Faire une démarche").first.click()
        assert page.url.endswith(reverse("requests_app:list"))
