"""An insured person writes to the caisse, a conseiller answers in the back office, the insured
person sees the unread counter in the header, reads the answer, and the counter goes back to zero.

Both sessions are made by Django's test client and their cookies handed to the browser. The
conseiller has an authenticator, as the back office requires. Every insured page is checked with
axe-core and against the Content-Security-Policy.
"""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from messaging.models import Thread
from tests.e2e.conftest import (
    DESKTOP,
    MOBILE,
    assert_no_csp_violations,
    page_checker,
    screenshot,
    signed_in_page,
)
from tests.factories import StaffFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


checked = page_checker("messagerie")


@pytest.fixture
def person(db):
    return UserFactory(insured__first_names="Camille", insured__last_name="Durand")


@pytest.fixture
def conseiller(db):
    user = StaffFactory(username="conseiller.e2e")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="messaging",
            codename__in=["view_thread", "change_thread", "view_message", "add_message"],
        )
    )
    # The notice form looks the insured person up in the register.
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="view_insured")
    )
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


def header_link(page):
    return page.locator(".account-actions").get_by_role("link", name=re.compile("^Messagerie"))


def test_a_message_exchange_between_an_insured_person_and_the_caisse(
    browser, live_server, person, conseiller
):
    with signed_in_page(browser, live_server, person) as page:
        page.goto(live_server.url + reverse("accounts:home"))
        expect(header_link(page)).to_have_accessible_name("Messagerie")
        header_link(page).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Ma messagerie")
        expect(page.get_by_text("Vous n'avez aucun message pour le moment.")).to_be_visible()
        checked(page, "vide")

        page.get_by_role("link", name="Écrire à ma caisse").click()
        checked(page, "nouveau")
        page.get_by_role("button", name="Envoyer mon message").click()
        summary = page.locator("#erreurs")
        expect(summary).to_contain_text("Choisissez le thème de votre message.")
        expect(summary).to_be_focused()
        checked(page, "nouveau-erreurs")

        page.get_by_role("combobox", name=re.compile("^Thème")).select_option(label="Carte Vitale")
        page.get_by_role("textbox", name=re.compile("^Objet")).fill("Carte Vitale perdue")
        page.get_by_role("textbox", name=re.compile("^Votre message")).fill(
            "Bonjour,\nJ'ai perdu ma carte Vitale hier."
        )
        page.get_by_role("button", name="Envoyer mon message").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Carte Vitale perdue")
        expect(page.get_by_role("status")).to_contain_text("Votre message a été envoyé")
        checked(page, "fil-envoye")

    thread = Thread.objects.get(insured=person.insured)
    with signed_in_page(browser, live_server, conseiller) as admin:
        admin.goto(
            live_server.url + reverse("admin:messaging_thread_changelist") + "?awaiting_answer__exact=1"
        )
        admin.get_by_role("link", name="Carte Vitale perdue").click()
        expect(admin.get_by_text("J'ai perdu ma carte Vitale hier.")).to_be_visible()
        admin.get_by_label("Réponse de la caisse").fill(
            "Bonjour,\nNous vous envoyons une nouvelle carte sous dix jours."
        )
        admin.get_by_role("button", name="Envoyer la réponse").click()
        expect(admin.locator(".messagelist")).to_contain_text("Réponse envoyée")
        screenshot(admin, "messagerie-back-office-reponse")
        assert_no_csp_violations(admin)
    thread.refresh_from_db()
    assert not thread.awaiting_answer

    [email] = mail.outbox
    assert email.subject == "Vous avez un nouveau message"
    assert "carte" not in email.body.lower()

    with signed_in_page(browser, live_server, person) as page:
        page.goto(live_server.url + reverse("accounts:home"))
        link = header_link(page)
        expect(link).to_have_accessible_name("Messagerie, 1 message non lu")
        expect(link.locator(".header-inbox__count")).to_have_text("1")
        checked(page, "compteur")
        link.click()
        unread = page.locator(".inbox__item--unread")
        expect(unread).to_have_count(1)
        expect(unread).to_contain_text("1 non lu")
        checked(page, "boite-non-lu")
        page.set_viewport_size(MOBILE)
        checked(page, "boite-non-lu-mobile")
        page.set_viewport_size(DESKTOP)

        unread.get_by_role("link", name=re.compile("Carte Vitale perdue")).click()
        expect(page.get_by_text("Nous vous envoyons une nouvelle carte sous dix jours.")).to_be_visible()
        # Opening the thread read the answer: the header's counter is back to zero at once.
        expect(header_link(page)).to_have_accessible_name("Messagerie")
        expect(page.locator(".header-inbox__count")).to_have_count(0)
        checked(page, "fil-reponse")
        page.get_by_role("link", name="Retour à ma messagerie").click()
        expect(page.locator(".inbox__item--unread")).to_have_count(0)
        page.go_back()

        page.get_by_label("Votre réponse").fill("Merci beaucoup !")
        page.get_by_role("button", name="Envoyer ma réponse").click()
        expect(page.get_by_role("status")).to_contain_text("Votre réponse a été envoyée.")
        expect(page.locator(".conversation__message")).to_have_count(3)
        checked(page, "fil-merci")
    thread.refresh_from_db()
    assert thread.awaiting_answer


def test_notices_are_told_apart_and_take_no_reply(browser, live_server, person):
    from messaging.demo import seed_demo_messages
    from messaging.services.threads import notice_post

    seed_demo_messages(person.insured)
    notice_post(
        insured=person.insured,
        subject="Décision sur votre demande",
        body="Votre demande de carte Vitale est acceptée.",
    )
    with signed_in_page(browser, live_server, person) as page:
        page.goto(live_server.url + reverse("messaging:inbox"))
        expect(header_link(page)).to_have_accessible_name("Messagerie, 2 messages non lus")
        expect(page.locator(".inbox__item")).to_have_count(4)
        first = page.locator(".inbox__item").first
        expect(first).to_contain_text("Avis de la caisse")
        checked(page, "boite-demo")
        first.get_by_role("link").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Décision sur votre demande")
        expect(page.get_by_text("n'appelle pas de réponse")).to_be_visible()
        expect(page.get_by_role("button", name="Envoyer ma réponse")).to_have_count(0)
        expect(header_link(page)).to_have_accessible_name("Messagerie, 1 message non lu")
        checked(page, "avis")


def test_a_conseiller_sends_a_notice_from_the_back_office(browser, live_server, person, conseiller):
    with signed_in_page(browser, live_server, conseiller) as admin:
        admin.goto(live_server.url + reverse("admin:messaging_thread_changelist"))
        admin.get_by_role("link", name="Envoyer un avis à un assuré").click()
        # The insured person is found by name through the admin's autocomplete.
        admin.locator(".select2-selection").first.click()
        admin.locator(".select2-search__field").fill("Durand")
        admin.locator(".select2-results__option", has_text="Camille Durand").click()
        admin.get_by_label("Thème").select_option(label="Mon compte")
        admin.get_by_label("Objet").fill("Votre adresse a été mise à jour")
        admin.get_by_label("Texte de l'avis").fill("Nous avons enregistré votre nouvelle adresse.")
        admin.get_by_role("button", name="Envoyer l'avis").click()
        expect(admin.locator(".messagelist")).to_contain_text("Avis envoyé à Camille Durand")
        screenshot(admin, "messagerie-back-office-avis")
        assert_no_csp_violations(admin)
    thread = Thread.objects.get(insured=person.insured)
    assert thread.kind == Thread.Kind.NOTICE and thread.topic == "compte"
    assert len(mail.outbox) == 1
