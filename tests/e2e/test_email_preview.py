"""Back office, in a browser: a conseiller finds « Modèles de courriels » on the index, opens
the sign-up confirmation mail and reads it in its two versions, as the person would."""

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import expect

from accounts.roles import CONSEILLER, roles_sync
from tests.e2e.conftest import assert_no_axe_violations, assert_no_csp_violations, screenshot, signed_in_page
from tests.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def conseiller(db):
    roles_sync()
    user = StaffFactory(first_name="Alex", last_name="Conseil")
    user.groups.add(Group.objects.get(name=CONSEILLER))
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


def test_a_conseiller_previews_the_confirmation_mail(browser, live_server, conseiller, settings):
    with signed_in_page(browser, live_server, conseiller) as page:
        page.goto(live_server.url + reverse("admin:index"))
        page.get_by_role("link", name="Modèles de courriels (aperçu)").first.click()
        expect(page.get_by_role("heading", name="Courriels de connexion et de sécurité")).to_be_visible()
        screenshot(page, "back-office-courriels")
        assert_no_axe_violations(page)
        page.get_by_role("link", name="email-confirmation-signup").click()
        expect(page.locator("pre")).to_contain_text("Ce code est valable 15 minutes")
        frame = page.frame_locator("iframe.email-preview-frame")
        expect(frame.get_by_text(settings.BRANDING["portal_name"]).first).to_be_visible()
        expect(frame.get_by_text("482915")).to_be_visible()
        screenshot(page, "back-office-courriel-confirmation")
        assert_no_csp_violations(page)
        assert_no_axe_violations(page)
