"""Sessions end after 30 idle minutes or 12 hours in all; logs never hold a NIR."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_idle_session_expires_after_30_minutes(client, insured):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(insured.user)
        assert client.get(reverse("accounts:home")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get(reverse("accounts:home")).status_code == 200  # activity renews it
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        assert client.get(reverse("accounts:home")).status_code == 302


def test_active_session_ends_after_12_hours(client, insured):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(insured.user)
        client.get(reverse("accounts:home"))
    for minutes in range(20, 12 * 60, 20):  # active every 20 minutes
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get(reverse("accounts:home")).status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=5), tick=False):
        assert client.get(reverse("accounts:home")).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_login_gets_a_new_session_key(client, insured):
    from tests.accounts.test_login import confirm_code

    client.get(reverse("account_login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("account_login"), {"login": insured.nir, "password": PASSWORD})
    confirm_code(client, insured.user)
    assert client.get(reverse("accounts:home")).status_code == 200
    assert client.session.session_key != before


def test_security_events_never_log_the_nir_or_the_password(client, insured, caplog):
    caplog.set_level(logging.INFO, logger="accounts.security")
    client.post(reverse("account_login"), {"login": insured.nir, "password": "Faux-Mot-2passe"})
    client.post(reverse("account_login"), {"login": insured.nir, "password": PASSWORD})
    text = caplog.text
    assert "login_failed" in text
    assert insured.nir not in text and "Faux-Mot-2passe" not in text and PASSWORD not in text
