"""No back door: a superviseur cannot make itself superuser nor set anyone's password;
nobody changes their own privileges; every privilege change, password set and unlock is audited."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import CONSEILLER, roles_sync
from ameli_portal.models import AuditEvent
from tests.factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return StaffFactory(username="root", is_superuser=True)


def _user_form(user, **overrides):
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "01/01/2026",
        "date_joined_1": "10:00:00",
        "groups": [g.pk for g in user.groups.all()],
        "insured": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_superviseur_cannot_make_itself_superuser(client, superviseur):
    client.force_login(superviseur)
    url = reverse("admin:accounts_user_change", args=[superviseur.pk])
    response = client.post(url, _user_form(superviseur, is_superuser="on"))
    assert response.status_code == 403
    superviseur.refresh_from_db()
    assert not superviseur.is_superuser


def test_a_superviseur_cannot_set_the_admin_password(client, superviseur, superuser):
    client.force_login(superviseur)
    url = reverse("admin:auth_user_password_change", args=[superuser.pk])
    response = client.post(
        url, {"password1": "Autre-Mot-2026", "password2": "Autre-Mot-2026", "usable_password": "true"}
    )
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.check_password(PASSWORD)


def test_a_superviseur_cannot_add_a_staff_account_nor_edit_roles(client, superviseur):
    client.force_login(superviseur)
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403
    group = Group.objects.get(name=CONSEILLER)
    assert client.get(reverse("admin:auth_group_change", args=[group.pk])).status_code == 403


def test_a_superuser_cannot_change_its_own_privileges_nor_make_a_superuser(client, superuser):
    conseiller = StaffFactory(username="cons")
    client.force_login(superuser)
    own = reverse("admin:accounts_user_change", args=[superuser.pk])
    response = client.post(own, _user_form(superuser, is_staff=None, is_active=None))
    assert response.status_code == 302
    superuser.refresh_from_db()
    assert superuser.is_staff and superuser.is_active and superuser.is_superuser
    other = reverse("admin:accounts_user_change", args=[conseiller.pk])
    client.post(other, _user_form(conseiller, is_superuser="on"))
    conseiller.refresh_from_db()
    assert not conseiller.is_superuser


def test_a_privilege_change_is_audited_with_old_and_new_values(client, superuser):
    roles_sync()
    agent = StaffFactory(username="cons")
    client.force_login(superuser)
    url = reverse("admin:accounts_user_change", args=[agent.pk])
    group = Group.objects.get(name=CONSEILLER)
    response = client.post(url, _user_form(agent, groups=[group.pk]))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="privilege_change", object_id=str(agent.pk))
    assert event.actor == superuser
    assert event.changes == {"groups": [[], [CONSEILLER]]}


def test_a_password_set_by_the_superuser_is_audited_without_the_password(client, superuser):
    agent = StaffFactory(username="cons")
    client.force_login(superuser)
    url = reverse("admin:auth_user_password_change", args=[agent.pk])
    response = client.post(
        url, {"password1": "Autre-Mot-2026!", "password2": "Autre-Mot-2026!", "usable_password": "true"}
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password("Autre-Mot-2026!")
    event = AuditEvent.objects.get(action="password_set", object_id=str(agent.pk))
    assert event.actor == superuser
    assert "Autre-Mot" not in str(event.changes)


def test_an_unlock_by_a_conseiller_is_audited(client, staff, insured):
    user = insured.user
    User.objects.filter(pk=user.pk).update(locked_at=timezone.now(), failed_logins=5)
    client.force_login(staff)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_accounts", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.locked_at is None
    event = AuditEvent.objects.get(action="unlock", object_id=str(user.pk))
    assert event.actor == staff and event.changes["failed_logins"] == ["5", "0"]


def test_a_superuser_is_made_by_the_command(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Chef-De-Caisse-2026")
    call_command("createsuperuser", interactive=False, username="chef", email="chef@caisse.test", verbosity=0)
    chef = User.objects.get(username="chef")
    assert chef.is_superuser and chef.is_staff and chef.check_password("Chef-De-Caisse-2026")


def test_seed_demo_refuses_to_run_outside_demo_mode(settings):
    from django.core.management.base import CommandError

    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="DEMO_MODE"):
        call_command("seed_demo")
    assert not User.objects.filter(username="admin").exists()
