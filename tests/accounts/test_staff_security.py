"""Staff: the back office requires MFA (its sign-in: tests/accounts/test_staff_login.py)."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_staff_without_mfa_is_sent_to_set_it_up(client, staff, settings):
    settings.STAFF_MFA_REQUIRED = True
    client.force_login(staff)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_staff_with_totp_reaches_the_back_office(client, staff, settings):
    settings.STAFF_MFA_REQUIRED = True
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200


def test_insured_user_cannot_open_the_back_office(client, insured):
    client.force_login(insured.user)
    assert client.get(reverse("admin:index"), follow=True).status_code == 403
