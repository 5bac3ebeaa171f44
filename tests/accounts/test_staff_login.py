"""The back office's own sign-in: username, password, the app's code; insured refused, audited."""

import time
from html import unescape

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.urls import reverse

from accounts.lockout import STAFF_SUSPENDED_MESSAGE, SUSPENDED_MESSAGE
from accounts.models import User
from accounts.staff_login import MISMATCH, TOO_MANY
from ameli_portal.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
WRONG = "Motdepasse-Faux-1"


@pytest.fixture(autouse=True)
def _code_of_the_previous_period_too(settings):
    """A code read just before the app's 30-second period ends is still good when it lands
    (allauth's default tolerance is 0: the test would fail now and then on the boundary)."""
    settings.MFA_TOTP_TOLERANCE = 1


def sign_in(client, username, password=PASSWORD, ip="127.0.0.1", **extra):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password, **extra}, REMOTE_ADDR=ip
    )


def current_code(secret):
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def errors(response) -> str:
    return " ".join(str(e) for e in response.context["form"].non_field_errors())


def test_the_back_office_sign_in_is_its_own_page_in_french(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Connexion des agents de la caisse" in page and 'name="username"' in page
    assert "Numéro de sécurité sociale" not in page
    assert reverse("account_login") in page  # an insured person who took the wrong door


def test_an_anonymous_visitor_of_a_back_office_page_lands_on_it_and_comes_back(client, staff, settings):
    settings.STAFF_MFA_REQUIRED = False
    target = reverse("admin:accounts_insured_changelist")
    response = client.get(target)
    assert response["Location"] == f"{reverse('admin:login')}?next={target}"
    response = sign_in(client, staff.username, next=target)
    assert response["Location"] == target
    assert client.get(target).status_code == 200


def test_staff_without_an_app_signs_in_with_the_password_when_it_is_not_required(client, staff, settings):
    settings.STAFF_MFA_REQUIRED = False
    sent = len(mail.outbox)
    response = sign_in(client, staff.username)
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
    assert len(mail.outbox) == sent  # no emailed code, no sign-up email step
    row = AuditEvent.objects.get(action="staff_login")
    assert row.actor == staff and row.object_id == str(staff.pk) and "mot de passe" in row.summary


def test_staff_without_an_app_is_sent_to_set_it_up_when_required(client, staff, settings):
    settings.STAFF_MFA_REQUIRED = True
    response = sign_in(client, staff.username)
    assert client.get(response["Location"])["Location"] == reverse("mfa_activate_totp")
    # allauth asks the password once more before a second factor is set up
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_staff_with_an_app_gives_its_code_then_reaches_the_back_office(client, staff, settings):
    settings.STAFF_MFA_REQUIRED = True
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    response = sign_in(client, staff.username)
    assert response["Location"] == reverse("admin:login_code")
    assert client.get(reverse("admin:index")).status_code == 302  # not signed in yet
    page = unescape(client.get(reverse("admin:login_code")).content.decode())
    assert "Code de votre application d'authentification" in page
    response = client.post(reverse("admin:login_code"), {"code": current_code(secret)})
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
    assert "application" in AuditEvent.objects.get(action="staff_login", actor=staff).summary


def test_a_wrong_app_code_does_not_sign_in_and_is_audited(client, staff):
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    sign_in(client, staff.username)
    wrong = f"{(int(current_code(secret)) + 500000) % 10**6:06d}"
    response = client.post(reverse("admin:login_code"), {"code": wrong})
    assert response.status_code == 200
    assert "n'est pas le bon" in unescape(response.content.decode())
    assert client.get(reverse("admin:index")).status_code == 302
    row = AuditEvent.objects.get(action="staff_login_failed")
    assert row.object_id == str(staff.pk) and "code" in row.summary


def test_the_code_step_without_a_password_first_goes_back_to_the_sign_in(client):
    assert client.get(reverse("admin:login_code"))["Location"] == reverse("admin:login")


def test_a_wrong_password_and_an_unknown_username_read_the_same_and_are_audited(client, staff):
    wrong = sign_in(client, staff.username, WRONG)
    unknown = sign_in(client, "agent-inconnu", WRONG)
    assert errors(wrong) == errors(unknown) == MISMATCH
    rows = AuditEvent.objects.filter(action="staff_login_failed")
    assert rows.count() == 2
    assert {row.object_id for row in rows} == {str(staff.pk), ""}
    assert all("agent-inconnu" not in row.summary for row in rows)  # a keyed hash only


def test_five_wrong_passwords_lock_a_staff_account_and_the_page_says_what_to_do(client, staff):
    for _ in range(4):
        assert errors(sign_in(client, staff.username, WRONG)) == MISMATCH
    assert errors(sign_in(client, staff.username, WRONG)) == STAFF_SUSPENDED_MESSAGE
    staff.refresh_from_db()
    assert staff.locked_at is not None
    # the right password now gets the same message, and no session
    assert errors(sign_in(client, staff.username)) == STAFF_SUSPENDED_MESSAGE
    assert client.get(reverse("admin:index")).status_code == 302
    # an unknown username, from another address (allauth's limit per address is 10 a minute)
    for _ in range(5):
        sign_in(client, "agent-inconnu", WRONG, ip="10.0.0.2")
    assert errors(sign_in(client, "agent-inconnu", PASSWORD, ip="10.0.0.2")) == STAFF_SUSPENDED_MESSAGE


def test_many_failures_from_one_address_are_slowed_down_whatever_the_username(client, staff):
    for n in range(10):
        assert errors(sign_in(client, f"agent-{n}", WRONG)) == MISMATCH
    assert errors(sign_in(client, staff.username)) == TOO_MANY  # even the right password
    assert client.get(reverse("admin:index")).status_code == 302


def test_an_unlock_by_staff_lets_the_agent_sign_in_again(client, staff):
    from accounts.services.login import user_unlock

    for _ in range(5):
        sign_in(client, staff.username, WRONG)
    user_unlock(user=User.objects.get(pk=staff.pk))
    assert sign_in(client, staff.username)["Location"] == reverse("admin:index")


def test_an_insured_account_is_refused_at_the_back_office_like_a_wrong_password(client):
    user = UserFactory()
    response = sign_in(client, user.username)
    assert errors(response) == MISMATCH
    assert client.get(reverse("accounts:home")).status_code == 302  # not signed in anywhere
    user.refresh_from_db()
    assert user.failed_logins == 0  # its right password does not count against it
    assert AuditEvent.objects.filter(action="staff_login_failed", object_id=str(user.pk)).exists()


def test_a_staff_account_is_refused_on_the_insured_page_like_a_wrong_password(client, staff):
    response = client.post(reverse("account_login"), {"login": staff.username, "password": PASSWORD})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Le numéro de sécurité sociale ou le mot de passe est incorrect." in page
    assert client.get(reverse("admin:index")).status_code == 302
    assert not [m for m in mail.outbox if staff.email in m.to]  # no code, no sign-up step


def test_a_staff_lock_sends_no_insured_mail(client, staff):
    for _ in range(5):
        sign_in(client, staff.username, WRONG)
    assert not [m for m in mail.outbox if staff.email in m.to]
    assert SUSPENDED_MESSAGE != STAFF_SUSPENDED_MESSAGE


def test_signing_out_of_the_back_office_is_audited(client, staff, settings):
    settings.STAFF_MFA_REQUIRED = False
    sign_in(client, staff.username)
    client.post(reverse("admin:logout"))
    assert AuditEvent.objects.filter(action="staff_logout", actor=staff).exists()
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_demo_staff_are_ready_on_first_sign_in(client, settings):
    from accounts.demo import STAFF, seed_staff

    settings.STAFF_MFA_REQUIRED = False
    seed_staff()
    for username, password, group, _superuser in STAFF:
        client.logout()
        response = sign_in(client, username, password)
        assert response["Location"] == reverse("admin:index"), username
        assert client.get(reverse("admin:index")).status_code == 200, username
        user = User.objects.get(username=username)
        assert user.emailaddress_set.filter(verified=True).exists()
        assert group is None or user.groups.filter(name=group).exists()
    assert not mail.outbox


def test_the_insured_page_sends_staff_to_their_door(client):
    page = client.get(reverse("account_login")).content.decode()
    assert f'href="{reverse("admin:login")}"' in page and "Agent de la caisse" in page


def test_a_recovery_code_replaces_the_app_once(client, staff):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    TOTP.activate(staff, generate_totp_secret())
    code = RecoveryCodes.activate(staff).get_unused_codes()[0]
    sign_in(client, staff.username)
    assert client.post(reverse("admin:login_code"), {"code": code})["Location"] == reverse("admin:index")
    client.post(reverse("admin:logout"))
    sign_in(client, staff.username)
    assert client.post(reverse("admin:login_code"), {"code": code}).status_code == 200  # spent


def test_a_new_superuser_sets_up_the_app_without_an_email_step(client, settings, monkeypatch):
    """``createsuperuser`` gives an address but no verified one; a stale unverified row (the
    address typed again in allauth's own admin) made allauth refuse the app's set-up."""
    from allauth.account.models import EmailAddress
    from django.core.management import call_command

    settings.STAFF_MFA_REQUIRED = True
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command(
        "createsuperuser", interactive=False, username="chef", email="chef@caisse.example", verbosity=0
    )
    chef = User.objects.get(username="chef")
    EmailAddress.objects.create(user=chef, email=chef.email, verified=False, primary=True)
    response = sign_in(client, "chef")
    assert client.get(response["Location"])["Location"] == reverse("mfa_activate_totp")
    response = client.post(client.get(reverse("mfa_activate_totp"))["Location"], {"password": PASSWORD})
    assert response["Location"] == reverse("mfa_activate_totp")
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200, response.get("Location")  # not sent back with a message
    secret = response.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert client.get(reverse("admin:index")).status_code == 200
    assert list(chef.emailaddress_set.values_list("email", "verified", "primary")) == [
        ("chef@caisse.example", True, True)
    ]
    assert not [m for m in mail.outbox if "Confirmez" in m.subject or "code" in m.subject.lower()]


def test_the_record_address_of_a_staff_member_counts_as_verified_once(client, staff, settings):
    from allauth.account.models import EmailAddress

    settings.STAFF_MFA_REQUIRED = False
    assert not EmailAddress.objects.filter(user=staff).exists()
    sign_in(client, staff.username)
    client.post(reverse("admin:logout"))
    sign_in(client, staff.username)
    assert list(EmailAddress.objects.filter(user=staff).values_list("email", "verified", "primary")) == [
        (staff.email, True, True)
    ]


def test_an_insured_address_is_never_marked_verified_at_the_back_office(client):
    from allauth.account.models import EmailAddress

    user = UserFactory()
    EmailAddress.objects.filter(user=user).update(verified=False)
    sign_in(client, user.username)  # refused: not staff
    assert not EmailAddress.objects.filter(user=user, verified=True).exists()


def test_the_back_office_pages_name_the_portal_s_icon(client, staff, settings):
    """Without it the browser asks /favicon.ico: a 404 (and a log line) on each first visit."""
    from django.templatetags.static import static

    settings.STAFF_MFA_REQUIRED = False
    icon = f'<link rel="icon" href="{static("img/favicon.svg")}"'
    assert icon in client.get(reverse("admin:login")).content.decode()
    sign_in(client, staff.username)
    assert icon in client.get(reverse("admin:index")).content.decode()
