"""Account journeys in the browser: creation (IBAN or mailed code), login with the
emailed code, lockout then reset, email change. Every page visited is checked with
axe-core (WCAG 2.1 AA) and against the Content-Security-Policy."""

import re
from datetime import date

import pytest
from django.core import mail
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from accounts.models import PostalLetter, User
from accounts.nir import compute_key
from tests.accounts.helpers import last_code, letter_code
from tests.e2e.conftest import assert_no_axe_violations, assert_no_csp_violations, screenshot
from tests.factories import PASSWORD, InsuredFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Bleu-Horizon-42"
WRONG_PASSWORD = "Motdepasse-Faux-1"


def checked(page, name: str | None = None):
    """The page as it stands passes axe and the CSP; with a name, keep a screenshot."""
    page.wait_for_load_state()
    if name:
        screenshot(page, f"account-{name}")
    assert_no_axe_violations(page)
    assert_no_csp_violations(page)


def field(page, label: str):
    """The input labelled ``label`` (Django's French forms add " :" to labels)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*:?\s*$"))


def at(page, url_name: str):
    expect(page).to_have_url(re.compile(re.escape(reverse(url_name)) + "$"))


def submit(page, label: str):
    with page.expect_navigation():
        page.get_by_role("button", name=label, exact=True).click()


def spaced(nir: str) -> str:
    return f"{nir[:1]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:]}"


def assert_in_my_space(page, insured):
    at(page, "accounts:home")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
    expect(page.locator("main")).to_contain_text(insured.nir_masked)
    html = page.content()
    assert insured.nir not in html and spaced(insured.nir) not in html


@pytest.fixture
def person(db):
    return InsuredFactory(last_name="Lefèvre", first_names="Noémie",
                          iban="FR7630004000010001234567830", birth_date=date(1984, 3, 9))


def fill_identity(page, insured, **overrides):
    values = {
        "nir": spaced(insured.nir),
        "last_name": "lefevre",
        "birth_date": insured.birth_date.strftime("%d/%m/%Y"),
        "postal_code": insured.postal_code,
    } | overrides
    field(page, "Numéro de sécurité sociale").fill(values["nir"])
    field(page, "Nom").fill(values["last_name"])
    field(page, "Date de naissance").fill(values["birth_date"])
    field(page, "Code postal").fill(values["postal_code"])
    return values


def start_signup(page, live_server, insured, *, shots: str):
    page.goto(live_server.url + reverse("public:home"))
    checked(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Créer mon compte").first.click()
    at(page, "accounts:signup_identity")
    checked(page)
    fill_identity(page, insured)
    checked(page, f"{shots}-1-identity")
    submit(page, "Continuer")
    at(page, "accounts:signup_proof")
    checked(page, f"{shots}-2-proof")


def create_credentials_and_confirm(page, email: str, *, shots: str):
    at(page, "account_signup")
    rules = page.locator("main")
    for rule in ("8 caractères", "une lettre majuscule", "un chiffre", "date de naissance"):
        expect(rules).to_contain_text(rule)
    field(page, "Adresse électronique").fill(email)
    field(page, "Mot de passe").fill(NEW_PASSWORD)
    field(page, "Confirmez le mot de passe").fill(NEW_PASSWORD)
    checked(page, f"{shots}-3-credentials")
    submit(page, "Créer mon compte")

    at(page, "account_email_verification_sent")
    expect(page.locator("main")).to_contain_text(email)
    checked(page, f"{shots}-4-email-code")
    field(page, "Code").fill(last_code(email))
    submit(page, "Confirmer")


def test_creation_by_iban(page, live_server, person):
    start_signup(page, live_server, person, shots="iban")
    field(page, "Les 7 derniers caractères de votre IBAN").fill(person.iban[-7:])
    submit(page, "Vérifier")
    checked(page)
    create_credentials_and_confirm(page, "noemie@exemple.test", shots="iban")

    assert_in_my_space(page, person)
    checked(page, "iban-5-my-space")
    user = User.objects.get(insured=person)
    assert user.emailaddress_set.get().verified


def test_creation_by_provisional_code(page, live_server, person):
    start_signup(page, live_server, person, shots="letter")
    submit(page, "Recevoir un code provisoire par courrier")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre code provisoire est en route")
    checked(page, "letter-3-sent")
    letter = PostalLetter.objects.get(insured=person)
    assert letter.status == PostalLetter.Status.TO_PRINT
    code = letter_code(letter)

    with page.expect_navigation():
        page.get_by_role("link", name="Saisir mon code provisoire").click()
    at(page, "accounts:signup_code")
    field(page, "Numéro de sécurité sociale").fill(person.nir + compute_key(person.nir))
    field(page, "Code provisoire reçu par courrier").fill(code)
    checked(page, "letter-4-code")
    submit(page, "Valider le code")
    create_credentials_and_confirm(page, "noemie@exemple.test", shots="letter")

    assert_in_my_space(page, person)
    checked(page, "letter-7-my-space")
    assert person.provisional_codes.get().used_at is not None


def test_a_wrong_birth_date_gives_the_generic_message_and_keeps_the_fields(page, live_server, person):
    page.goto(live_server.url + reverse("accounts:signup_identity"))
    checked(page)
    values = fill_identity(page, person, birth_date="10/03/1984")
    submit(page, "Continuer")

    at(page, "accounts:signup_identity")
    errors = page.get_by_role("alert")
    expect(errors).to_have_count(1)
    expect(errors).to_have_text(
        "Nous n'avons pas pu vérifier votre identité avec ces informations. Vérifiez chacune "
        "d'elles : elles doivent être celles que connaît votre caisse."
    )
    expect(field(page, "Numéro de sécurité sociale")).to_have_value(values["nir"])
    expect(field(page, "Nom")).to_have_value(values["last_name"])
    expect(field(page, "Date de naissance")).to_have_value(values["birth_date"])
    expect(field(page, "Code postal")).to_have_value(values["postal_code"])
    checked(page, "identity-mismatch")


# --- login ---------------------------------------------------------------------


def log_in(page, live_server, user, password, *, shots: str | None = None):
    page.goto(live_server.url + reverse("account_login"))
    field(page, "Numéro de sécurité sociale").fill(spaced(user.username))
    field(page, "Mot de passe").fill(password)
    checked(page, shots and f"{shots}-login")
    submit(page, "Se connecter")


def confirm_login_code(page, user, *, shots: str | None = None):
    at(page, "account_confirm_login_code")
    checked(page, shots and f"{shots}-code")
    field(page, "Code").fill(last_code(user.email))
    submit(page, "Confirmer")
    at(page, "mfa_trust")
    checked(page, shots and f"{shots}-trust")
    submit(page, "Ne pas faire confiance")
    assert_in_my_space(page, user.insured)
    checked(page, shots and f"{shots}-my-space")


def test_login_with_the_emailed_code(page, live_server):
    user = UserFactory()
    log_in(page, live_server, user, PASSWORD, shots="login-1")
    confirm_login_code(page, user, shots="login-2")


def test_lockout_then_unlock_by_password_reset(page, live_server):
    user = UserFactory()
    for attempt in range(5):
        log_in(page, live_server, user, WRONG_PASSWORD)
        expect(page.locator(".form-errors")).to_contain_text("incorrect")
        checked(page, "lockout-1-wrong-password" if attempt == 0 else None)
    user.refresh_from_db()
    assert user.locked_at is not None
    assert any("verrouillé" in m.subject for m in mail.outbox if user.email in m.to)

    log_in(page, live_server, user, PASSWORD)
    at(page, "account_login")
    expect(page.locator(".form-errors")).to_contain_text("incorrect")
    expect(page.locator("main")).not_to_contain_text("verrouill")
    checked(page, "lockout-2-right-password-refused")

    with page.expect_navigation():
        page.get_by_role("link", name="Mot de passe oublié ?").first.click()
    at(page, "account_reset_password")
    field(page, "Numéro de sécurité sociale").fill(user.username)
    field(page, "Adresse électronique de votre compte").fill(user.email)
    checked(page, "lockout-3-reset")
    submit(page, "Réinitialiser mon mot de passe")

    at(page, "account_confirm_password_reset_code")
    checked(page, "lockout-4-reset-code")
    field(page, "Code").fill(last_code(user.email, digits=8))
    submit(page, "Confirmer")

    field(page, "Nouveau mot de passe").fill(NEW_PASSWORD)
    field(page, "Nouveau mot de passe (confirmation)").fill(NEW_PASSWORD)
    checked(page, "lockout-5-new-password")
    submit(page, "Modifier le mot de passe")
    checked(page, "lockout-6-done")
    user.refresh_from_db()
    assert user.locked_at is None

    log_in(page, live_server, user, NEW_PASSWORD)
    confirm_login_code(page, user)


# --- email change --------------------------------------------------------------


def test_email_change_confirmed_by_a_code_sent_to_the_new_address(page, live_server):
    try:
        profile_url = reverse("accounts:profile")
    except NoReverseMatch:
        pytest.skip("la page « Mes informations » (accounts:profile) n'existe pas encore")
    user = UserFactory()
    old, new = user.email, "nouvelle.adresse@exemple.test"
    log_in(page, live_server, user, PASSWORD)
    confirm_login_code(page, user)

    page.goto(live_server.url + profile_url)
    checked(page, "email-1-profile")
    with page.expect_navigation():
        page.locator(f"main a[href='{reverse('account_email')}']").first.click()
    checked(page, "email-2-manage")
    field(page, "Changer pour").fill(new)
    submit(page, "Changer d'e-mail")
    checked(page, "email-3-code")
    field(page, "Code").fill(last_code(new))
    submit(page, "Confirmer")
    checked(page, "email-4-done")

    user.refresh_from_db()
    assert user.email == new
    assert any(old in m.to for m in mail.outbox if new not in m.to)
