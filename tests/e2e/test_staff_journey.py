"""A staff member's first day in the browser: the back office's own sign-in, the app's code
where required, the back office's index; a wrong password; an insured account refused.

Every page is checked with axe-core (WCAG 2.1 AA) and against the Content-Security-Policy;
screenshots go to artifacts/screenshots/ (staff-*.png).
"""

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from accounts.demo import STAFF, seed_staff
from accounts.models import User
from ameli_portal.models import AuditEvent
from tests.e2e.conftest import page_checker
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

checked = page_checker("staff")


@pytest.fixture(autouse=True)
def _code_of_the_previous_period_too(settings):
    """A code read just before the app's 30-second period ends is still good when it lands
    (allauth's default tolerance is 0: the test would fail now and then on the boundary)."""
    settings.MFA_TOTP_TOLERANCE = 1


def field(page, label: str):
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*:?\s*$"))


def submit(page, label: str):
    with page.expect_navigation():
        page.get_by_role("button", name=label, exact=True).click()


def sign_in(page, username, password):
    field(page, "Identifiant").fill(username)
    field(page, "Mot de passe").fill(password)
    submit(page, "Se connecter")


def assert_at_the_index(page, live_server):
    expect(page).to_have_url(live_server.url + reverse("admin:index"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Gestion")


def test_first_day_with_a_demo_account(page, live_server, settings):
    """The demo: no app required, the printed username and password are enough."""
    settings.STAFF_MFA_REQUIRED = False
    seed_staff()
    username, password = next((u, p) for u, p, group, _ in STAFF if group == "Conseiller")
    page.goto(live_server.url + "/back-office/")
    expect(page).to_have_url(re.compile(re.escape(reverse("admin:login")) + r"\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion des agents de la caisse")
    checked(page, "1-sign-in")
    sign_in(page, username, password)
    assert_at_the_index(page, live_server)
    expect(page.locator("#content-main")).to_contain_text("Assurés")
    checked(page, "2-index")
    assert not mail.outbox  # no emailed code, no sign-up step
    assert AuditEvent.objects.filter(action="staff_login", actor=User.objects.get(username=username)).exists()


def test_first_day_with_the_app_required(page, live_server, settings, staff):
    settings.STAFF_MFA_REQUIRED = True
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    page.goto(live_server.url + reverse("admin:login"))
    sign_in(page, staff.username, PASSWORD)
    expect(page).to_have_url(live_server.url + reverse("admin:login_code"))
    checked(page, "3-app-code")
    field(page, "Code de votre application d'authentification").fill(
        format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    )
    submit(page, "Valider")
    assert_at_the_index(page, live_server)
    checked(page)


def test_a_wrong_password_then_an_insured_account_are_refused(page, live_server, staff):
    page.goto(live_server.url + reverse("admin:login"))
    sign_in(page, staff.username, "Motdepasse-Faux-1")
    expect(page.locator(".errornote")).to_have_text("L'identifiant ou le mot de passe est incorrect.")
    checked(page, "4-wrong-password")
    user = UserFactory()
    sign_in(page, user.username, PASSWORD)
    expect(page.locator(".errornote")).to_have_text("L'identifiant ou le mot de passe est incorrect.")
    page.get_by_role("link", name="Connectez-vous à votre compte").click()
    expect(page).to_have_url(live_server.url + reverse("account_login"))


def test_first_day_setting_up_the_app_when_required(page, live_server, settings, monkeypatch):
    """Production: the app is required and the agent, just made by ``createsuperuser`` (an
    address, none verified), has none yet; allauth's pages set it up (the password asked once
    more), then the back office opens: no email step, no code by email."""
    from django.core.management import call_command

    settings.STAFF_MFA_REQUIRED = True
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command(
        "createsuperuser", interactive=False, username="chef", email="chef@caisse-demo.example", verbosity=0
    )
    page.goto(live_server.url + reverse("admin:login"))
    sign_in(page, "chef", PASSWORD)
    expect(page).to_have_url(re.compile(re.escape(reverse("account_reauthenticate"))))
    checked(page, "5-setup-password-again")
    page.locator("input[type=password]").fill(PASSWORD)
    submit(page, "Confirmer")
    expect(page).to_have_url(live_server.url + reverse("mfa_activate_totp"))
    checked(page, "6-setup-app")
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
    submit(page, "Activer")
    expect(page).to_have_url(live_server.url + reverse("mfa_view_recovery_codes"))
    checked(page, "7-setup-done")
    page.get_by_role("link", name="Continuer vers le back-office").click()
    assert_at_the_index(page, live_server)
    expect(page.locator("#content-main")).to_contain_text("Comptes")  # a superuser's index
    checked(page, "8-superuser-index")
    # the one mail: allauth's notice that an app now protects the account
    assert [m.to for m in mail.outbox] == [["chef@caisse-demo.example"]]
    assert "activée" in mail.outbox[0].subject
