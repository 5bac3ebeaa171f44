"""Mes démarches in a browser: a lost carte Vitale, a RIB change accepted in the back office,
a prestation whose complement is asked by staff and answered by the insured.

Sessions are made by Django's test client (see conftest.signed_in_page). Every page of the
portal we add is checked with axe-core and against the Content-Security-Policy.
"""

import re
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import HealthCard
from requests_app.models import Request
from tests.e2e.conftest import (
    MOBILE,
    page_checker,
    screenshot,
    signed_in_page,
)
from tests.factories import HealthCardFactory, InsuredFactory, StaffFactory, UserFactory
from tests.requests_app.helpers import jpeg_bytes, pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


checked = page_checker("demarches")


def pdf(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes()}


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }


@pytest.fixture
def person(db):
    return UserFactory(
        insured__first_names="Camille",
        insured__last_name="Durand",
        insured__iban="FR7630004000010001234567830",
    )


@pytest.fixture
def conseiller(db):
    user = StaffFactory(first_name="Alex", last_name="Conseil")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="requests_app",
            codename__in=["view_request", "change_request", "view_attachment"],
        )
    )
    return user


def start(page, live_server, title):
    page.goto(live_server.url + reverse("requests_app:list"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes démarches")
    page.get_by_role("link", name="Faire une démarche").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Faire une démarche")
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def staff_moves(browser, live_server, conseiller, request, steps):
    """The conseiller opens the request in the back office and clicks each action in turn."""
    with signed_in_page(browser, live_server, conseiller) as admin:
        admin.goto(live_server.url + reverse("admin:requests_app_request_change", args=[request.pk]))
        for action, reason in steps:
            admin.get_by_role("link", name=action, exact=True).click()
            expect(admin.get_by_role("heading", level=1)).to_contain_text(action)
            if reason:
                admin.get_by_label("attendu" if action == "Demander un complément" else "Motif").fill(reason)
            admin.get_by_role("button", name=action).click()
            expect(admin.locator(".messagelist")).to_contain_text(f"Démarche {request.reference}")
        screenshot(admin, f"demarches-back-office-{request.kind}")


def test_a_lost_carte_vitale_is_opposed_at_once(browser, live_server, person):
    HealthCard.objects.create(
        insured=person.insured, kind="vitale", status="valid", valid_from=date(2020, 1, 1)
    )
    with signed_in_page(browser, live_server, person) as page:
        page.goto(live_server.url + reverse("requests_app:list"))
        checked(page, "liste-vide")
        start(page, live_server, "Commander une carte Vitale")
        page.get_by_role("button", name="Déposer ma demande").click()
        expect(page.locator("#erreurs")).to_be_visible()
        checked(page, "vitale-erreurs")

        page.get_by_label("Perte").check()
        page.get_by_label("Photo d'identité").set_input_files(
            {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}
        )
        page.get_by_label("Pièce d'identité").set_input_files(pdf("cni.pdf"))
        checked(page, "vitale-formulaire")
        page.get_by_role("button", name="Déposer ma demande").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Carte Vitale")
        expect(page.locator(".messages")).to_contain_text("mise en opposition")
        expect(page.locator(".request-status")).to_have_text("Déposée")
        expect(page.get_by_role("link", name="Pièce d'identité")).to_be_visible()
        checked(page, "vitale-deposee")
        page.set_viewport_size(MOBILE)
        checked(page, "vitale-deposee-mobile")

        assert HealthCard.objects.get(insured=person.insured).status == "opposed"
        page.goto(live_server.url + reverse("accounts:vitale_card"))
        expect(page.locator("body")).to_contain_text("en opposition")

        page.goto(live_server.url + reverse("requests_app:list"))
        expect(page.get_by_role("link", name="Carte Vitale")).to_be_visible()
        checked(page, "liste")


def test_a_rib_change_applies_once_staff_accept_it(browser, live_server, person, conseiller):
    with signed_in_page(browser, live_server, person) as page:
        start(page, live_server, "Changer de coordonnées bancaires")
        page.get_by_label("Nouvel IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
        page.get_by_label("RIB (relevé d'identité bancaire)").set_input_files(pdf("rib.pdf"))
        page.get_by_role("button", name="Déposer ma demande").click()
        expect(page.locator(".request-status")).to_have_text("Déposée")
        expect(page.locator("body")).to_contain_text("FR76 •••• •••• 0189")
        checked(page, "rib-deposee")
        person.insured.refresh_from_db()
        assert person.insured.iban == "FR7630004000010001234567830"

        request = Request.objects.get()
        staff_moves(
            browser,
            live_server,
            conseiller,
            request,
            [("Mettre en instruction", ""), ("Accepter", "RIB vérifié.")],
        )

        page.reload()
        expect(page.locator(".request-status")).to_have_text("Acceptée")
        expect(page.get_by_role("heading", name="Décision de votre caisse")).to_be_visible()
        checked(page, "rib-acceptee")
    person.insured.refresh_from_db()
    assert person.insured.iban == "FR7630006000011234567890189"


def test_a_prestation_complement_is_asked_and_answered(browser, live_server, person, conseiller):
    with signed_in_page(browser, live_server, person) as page:
        start(page, live_server, "Demander une prestation")
        page.get_by_label("Équipement ou prestation demandé").fill("Fauteuil roulant")
        page.get_by_label("Montant du devis (en euros)").fill("1250,00")
        page.get_by_label(re.compile(r"^Devis")).set_input_files(pdf("devis.pdf"))
        page.get_by_role("button", name="Déposer ma demande").click()
        expect(page.locator(".request-status")).to_have_text("Déposée")

        request = Request.objects.get()
        staff_moves(
            browser,
            live_server,
            conseiller,
            request,
            [
                ("Mettre en instruction", ""),
                ("Demander un complément", "Le devis signé par le fournisseur."),
            ],
        )

        page.reload()
        expect(page.locator(".request-status")).to_have_text("Complément demandé")
        expect(page.locator(".request-expected")).to_have_text("Le devis signé par le fournisseur.")
        checked(page, "prestation-complement")
        page.get_by_role("button", name="Envoyer mes documents").click()
        expect(page.locator("#erreurs")).to_contain_text("Joignez au moins un document")
        checked(page, "prestation-complement-erreur")
        page.get_by_label("Documents demandés").set_input_files([pdf("devis-signe.pdf")])
        page.get_by_label("Message pour votre caisse (facultatif)").fill("Voici le devis signé.")
        page.get_by_role("button", name="Envoyer mes documents").click()

        expect(page.locator(".messages")).to_contain_text("de nouveau en instruction")
        expect(page.locator(".request-status")).to_have_text("En instruction")
        expect(page.locator(".request-attachments")).to_contain_text("devis-signe.pdf")
        expect(page.locator(".request-timeline")).to_contain_text("Voici le devis signé.")
        checked(page, "prestation-reponse")
    request.refresh_from_db()
    assert request.status == "instruction" and request.attachments.count() == 2


def test_the_public_carte_vitale_form(page, live_server, person):
    """Without an account: the loss is declared, then confirmed with the code emailed to the
    address on file; only then is the old card opposed."""
    holder = InsuredFactory(
        first_names="Noémie",
        last_name="Lefèvre",
        birth_date=date(1984, 3, 9),
        postal_code="75010",
        email="noemie@exemple.test",
    )
    card = HealthCardFactory(insured=holder)
    page.goto(live_server.url + reverse("public:home"))
    page.get_by_role("link", name="Commander une carte Vitale sans compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Commander une carte Vitale sans compte")
    checked(page, "publique")
    page.get_by_role("button", name="Commander ma carte Vitale").click()
    expect(page.locator("#erreurs")).to_be_visible()
    checked(page, "publique-erreurs")

    page.get_by_label("Numéro de sécurité sociale").fill(holder.nir)
    page.get_by_label(re.compile(r"^\s*Nom\s*:?\s*$")).fill("lefevre")
    page.get_by_label("Date de naissance").fill("09/03/1984")
    page.get_by_label("Code postal").fill("75010")
    page.get_by_label("Perte").check()
    page.get_by_label("Photo d'identité").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}
    )
    page.get_by_label("Pièce d'identité").set_input_files(pdf("cni.pdf"))
    page.get_by_role("checkbox", name=re.compile(r"^J'accepte les conditions d'utilisation")).check()
    page.get_by_role("checkbox", name=re.compile(r"^J'ai pris connaissance de la notice")).check()
    page.get_by_role("button", name="Commander ma carte Vitale").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer la demande de carte Vitale")
    expect(page.get_by_role("status")).to_contain_text("Si ces informations correspondent à un assuré")
    checked(page, "publique-a-confirmer")
    card.refresh_from_db()
    assert card.status == "valid"  # nothing done before the confirmation
    [email] = [m for m in mail.outbox if m.to == ["noemie@exemple.test"]]
    code = re.search(r"\b\d{4} \d{4}\b", email.body).group(0)
    assert holder.nir not in email.body

    page.get_by_label("Code de confirmation reçu par courriel").fill(
        "0000 0001" if code != "0000 0001" else "0000 0002"
    )
    page.get_by_role("button", name="Confirmer ma demande").click()
    expect(page.locator("#erreurs")).to_contain_text("pas valable")
    checked(page, "publique-code-erreur")
    page.get_by_label("Code de confirmation reçu par courriel").fill(code)
    page.get_by_role("button", name="Confirmer ma demande").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre demande de carte Vitale est confirmée")
    expect(page.get_by_role("status")).to_contain_text("mise en opposition")
    checked(page, "publique-confirmee")
    page.set_viewport_size(MOBILE)
    checked(page, "publique-confirmee-mobile")
    card.refresh_from_db()
    assert card.status == "opposed"
    assert Request.objects.get(insured=holder).public_confirmation.confirmed_by == "code"
