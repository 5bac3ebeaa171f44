import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Permission

from tests.factories import StaffFactory

MESSAGING_PERMS = ["view_thread", "change_thread", "view_message", "add_message"]


def grant_messaging(user):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="messaging", codename__in=MESSAGING_PERMS)
    )
    Authenticator.objects.get_or_create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


@pytest.fixture
def agent(db):
    """A conseiller who may answer messages, with an authenticator (the back office wants one)."""
    return grant_messaging(StaffFactory())


@pytest.fixture
def insured_user(insured):
    return insured.user
