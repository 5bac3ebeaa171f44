"""The first hour, as each person lives it (issue 16): a new insured person from the letter
in their letterbox to the detail of their first payment, the same person on a phone.

(The staff member's first day is tests/e2e/test_staff_journey.py; the developer's first
hour, from clone to bench, is tests/test_first_hour.py.)

Everything the person reads comes from where they would read it: the letter is the PDF in the
demo mailbox, the codes are the emails in the demo mailbox, the address of the portal is the
one printed on the letter, each button is the one the letter names. Every page passes axe-core
(WCAG 2.1 AA) and the Content-Security-Policy; a screenshot of each step is kept
(artifacts/screenshots/persona-*.png).
"""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.models import PostalLetter, User
from accounts.nir import generate_nir
from accounts.services import rights
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post
from tests.e2e.conftest import MOBILE, page_checker, signed_in_page
from tests.e2e.test_account_journeys import NEW_PASSWORD, PRIVACY_BOX, TERMS_BOX, at, field, spaced
from tests.factories import (
    CareActFactory,
    CareSheetFactory,
    InsuredFactory,
    ProfessionalFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

checked = page_checker("persona")
EMAIL = "ines.bernard@exemple.test"


@pytest.fixture
def demo(settings, tmp_path, live_server):
    """The embedded demo as ``./run demo`` runs it: mails and letters in the demo mailbox,
    links made outside a request pointing at the address the portal answers on."""
    settings.DEMO_MODE = True
    settings.EMAIL_BACKEND = "ameli_portal.mailbox.DemoMailboxBackend"
    settings.SITE_URL = live_server.url
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    return live_server


@pytest.fixture
def newcomer(db, demo):
    """Inès joins the caisse: the register has her, without rights yet, and a care sheet of
    hers is paid before she has an account."""
    insured = InsuredFactory(
        first_names="Inès",
        last_name="Bernard",
        sex="2",
        birth_date=date(1991, 4, 12),
        nir=generate_nir(sex=2, year=1991, month=4, department="69", commune="123", order=45).number,
    )
    insured.coverage_periods.all().delete()
    today = timezone.localdate()
    rights.coverage_period_add(insured=insured, regime="general", start=today - timedelta(days=40))
    act = CareActFactory(
        sheet=CareSheetFactory(
            insured=insured,
            received_on=today - timedelta(days=20),
            professional=ProfessionalFactory(name="Dr Paul Petit"),
        ),
        care_date=today - timedelta(days=20),
        charged=Decimal("30.00"),
    )
    care_sheet_post(sheet=act.sheet, actor=None)
    payments_run(day=today - timedelta(days=18))
    return insured


def go(page, action):
    with page.expect_navigation():
        action()


def open_in_mailbox(page, live_server, subject: str):
    """The newest message of that subject in the demo mailbox, opened."""
    page.goto(live_server.url + reverse("public:demo_mailbox"))
    go(page, lambda: page.get_by_role("link", name=subject).first.click())
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)


def read_code_mail(browser, live_server, subject: str, shot: str) -> str:
    """The person opens their mailbox in another tab and reads the 6-digit code."""
    context = browser.new_context(locale="fr-FR")
    try:
        from tests.e2e.conftest import watched_page

        mailbox = watched_page(context)
        open_in_mailbox(mailbox, live_server, subject)
        text = mailbox.locator("pre.mail-text").inner_text()
        checked(mailbox, shot)
    finally:
        context.close()
    assert "{{" not in text and " sur ." not in text, text
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


