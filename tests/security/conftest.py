import pytest
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.test import TestCase, override_settings

from tests.factories import StaffFactory, UserFactory

from .household import build_household, grant


@pytest.fixture(scope="package", autouse=True)
def private_storage(tmp_path_factory):
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path_factory.mktemp("storage")), "base_url": None},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.conf import settings

    storages["staticfiles"] = settings.STORAGES["staticfiles"]
    with override_settings(STORAGES=storages):
        yield


@pytest.fixture(scope="package", autouse=True)
def _fast_hasher():
    # Many accounts and logins here: the real hasher's cost is not what these tests check.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="package")
def household(django_db_setup, django_db_blocker):
    """Built once for tests/security (PDFs and all) inside a transaction rolled back at the end; each
    test runs in a savepoint within it, as pytest-django's db fixture nests its own atomic."""
    with django_db_blocker.unblock(), transaction.atomic():
        with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
            built = build_household(TestCase.captureOnCommitCallbacks)
        assert callbacks is not None
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def stranger(db):
    """Another insured person with an account."""
    return UserFactory()


def make_staff(*perms):
    """A member of staff with an authenticator (the back office wants one) and these rights."""
    user = StaffFactory()
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return grant(user, *perms)


@pytest.fixture
def bare_staff(db):
    """Staff without any permission."""
    return make_staff()
