"""Logging in with the NIR, the emailed code, lockout and the forgotten password."""

from html import unescape

import pytest
from django.core import mail
from django.urls import reverse

from accounts.lockout import SUSPENDED_MESSAGE
from accounts.models import User
from accounts.nir import compute_key
from ameli_portal.models import AuditEvent
from tests.accounts.helpers import last_code
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
WRONG = "Motdepasse-Faux-1"


@pytest.fixture
def user(db):
    return UserFactory()


def login(client, user, password=PASSWORD, nir=None):
    return client.post(reverse("account_login"), {"login": nir or user.username, "password": password})


def confirm_code(client, user, *, trust=False):
    response = client.post(reverse("account_confirm_login_code"), {"code": last_code(user.email)})
    assert response["Location"] == reverse("mfa_trust")
    return client.post(reverse("mfa_trust"), {"action": "trust" if trust else "skip"})


def test_login_with_the_nir_then_the_emailed_code(client, user):
    nir = f"{user.username[:1]} {user.username[1:3]} {user.username[3:]} {compute_key(user.username)}"
    response = login(client, user, nir=nir)
    assert response["Location"] == reverse("account_confirm_login_code")
    assert client.get(reverse("accounts:home")).status_code == 302  # not yet logged in
    assert len(last_code(user.email)) == 6
    response = confirm_code(client, user)
    assert response.status_code == 302
    assert client.get(reverse("accounts:home")).status_code == 200
    assert all(user.username not in m.body and user.username not in m.subject for m in mail.outbox)


def test_a_trusted_browser_is_not_asked_for_a_code_again(client, user):
    login(client, user)
    confirm_code(client, user, trust=True)
    client.post(reverse("account_logout"))
    sent = len(mail.outbox)
    response = login(client, user)
    assert response.status_code == 302 and response["Location"] != reverse("account_confirm_login_code")
    assert client.get(reverse("accounts:home")).status_code == 200
    assert len(mail.outbox) == sent


def test_a_wrong_login_code_does_not_log_in(client, user):
    login(client, user)
    wrong = f"{(int(last_code(user.email)) + 1) % 10**6:06d}"
    response = client.post(reverse("account_confirm_login_code"), {"code": wrong})
    assert client.get(reverse("accounts:home")).status_code == 302
    assert response.status_code == 200


def test_a_wrong_password_and_an_unknown_nir_read_the_same(client, user):
    wrong = login(client, user, WRONG).content.decode()
    unknown = login(client, user, nir="1 70 01 13 055 009").content.decode()
    assert "Le numéro de sécurité sociale ou le mot de passe est incorrect." in wrong
    marker = wrong[wrong.index("form-errors") :][:300]
    assert marker in unknown


def _form_errors(response) -> str:
    """The page's error block, as the browser receives it (bytes, not the rendered text)."""
    page = response.content.decode()
    start = page.index("form-errors")
    return page[start : page.index("</div>", start)]


def test_five_wrong_passwords_lock_the_account_and_tell_the_owner(client, user):
    for _ in range(4):
        assert "incorrect" in login(client, user, WRONG).content.decode()
    fifth = login(client, user, WRONG).content.decode()
    user.refresh_from_db()
    assert user.locked_at is not None
    assert any("verrouillé" in m.subject for m in mail.outbox if user.email in m.to)
    assert unescape(SUSPENDED_MESSAGE) in unescape(fifth)


def test_the_right_password_of_a_locked_account_gets_the_lockout_message(client, user):
    for _ in range(5):
        login(client, user, WRONG)
    response = login(client, user)
    assert response.status_code == 200
    page = unescape(response.content.decode())
    assert SUSPENDED_MESSAGE in page and "Mot de passe oublié" in page
    assert "est incorrect" not in page and "inactive" not in page
    assert client.get(reverse("accounts:home")).status_code == 302


def test_after_five_failures_a_locked_nir_and_an_unknown_nir_read_byte_for_byte_the_same(client, user):
    stranger = "1 70 01 13 055 009"
    for _ in range(5):
        login(client, user, WRONG)
        login(client, user, WRONG, nir=stranger)
    locked = _form_errors(login(client, user))
    unknown = _form_errors(login(client, user, nir=stranger))
    assert unescape(SUSPENDED_MESSAGE) in unescape(locked)
    assert locked == unknown
    # and the same on the fifth failure itself, and with a wrong password once more
    assert _form_errors(login(client, user, WRONG)) == _form_errors(login(client, user, WRONG, nir=stranger))


