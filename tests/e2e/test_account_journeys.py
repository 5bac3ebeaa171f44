"""Account journeys in the browser: creation (by IBAN or by a code mailed by post),
login with the emailed code, lockout then reset, change of email address.

Every page visited is checked with axe-core (WCAG 2.1 AA) and against the
Content-Security-Policy; screenshots of the key steps go to artifacts/screenshots/.
Jobs run in-process (CELERY_TASK_ALWAYS_EAGER) and emails land in mail.outbox.
"""

import re
from datetime import date

import pytest
from django.core import mail
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from accounts.models import PostalLetter, User
from accounts.nir import compute_key
from tests.accounts.helpers import last_code, letter_code
from tests.e2e.conftest import page_checker
from tests.factories import PASSWORD, InsuredFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Bleu-Horizon-42"
WRONG_PASSWORD = "Motdepasse-Faux-1"
MISMATCH = (
    "Nous n'avons pas pu vérifier votre identité avec ces informations. Vérifiez chacune "
    "d'elles : elles doivent être celles que connaît votre caisse."
)


checked = page_checker("account")


def field(page, label: str):
    """The input labelled ``label`` (French forms end labels with " :")."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*:?\s*$"))


def at(page, url_name: str):
    expect(page).to_have_url(re.compile(re.escape(reverse(url_name)) + r"(\?.*)?$"))


def submit(page, label: str):
    with page.expect_navigation():
        page.get_by_role("button", name=label, exact=True).click()


def follow(page, link: str):
    with page.expect_navigation():
        page.get_by_role("link", name=link, exact=True).first.click()


def spaced(nir: str) -> str:
    """As printed on the carte Vitale: 1 84 03 75 056 001."""
    return f"{nir[:1]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:]}"


def assert_in_my_space(page, insured):
    at(page, "accounts:home")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
    expect(page.locator("main")).to_contain_text(insured.nir_masked)
    html = page.content()
    assert insured.nir not in html and spaced(insured.nir) not in html


# --- account creation ----------------------------------------------------------


@pytest.fixture
def person(db):
    return InsuredFactory(
        last_name="Lefèvre",
        first_names="Noémie",
        iban="FR7630004000010001234567830",
        birth_date=date(1984, 3, 9),
    )


def fill_identity(page, insured, **overrides) -> dict:
    values = {
        "nir": spaced(insured.nir),
        "last_name": "lefevre",  # lower case, no accent: still a match
        "birth_date": insured.birth_date.strftime("%d/%m/%Y"),
        "postal_code": insured.postal_code,
    } | overrides
    field(page, "Numéro de sécurité sociale").fill(values["nir"])
    field(page, "Nom").fill(values["last_name"])
    field(page, "Date de naissance").fill(values["birth_date"])
    field(page, "Code postal").fill(values["postal_code"])
    return values


def start_signup(page, live_server, insured, *, journey: str):
    """Home → "Créer mon compte" → identity → the proof page."""
    page.goto(live_server.url + reverse("public:home"))
    checked(page)
    follow(page, "Créer mon compte")
    at(page, "accounts:signup_identity")
    fill_identity(page, insured)
    checked(page, f"{journey}-1-identity")
    submit(page, "Continuer")
    at(page, "accounts:signup_proof")
    checked(page, f"{journey}-2-proof")


TERMS_BOX = re.compile(r"^J'accepte les conditions d'utilisation")
PRIVACY_BOX = re.compile(r"^J'ai pris connaissance de la notice de protection des données")


def create_credentials_and_confirm(page, email: str, *, journey: str, step: int, forget_boxes: bool = False):
    """The credentials page (the two boxes ticked; with ``forget_boxes``, first refused without
    them), then the code emailed to confirm the address."""
    at(page, "account_signup")
    main = page.locator("main")
    for rule in ("8 caractères", "une lettre majuscule", "un chiffre", "128 caractères", "date de naissance"):
        expect(main).to_contain_text(rule)  # shown before anything is submitted
    field(page, "Adresse électronique").fill(email)
    field(page, "Mot de passe").fill(NEW_PASSWORD)
    field(page, "Confirmez le mot de passe").fill(NEW_PASSWORD)
    if forget_boxes:
        submit(page, "Créer mon compte")
        at(page, "account_signup")
        expect(main).to_contain_text("Acceptez les conditions d'utilisation")
        expect(main).to_contain_text("Cochez la case de protection de la vie privée")
        expect(field(page, "Adresse électronique")).to_have_value(email)  # kept
        assert not User.objects.filter(email=email).exists()
        checked(page, f"{journey}-{step}-credentials-refused")
        field(page, "Mot de passe").fill(NEW_PASSWORD)
        field(page, "Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("checkbox", name=TERMS_BOX).check()
    page.get_by_role("checkbox", name=PRIVACY_BOX).check()
    checked(page, f"{journey}-{step}-credentials")
    submit(page, "Créer mon compte")

    at(page, "account_email_verification_sent")
    expect(main).to_contain_text(email)
    checked(page, f"{journey}-{step + 1}-email-code")
    field(page, "Code").fill(last_code(email))
    submit(page, "Confirmer")


def test_creation_by_iban(page, live_server, person, settings):
    # A newcomer reads the privacy notice first, from the footer of any page.
    page.goto(live_server.url + reverse("public:home"))
    follow(page, "Données personnelles")
    at(page, "public:privacy")
    expect(page.get_by_role("heading", level=1)).to_have_text("Données personnelles")
    expect(page.get_by_role("table", name="Durées de conservation, par type de données")).to_be_visible()
    expect(page.get_by_role("heading", name="Réclamation auprès de la CNIL")).to_be_visible()
    checked(page, "iban-0-privacy")

    start_signup(page, live_server, person, journey="iban")
    field(page, "Les 7 derniers caractères de votre IBAN").fill(person.iban[-7:])
    submit(page, "Vérifier")
    checked(page)
    create_credentials_and_confirm(page, "noemie@exemple.test", journey="iban", step=3, forget_boxes=True)

    assert_in_my_space(page, person)
    checked(page, "iban-5-my-space")
    user = User.objects.get(insured=person)
    assert user.emailaddress_set.get().verified
    acceptance = user.terms_acceptances.get()
    assert (acceptance.version, acceptance.context) == (settings.TERMS_VERSION, "signup")
    assert user.terms_version == settings.TERMS_VERSION


def test_creation_by_provisional_code(page, live_server, person):
    start_signup(page, live_server, person, journey="letter")
    submit(page, "Recevoir un code provisoire par courrier")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre code provisoire est en route")
    checked(page, "letter-3-sent")
    letter = PostalLetter.objects.get(insured=person)
    assert letter.status == PostalLetter.Status.TO_PRINT
    code = letter_code(letter)

    follow(page, "Saisir mon code provisoire")
    at(page, "accounts:signup_code")
    field(page, "Numéro de sécurité sociale").fill(person.nir + compute_key(person.nir))
    field(page, "Code provisoire reçu par courrier").fill(code)
    checked(page, "letter-4-code")
    submit(page, "Valider le code")
    create_credentials_and_confirm(page, "noemie@exemple.test", journey="letter", step=5)

    assert_in_my_space(page, person)
    checked(page, "letter-7-my-space")
    assert person.provisional_codes.get().used_at is not None


def test_a_wrong_birth_date_gives_the_generic_message_and_keeps_the_fields(page, live_server, person):
    page.goto(live_server.url + reverse("accounts:signup_identity"))
    checked(page)
    values = fill_identity(page, person, birth_date="10/03/1984")
    submit(page, "Continuer")

    at(page, "accounts:signup_identity")
    alerts = page.get_by_role("alert")
    expect(alerts).to_have_count(1)
    expect(alerts).to_have_text(MISMATCH)
    expect(page.locator(".errorlist")).to_have_count(0)  # no hint of which field is wrong
    expect(field(page, "Numéro de sécurité sociale")).to_have_value(values["nir"])
    expect(field(page, "Nom")).to_have_value(values["last_name"])
    expect(field(page, "Date de naissance")).to_have_value(values["birth_date"])
    expect(field(page, "Code postal")).to_have_value(values["postal_code"])
    checked(page, "identity-mismatch")


# --- login, lockout, reset -----------------------------------------------------


def fill_login(page, user, password):
    field(page, "Numéro de sécurité sociale").fill(spaced(user.username))
    field(page, "Mot de passe").fill(password)
    submit(page, "Se connecter")


def log_in(page, live_server, user, password, *, shot: str | None = None):
    page.goto(live_server.url + reverse("account_login"))
    checked(page, shot)
    fill_login(page, user, password)


def confirm_login_code(page, user, *, journey: str | None = None):
    """The emailed code, then "trust this browser?" answered no, then Mon espace."""
    at(page, "account_confirm_login_code")
    checked(page, journey and f"{journey}-2-code")
    field(page, "Code reçu par courriel").fill(last_code(user.email))
    submit(page, "Confirmer")
    at(page, "mfa_trust")
    checked(page, journey and f"{journey}-3-trust")
    submit(page, "Ne pas faire confiance")
    assert_in_my_space(page, user.insured)
    checked(page, journey and f"{journey}-4-my-space")


def test_login_with_the_emailed_code(page, live_server):
    user = UserFactory()
    log_in(page, live_server, user, PASSWORD, shot="login-1-password")
    confirm_login_code(page, user, journey="login")
    assert all(user.username not in m.body for m in mail.outbox)


def test_lockout_then_unlock_by_password_reset(page, live_server):
    user = UserFactory()
    log_in(page, live_server, user, WRONG_PASSWORD)
    checked(page, "lockout-1-wrong-password")  # the same page for every wrong try
    for _ in range(4):
        expect(page.locator(".form-errors")).to_contain_text("incorrect")
        fill_login(page, user, WRONG_PASSWORD)
    user.refresh_from_db()
    assert user.locked_at is not None
    assert any("verrouillé" in m.subject for m in mail.outbox if user.email in m.to)

    # the fifth failure, then the right password: the page says what to do, in words that
    # would be the same for a NIR without an account
    expect(page.locator(".form-errors")).to_contain_text("la connexion à ce compte est suspendue")
    fill_login(page, user, PASSWORD)
    at(page, "account_login")
    expect(page.locator(".form-errors")).to_contain_text(
        "Si un compte existe pour ce numéro, un courriel explique comment le débloquer"
    )
    expect(page.locator(".form-errors")).not_to_contain_text("incorrect")
    checked(page, "lockout-2-right-password-refused")

    follow(page, "Mot de passe oublié ?")
    at(page, "account_reset_password")
    field(page, "Numéro de sécurité sociale").fill(user.username)
    field(page, "Adresse électronique de votre compte").fill(user.email)
    checked(page, "lockout-3-reset")
    submit(page, "Recevoir un code")

    at(page, "account_confirm_password_reset_code")
    checked(page, "lockout-4-reset-code")
    field(page, "Code").fill(last_code(user.email, digits=8))
    submit(page, "Confirmer")

    at(page, "account_complete_password_reset")
    field(page, "Nouveau mot de passe").fill(NEW_PASSWORD)
    field(page, "Nouveau mot de passe (confirmation)").fill(NEW_PASSWORD)
    checked(page, "lockout-5-new-password")
    submit(page, "Enregistrer le mot de passe")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe modifié")
    checked(page, "lockout-6-done")
    user.refresh_from_db()
    assert user.locked_at is None

    follow(page, "Se connecter")
    at(page, "account_login")
    fill_login(page, user, NEW_PASSWORD)
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
    follow(page, "Changer mon adresse électronique")
    at(page, "account_email")
    expect(page.locator("main")).to_contain_text(old)
    checked(page, "email-2-manage")
    field(page, "Nouvelle adresse électronique").fill(new)
    sent_before = len(mail.outbox)
    submit(page, "Changer d'adresse")

    at(page, "account_email_verification_sent")
    expect(page.locator("main")).to_contain_text(new)
    checked(page, "email-3-code")
    field(page, "Code").fill(last_code(new))
    submit(page, "Confirmer")
    checked(page, "email-4-done")

    user.refresh_from_db()
    assert user.email == new
    assert list(user.emailaddress_set.values_list("email", "verified", "primary")) == [(new, True, True)]
    to_old = [m for m in mail.outbox[sent_before:] if old in m.to]
    assert len(to_old) == 1 and new not in to_old[0].to, [m.subject for m in to_old]
