"""Mes données personnelles in the browser: the archive asked, built by the job, downloaded;
the page asking to accept a new version of the terms."""

import io
import json
import re
import zipfile

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import page_checker, signed_in_page
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
checked = page_checker("personal-data")


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files"), "base_url": None},
        },
    }


def test_download_my_data_and_write_about_them(browser, live_server, private_storage):
    user = UserFactory(insured__last_name="Lefèvre")
    with signed_in_page(browser, live_server, user) as page:
        page.goto(live_server.url + reverse("public:privacy"))
        page.get_by_role("link", name="Télécharger mes données").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Mes données personnelles")
        checked(page, "1-page")
        page.get_by_role("button", name="Préparer mon archive").click()
        expect(page.get_by_role("status")).to_contain_text("en préparation")
        page.reload()
        link = page.get_by_role("link", name=re.compile("^Télécharger l'archive"))
        checked(page, "2-ready")
        with page.expect_download() as info:
            link.click()
        download = info.value
        assert re.fullmatch(r"mes-donnees-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
        with zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read())) as archive:
            data = json.loads(archive.read("mes-donnees.json"))
        assert data["identity"]["last_name"] == "Lefèvre"

        page.get_by_role("link", name="Écrire à propos de mes données").click()
        expect(page.get_by_label("Thème")).to_have_value("donnees")
        checked(page, "3-message")


def test_a_new_version_of_the_terms_is_accepted_before_going_on(browser, live_server, settings):
    user = UserFactory()
    settings.TERMS_VERSION = "2099-01"
    with signed_in_page(browser, live_server, user) as page:
        page.goto(live_server.url + reverse("accounts:profile"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelles conditions d'utilisation")
        checked(page, "4-new-terms")
        page.get_by_role("button", name="Accepter et continuer").click()
        expect(page.get_by_role("alert")).to_contain_text("Cochez les deux cases")
        checked(page, "5-new-terms-refused")
        page.get_by_role("checkbox", name=re.compile("^J'accepte les conditions")).check()
        page.get_by_role("checkbox", name=re.compile("^J'ai pris connaissance")).check()
        page.get_by_role("button", name="Accepter et continuer").click()
        expect(page).to_have_url(re.compile(re.escape(reverse("accounts:profile")) + "$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Mes informations")
    user.refresh_from_db()
    assert user.terms_version == "2099-01"
