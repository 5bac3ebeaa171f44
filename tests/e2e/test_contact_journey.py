"""A person without an account writes from the public contact page, makes a mistake, sends it,
gets an acknowledgment without their message; a conseiller answers from the back office's queue
and the person gets the answer by email. Public pages are checked with axe-core and the CSP.
"""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from accounts.nir import generate_nir
from messaging.models import ContactRequest
from tests.e2e.conftest import MOBILE, assert_no_csp_violations, page_checker, screenshot, signed_in_page
from tests.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

checked = page_checker("contact")


@pytest.fixture
def conseiller(db):
    user = StaffFactory(username="conseiller.contact")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="messaging", codename__in=["view_contactrequest", "change_contactrequest"]
        )
    )
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


def test_a_visitor_writes_and_a_conseiller_answers_by_email(browser, live_server, page, conseiller):
    nir = generate_nir(sex=2, year=1991, month=4, department="69", commune="123", order=45).number
    page.goto(live_server.url + reverse("public:contact"))
    expect(page.get_by_role("heading", level=2, name="Poser une question en ligne")).to_be_visible()
    checked(page, "formulaire")

    page.get_by_role("textbox", name=re.compile("^Nom")).fill("Martin")
    page.get_by_role("textbox", name=re.compile("^Prénom")).fill("Léa")
    page.get_by_role("textbox", name=re.compile("^Numéro de sécurité sociale")).fill(nir)
    page.get_by_role("combobox", name=re.compile("^Objet")).select_option(label="Je n'ai pas reçu mon code")
    page.get_by_role("textbox", name=re.compile("^Votre message")).fill(
        "Bonjour, mon code provisoire n'est jamais arrivé."
    )
    page.get_by_role("textbox", name=re.compile("^Votre adresse électronique")).fill("lea.martin@")
    page.get_by_role("button", name="Envoyer ma demande").click()

    summary = page.locator("#erreurs")
    expect(summary).to_contain_text("Saisissez une adresse électronique valide")
    expect(summary).to_be_focused()
    # What was typed is kept, except the NIR, which is never written back into the page.
    expect(page.get_by_role("textbox", name=re.compile("^Votre message"))).to_have_value(
        "Bonjour, mon code provisoire n'est jamais arrivé."
    )
    expect(page.get_by_role("textbox", name=re.compile("^Numéro de sécurité sociale"))).to_have_value("")
    assert nir not in page.content()
    checked(page, "erreurs")
    page.set_viewport_size(MOBILE)
    checked(page, "erreurs-mobile")

    page.get_by_role("textbox", name=re.compile("^Votre adresse électronique")).fill(
        "lea.martin@exemple.test"
    )
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre demande est envoyée")
    assert nir not in page.url
    checked(page, "envoyee")

    [ack] = mail.outbox
    assert ack.to == ["lea.martin@exemple.test"]
    assert "jamais arrivé" not in ack.body
    request = ContactRequest.objects.get()
    assert request.nir == ""  # not retyped after the error: nothing kept

    with signed_in_page(browser, live_server, conseiller) as admin:
        admin.goto(live_server.url + reverse("admin:messaging_contactrequest_changelist"))
        admin.get_by_role("link", name="Je n'ai pas reçu mon code").first.click()
        expect(admin.get_by_text("Bonjour, mon code provisoire n'est jamais arrivé.")).to_be_visible()
        admin.get_by_label("Répondre par courriel").fill(
            "Bonjour, un nouveau courrier vous est envoyé aujourd'hui."
        )
        admin.get_by_role("button", name="Enregistrer", exact=True).click()
        expect(admin.locator(".messagelist")).to_contain_text("Réponse envoyée par courriel")
        screenshot(admin, "contact-back-office-reponse")
        assert_no_csp_violations(admin)

    request.refresh_from_db()
    assert request.status == ContactRequest.Status.ANSWERED and request.answered_by == conseiller
    answer = mail.outbox[-1]
    assert answer.to == ["lea.martin@exemple.test"]
    assert "un nouveau courrier vous est envoyé aujourd'hui" in answer.body
