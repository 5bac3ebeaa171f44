"""« Mon espace » in a browser: its blocks, and the header's account menu used with the keyboard.

Checked with axe-core and against the Content-Security-Policy, on desktop and on a phone.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import MOBILE, page_checker, signed_in_page
from tests.factories import DemarcheFactory, HealthCardFactory, MessageFactory, ThreadFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

checked = page_checker("mon-espace")


@pytest.fixture
def person(db):
    user = UserFactory(insured__first_names="Camille", insured__last_name="Durand")
    DemarcheFactory(
        insured=user.insured, status="complement", expected_from_insured="Le devis signé du fournisseur."
    )
    MessageFactory(thread=ThreadFactory(insured=user.insured))
    HealthCardFactory(insured=user.insured)
    return user


def test_my_space_shows_what_waits_and_the_menu_opens_with_the_keyboard(browser, live_server, person):
    with signed_in_page(browser, live_server, person) as page:
        page.goto(live_server.url + reverse("accounts:home"))
        main = page.locator("main")
        waiting = page.get_by_role("heading", name="Votre caisse attend une action de votre part")
        expect(waiting).to_be_visible()
        expect(main).to_contain_text("Le devis signé du fournisseur.")
        expect(main).to_contain_text("1 message non lu de votre caisse")
        expect(main).to_contain_text("Carte Vitale valide")
        checked(page, "accueil")

        menu = page.locator("details.account-menu")
        toggle = menu.locator("summary")
        expect(toggle).to_contain_text("Camille Durand")
        items = menu.locator(".account-menu__list")
        expect(items.get_by_role("link", name="Mon profil")).to_be_hidden()
        toggle.focus()
        page.keyboard.press("Enter")
        expect(menu).to_have_attribute("open", "")
        page.keyboard.press("Tab")
        expect(items.get_by_role("link", name="Mon profil")).to_be_focused()
        checked(page, "menu-ouvert")
        page.keyboard.press("Tab")
        expect(items.get_by_role("link", name="Mes données")).to_be_focused()
        page.keyboard.press("Tab")
        expect(items.get_by_role("button", name="Se déconnecter")).to_be_focused()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_contain_text("données")

        page.set_viewport_size(MOBILE)
        page.goto(live_server.url + reverse("accounts:home"))
        checked(page, "telephone")