def test_fewer_than_five_failures_still_read_incorrect(client, user):
    for _ in range(4):
        login(client, user, nir="1 70 01 13 055 009", password=WRONG)
    page = login(client, user, nir="1 70 01 13 055 009", password=WRONG).content.decode()
    assert "suspendue" in page  # the fifth
    other = login(client, user, WRONG).content.decode()  # another NIR: its own count
    assert "suspendue" not in other and "incorrect" in other


def test_an_unlock_lets_the_owner_in_again_at_once(client, user):
    from accounts.services.login import user_unlock

    for _ in range(5):
        login(client, user, WRONG)
    user_unlock(user=User.objects.get(pk=user.pk))
    assert login(client, user)["Location"] == reverse("account_confirm_login_code")


def test_a_successful_login_resets_the_failure_count(client, user):
    for _ in range(4):
        login(client, user, WRONG)
    login(client, user)
    confirm_code(client, user)
    user.refresh_from_db()
    assert user.failed_logins == 0 and user.locked_at is None


def test_forgotten_password_unlocks_the_account(client, user):
    for _ in range(5):
        login(client, user, WRONG)
    client.cache = None
    response = client.post(
        reverse("account_reset_password"), {"nir": user.username, "email": user.email.upper()}
    )
    assert response.status_code == 302
    code = last_code(user.email, digits=8)
    response = client.post(reverse("account_confirm_password_reset_code"), {"code": code})
    assert response.status_code == 302, response.content.decode()[-1500:]
    new = "Nouveau-Depart-2027"
    response = client.post(response["Location"], {"password1": new, "password2": new})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.locked_at is None and user.check_password(new)


def test_a_reset_asked_with_a_wrong_email_sends_nothing(client, user):
    response = client.post(
        reverse("account_reset_password"), {"nir": user.username, "email": "autre@exemple.test"}
    )
    assert response.status_code == 302  # same answer as for a match
    assert not [m for m in mail.outbox if "autre@exemple.test" in m.to or user.email in m.to]


def test_staff_unlocks_an_account_from_the_admin_and_it_is_audited(client, user):
    User.objects.filter(pk=user.pk).update(locked_at="2026-01-01T00:00Z", failed_logins=5)
    admin = User.objects.create_superuser("chef", "chef@caisse.test", PASSWORD)
    client.force_login(admin)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_accounts", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.locked_at is None and user.failed_logins == 0
    assert AuditEvent.objects.filter(action="unlock", object_id=str(user.pk), actor=admin).exists()


def test_a_totp_app_replaces_the_emailed_code(client, user):
    import time

    from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    sent = len(mail.outbox)
    response = login(client, user)
    assert response["Location"] == reverse("mfa_authenticate")
    assert len(mail.outbox) == sent  # no emailed code
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    if response["Location"] == reverse("mfa_trust"):
        client.post(reverse("mfa_trust"), {"action": "skip"})
    assert client.get(reverse("accounts:home")).status_code == 200


def test_changing_the_password_ends_the_other_sessions(client, user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    assert other.get(reverse("accounts:home")).status_code == 200
    client.force_login(user)
    new = "Autre-Chemin-2028"
    response = client.post(
        reverse("account_change_password"), {"oldpassword": PASSWORD, "password1": new, "password2": new}
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:home")).status_code == 200
    assert other.get(reverse("accounts:home")).status_code == 302


def test_a_password_reset_ends_every_session(client, user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    assert other.get(reverse("accounts:home")).status_code == 200
    client.post(reverse("account_reset_password"), {"nir": user.username, "email": user.email})
    response = client.post(
        reverse("account_confirm_password_reset_code"), {"code": last_code(user.email, digits=8)}
    )
    new = "Nouveau-Depart-2027"
    client.post(response["Location"], {"password1": new, "password2": new})
    assert other.get(reverse("accounts:home")).status_code == 302