def test_a_new_insured_from_the_letter_to_the_first_payment(browser, page, demo, newcomer):
    live_server = demo
    assert PostalLetter.objects.get(insured=newcomer).kind == PostalLetter.Kind.WELCOME

    # 1. The letter, as it lies in the letterbox (the demo mailbox keeps the PDF).
    page.goto(live_server.url + reverse("public:demo_mailbox"))
    checked(page, "1-mailbox")
    go(page, lambda: page.get_by_role("link", name="Bienvenue : votre code provisoire").click())
    checked(page, "2-letter")
    pdf_link = page.get_by_role("link", name="Ouvrir le courrier (PDF)")
    letter = page.request.get(live_server.url + pdf_link.get_attribute("href"))
    assert letter.ok and letter.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(letter.body())).pages)
    text = " ".join(text.split())
    assert "Madame," in text and "INÈS BERNARD" in text, text  # her sex, her name
    code = re.search(r"VOTRE CODE PROVISOIRE (\d{4}) ?(\d{4})", text, re.I)
    assert code, text
    code = code.group(1) + code.group(2)
    # The address printed is the one the portal answers on; the steps name its buttons.
    address = re.search(r"Rendez-vous sur le portail .*? : (\S+)", text).group(1)
    assert address.rstrip("/") == live_server.url, text
    steps = re.findall(r"(?:Cliquez sur|Choisissez) « ([^»]+) »", text)
    assert steps == ["Créer mon compte", "Saisir mon code provisoire"], text

    # 2. The steps of the letter, as written.
    page.goto(address)
    checked(page, "3-home")
    for name in steps:
        go(page, lambda name=name: page.get_by_role("link", name=name, exact=True).first.click())
        checked(page)
    at(page, "accounts:signup_code")
    field(page, "Numéro de sécurité sociale").fill(spaced(newcomer.nir))
    field(page, "Code provisoire reçu par courrier").fill(f"{code[:4]} {code[4:]}")
    checked(page, "4-code")
    go(page, lambda: page.get_by_role("button", name="Valider le code").click())

    # 3. Her address and password, then the code emailed to confirm the address.
    at(page, "account_signup")
    field(page, "Adresse électronique").fill(EMAIL)
    field(page, "Mot de passe").fill(NEW_PASSWORD)
    field(page, "Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("checkbox", name=TERMS_BOX).check()
    page.get_by_role("checkbox", name=PRIVACY_BOX).check()
    checked(page, "5-credentials")
    go(page, lambda: page.get_by_role("button", name="Créer mon compte").click())
    at(page, "account_email_verification_sent")
    checked(page, "6-confirm-address")
    confirmation = read_code_mail(
        browser, live_server, "Confirmez votre adresse électronique – Mon compte santé", "7-confirmation-mail"
    )
    field(page, "Code").fill(confirmation)
    go(page, lambda: page.get_by_role("button", name="Confirmer").click())
    at(page, "accounts:home")
    checked(page, "8-my-space-first")
    user = User.objects.get(insured=newcomer)
    assert newcomer.provisional_codes.get().used_at is not None

    # 4. She signs out, and in again the next day: password, then the code by email.
    page.locator("details.account-menu > summary").click()
    go(page, lambda: page.get_by_role("button", name="Se déconnecter").click())
    checked(page, "9-signed-out")
    page.goto(live_server.url + reverse("account_login"))
    field(page, "Numéro de sécurité sociale").fill(spaced(user.username))
    field(page, "Mot de passe").fill(NEW_PASSWORD)
    checked(page, "10-sign-in")
    go(page, lambda: page.get_by_role("button", name="Se connecter").click())
    at(page, "account_confirm_login_code")
    checked(page, "11-login-code")
    field(page, "Code reçu par courriel").fill(
        read_code_mail(
            browser, live_server, "Votre code de connexion – Mon compte santé", "12-login-code-mail"
        )
    )
    go(page, lambda: page.get_by_role("button", name="Confirmer").click())
    at(page, "mfa_trust")
    checked(page)
    go(page, lambda: page.get_by_role("button", name="Ne pas faire confiance").click())

    # 5. Mon espace says the last payment; Mes paiements lists it; its detail has the line.
    at(page, "accounts:home")
    main = page.locator("main")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
    expect(main).to_contain_text(newcomer.nir_masked)
    assert newcomer.nir not in page.content()
    last = main.get_by_role("link", name=re.compile(r"^\d+,\d\d\s€ le "))
    expect(last).to_have_count(1)
    amount = re.match(r"^(\d+,\d\d\s€)", last.inner_text()).group(1)
    assert amount == "19,00\u00a0€", amount  # 30 € at 70 %, less the 2 € participation
    checked(page, "13-my-space")
    go(page, lambda: main.get_by_role("link", name="Mes paiements", exact=True).click())
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes paiements")
    payments = page.get_by_role("table", name=re.compile("^Paiements"))
    expect(payments.get_by_role("row")).to_have_count(2)  # the header and her payment
    expect(payments).to_contain_text(amount)  # the same figure as Mon espace
    checked(page, "14-payments")
    go(page, lambda: payments.get_by_role("link", name=re.compile("^Voir le détail")).click())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paiement du")
    lines = page.get_by_role("table", name="Actes remboursés par ce paiement")
    expect(lines.get_by_role("row")).to_have_count(2)  # the header and her consultation
    expect(lines).to_contain_text("Inès")
    expect(page.locator("main")).to_contain_text(amount)
    expect(page.locator("main")).to_contain_text("Dr Paul Petit")
    checked(page, "15-payment-detail")


def test_the_same_insured_on_a_phone(browser, demo, newcomer):
    """390 px wide: the account menu opens and leads on; Mes paiements shows the payment on the
    first screen, the filters folded into one line."""
    live_server = demo
    user = UserFactory(insured=newcomer, email=EMAIL)
    with signed_in_page(browser, live_server, user) as page:
        page.set_viewport_size(MOBILE)
        page.goto(live_server.url + reverse("accounts:home"))
        checked(page, "phone-1-my-space")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= MOBILE["width"], f"la page déborde : {width} px de large"

        menu = page.locator("details.account-menu")
        toggle = menu.locator("summary")
        expect(toggle).to_be_visible()
        toggle.click()
        expect(menu).to_have_attribute("open", "")
        for name in ("Mon profil", "Mes données"):
            link = menu.get_by_role("link", name=name)
            expect(link).to_be_visible()
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= MOBILE["width"], (name, box)
            assert box["height"] >= 24, (name, box)  # a finger's target (WCAG 2.5.8)
        expect(menu.get_by_role("button", name="Se déconnecter")).to_be_visible()
        checked(page, "phone-2-menu-open")
        go(page, lambda: menu.get_by_role("link", name="Mon profil").click())
        at(page, "accounts:profile")
        checked(page, "phone-3-profile")

        page.goto(live_server.url + reverse("accounts:home"))
        go(page, lambda: page.locator("main").get_by_role("link", name="Mes paiements", exact=True).click())
        checked(page, "phone-4-payments")
        first = page.get_by_role("table", name=re.compile("^Paiements")).get_by_role("row").nth(1)
        box = first.bounding_box()
        assert box["y"] + box["height"] <= MOBILE["height"], (
            f"le paiement va de {box['y']:.0f} à {box['y'] + box['height']:.0f} px, "
            f"l'écran en a {MOBILE['height']}"
        )
        filters = page.locator("details.payments-filters-fold")
        expect(filters).not_to_have_attribute("open", "")
        folded = filters.bounding_box()  # one line above the payments, not a screen of fields
        assert folded["height"] < 60, f"filtres repliés sur {folded['height']:.0f} px"
        expect(page.get_by_label("Durée")).to_be_hidden()
        go(page, lambda: first.get_by_role("link", name=re.compile("^Voir le détail")).click())
        expect(page.get_by_role("heading", level=1)).to_contain_text("Paiement du")
        checked(page, "phone-5-detail")
