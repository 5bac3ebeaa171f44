import pytest
from django.contrib.auth.models import Permission


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    return tmp_path


@pytest.fixture
def agent(staff):
    """A conseiller allowed to process requests (the Conseiller group's rights in the brief)."""
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="requests_app",
            codename__in=["view_request", "change_request", "view_attachment", "view_requestevent"],
        )
    )
    return staff


@pytest.fixture
def register_clerk(db):
    """An agent of the register who may read a request but not decide it nor open its documents."""
    from tests.factories import StaffFactory

    user = StaffFactory()
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="requests_app", codename__in=["view_request"])
    )
    return user


@pytest.fixture
def logged(client, insured):
    client.force_login(insured.user)
    return client


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # Dozens of accounts per run here: the real hasher's cost is not what these tests check.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
